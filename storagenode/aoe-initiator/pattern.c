/* pattern.c - per-sector test data keyed by LBA and seed (see pattern.h). */
#include "pattern.h"

#include <string.h>

#include "aoe/aoe_proto.h"

/* splitmix64: cheap, and every output bit depends on every input bit, so
 * neighbouring sectors and seeds never share content. */
static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Word 0 is the LBA and word 1 the seed in clear, so a hex dump of a bad
 * sector shows at once where its content came from. */
static void fill_sector(uint64_t *w, uint64_t lba, uint64_t seed)
{
	uint64_t k = mix(lba ^ mix(seed));

	w[0] = lba;
	w[1] = seed;
	for (unsigned i = 2; i < AOE_SECTOR_SIZE / 8; i++)
		w[i] = mix(k + i);
}

void pattern_fill(uint8_t *buf, uint64_t lba, unsigned nsect, uint64_t seed)
{
	uint64_t w[AOE_SECTOR_SIZE / 8];

	for (unsigned s = 0; s < nsect; s++) {
		fill_sector(w, lba + s, seed);
		memcpy(buf + (size_t)s * AOE_SECTOR_SIZE, w, sizeof(w));
	}
}

int pattern_check(const uint8_t *buf, uint64_t lba, unsigned nsect,
		  uint64_t seed)
{
	uint64_t w[AOE_SECTOR_SIZE / 8];

	for (unsigned s = 0; s < nsect; s++) {
		fill_sector(w, lba + s, seed);
		if (memcmp(buf + (size_t)s * AOE_SECTOR_SIZE, w, sizeof(w)))
			return (int)s;
	}
	return -1;
}

int pattern_is_zero(const uint8_t *buf, size_t len)
{
	/* a zero first byte, then the buffer equals itself shifted by one */
	return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

unsigned pattern_percent(uint64_t done, uint64_t total)
{
	if (total == 0 || done >= total)
		return 100;
	/* 128 bits: done * 100 must not wrap for any byte count */
	return (unsigned)((unsigned __int128)done * 100 / total);
}
