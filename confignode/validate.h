/* Input validation for everything nimbusd stores or writes into generated
 * files (dhcpd.conf, pxelinux.cfg, omshell scripts): names, addresses,
 * paths, command lines, OMAPI keys. The one rule set: the API, the
 * configuration parser and provisioning (prov_validate.c, which checks whole
 * structs with these) all use it, so what is stored can always be written.
 * Pure functions, no I/O. Each returns 0 or -EINVAL (-ENAMETOOLONG when only
 * the length is wrong), so callers can name the bad value in their error. */
#ifndef NIMBUS_VALIDATE_H
#define NIMBUS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN    63   /* one DNS label */
#define PATH_MAX_LEN    255  /* relative to the TFTP root */
#define CMDLINE_MAX_LEN 1024

enum node_role { ROLE_STORAGE = 0, ROLE_HW, ROLE_COUNT };

/* Node names: one DNS label (RFC 1123), lower case: [a-z0-9-], 1..63
 * characters, not starting or ending with '-'. */
int validate_node_name(const char *s);

/* Image names: [a-z0-9._-], 1..63, starting with a letter or digit. */
int validate_image_name(const char *s);

/* Boot file paths relative to the TFTP root: [A-Za-z0-9._+/-], 1..255, no
 * leading '/' or '-', no "." or ".." component, no empty component (so no
 * trailing '/'). */
int validate_tftp_path(const char *s);

/* Absolute file paths in the configuration: '/' then a relative path as
 * above (same characters, no "." or ".." components), 2..255. */
int validate_abs_path(const char *s);

/* Kernel command lines: printable ASCII without quotes, backslash, ';',
 * '{', '}', '#', '$' or '`' (dhcpd.conf and pxelinux syntax), without
 * "---" (mboot.c32's module separator), 0..1024 bytes. */
int validate_cmdline(const char *s);

/* Free-form strings from node reports: printable ASCII, 0..max bytes. */
int validate_printable(const char *s, size_t max);

/* "storage" / "hw". */
int role_parse(const char *s, enum node_role *role);
const char *role_name(enum node_role role);

/* Dotted-quad IPv4 into host byte order; strict (no short forms). */
int ipv4_parse(const char *s, uint32_t *ip);
void ipv4_format(uint32_t ip, char out[16]);
/* "A.B.C.D/N" -> network (host order, masked) and prefix 0..32. A network
 * with host bits set is refused. */
int cidr_parse(const char *s, uint32_t *net, unsigned *prefix);
uint32_t prefix_mask(unsigned prefix);
/* ip is a usable host address of net/prefix (not network or broadcast). */
bool ipv4_in_subnet(uint32_t ip, uint32_t net, unsigned prefix);

/* OMAPI keys (omapi-key NAME ALGORITHM SECRET): a name [A-Za-z][A-Za-z0-9_.-]*
 * of 1..63, HMAC-MD5 (any case), a base64 secret of 1..127. */
int validate_omapi_key_name(const char *s);
int validate_omapi_algorithm(const char *s);
int validate_omapi_secret(const char *s);

/* A user or group as configured (admin-user, admin-group): a number, or a
 * name [a-z_][a-z0-9_.-]* of at most 32 characters. */
int validate_account_name(const char *s);

#endif
