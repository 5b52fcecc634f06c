/* nimbus-storaged - the storage node's agent (docs/storage.md): prepares
 * the node's local disks at boot (one LVM volume group with a thin pool),
 * then runs the node's only control path to nimbusd (agent.c), and serves
 * as DRBD's handlers (handlers.c).
 *
 *   nimbus-storaged prepare-disks [--vg NAME] [--pool NAME] [--pool-pct N]
 *                                 [--summary FILE] [--dry-run]
 *   nimbus-storaged probe [--vg NAME]     classify the disks, change nothing
 *   nimbus-storaged run --server IP:PORT --mac MAC --iface IF
 *   nimbus-storaged fence-peer | after-resync-target   (run by DRBD)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "disks.h"
#include "log.h"
#include "probe.h"

struct opts {
	const char *vg, *pool, *summary;
	int pool_pct;
	bool dry_run;
	struct agent_opts run;
	bool have_server, have_mac;
};

/* LVM's own rule for VG and LV names, so a bad name fails here and not
 * half-way through the plan. */
static bool lvm_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= DISK_VG_MAX || s[0] == '-' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") == len;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nimbus-storaged COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  prepare-disks  claim blank local disks for VG NAME and its thin pool;\n"
		"                 activate them when they already hold it; leave every\n"
		"                 other disk alone (docs/storage.md)\n"
		"  probe          only classify the disks (ours, blank, foreign, skipped)\n"
		"  run            the agent: converge the node's volumes to what nimbusd\n"
		"                 wants (--server, --mac, --iface required)\n"
		"  fence-peer     DRBD's fence-peer handler (exit 7: peer fenced, 6: outdate me)\n"
		"  after-resync-target  DRBD's handler: the agent checks the volume again\n"
		"\n"
		"Options:\n"
		"  --vg NAME       volume group (default nimbus)\n"
		"  --pool NAME     thin pool LV (default pool)\n"
		"  --pool-pct N    share of the VG for the pool's data, 10..95 (default 90)\n"
		"  --summary FILE  write KEY=VALUE lines about the result to FILE\n"
		"  --dry-run       print the plan, run nothing\n"
		"  --server IP:PORT  nimbusd's report listener (run)\n"
		"  --mac MAC       the management NIC's MAC, the node's identity (run)\n"
		"  --iface IF      the NIC aoetd serves volumes on (run)\n"
		"  --repl-iface IF the replication link's NIC: the agent gives it the\n"
		"                  pair's replication address (run)\n"
		"  --aoetd-conf F  aoetd's config file (default /etc/nimbus/aoetd.conf)\n"
		"  --aoetd-sock S  aoetd's control socket (default /run/aoetd.sock)\n"
		"  --ctrl PATH     the agent's control socket (default " AGENT_CTRL_DEFAULT ")\n"
		"  --env PATH      where run leaves the handlers' settings (default " AGENT_ENV_DEFAULT ")\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 when every step succeeded (foreign disks are not an\n"
		"error), 1 when a probe or step failed, 2 on bad usage.\n");
}

/* append: add s to the NUL-terminated buf, truncating at cap. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t len = strlen(buf), add = strlen(s);

	if (len + 1 >= cap)
		return;
	if (add > cap - 1 - len)
		add = cap - 1 - len;
	memcpy(buf + len, s, add);
	buf[len + add] = '\0';
}

/* A list for the summary: "NAME" or "NAME: REASON" items, "; "-separated. */
static void list_add(char *buf, size_t cap, const char *name, const char *reason)
{
	if (buf[0])
		append(buf, cap, "; ");
	append(buf, cap, name);
	if (reason) {
		append(buf, cap, ": ");
		append(buf, cap, reason);
	}
}

static int prepare(const struct opts *o, bool change)
{
	static struct disk_probe disks[DISKS_MAX];
	enum disk_class cls[DISKS_MAX];
	struct disk_step steps[DISK_STEPS_MAX];
	char ours[1024] = "", claimed[1024] = "", foreign[2048] = "", skipped[1024] = "";
	const char *action = "none";
	int n, pool, failed = 0;
	size_t ns;

	n = probe_disks("/sys/block", "/dev", disks, DISKS_MAX);
	if (n < 0) {
		log_err("cannot list block devices in /sys/block: %s", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char reason[DISK_REASON_MAX];

		cls[i] = disk_classify(&disks[i], o->vg, reason);
		printf("disk %s size=%llu class=%s: %s\n", disks[i].name,
		       (unsigned long long)disks[i].size, disk_class_name(cls[i]), reason);
		switch (cls[i]) {
		case DISK_OURS: list_add(ours, sizeof(ours), disks[i].name, NULL); break;
		case DISK_BLANK: list_add(claimed, sizeof(claimed), disks[i].name, NULL); break;
		case DISK_FOREIGN:
			log_warn("leaving /dev/%s alone: %s", disks[i].name, reason);
			list_add(foreign, sizeof(foreign), disks[i].name, reason);
			failed |= disks[i].probe_err != 0;
			break;
		case DISK_SKIP: list_add(skipped, sizeof(skipped), disks[i].name, reason); break;
		}
	}
	if (!change)
		return failed;

	pool = probe_pool_exists(o->vg, o->pool);
	if (pool < 0) {
		log_err("cannot run lvm lvs: %s", strerror(-pool));
		return 1;
	}
	ns = disks_plan(cls, disks, (size_t)n, pool == 1, steps);
	if (ns == 0)
		log_warn("no disk of VG %s and no blank disk: nothing to prepare", o->vg);
	for (size_t i = 0; i < ns; i++) {
		static const char *const verb[] = {
			[STEP_VG_CREATE] = "created", [STEP_VG_EXTEND] = "extended",
			[STEP_VG_ACTIVATE] = "activated", [STEP_POOL_CREATE] = "pool-created",
		};

		if (o->dry_run) {
			printf("plan: %s %s\n", verb[steps[i].kind], steps[i].dev);
			continue;
		}
		if (run_step(&steps[i], o->vg, o->pool, o->pool_pct) < 0) {
			failed = 1;
			break;
		}
		/* The first step names what happened to the VG this boot. */
		if (strcmp(action, "none") == 0)
			action = verb[steps[i].kind];
	}
	if (o->summary && !o->dry_run) {
		FILE *f = fopen(o->summary, "w");

		if (!f) {
			log_err("cannot write %s: %m", o->summary);
			return 1;
		}
		fprintf(f, "vg=%s\npool=%s\nvg_action=%s\nresult=%s\n", o->vg, o->pool, action,
			failed ? "failed" : "ok");
		fprintf(f, "disks_ours=%s\ndisks_claimed=%s\ndisks_foreign=%s\ndisks_skipped=%s\n",
			ours, claimed, foreign, skipped);
		if (fclose(f) != 0) {
			log_err("cannot write %s: %m", o->summary);
			return 1;
		}
	}
	return failed;
}

static int cmd_prepare(const struct opts *o) { return prepare(o, true); }
static int cmd_probe(const struct opts *o) { return prepare(o, false); }

/* The disks as the agent reports them (pair show): what prepare-disks
 * left, classified by the same rule; skipped devices are not listed. */
static size_t report_disks(const char *vg, struct smsg_disk *out, size_t max)
{
	static struct disk_probe disks[DISKS_MAX];
	int n = probe_disks("/sys/block", "/dev", disks, DISKS_MAX);
	size_t k = 0;

	for (int i = 0; i < n && k < max; i++) {
		char reason[DISK_REASON_MAX];
		enum disk_class c = disk_classify(&disks[i], vg, reason);

		if (c == DISK_SKIP)
			continue;
		memset(&out[k], 0, sizeof(out[k]));
		snprintf(out[k].dev, sizeof(out[k].dev), "/dev/%.*s", (int)sizeof(out[k].dev) - 6, disks[i].name);
		out[k].size_bytes = disks[i].size;
		out[k].state = c == DISK_OURS ? SMSG_DISK_CLAIMED :
			       c == DISK_BLANK ? SMSG_DISK_BLANK : SMSG_DISK_FOREIGN;
		if (c == DISK_FOREIGN)
			snprintf(out[k].detail, sizeof(out[k].detail), "%.*s", (int)sizeof(out[k].detail) - 1, reason);
		k++;
	}
	return k;
}

static int cmd_run(const struct opts *o)
{
	static struct smsg_disk disks[SMSG_MAX_DISKS];
	struct agent_opts a = o->run;

	if (!o->have_server || !o->have_mac || !a.iface) {
		fprintf(stderr, "nimbus-storaged run: --server, --mac and --iface are required\n");
		return 2;
	}
	a.vg = o->vg;
	a.pool = o->pool;
	a.disks = disks;
	a.n_disks = report_disks(o->vg, disks, SMSG_MAX_DISKS);
	return agent_run(&a) < 0 ? 1 : 0;
}

/* The handlers' exit codes are DRBD's, passed through unchanged. */
static int cmd_fence_peer(const struct opts *o) { return agent_fence_peer(o->run.env); }
static int cmd_after_resync(const struct opts *o) { return agent_after_resync(o->run.env); }

static const struct {
	const char *name;
	int (*fn)(const struct opts *);
} commands[] = {
	{ "prepare-disks", cmd_prepare },
	{ "probe", cmd_probe },
	{ "run", cmd_run },
	{ "fence-peer", cmd_fence_peer },
	{ "after-resync-target", cmd_after_resync },
};

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "vg", required_argument, NULL, 'v' },
		{ "pool", required_argument, NULL, 'p' },
		{ "pool-pct", required_argument, NULL, 'P' },
		{ "summary", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 'S' },
		{ "mac", required_argument, NULL, 'M' },
		{ "iface", required_argument, NULL, 'I' },
		{ "repl-iface", required_argument, NULL, 'R' },
		{ "aoetd-conf", required_argument, NULL, 'A' },
		{ "aoetd-sock", required_argument, NULL, 'K' },
		{ "ctrl", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .vg = "nimbus", .pool = "pool", .pool_pct = 90,
			  .run = { .aoetd_conf = "/etc/nimbus/aoetd.conf",
				   .aoetd_sock = "/run/aoetd.sock", .drbd_dir = "/etc/drbd.d",
				   .drbd_check_dir = "/run/nimbus/drbd-check",
				   .ctrl = AGENT_CTRL_DEFAULT, .env = AGENT_ENV_DEFAULT } };
	unsigned ip[4], port;
	char extra;
	char *end;
	int c;

	log_init("nimbus-storaged", LOG_LVL_INFO, 0);
	/* Disk lines and log lines (stderr) share the console in this order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'v': o.vg = optarg; break;
		case 'p': o.pool = optarg; break;
		case 's': o.summary = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'P':
			o.pool_pct = (int)strtol(optarg, &end, 10);
			if (*end || o.pool_pct < 10 || o.pool_pct > 95) {
				fprintf(stderr, "nimbus-storaged: bad --pool-pct '%s' (want 10..95)\n", optarg);
				return 2;
			}
			break;
		case 'S':
			if (sscanf(optarg, "%u.%u.%u.%u:%u%c", &ip[0], &ip[1], &ip[2], &ip[3], &port,
				   &extra) != 5 || ip[0] > 255 || ip[1] > 255 || ip[2] > 255 ||
			    ip[3] > 255 || port == 0 || port > 65535) {
				fprintf(stderr, "nimbus-storaged: bad --server '%s' (want IP:PORT)\n", optarg);
				return 2;
			}
			o.run.server_ip = ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3];
			o.run.server_port = (uint16_t)port;
			o.have_server = true;
			break;
		case 'M':
			if (mac_parse(optarg, o.run.mac) < 0) {
				fprintf(stderr, "nimbus-storaged: bad --mac '%s'\n", optarg);
				return 2;
			}
			o.have_mac = true;
			break;
		case 'I': o.run.iface = optarg; break;
		case 'R': o.run.repl_iface = optarg; break;
		case 'A': o.run.aoetd_conf = optarg; break;
		case 'K': o.run.aoetd_sock = optarg; break;
		case 'c': o.run.ctrl = optarg; break;
		case 'e': o.run.env = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nimbus-storaged: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!lvm_name_ok(o.vg) || !lvm_name_ok(o.pool)) {
		fprintf(stderr, "nimbus-storaged: bad VG or pool name '%s' / '%s' (letters, digits, +_.-)\n",
			o.vg, o.pool);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn == cmd_prepare || commands[i].fn == cmd_probe ?
				       (commands[i].fn(&o) ? 1 : 0) : commands[i].fn(&o);
	fprintf(stderr, "nimbus-storaged: unknown command '%s' (prepare-disks, probe, run, fence-peer, after-resync-target; --help)\n", argv[1]);
	return 2;
}
