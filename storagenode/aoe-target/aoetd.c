/* aoetd - the nimbus ATA-over-Ethernet target: command line and start-up.
 * The vblade-style positional form and the configuration file fill the same
 * struct aoetd_config; daemon.c runs it. See docs/aoetd.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
"Usage: aoetd [-b BUFCNT] [-d] [-s] [-r] [-m MAC[,MAC...]] [-o OFFSET]\n"
"             [-l LENGTH] [-C SOCKET] [-v] SHELF SLOT IFACE[,IFACE...] PATH\n"
"       aoetd -c FILE [-C SOCKET] [-v]\n"
"       aoetd -t -c FILE | -t [options] SHELF SLOT IFACE PATH\n"
"\n"
"Exports a file or block device as ATA-over-Ethernet target eSHELF.SLOT\n"
"(AoEr11, ethertype 0x88A2) on the given interfaces. The positional form is\n"
"vblade's; -c FILE serves any number of exports from a configuration file.\n"
"Runs in the foreground and logs to stderr.\n"
"\n"
"Options:\n"
"  -b BUFCNT   buffer count advertised to initiators, 2..16384 (default %d)\n"
"  -d          O_DIRECT: bypass the page cache on the target\n"
"  -s          synchronous writes (O_SYNC): acknowledge only what is on disk\n"
"  -r          read-only export\n"
"  -m MACS     allowed initiator MACs, comma-separated (Mac Mask List)\n"
"  -o OFFSET   export starts OFFSET 512-byte sectors into PATH (default 0)\n"
"  -l LENGTH   export is LENGTH sectors long (default: to the end of PATH)\n"
"  -c FILE     read exports and settings from FILE (format: docs/aoetd.md)\n"
"  -C SOCKET   control socket for aoetctl ('none': no socket); default\n"
"              %s with -c, /run/aoetd-SHELF.SLOT.sock otherwise\n"
"  -t          check the configuration and the system (files, sizes,\n"
"              interfaces), print 'configuration OK' or the problem, exit\n"
"  -v          debug logging (one line per request)\n"
"  -h, --help  this text\n"
"  -V, --version\n"
"\n"
"SHELF is 0..65534 and SLOT 0..254. Configuration file lines:\n"
"  control PATH | bufcnt N | iface IF[,IF...]\n"
"  export SHELF.SLOT PATH [iface=IF[,IF...]] [ro] [direct] [sync]\n"
"         [offset=SECTORS] [length=SECTORS] [mac=MAC[,MAC...]]\n"
"         [config=STRING] [bufcnt=N]\n"
"\n"
"Signals: SIGHUP re-reads FILE (unchanged exports keep their state; a bad\n"
"file is refused and the running configuration stays). SIGTERM/SIGINT\n"
"finish requests in flight, sync every export and exit 0.\n"
"\n"
"Exit status: 0 clean stop or configuration OK, 1 run-time failure,\n"
"2 bad command line or configuration.\n"
"\n"
"Examples:\n"
"  aoetd 1 0 eth0 /srv/disk.img\n"
"  aoetd -d -m 52:54:00:aa:00:01 7 3 eth0,eth1 /dev/drbd0\n"
"  aoetd -t -c /etc/aoetd.conf && aoetd -c /etc/aoetd.conf\n"
"  aoetctl -s /run/aoetd-1.0.sock status\n",
		AOETD_DEFAULT_BUFCNT, AOETD_DEFAULT_SOCKET);
}

struct cli {
	const char *file;
	const char *control;
	bool check;
	bool verbose;
	struct export_cfg ex;   /* positional form */
	bool have_ex_opts;
};

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, "aoetd: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Parses argv into cli; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int opt;

	while ((opt = getopt_long(argc, argv, "b:dsrm:o:l:c:C:tvhV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (config_parse_bufcnt(optarg, &c->ex.bufcnt, err,
						sizeof(err)))
				return fail("%s", err);
			c->have_ex_opts = true;
			break;
		case 'd': c->ex.direct = true; c->have_ex_opts = true; break;
		case 's': c->ex.sync = true; c->have_ex_opts = true; break;
		case 'r': c->ex.read_only = true; c->have_ex_opts = true; break;
		case 'm':
			if (config_parse_macs(optarg, c->ex.macs, &c->ex.nmacs,
					      err, sizeof(err)))
				return fail("%s", err);
			c->have_ex_opts = true;
			break;
		case 'o':
			if (config_parse_sectors("offset", optarg, &c->ex.offset,
						 err, sizeof(err)))
				return fail("%s", err);
			c->have_ex_opts = true;
			break;
		case 'l':
			if (config_parse_sectors("length", optarg, &c->ex.length,
						 err, sizeof(err)))
				return fail("%s", err);
			if (!c->ex.length)
				return fail("length '%s' must be at least 1 "
					    "sector", optarg);
			c->have_ex_opts = true;
			break;
		case 'c': c->file = optarg; break;
		case 'C': c->control = optarg; break;
		case 't': c->check = true; break;
		case 'v': c->verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("aoetd %s\n", AOETD_VERSION); return 0;
		default:
			fprintf(stderr, "aoetd: see 'aoetd --help'\n");
			return EXIT_USAGE;
		}
	}
	if (c->file) {
		if (optind < argc)
			return fail("unexpected argument '%s' with -c FILE",
				    argv[optind]);
		if (c->have_ex_opts)
			return fail("%s", "-b/-d/-s/-r/-m/-o/-l belong to the "
				    "positional form; use export options in "
				    "the file with -c");
		return -1;
	}
	if (argc - optind != 4) {
		fprintf(stderr, "aoetd: want SHELF SLOT IFACE PATH or -c FILE "
			"(got %d argument%s); see 'aoetd --help'\n",
			argc - optind, argc - optind == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	if (config_parse_shelf(argv[optind], &c->ex.shelf, err, sizeof(err)) ||
	    config_parse_slot(argv[optind + 1], &c->ex.slot, err, sizeof(err)) ||
	    config_parse_ifaces(argv[optind + 2], c->ex.ifaces, &c->ex.nifaces,
				err, sizeof(err)))
		return fail("%s", err);
	if (!argv[optind + 3][0] ||
	    strlen(argv[optind + 3]) >= sizeof(c->ex.path))
		return fail("bad path '%s'", argv[optind + 3]);
	snprintf(c->ex.path, sizeof(c->ex.path), "%s", argv[optind + 3]);
	return -1;
}

/* Builds the configuration from the file or the positional arguments. */
static int build_config(struct cli *c, struct aoetd_config *cfg, char *err,
			size_t errlen)
{
	int rc;

	config_init(cfg);
	if (c->file) {
		rc = config_load(cfg, c->file, err, errlen);
		if (rc)
			return rc;
	} else {
		if (!c->ex.bufcnt)
			c->ex.bufcnt = AOETD_DEFAULT_BUFCNT;
		rc = config_add_export(cfg, &c->ex);
		if (rc) {
			snprintf(err, errlen, "out of memory");
			return rc;
		}
		snprintf(cfg->control, sizeof(cfg->control),
			 "/run/aoetd-%u.%u.sock", c->ex.shelf, c->ex.slot);
	}
	if (c->control) {
		if (strlen(c->control) >= sizeof(cfg->control)) {
			snprintf(err, errlen, "control socket path '%s' is longer "
				 "than %zu bytes", c->control,
				 sizeof(cfg->control) - 1);
			return -ENAMETOOLONG;
		}
		if (!strcmp(c->control, "none"))
			cfg->control[0] = '\0';
		else
			snprintf(cfg->control, sizeof(cfg->control), "%s",
				 c->control);
		cfg->control_set = true;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct cli cli;
	static struct daemon d;
	struct aoetd_config cfg;
	char err[1024];
	int rc;

	rc = parse_args(argc, argv, &cli);
	if (rc >= 0)
		return rc;
	log_init("aoetd", cli.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, 0);

	rc = build_config(&cli, &cfg, err, sizeof(err));
	if (rc == 0)
		rc = daemon_check(&cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "aoetd: %s\n", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (cli.check) {
		printf("configuration OK\n");
		config_free(&cfg);
		return 0;
	}
	rc = daemon_init(&d, &cfg, cli.file, err, sizeof(err));
	config_free(&cfg);
	if (rc) {
		fprintf(stderr, "aoetd: %s\n", err);
		daemon_fini(&d);
		return rc == -ENOMEM ? 1 : EXIT_USAGE;
	}
	rc = daemon_run(&d);
	daemon_fini(&d);
	return rc;
}
