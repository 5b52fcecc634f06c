/* libFuzzer harness for the /proc/drbd parser (storagenode/agent/procdrbd.c):
 * any bytes give -EINVAL or at most max entries, each with DRBD words the
 * message codec can name, a percent within 0..100 and distinct minors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procdrbd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procdrbd_minor m[8];
	int n = procdrbd_parse((const char *)data, size, m, 8);

	if (n < 0)
		return 0;
	if (n > 8)
		abort();
	for (int i = 0; i < n; i++) {
		if (!smsg_conn_name(m[i].conn) || !smsg_role_name(m[i].role) ||
		    !smsg_dsk_name(m[i].disk) || !smsg_dsk_name(m[i].peer_disk))
			abort();
		if (m[i].sync_percent < 0.0 || m[i].sync_percent > 100.0 || m[i].sync_eta_s < -1 ||
		    m[i].minor > SMSG_MINOR_MAX)
			abort();
		for (int j = 0; j < i; j++)
			if (m[j].minor == m[i].minor)
				abort();
	}
	return 0;
}
