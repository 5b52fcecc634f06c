/* bench.h - what aoe-bench's subcommand files share: the parsed command
 * line, exit statuses, and the helpers that name a target, report a failure
 * and find the target. One file per group of subcommands: cmd_io.c (data),
 * cmd_admin.c (discovery and the control commands), cmd_raw.c (ceiling).
 */
#ifndef NIMBUS_AOE_BENCH_H
#define NIMBUS_AOE_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "initiator.h"

/* Exit statuses, so tests can tell "refused" from "silent". */
enum {
	EX_OK = 0,
	EX_FAIL = 1,      /* local failure: socket, file, bad reply */
	EX_USAGE = 2,
	EX_AOE = 3,       /* the target answered with an AoE error */
	EX_ATA = 4,       /* the target answered with an ATA error */
	EX_NOANSWER = 5,  /* no answer after every retry */
	EX_VERIFY = 6,    /* data read back differs from the pattern */
};

struct opts {
	const char *iface;
	bool have_target;
	uint16_t shelf;
	uint8_t slot;
	bool have_mac;
	uint8_t mac[6];
	uint64_t offset;
	bool have_count;
	uint64_t count;
	uint64_t seed;
	const char *input;
	const char *output;
	uint64_t seconds;
	uint64_t qd;
	uint64_t size;
	uint64_t timeout_ms;
	uint64_t retries;
	uint64_t wait_ms;
	bool lba28;
	bool once;          /* seq-read/seq-write: one pass, no wrap */
	bool sparse;        /* write --input: skip all-zero requests */
	bool progress;      /* read/write: "progress DONE TOTAL" lines */
	bool quiet;
	int argc;          /* positional arguments after the subcommand */
	char **argv;
};

/* "aoe-bench: <fmt with val>" and the --help hint, to stderr. */
void usage_error(const char *fmt, const char *val);
/* Exit status for a negative errno from the initiator. */
int exit_for(int err);
/* "eSHELF.SLOT" of the -t target (static buffer). */
const char *tname(const struct opts *o);
/* Print ini->last as one line naming target, interface, tag, LBA and
 * error; returns the exit status (EX_OK when err is 0). */
int report(struct ini *ini, const struct opts *o, int err);
/* Find the -t target by Query Config, or take --mac as given. */
int connect_target(struct ini *ini, const struct opts *o, struct ini_target *t);
void print_target(const struct ini_target *t);
double cpu_seconds(void);

int cmd_discover(struct ini *ini, struct opts *o);
int cmd_identify(struct ini *ini, struct opts *o);
int cmd_flush(struct ini *ini, struct opts *o);
int cmd_xfer(struct ini *ini, struct opts *o, const char *op);
int cmd_bench(struct ini *ini, struct opts *o, const char *op);
int cmd_config(struct ini *ini, struct opts *o);
int cmd_mask(struct ini *ini, struct opts *o);
int cmd_reserve(struct ini *ini, struct opts *o);
int cmd_raw_send(struct ini *ini, struct opts *o);
int cmd_raw_count(struct ini *ini, struct opts *o);
int cmd_reflect(struct ini *ini, struct opts *o);

#endif
