/* args.c - command-line value parsing for aoe-bench (see args.h). */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int args_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int args_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t len;
	unsigned shift = 0;
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		num[--len] = 0;
	err = args_u64(num, UINT64_MAX >> shift, &v);
	if (err)
		return err;
	*out = v << shift;
	return 0;
}

int args_target(const char *s, uint16_t *shelf, uint8_t *slot)
{
	char buf[32];
	char *dot;
	uint64_t a, b;

	if (!s)
		return -EINVAL;
	if (*s == 'e')
		s++;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dot = strchr(buf, '.');
	if (!dot)
		return -EINVAL;
	*dot = 0;
	if (args_u64(buf, UINT64_MAX, &a) || args_u64(dot + 1, UINT64_MAX, &b))
		return -EINVAL;
	if (a > 65534 || b > 254)
		return -ERANGE;
	*shelf = (uint16_t)a;
	*slot = (uint8_t)b;
	return 0;
}
