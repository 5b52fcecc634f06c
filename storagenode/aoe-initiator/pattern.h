/* pattern.h - the deterministic data aoe-bench writes and verifies: every
 * 512-byte sector's content is a function of its LBA and a seed, so a
 * verify needs no copy of what was written and a misplaced sector (wrong
 * LBA on the target) is caught, not just a corrupted one. Pure functions.
 */
#ifndef NIMBUS_AOE_PATTERN_H
#define NIMBUS_AOE_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Fill nsect sectors starting at lba. */
void pattern_fill(uint8_t *buf, uint64_t lba, unsigned nsect, uint64_t seed);

/* Index of the first of nsect sectors that differs from the pattern, or -1
 * when all match. */
int pattern_check(const uint8_t *buf, uint64_t lba, unsigned nsect,
		  uint64_t seed);

/* 1 when all len bytes are zero: write --sparse skips such requests, since
 * a new thin volume (or a fresh sparse file) reads zeros already. */
int pattern_is_zero(const uint8_t *buf, size_t len);

/* The whole percent (0..100) done of total (100 when total is 0); write
 * and read --progress print a line each time it grows. */
unsigned pattern_percent(uint64_t done, uint64_t total);

#endif
