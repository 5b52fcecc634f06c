/* nimbus-report: tells nimbusd that this hardware node's dom0 is up, and
 * what it can offer (Xen version, CPUs, free memory for guests, NICs, the
 * AoE paths to its root). Runs once, or every --interval seconds so that
 * nimbusd can mark a silent node lost. This file is the OS side: it reads
 * the system and sends; report_parse.c / report_json.c do the rest. */
#include "log.h"
#include "report.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define READ_MAX (64 * 1024)

struct options {
	const char *server;       /* IP:PORT */
	const char *boot_env;
	const char *mac;
	const char *state;
	unsigned interval;
	int dry_run;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: nimbus-report [OPTIONS]\n"
"\n"
"Report this hardware node to nimbusd: POST http://SERVER/v1/report with\n"
"{\"mac\", \"state\", \"cpus\", \"memory_mb\", \"nics\", \"info\"}, where info\n"
"holds the Xen version (from `xl info`), total and free memory, the kernel\n"
"and the AoE paths to the root device.\n"
"\n"
"Options:\n"
"  -s, --server IP:PORT   nimbusd's report address (default: NIMBUS_REPORT\n"
"                         from the boot environment file)\n"
"  -e, --boot-env FILE    boot facts written by the initramfs\n"
"                         (default: /etc/nimbus/boot.env)\n"
"  -m, --mac MAC          the node's identity (default: the boot NIC's MAC)\n"
"  -S, --state STATE      reported state (default: booted)\n"
"  -i, --interval SECS    report every SECS seconds until stopped\n"
"                         (default: 0, once)\n"
"  -n, --dry-run          print the JSON body instead of sending it\n"
"  -v, --verbose          debug logging\n"
"  -h, --help             this text\n"
"\n"
"Exit status (once): 0 when nimbusd accepted the report, 1 otherwise.\n");
}

/* Copies a string that may be longer than dst, truncating it. */
static void set_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strnlen(src, dstlen - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Reads up to READ_MAX bytes of a file or a command's output into a
 * malloc()ed string. */
static int read_stream(FILE *f, char **out)
{
	char *buf = malloc(READ_MAX + 1);
	size_t n;

	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, READ_MAX, f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -errno;
	ret = read_stream(f, out);
	fclose(f);
	return ret;
}

/* First line of a small sysfs file, without its newline. */
static int read_line(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(out, (int)outlen, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void gather_xl(struct hw_report *r)
{
	FILE *p = popen("xl info 2>&1", "r");
	char *text = NULL;
	int status;

	if (!p) {
		snprintf(r->xl_error, sizeof(r->xl_error), "cannot run xl: %s", strerror(errno));
		return;
	}
	if (read_stream(p, &text) < 0) {
		pclose(p);
		snprintf(r->xl_error, sizeof(r->xl_error), "out of memory");
		return;
	}
	status = pclose(p);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (status == 0 && xl_info_parse(text, &r->xl) == 0) {
		r->xl_ok = 1;
	} else {
		/* Keep xl's first line: it says why (no xenstored, not Xen). */
		text[strcspn(text, "\n")] = '\0';
		snprintf(r->xl_error, sizeof(r->xl_error), "xl info exit status %d: %.80s",
			 status, text);
	}
	free(text);
}

static void gather_nics(struct hw_report *r)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d)) && r->n_nics < REPORT_MAX_NICS) {
		struct nic *n = &r->nics[r->n_nics];

		if (e->d_name[0] == '.')
			continue;
		/* Physical NICs only: bridges and vifs have no device link. */
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", e->d_name);
		if (access(path, F_OK) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		if (read_line(path, n->mac, sizeof(n->mac)) < 0)
			continue;
		set_str(n->name, sizeof(n->name), e->d_name);
		r->n_nics++;
	}
	closedir(d);
}

static void gather_paths(struct hw_report *r)
{
	char path[256], hex[32], *text = NULL;
	int n;

	if (!r->root[0])
		return;
	snprintf(path, sizeof(path), "/sys/kernel/debug/aoe/%s", r->root);
	if (read_file(path, &text) == 0) {
		n = aoe_debugfs_parse(text, r->paths, REPORT_MAX_PATHS);
		free(text);
		if (n > 0) {
			r->n_paths = (size_t)n;
			return;
		}
	}
	/* Without debugfs, sysfs names one target and the interfaces. */
	snprintf(path, sizeof(path), "/sys/block/etherd!%s/mac", r->root);
	if (read_line(path, hex, sizeof(hex)) == 0 &&
	    mac_from_hex12(hex, r->paths[0].target) == 0) {
		snprintf(path, sizeof(path), "/sys/block/etherd!%s/netif", r->root);
		if (read_line(path, r->paths[0].ifaces, sizeof(r->paths[0].ifaces)) < 0)
			r->paths[0].ifaces[0] = '\0';
		r->n_paths = 1;
	}
}

static void gather(const struct options *o, const char *env, struct hw_report *r)
{
	char nic[REPORT_STR] = "", path[256], *text = NULL;
	struct utsname u;
	double up = 0;

	memset(r, 0, sizeof(*r));
	r->state = o->state;
	if (env) {
		env_lookup(env, "NIMBUS_BOOT_NIC", nic, sizeof(nic));
		env_lookup(env, "NIMBUS_ROOT", r->root, sizeof(r->root));
		env_lookup(env, "NIMBUS_NODE", r->node, sizeof(r->node));
	}
	gather_nics(r);
	if (o->mac) {
		set_str(r->mac, sizeof(r->mac), o->mac);
	} else if (nic[0]) {
		/* The boot NIC may now be enslaved to the guest bridge; its
		 * own address file still has its MAC. */
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", nic);
		read_line(path, r->mac, sizeof(r->mac));
	}
	if (!r->mac[0] && r->n_nics)
		set_str(r->mac, sizeof(r->mac), r->nics[0].mac);

	gather_xl(r);
	if (r->xl_ok) {
		r->cpus = r->xl.nr_cpus;
		r->memory_mb = r->xl.free_memory_mb;
	} else {
		long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

		r->cpus = sysconf(_SC_NPROCESSORS_ONLN);
		r->memory_mb = pages > 0 && psize > 0 ? pages / (1048576 / psize) : 0;
	}
	gather_paths(r);
	if (uname(&u) == 0)
		set_str(r->kernel, sizeof(r->kernel), u.release);
	if (read_file("/proc/uptime", &text) == 0) {
		up = strtod(text, NULL);
		free(text);
	}
	r->uptime_s = (long)up;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static int post(const char *server, const char *body)
{
	char url[256];
	struct curl_slist *hdr = NULL;
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode rc;
	int ret = -EIO;

	if (!c)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://%s/v1/report", server);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		log_warn("report to %s failed: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		log_warn("report to %s refused: HTTP %ld", url, code);
		goto out;
	}
	log_info("reported to %s (HTTP %ld)", url, code);
	ret = 0;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return ret;
}

static int report_once(const struct options *o, const char *env)
{
	struct hw_report r;
	char *json = NULL;
	int ret;

	gather(o, env, &r);
	ret = report_json(&r, &json);
	if (ret < 0) {
		log_err("cannot build the report: %s", strerror(-ret));
		return ret;
	}
	if (!r.xl_ok)
		log_warn("xl info failed: %s", r.xl_error);
	if (o->dry_run) {
		printf("%s\n", json);
		fflush(stdout);
	} else {
		ret = post(o->server, json);
	}
	free(json);
	return ret;
}

static int parse_interval(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 86400)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "boot-env", required_argument, NULL, 'e' },
		{ "mac", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "interval", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.boot_env = "/etc/nimbus/boot.env",
		.state = "booted",
	};
	char server[REPORT_STR] = "", *env = NULL;
	int c, ret;

	log_init("nimbus-report", LOG_LVL_INFO, 0);
	while ((c = getopt_long(argc, argv, "s:e:m:S:i:nvh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 'e': o.boot_env = optarg; break;
		case 'm': o.mac = optarg; break;
		case 'S': o.state = optarg; break;
		case 'i':
			if (parse_interval(optarg, &o.interval) < 0) {
				log_err("--interval '%s': not a number of seconds (0..86400)", optarg);
				return 2;
			}
			break;
		case 'n': o.dry_run = 1; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	ret = read_file(o.boot_env, &env);
	if (ret < 0) {
		log_warn("boot environment %s: %s", o.boot_env, strerror(-ret));
		env = NULL;
	}
	if (!o.server && env && env_lookup(env, "NIMBUS_REPORT", server, sizeof(server)) == 0 &&
	    server[0])
		o.server = server;
	if (!o.server && !o.dry_run) {
		log_err("no report address: give --server IP:PORT or nimbus.report= on the kernel command line");
		free(env);
		return 2;
	}
	if (strchr(o.server ? o.server : "", '/')) {
		log_err("--server '%s': expected IP:PORT", o.server);
		free(env);
		return 2;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ret = report_once(&o, env);
	while (o.interval && !stop) {
		/* sleep() returns early on a signal: stop promptly. */
		unsigned left = o.interval;

		while (left && !stop)
			left = sleep(left);
		if (!stop)
			ret = report_once(&o, env);
	}
	curl_global_cleanup();
	free(env);
	return ret < 0 ? 1 : 0;
}
