/* config.h - aoetd's configuration: the exports and global settings, from a
 * configuration file or from the vblade-style command line (both fill the
 * same struct). Parsing is pure (text in, struct out, no I/O); checks that
 * need the system (backing files, interfaces) live in export.c / netio.c.
 * The file format is documented in docs/aoetd.md.
 */
#ifndef NIMBUS_AOETD_CONFIG_H
#define NIMBUS_AOETD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aoe/aoe_proto.h"

#define AOETD_MAX_IFACES      16   /* per export */
#define AOETD_MAX_EXPORTS     4096
#define AOETD_DEFAULT_BUFCNT  64
#define AOETD_MAX_BUFCNT      16384
#define AOETD_DEFAULT_SOCKET  "/run/aoetd.sock"
#define AOETD_CONTROL_PATH_MAX 108 /* sun_path */

struct export_cfg {
	uint16_t shelf;
	uint8_t slot;
	char path[PATH_MAX];
	char ifaces[AOETD_MAX_IFACES][IFNAMSIZ];
	unsigned nifaces;
	bool read_only;
	bool direct;
	bool sync;
	uint64_t offset;      /* sectors */
	uint64_t length;      /* sectors; 0 = to the end of the backing file */
	uint8_t macs[AOE_MASK_MAX][6];
	unsigned nmacs;
	bool has_cfg;         /* config= given */
	uint8_t cfg[AOE_CFG_STR_MAX];
	uint16_t cfg_len;
	uint16_t bufcnt;      /* 0 = global default */
	unsigned line;        /* where it was defined (0 = command line) */
};

struct aoetd_config {
	char file[PATH_MAX];             /* for messages; "" = command line */
	char control[AOETD_CONTROL_PATH_MAX]; /* "" = none */
	bool control_set;
	uint16_t bufcnt;                 /* default for exports */
	char ifaces[AOETD_MAX_IFACES][IFNAMSIZ]; /* default interfaces */
	unsigned nifaces;
	struct export_cfg *exports;
	unsigned nexports;
	unsigned cap;
};

/* Defaults: no exports, bufcnt 64, control socket /run/aoetd.sock. */
void config_init(struct aoetd_config *c);
void config_free(struct aoetd_config *c);

/* Parses a whole configuration file's text (len bytes, need not be NUL
 * terminated) into c (config_init'ed). fname is used in messages only.
 * Returns 0, or a negative errno with a one-line "FILE:LINE: what" in
 * err. On success every export has its interfaces and bufcnt resolved. */
int config_parse(struct aoetd_config *c, const char *fname, const char *text,
		 size_t len, char *err, size_t errlen);

/* Appends an export (copied) after checking it against the others
 * (duplicate shelf.slot). Returns 0, -EEXIST, -E2BIG or -ENOMEM. */
int config_add_export(struct aoetd_config *c, const struct export_cfg *e);

/* Parsers for single values, shared with the command line. Each returns 0
 * or -EINVAL / -ERANGE, and writes a message naming the value into err. */
int config_parse_shelf(const char *s, uint16_t *shelf, char *err, size_t n);
int config_parse_slot(const char *s, uint8_t *slot, char *err, size_t n);
int config_parse_sectors(const char *what, const char *s, uint64_t *v,
			 char *err, size_t n);
int config_parse_bufcnt(const char *s, uint16_t *v, char *err, size_t n);
int config_parse_ifaces(const char *s, char (*ifaces)[IFNAMSIZ],
			unsigned *n, char *err, size_t errlen);
int config_parse_macs(const char *s, uint8_t (*macs)[6], unsigned *n,
		      char *err, size_t errlen);

/* Are two exports configured identically (same line meaning)? SIGHUP
 * keeps the run-time state of exports for which this holds. */
bool export_cfg_equal(const struct export_cfg *a, const struct export_cfg *b);

/* Finds shelf.slot in c, or NULL. */
const struct export_cfg *config_find(const struct aoetd_config *c,
				     uint16_t shelf, uint8_t slot);

#endif
