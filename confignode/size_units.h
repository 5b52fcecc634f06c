/* Sizes as operators type and read them: a number with an optional binary
 * suffix K, M, G or T (1K = 1024). Shared by nimbusd and the CLI. */
#ifndef NIMBUS_SIZE_UNITS_H
#define NIMBUS_SIZE_UNITS_H

#include <stdint.h>

#define SIZE_STR_MAX 24

/* "10G" -> 10737418240. 0, or -EINVAL (not a number, unknown suffix,
 * anything after it) or -ERANGE (more than 2^63 - 1 bytes). */
int size_parse(const char *s, uint64_t *out);

/* The largest unit that divides v exactly ("10G", "1536M", "512"); a value
 * that none divides gets one decimal of the largest unit below it ("9.8G"),
 * marked as rounded by its decimal point. Returns buf. */
const char *size_format(uint64_t v, char buf[SIZE_STR_MAX]);

#endif
