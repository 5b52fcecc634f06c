#include "mac.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads 12 hex digits from s, allowing a separator only where the given form
 * puts one: sep_every 2 for "aa:bb" forms, 4 for Cisco "aabb.ccdd", 0 none. */
static int parse_form(const char *s, char sep, int sep_every,
		      uint8_t mac[MAC_LEN])
{
	int digits = 0;

	for (const char *p = s; *p; p++) {
		if (sep_every && digits && digits < 12 && digits % sep_every == 0 &&
		    *p == sep && p[-1] != sep) {
			continue;
		}
		int v = hexval((unsigned char)*p);
		if (v < 0 || digits >= 12)
			return -EINVAL;
		if (sep_every && digits % sep_every == 0 && digits &&
		    p[-1] != sep)
			return -EINVAL;
		if (digits % 2 == 0)
			mac[digits / 2] = (uint8_t)(v << 4);
		else
			mac[digits / 2] |= (uint8_t)v;
		digits++;
	}
	return digits == 12 ? 0 : -EINVAL;
}

int mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 17 && s[2] == ':')
		return parse_form(s, ':', 2, mac);
	if (n == 17 && s[2] == '-')
		return parse_form(s, '-', 2, mac);
	if (n == 14 && s[4] == '.')
		return parse_form(s, '.', 4, mac);
	if (n == 12)
		return parse_form(s, 0, 0, mac);
	return -EINVAL;
}

void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN])
{
	snprintf(out, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

bool mac_is_multicast(const uint8_t mac[MAC_LEN]) { return mac[0] & 1; }

bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	static const uint8_t zero[MAC_LEN];
	return memcmp(mac, zero, MAC_LEN) == 0;
}

bool mac_is_unicast(const uint8_t mac[MAC_LEN])
{
	return !mac_is_zero(mac) && !mac_is_multicast(mac);
}

int mac_parse_list(const char *s, uint8_t (*macs)[MAC_LEN], size_t max,
		   const char **bad)
{
	char item[32];
	size_t count = 0;
	const char *p = s;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0 || len >= sizeof(item)) {
			if (bad)
				*bad = p;
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = 0;
		if (count >= max)
			return -E2BIG;
		if (mac_parse(item, macs[count]) < 0) {
			if (bad)
				*bad = p;
			return -EINVAL;
		}
		count++;
		p = end ? end + 1 : p + len;
		if (end && !*p) {
			if (bad)
				*bad = end;
			return -EINVAL;
		}
	}
	return (int)count;
}
