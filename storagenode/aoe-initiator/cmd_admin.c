/* cmd_admin.c - aoe-bench's discovery and control subcommands: discover,
 * config (Query Config 0..4), mask (Mac Mask List), reserve
 * (Reserve/Release). */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mac.h"

int cmd_discover(struct ini *ini, struct opts *o)
{
	struct ini_target ts[256];
	uint16_t shelf = o->have_target ? o->shelf : AOE_MAJOR_ANY;
	uint8_t slot = o->have_target ? o->slot : AOE_MINOR_ANY;
	int n = ini_discover(ini, shelf, slot, (unsigned)o->wait_ms, ts, 256);

	if (n < 0) {
		fprintf(stderr, "aoe-bench: discover on %s: %s\n", o->iface,
			strerror(-n));
		return EX_FAIL;
	}
	if (n == 0) {
		fprintf(stderr, "aoe-bench: discover on %s: no target answered "
			"within %" PRIu64 " ms\n", o->iface, o->wait_ms);
		return EX_NOANSWER;
	}
	for (int i = 0; i < n; i++)
		if (!o->quiet)
			print_target(&ts[i]);
	return EX_OK;
}

/* --- config / mask / reserve --------------------------------------------- */

int cmd_config(struct ini *ini, struct opts *o)
{
	static const char *const sub[] = { "read", "test", "prefix", "set",
					   "force" };
	struct ini_target t;
	const char *str = o->argc > 1 ? o->argv[1] : "";
	int ccmd = -1, err;

	if (o->argc < 1) {
		usage_error("config needs a subcommand: %s",
			    "read, test, prefix, set or force");
		return EX_USAGE;
	}
	for (int i = 0; i < 5; i++)
		if (!strcmp(o->argv[0], sub[i]))
			ccmd = i;
	if (ccmd < 0) {
		usage_error("unknown config subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (ccmd != AOE_CCMD_READ && o->argc < 2) {
		usage_error("config %s needs a STRING", o->argv[0]);
		return EX_USAGE;
	}
	if (strlen(str) > AOE_CFG_STR_MAX) {
		usage_error("config string longer than 1024 bytes: '%.40s...'",
			    str);
		return EX_USAGE;
	}
	memset(&t, 0, sizeof(t));
	t.shelf = o->shelf;
	t.slot = o->slot;
	if (o->have_mac)
		memcpy(t.mac, o->mac, 6);
	err = ini_config(ini, &t, (uint8_t)ccmd, str, strlen(str));
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_target(&t);
	return EX_OK;
}

static int parse_macs(struct opts *o, int first, uint8_t (*macs)[6],
		      unsigned *n)
{
	*n = 0;
	for (int i = first; i < o->argc; i++) {
		if (*n >= AOE_MASK_MAX || mac_parse(o->argv[i], macs[*n])) {
			usage_error("bad MAC '%s'", o->argv[i]);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static void print_macs(const char *what, const struct opts *o,
		       uint8_t (*macs)[6], unsigned n)
{
	char m[MAC_STR_LEN];

	printf("%s %s count=%u", what, tname(o), n);
	for (unsigned i = 0; i < n; i++) {
		mac_format(macs[i], m);
		printf(" %s", m);
	}
	printf("\n");
}

int cmd_mask(struct ini *ini, struct opts *o)
{
	static uint8_t macs[AOE_MASK_MAX][6], out[AOE_MASK_MAX][6];
	struct aoe_mask_dir dirs[AOE_MASK_MAX];
	struct ini_target t;
	unsigned n, nout;
	uint8_t dcmd;
	int err;

	if (o->argc < 1) {
		usage_error("mask needs a subcommand: %s", "read, add or del");
		return EX_USAGE;
	}
	if (!strcmp(o->argv[0], "read"))
		dcmd = AOE_DCMD_NONE;
	else if (!strcmp(o->argv[0], "add"))
		dcmd = AOE_DCMD_ADD;
	else if (!strcmp(o->argv[0], "del"))
		dcmd = AOE_DCMD_DEL;
	else {
		usage_error("unknown mask subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (parse_macs(o, 1, macs, &n))
		return EX_USAGE;
	if (dcmd != AOE_DCMD_NONE && n == 0) {
		usage_error("mask %s needs at least one MAC", o->argv[0]);
		return EX_USAGE;
	}
	for (unsigned i = 0; i < n; i++) {
		dirs[i].dcmd = dcmd;
		memcpy(dirs[i].mac, macs[i], 6);
	}
	err = connect_target(ini, o, &t);
	if (!err)
		err = ini_mask(ini, &t, dcmd == AOE_DCMD_NONE ? AOE_MCMD_READ
							    : AOE_MCMD_EDIT,
			       dirs, n, out, &nout);
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_macs("mask", o, out, nout);
	return EX_OK;
}

int cmd_reserve(struct ini *ini, struct opts *o)
{
	static uint8_t macs[AOE_RESV_MAX][6], out[AOE_RESV_MAX][6];
	struct ini_target t;
	unsigned n, nout;
	uint8_t rcmd;
	int err;

	if (o->argc < 1) {
		usage_error("reserve needs a subcommand: %s",
			    "read, set, force or release");
		return EX_USAGE;
	}
	if (!strcmp(o->argv[0], "read"))
		rcmd = AOE_RCMD_READ;
	else if (!strcmp(o->argv[0], "set") || !strcmp(o->argv[0], "release"))
		rcmd = AOE_RCMD_SET;
	else if (!strcmp(o->argv[0], "force"))
		rcmd = AOE_RCMD_FORCE;
	else {
		usage_error("unknown reserve subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (parse_macs(o, 1, macs, &n))
		return EX_USAGE;
	if (!strcmp(o->argv[0], "release") && n) {
		usage_error("reserve release takes no MACs (got '%s')",
			    o->argv[1]);
		return EX_USAGE;
	}
	err = connect_target(ini, o, &t);
	if (!err)
		err = ini_reserve(ini, &t, rcmd, (const uint8_t (*)[6])macs, n,
				  out, &nout);
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_macs("reserve", o, out, nout);
	return EX_OK;
}
