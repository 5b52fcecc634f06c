/* aoe-bench - a userspace AoE initiator for tests and benchmarks: discovery,
 * IDENTIFY, read/write/verify with a deterministic pattern, the raw Query
 * Config / Mac Mask / Reserve commands, throughput runs and a raw frame
 * blaster/counter and a null target for the link's ceiling. This file is
 * the command line: options, --help and the subcommand table; the
 * subcommands live in cmd_io.c, cmd_admin.c and cmd_raw.c (bench.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "bench.h"
#include "log.h"
#include "mac.h"

static const char usage_text[] =
"usage: aoe-bench COMMAND [OPTIONS] [ARGS]\n"
"\n"
"A userspace ATA-over-Ethernet initiator for tests and benchmarks.\n"
"\n"
"Commands:\n"
"  discover                 broadcast Query Config; one line per target\n"
"  identify                 ATA IDENTIFY: size, LBA48, model, serial\n"
"  read                     read sectors (to --output FILE if given)\n"
"  write                    write the pattern (or --input FILE)\n"
"  verify                   read and compare with the pattern\n"
"  flush                    ATA FLUSH CACHE EXT\n"
"  seq-read, seq-write      throughput for --seconds, wrapping over the range\n"
"                           (--once: a single pass, at most --seconds)\n"
"  rand-read                random --size reads over the range\n"
"  config read|test|prefix|set|force [STRING]\n"
"                           Query Config subcommands 0..4\n"
"  mask read|add|del [MAC...]   Mac Mask List\n"
"  reserve read|set|force|release [MAC...]   Reserve/Release\n"
"  raw-send                 blast AoE-typed frames for --seconds (ceiling)\n"
"  raw-count                count frames received for --seconds (ceiling)\n"
"  reflect                  be a null target on IFACE until killed: answer\n"
"                           every request at once, no disk (ceiling)\n"
"\n"
"Options:\n"
"  -i, --iface IFACE        network interface (required)\n"
"  -t, --target SHELF.SLOT  target address (e1.2 or 1.2)\n"
"      --mac MAC            target's MAC: skip the Query Config lookup\n"
"      --offset SECTORS     first sector (default 0)\n"
"      --count SECTORS      sectors to transfer (default: to the end)\n"
"      --pattern SEED       pattern seed for write/verify (default 0)\n"
"      --input FILE         write: data from FILE instead of the pattern;\n"
"                           the range defaults to FILE's size (rounded up\n"
"                           to a sector, the tail zero-filled)\n"
"      --sparse             write --input: skip requests whose data is all\n"
"                           zeros (for a target known to read zeros, e.g. a\n"
"                           new thin volume)\n"
"      --progress           read/write: print 'progress BYTES TOTAL' on\n"
"                           stdout at every whole percent (for a parent\n"
"                           reporting progress)\n"
"      --output FILE        read: store the data in FILE\n"
"      --seconds N          duration of throughput and raw runs (default 5)\n"
"      --qd N               outstanding requests (default and maximum:\n"
"                           the target's buffer count; raise with care)\n"
"      --size BYTES         bytes per request (default: a full frame;\n"
"                           rand-read 4k); suffixes k, m, g\n"
"      --timeout MS         first retransmit timeout (default 200, doubles)\n"
"      --retries N          retransmits before giving up (default 5)\n"
"      --wait MS            discover: how long to collect answers (1000)\n"
"      --lba28              use 28-bit READ/WRITE where they reach\n"
"      --once               seq-read/seq-write: stop at the end of the range\n"
"  -q, --quiet              no output on success\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 ok, 1 local failure, 2 usage, 3 AoE error reply, 4 ATA\n"
"error reply, 5 no answer, 6 verify mismatch. Failures print one line\n"
"naming the tag, the LBA and the error.\n";

/* --- dispatch -------------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(struct ini *ini, struct opts *o);
	int (*fn_op)(struct ini *ini, struct opts *o, const char *op);
	bool needs_target;
	bool takes_args;
};

static const struct command commands[] = {
	{ "discover", cmd_discover, NULL, false, false },
	{ "identify", cmd_identify, NULL, true, false },
	{ "flush", cmd_flush, NULL, true, false },
	{ "read", NULL, cmd_xfer, true, false },
	{ "write", NULL, cmd_xfer, true, false },
	{ "verify", NULL, cmd_xfer, true, false },
	{ "seq-read", NULL, cmd_bench, true, false },
	{ "seq-write", NULL, cmd_bench, true, false },
	{ "rand-read", NULL, cmd_bench, true, false },
	{ "config", cmd_config, NULL, true, true },
	{ "mask", cmd_mask, NULL, true, true },
	{ "reserve", cmd_reserve, NULL, true, true },
	{ "raw-send", cmd_raw_send, NULL, false, false },
	{ "raw-count", cmd_raw_count, NULL, false, false },
	{ "reflect", cmd_reflect, NULL, false, false },
};

enum {
	OPT_MAC = 256, OPT_OFFSET, OPT_COUNT, OPT_PATTERN, OPT_INPUT,
	OPT_OUTPUT, OPT_SECONDS, OPT_QD, OPT_SIZE, OPT_TIMEOUT, OPT_RETRIES,
	OPT_WAIT, OPT_LBA28, OPT_ONCE, OPT_SPARSE, OPT_PROGRESS,
};

static int num_opt(const char *name, const char *val, uint64_t max,
		   uint64_t *out)
{
	if (args_u64(val, max, out)) {
		fprintf(stderr, "aoe-bench: %s '%s': not a number in 0..%" PRIu64
			"\ntry 'aoe-bench --help'\n", name, val, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "target", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "qd", required_argument, NULL, OPT_QD },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "lba28", no_argument, NULL, OPT_LBA28 },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "sparse", no_argument, NULL, OPT_SPARSE },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	o->seconds = 5;
	o->timeout_ms = 200;
	o->retries = 5;
	o->wait_ms = 1000;
	while ((c = getopt_long(argc, argv, "i:t:qh", longopts, NULL)) != -1) {
		int err = 0;
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 't':
			if (args_target(optarg, &o->shelf, &o->slot)) {
				usage_error("bad target '%s': want SHELF.SLOT with "
					    "shelf 0..65534, slot 0..254", optarg);
				return -EINVAL;
			}
			o->have_target = true;
			break;
		case OPT_MAC:
			if (mac_parse(optarg, o->mac) || !mac_is_unicast(o->mac)) {
				usage_error("bad --mac '%s'", optarg);
				return -EINVAL;
			}
			o->have_mac = true;
			break;
		case OPT_OFFSET:
			err = num_opt("--offset", optarg, ATA_LBA48_MAX, &o->offset);
			break;
		case OPT_COUNT:
			err = num_opt("--count", optarg, ATA_LBA48_MAX, &o->count);
			o->have_count = true;
			break;
		case OPT_PATTERN:
			err = num_opt("--pattern", optarg, UINT64_MAX, &o->seed);
			break;
		case OPT_INPUT: o->input = optarg; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_SECONDS:
			err = num_opt("--seconds", optarg, 86400, &o->seconds);
			break;
		case OPT_QD:
			err = num_opt("--qd", optarg, INI_MAX_WINDOW, &o->qd);
			break;
		case OPT_SIZE:
			if (args_size(optarg, &o->size) ||
			    o->size > 255 * AOE_SECTOR_SIZE + AOE_ATA_HDR_LEN) {
				usage_error("bad --size '%s'", optarg);
				return -EINVAL;
			}
			break;
		case OPT_TIMEOUT:
			err = num_opt("--timeout", optarg, 600000, &o->timeout_ms);
			if (!err && o->timeout_ms == 0) {
				usage_error("--timeout '%s' must be at least 1 ms",
					    optarg);
				return -EINVAL;
			}
			break;
		case OPT_RETRIES:
			err = num_opt("--retries", optarg, 1000, &o->retries);
			break;
		case OPT_WAIT:
			err = num_opt("--wait", optarg, 600000, &o->wait_ms);
			break;
		case OPT_LBA28: o->lba28 = true; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_SPARSE: o->sparse = true; break;
		case OPT_PROGRESS: o->progress = true; break;
		case 'q': o->quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		default:
			fprintf(stderr, "try 'aoe-bench --help'\n");
			return -EINVAL;
		}
		if (err)
			return err;
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct opts o;
	struct ini ini;
	int r;

	log_init("aoe-bench", LOG_LVL_WARN, 0);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		usage_error("unknown command '%s'", argv[1]);
		return EX_USAGE;
	}
	memset(&o, 0, sizeof(o));
	r = parse_opts(argc - 1, argv + 1, &o);
	if (r)
		return r > 0 ? EX_OK : EX_USAGE;
	if (!o.iface) {
		usage_error("%s needs -i IFACE", argv[1]);
		return EX_USAGE;
	}
	if (o.argc && !cmd->takes_args) {
		usage_error("unexpected argument '%s'", o.argv[0]);
		return EX_USAGE;
	}
	if (cmd->needs_target && !o.have_target) {
		usage_error("%s needs -t SHELF.SLOT", argv[1]);
		return EX_USAGE;
	}
	if (ini_open_raw(&ini, o.iface, cmd->fn == cmd_reflect))
		return EX_FAIL;
	ini.timeout_ms = (unsigned)o.timeout_ms;
	ini.retries = (unsigned)o.retries;
	ini.lba28 = o.lba28;
	r = cmd->fn ? cmd->fn(&ini, &o) : cmd->fn_op(&ini, &o, cmd->name);
	ini_close(&ini);
	return r;
}
