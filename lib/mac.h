/* Ethernet MAC addresses as operators type them. Pure functions, no I/O. */
#ifndef NIMBUS_MAC_H
#define NIMBUS_MAC_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define MAC_LEN 6
#define MAC_STR_LEN 18 /* "aa:bb:cc:dd:ee:ff" + NUL */

/* Parses aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff
 * (case-insensitive). Returns 0, or -EINVAL when s is not one of those. */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);

/* Writes the normalized form "aa:bb:cc:dd:ee:ff" into out (MAC_STR_LEN). */
void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN]);

bool mac_is_multicast(const uint8_t mac[MAC_LEN]); /* includes broadcast */
bool mac_is_zero(const uint8_t mac[MAC_LEN]);
/* A MAC a single machine can own: not zero, not multicast/broadcast. */
bool mac_is_unicast(const uint8_t mac[MAC_LEN]);

/* Parses a comma-separated list of MACs into macs[max]; returns the count or
 * -EINVAL (bad entry, *bad points at it) / -E2BIG (more than max). */
int mac_parse_list(const char *s, uint8_t (*macs)[MAC_LEN], size_t max,
		   const char **bad);

#endif
