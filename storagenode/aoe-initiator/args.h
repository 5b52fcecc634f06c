/* args.h - parsing of aoe-bench's command-line values. Pure functions;
 * each returns 0 or -EINVAL/-ERANGE and never prints. */
#ifndef NIMBUS_AOE_ARGS_H
#define NIMBUS_AOE_ARGS_H

#include <stdint.h>

/* Decimal (or 0x hex) unsigned integer, at most max. */
int args_u64(const char *s, uint64_t max, uint64_t *out);

/* A byte count with an optional binary suffix: 512, 4k, 8K, 1m, 2G. */
int args_size(const char *s, uint64_t *out);

/* SHELF.SLOT as vblade and the kernel name them (e1.2 or 1.2): shelf
 * 0..65534, slot 0..254 (the wildcards are not addresses). */
int args_target(const char *s, uint16_t *shelf, uint8_t *slot);

#endif
