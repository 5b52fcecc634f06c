#include "validate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The length checks every validator starts with: 0 and the length in *n,
 * or -EINVAL (NULL, shorter than min) or -ENAMETOOLONG (longer than max). */
static int check_length(const char *s, size_t min, size_t max, size_t *n)
{
	if (!s)
		return -EINVAL;
	*n = strlen(s);
	if (*n < min)
		return -EINVAL;
	if (*n > max)
		return -ENAMETOOLONG;
	return 0;
}

int validate_node_name(const char *s)
{
	size_t n;
	int rc = check_length(s, 1, NAME_MAX_LEN, &n);

	if (rc < 0)
		return rc;
	if (s[0] == '-' || s[n - 1] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return -EINVAL;
	return 0;
}

int validate_image_name(const char *s)
{
	size_t n;
	int rc = check_length(s, 1, NAME_MAX_LEN, &n);

	if (rc < 0)
		return rc;
	if (!is_lower_alnum(s[0]))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && !strchr("._-", s[i]))
			return -EINVAL;
	return 0;
}

int validate_tftp_path(const char *s)
{
	size_t n;
	int rc = check_length(s, 1, PATH_MAX_LEN, &n);
	const char *comp;

	if (rc < 0)
		return rc;
	/* '-' first would read as an option to a program given the path */
	if (s[0] == '/' || s[0] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._+/-", c)))
			return -EINVAL;
	}
	/* Every component must be a plain name: no "", ".", ".." (which
	 * would escape the TFTP root or confuse pxelinux). */
	comp = s;
	for (;;) {
		const char *end = strchr(comp, '/');
		size_t len = end ? (size_t)(end - comp) : strlen(comp);

		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return -EINVAL;
		if (!end)
			break;
		comp = end + 1;
	}
	return 0;
}

int validate_abs_path(const char *s)
{
	if (!s || s[0] != '/')
		return -EINVAL;
	if (strlen(s) > PATH_MAX_LEN)
		return -ENAMETOOLONG;
	return validate_tftp_path(s + 1);
}

int validate_printable(const char *s, size_t max)
{
	size_t n;
	int rc = check_length(s, 0, max, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return -EINVAL;
	}
	return 0;
}

int validate_cmdline(const char *s)
{
	int rc = validate_printable(s, CMDLINE_MAX_LEN);

	if (rc < 0)
		return rc;
	if (strpbrk(s, "\"'\\;{}#$`"))
		return -EINVAL;
	/* "---" separates mboot.c32's modules in a pxelinux APPEND line. */
	if (strstr(s, "---"))
		return -EINVAL;
	return 0;
}

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_STORAGE] = "storage",
	[ROLE_HW] = "hw",
};

int role_parse(const char *s, enum node_role *role)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*role = (enum node_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *role_name(enum node_role role)
{
	if ((unsigned)role >= ROLE_COUNT)
		return "?";
	return role_names[role];
}

int ipv4_parse(const char *s, uint32_t *ip)
{
	unsigned parts[4];
	const char *p = s;

	if (!s)
		return -EINVAL;
	/* Strict: exactly four decimal parts 0..255, no leading zeros (which
	 * some parsers read as octal), nothing after. */
	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		if (i > 0) {
			if (*p != '.')
				return -EINVAL;
			p++;
		}
		if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -EINVAL;
		parts[i] = v;
	}
	if (*p)
		return -EINVAL;
	*ip = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3];
	return 0;
}

void ipv4_format(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
}

uint32_t prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu :
		~((1u << (32 - prefix)) - 1);
}

int cidr_parse(const char *s, uint32_t *net, unsigned *prefix)
{
	char buf[32];
	const char *slash;
	char *end;
	unsigned long pl;
	uint32_t ip;
	size_t n;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ipv4_parse(buf, &ip) < 0)
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	pl = strtoul(slash + 1, &end, 10);
	if (errno || *end || pl > 32 || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	if (ip & ~prefix_mask((unsigned)pl))
		return -EINVAL;
	*net = ip;
	*prefix = (unsigned)pl;
	return 0;
}

bool ipv4_in_subnet(uint32_t ip, uint32_t net, unsigned prefix)
{
	uint32_t mask = prefix_mask(prefix);

	if ((ip & mask) != net)
		return false;
	if (prefix >= 31)
		return true;
	return ip != net && ip != (net | ~mask);
}

int validate_account_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return -EINVAL;
	if (strspn(s, "0123456789") == n)
		return n <= 10 && strtoul(s, NULL, 10) < 0xffffffffUL ? 0 : -EINVAL;
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return -EINVAL;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n ? 0 : -EINVAL;
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Every one of the n characters of s is a letter, a digit or in extra. */
static bool alnum_or(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

int validate_omapi_key_name(const char *s)
{
	size_t n;
	int rc = check_length(s, 1, NAME_MAX_LEN, &n);

	if (rc < 0)
		return rc;
	if (!is_alnum(s[0]) || (s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	return alnum_or(s, n, "_-.") ? 0 : -EINVAL;
}

int validate_omapi_algorithm(const char *s)
{
	/* what the configuration has always taken and the tests run with */
	return s && strcasecmp(s, "HMAC-MD5") == 0 ? 0 : -EINVAL;
}

int validate_omapi_secret(const char *s)
{
	size_t n;
	int rc = check_length(s, 1, 127, &n);

	if (rc < 0)
		return rc;
	return alnum_or(s, n, "+/=") ? 0 : -EINVAL;
}
