/* Parsers for the text the report client reads: `xl info` and the aoe
 * driver's debugfs. Pure: strings in, structs out. */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies at most n bytes of src into dst (size dstlen), trimmed of
 * surrounding blanks. */
static void copy_trimmed(char *dst, size_t dstlen, const char *src, size_t n)
{
	while (n > 0 && isspace((unsigned char)*src)) {
		src++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)src[n - 1]))
		n--;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_num(const char *text, size_t len, long *out)
{
	char s[32], *end;
	long v;

	copy_trimmed(s, sizeof(s), text, len);

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int xl_info_parse(const char *text, struct xl_info *out)
{
	char major[16] = "", minor[16] = "", extra[32] = "";
	int have_cpus = 0, have_free = 0;

	memset(out, 0, sizeof(*out));
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		if (colon) {
			char key[32];
			const char *v = colon + 1;
			size_t vlen = len - (size_t)(colon - line) - 1;

			copy_trimmed(key, sizeof(key), line, (size_t)(colon - line));
			if (!strcmp(key, "xen_major"))
				copy_trimmed(major, sizeof(major), v, vlen);
			else if (!strcmp(key, "xen_minor"))
				copy_trimmed(minor, sizeof(minor), v, vlen);
			else if (!strcmp(key, "xen_extra"))
				copy_trimmed(extra, sizeof(extra), v, vlen);
			else if (!strcmp(key, "xen_version"))
				copy_trimmed(out->xen_version, sizeof(out->xen_version), v, vlen);
			else if (!strcmp(key, "xen_caps"))
				copy_trimmed(out->xen_caps, sizeof(out->xen_caps), v, vlen);
			else if (!strcmp(key, "nr_cpus"))
				have_cpus = parse_num(v, vlen, &out->nr_cpus) == 0;
			else if (!strcmp(key, "total_memory"))
				parse_num(v, vlen, &out->total_memory_mb);
			else if (!strcmp(key, "free_memory"))
				have_free = parse_num(v, vlen, &out->free_memory_mb) == 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	/* Older xl prints only major/minor/extra. */
	if (!out->xen_version[0] && major[0])
		snprintf(out->xen_version, sizeof(out->xen_version), "%.15s.%.15s%.31s",
			 major, minor, extra);
	if (!out->xen_version[0] || !have_cpus || !have_free)
		return -EINVAL;
	return 0;
}

int mac_from_hex12(const char *hex, char out[18])
{
	for (int i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -EINVAL;
	for (int i = 0; i < 6; i++) {
		out[i * 3] = (char)tolower((unsigned char)hex[i * 2]);
		out[i * 3 + 1] = (char)tolower((unsigned char)hex[i * 2 + 1]);
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

/* "525400aa0001:0:16:16": 12 hex digits, then ':' and three numbers. */
static int is_target_line(const char *line, size_t len)
{
	if (len < 13 || line[12] != ':')
		return 0;
	for (size_t i = 0; i < 12; i++)
		if (!isxdigit((unsigned char)line[i]))
			return 0;
	return 1;
}

int aoe_debugfs_parse(const char *text, struct aoe_path *paths, size_t max)
{
	size_t n = 0;
	int in_target = 0;

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (is_target_line(line, len)) {
			unsigned a, b, c;
			char tail[32];

			copy_trimmed(tail, sizeof(tail), line + 13, len - 13);
			if (sscanf(tail, "%u:%u:%u", &a, &b, &c) != 3)
				return -EINVAL;
			in_target = n < max;
			if (in_target) {
				mac_from_hex12(line, paths[n].target);
				paths[n].ifaces[0] = '\0';
				n++;
			}
		} else if (in_target && len > 1 && line[0] == '\t' &&
			   !memchr(line, ':', len)) {
			/* The interface list: the one indented line without a
			 * "name:value" colon. */
			copy_trimmed(paths[n - 1].ifaces, sizeof(paths[n - 1].ifaces),
				     line, len);
		} else if (line[0] != '\t') {
			in_target = 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return (int)n;
}

int env_lookup(const char *text, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t vlen = len - klen - 1;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen >= outlen)
				return -ENAMETOOLONG;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}
