/* pattern.h - the deterministic data aoe-bench writes and verifies: every
 * 512-byte sector's content is a function of its LBA and a seed, so a
 * verify needs no copy of what was written and a misplaced sector (wrong
 * LBA on the target) is caught, not just a corrupted one. Pure functions.
 */
#ifndef NIMBUS_AOE_PATTERN_H
#define NIMBUS_AOE_PATTERN_H

#include <stdint.h>

/* Fill nsect sectors starting at lba. */
void pattern_fill(uint8_t *buf, uint64_t lba, unsigned nsect, uint64_t seed);

/* Index of the first of nsect sectors that differs from the pattern, or -1
 * when all match. */
int pattern_check(const uint8_t *buf, uint64_t lba, unsigned nsect,
		  uint64_t seed);

#endif
