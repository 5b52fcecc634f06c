/* `lvm lvs --noheadings --units b --nosuffix --separator '|' -o
 * lv_name,lv_size,vg_size,vg_free,data_percent,origin VG` output: the
 * node's LVs with their sizes, and the VG's size and free space. Pure,
 * tested in tests/unit/test_storage_http.c (with the agent's other small
 * parsers). */
#ifndef NIMBUS_STORAGE_LVS_H
#define NIMBUS_STORAGE_LVS_H

#include <stddef.h>
#include <stdint.h>

#include "agent/storage_msg.h"

#define LVS_MAX 1100
#define LVS_ARGS "--noheadings", "--units", "b", "--nosuffix", "--separator", "|", \
	"-o", "lv_name,lv_size,vg_size,vg_free,data_percent,origin"

struct lvs_lv {
	char name[SMSG_NAME_MAX];
	uint64_t size;
	double data_pct;          /* thin pool / thin LV use, 0 when blank */
	char origin[SMSG_NAME_MAX];
};

struct lvs_out {
	uint64_t vg_size, vg_free;
	struct lvs_lv lv[LVS_MAX];
	size_t n;
};

/* lvs_parse: 0 or -EINVAL (a line that is not 6 fields; names longer than
 * SMSG_NAME_MAX - 1 are skipped: never ours). */
int lvs_parse(const char *text, size_t len, struct lvs_out *o);
const struct lvs_lv *lvs_find(const struct lvs_out *o, const char *name);

#endif
