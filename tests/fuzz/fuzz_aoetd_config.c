/* libFuzzer harness for aoetd's configuration parser: any bytes must give
 * either a configuration whose every export is in range, or an error line
 * of the form "FILE:LINE: what" - never a crash or an overrun. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aoetd_config c;
	char err[512];
	int rc;

	config_init(&c);
	err[0] = '\0';
	rc = config_parse(&c, "f", (const char *)data, size, err, sizeof(err));
	if (rc == 0) {
		for (unsigned i = 0; i < c.nexports; i++) {
			const struct export_cfg *e = &c.exports[i];

			if (e->shelf > 65534 || e->slot > 254 || !e->nifaces ||
			    e->cfg_len > AOE_CFG_STR_MAX || e->bufcnt < 2 ||
			    e->nmacs > AOE_MASK_MAX || !e->path[0])
				abort();
			for (unsigned k = 0; k < i; k++)
				if (c.exports[k].shelf == e->shelf &&
				    c.exports[k].slot == e->slot)
					abort();
		}
	} else if (strncmp(err, "f:", 2) != 0 || strchr(err, '\n')) {
		abort();
	}
	config_free(&c);
	return 0;
}
