/* libFuzzer harness for the storage node's disk probing parsers
 * (storagenode/agent/disks.c): the first bytes of the input choose a split
 * into a disk's head and tail, blkid output and pvs output. Any bytes must
 * give NUL-terminated, bounded fields and a classification - never a crash
 * or an overrun; and a disk with any signature is never "blank". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk_probe p;
	char reason[DISK_REASON_MAX];
	enum disk_class c;
	size_t q;

	if (size < 2)
		return 0;
	q = (size - 2) / 4;
	memset(&p, 0, sizeof(p));
	memcpy(p.name, "vda", 4);
	p.size = 1ULL << 30;
	disk_scan_edges(data + 2, q, data + 2 + q, q, p.magic, &p.head_zero, &p.tail_zero);
	if (memchr(p.magic, '\0', sizeof(p.magic)) == NULL)
		abort();
	if (disk_parse_blkid((const char *)data + 2 + 2 * q, q, &p) == 0 &&
	    (!memchr(p.sig_type, '\0', sizeof(p.sig_type)) || !memchr(p.pt_type, '\0', sizeof(p.pt_type))))
		abort();
	if (disk_parse_pvs((const char *)data + 2 + 3 * q, size - 2 - 3 * q, "/dev/vda", &p) == 0 &&
	    !memchr(p.pv_vg, '\0', sizeof(p.pv_vg)))
		abort();
	p.probe_err = data[0] & 1 ? -5 : 0;
	c = disk_classify(&p, "nimbus", reason);
	if (c == DISK_BLANK && (p.magic[0] || p.sig_type[0] || p.pt_type[0] || p.is_pv ||
				!p.head_zero || !p.tail_zero || p.probe_err))
		abort();
	if (c == DISK_OURS && (!p.is_pv || strcmp(p.pv_vg, "nimbus") != 0))
		abort();
	if (!memchr(reason, '\0', sizeof(reason)))
		abort();
	return 0;
}
