#include "res_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool path_ok(const char *p)
{
	return p && p[0] == '/' && !strpbrk(p, "\"\n\r\\");
}

static bool put(char *out, size_t cap, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool put(char *out, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *off)
		return false;
	*off += (size_t)n;
	return true;
}

ssize_t res_check_conf(char *out, size_t cap, const char *const *installed, size_t n,
		       const char *candidate)
{
	size_t off = 0;

	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	if (!path_ok(candidate))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!path_ok(installed[i]))
			return -EINVAL;
	if (!put(out, cap, &off, "# nimbus-storaged: the check of %s (docs/storage.md)\n"
		 "global { usage-count no; }\n", candidate))
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		if (!put(out, cap, &off, "include \"%s\";\n", installed[i]))
			return -ENOSPC;
	if (!put(out, cap, &off, "include \"%s\";\n", candidate))
		return -ENOSPC;
	return (ssize_t)off;
}

void res_check_reason(const char *output, size_t len, char *out, size_t cap)
{
	size_t i = 0, start, end, k = 0;

	if (!cap)
		return;
	while (i < len) {
		start = i;
		while (i < len && output[i] != '\n')
			i++;
		end = i++;
		while (start < end && (output[start] == ' ' || output[start] == '\t' || output[start] == '\r'))
			start++;
		while (end > start && (output[end - 1] == ' ' || output[end - 1] == '\r'))
			end--;
		if (start == end)
			continue;
		for (size_t j = start; j < end && k + 1 < cap; j++)
			out[k++] = (unsigned char)output[j] < 0x20 ? ' ' : output[j];
		break;
	}
	out[k] = '\0';
}
