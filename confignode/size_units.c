#include "size_units.h"

#include <errno.h>
#include <stdio.h>

static const char units[] = "KMGT";

int size_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	int shift = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_C(1) << 63) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		for (int i = 0; units[i]; i++)
			if (*p == units[i] || *p == units[i] + ('a' - 'A'))
				shift = 10 * (i + 1);
		if (!shift || p[1])
			return -EINVAL;
	}
	if (v > (((UINT64_C(1) << 63) - 1) >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

const char *size_format(uint64_t v, char buf[SIZE_STR_MAX])
{
	int i;

	for (i = 3; i >= 0; i--) {
		uint64_t u = UINT64_C(1) << (10 * (i + 1));

		if (v >= u && v % u == 0) {
			snprintf(buf, SIZE_STR_MAX, "%llu%c", (unsigned long long)(v / u), units[i]);
			return buf;
		}
	}
	for (i = 3; i >= 0; i--) {
		uint64_t u = UINT64_C(1) << (10 * (i + 1));

		if (v >= u) {
			snprintf(buf, SIZE_STR_MAX, "%.1f%c", (double)v / (double)u, units[i]);
			return buf;
		}
	}
	snprintf(buf, SIZE_STR_MAX, "%llu", (unsigned long long)v);
	return buf;
}
