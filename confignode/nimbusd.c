/* nimbusd: the config node's orchestration daemon. One epoll loop serves
 * the admin API (Unix socket), node reports (TCP), the TFTP watcher
 * (fanotify or inotify on pxelinux.cfg/), the lost-node timer, signals
 * (HUP re-reads the configuration) and the provisioning queue's helper
 * programs (dhcpd -t, omshell), whose output pipes it watches instead of
 * waiting for them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "admin_auth.h"
#include "api.h"
#include "config.h"
#include "db.h"
#include "httpd.h"
#include "import_run.h"
#include "log.h"
#include "storage_wait.h"
#include "tftp_watch.h"
#include "tls_ca.h"

#define DEFAULT_CONFIG "/etc/nimbus/nimbusd.conf"

enum { EV_ADMIN = 1, EV_REPORT, EV_WATCH, EV_TIMER, EV_SIGNAL, EV_PROV, EV_IMPORT };

struct daemon {
	const char *config_path;
	struct nimbusd_config cfg;
	struct admin_policy policy;   /* from admin-user/admin-group */
	struct db *db;
	struct api_ctx api;
	struct storage_wait swait;    /* agents' long-polls */
	struct tls_ca *ca;            /* signs hardware nodes' libvirt certificates */
	char ca_error[TLS_CA_ERR_MAX + 4200];
	struct httpd *admin, *report;
	struct tftp_watch *watch;     /* NULL: no config-fetched events */
	struct prov_queue *queue;     /* node changes, one transaction at a time */
	struct prov_steps_ctx steps;
	struct import_run import;     /* volume import's aoe-bench, one at a time */
	bool reload_pending;          /* SIGHUP while a transaction ran */
	int epfd, timer_fd, sig_pipe[2];
};

static int sig_write_fd = -1;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nimbusd [-c FILE] [-t] [-d]\n"
		"\n"
		"The nimbus config node daemon: keeps nodes, images and roles in an SQLite\n"
		"database, generates dhcpd.conf and pxelinux.cfg/ from them, adds hosts to the\n"
		"running dhcpd through OMAPI, serves the admin API (for `nimbus`) on a Unix\n"
		"socket and accepts node reports on a TCP address.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -t, --test         check the configuration, print \"configuration OK\", exit\n"
		"  -d, --debug        log debug messages\n"
		"  -h, --help         this text\n"
		"\n"
		"Signals: TERM/INT stop; HUP re-reads the configuration file (applied only\n"
		"when valid; socket, database and listen-report need a restart) and\n"
		"regenerates dhcpd.conf and pxelinux.cfg/.\n"
		"See docs/confignode.md for the file format and the API.\n", DEFAULT_CONFIG);
}

static int64_t now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_wall(void)
{
	return (int64_t)time(NULL);
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (sig_write_fd >= 0 && write(sig_write_fd, &c, 1) < 0) {
		/* pipe full: a signal is already pending */
	}
	errno = saved;
}

static int setup_signals(struct daemon *d)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* A self-pipe rather than signalfd: blocked signals would be inherited
	 * by dhcpd -t and omshell, which provisioning runs. */
	if (pipe2(d->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sig_write_fd = d->sig_pipe[1];
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int epoll_add(struct daemon *d, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Creates the parent directory of path (one level) if missing. */
static void make_parent(const char *path, mode_t mode)
{
	char buf[PROV_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	if (mkdir(dirname(buf), mode) < 0 && errno != EEXIST)
		log_warn("cannot create directory for %s: %s", path, strerror(errno));
}

static void on_fetch(void *arg, const uint8_t mac[MAC_LEN], const char *file, pid_t pid)
{
	struct daemon *d = arg;
	char detail[96];
	int rc;

	if (pid)
		snprintf(detail, sizeof(detail), "pxelinux.cfg read (pid %d)", (int)pid);
	else
		snprintf(detail, sizeof(detail), "pxelinux.cfg read");
	rc = api_node_event(&d->api, mac, NODE_EV_CONFIG_FETCHED, detail);
	if (rc < 0 && rc != -ENOENT)
		log_warn("config-fetched for %s not recorded: %s", file, strerror(-rc));
}

/* api_write_all() brackets the provisioning code with this. */
static void around_write(void *arg, bool before)
{
	struct daemon *d = arg;

	if (d->watch)
		tftp_watch_own_write(d->watch, before, on_fetch, d);
}

/* (Re)starts the TFTP watcher for the configured tftp root. */
static void start_watch(struct daemon *d)
{
	char dir[PROV_PATH_MAX + 16];

	if (d->watch) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, tftp_watch_fd(d->watch), NULL);
		tftp_watch_close(d->watch);
		d->watch = NULL;
	}
	snprintf(dir, sizeof(dir), "%s/pxelinux.cfg", d->cfg.prov.tftp_root);
	if (tftp_watch_open(&d->watch, dir, d->cfg.tftpd_pidfile) < 0)
		return;
	if (epoll_add(d, tftp_watch_fd(d->watch), EV_WATCH) < 0) {
		log_err("epoll_ctl: %s", strerror(errno));
		tftp_watch_close(d->watch);
		d->watch = NULL;
		return;
	}
	log_info("watching %s for config fetches with %s%s%s", dir, tftp_watch_backend(d->watch),
		 d->cfg.tftpd_pidfile[0] ? ", in.tftpd's pid from " : "", d->cfg.tftpd_pidfile);
}

static void set_lost_timer(struct daemon *d)
{
	/* Check for lost nodes a few times per lost-after period. */
	time_t every = d->cfg.lost_after / 4 ? d->cfg.lost_after / 4 : 1;
	struct itimerspec its = { .it_interval = { every > 5 ? 5 : every, 0 },
				  .it_value = { every > 5 ? 5 : every, 0 } };

	timerfd_settime(d->timer_fd, 0, &its, NULL);
}

/* Loads and checks the configuration file into a fresh struct; err says
 * what is wrong. */
static int load_config(const char *path, struct nimbusd_config *cfg, struct admin_policy *pol,
		       char *err, size_t errlen)
{
	config_defaults(cfg);
	if (config_load(path, cfg, err, errlen) < 0)
		return -EINVAL;
	if (prov_config_validate(&cfg->prov) < 0) {
		snprintf(err, errlen, "%s: provisioning settings refused (see the message above)",
			 path);
		return -EINVAL;
	}
	if (admin_policy_resolve(cfg->admin_user, cfg->admin_group, pol, err, errlen) < 0) {
		char inner[256];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "%s: %s", path, inner);
		return -EINVAL;
	}
	return 0;
}

/* SIGHUP: the file is parsed into a fresh struct and applied only when all
 * of it is valid and its files can be generated; otherwise the running
 * configuration stays. */
static void reload(struct daemon *d)
{
	struct nimbusd_config *next = malloc(sizeof(*next)), *old = malloc(sizeof(*old));
	struct admin_policy pol;
	char err[600], changed[512], restart[128];

	if (!next || !old) {
		log_err("SIGHUP: out of memory: keeping the running configuration");
		goto out;
	}
	if (load_config(d->config_path, next, &pol, err, sizeof(err)) < 0) {
		log_err("SIGHUP: %s: keeping the running configuration", err);
		goto out;
	}
	config_diff(&d->cfg, next, changed, sizeof(changed), restart, sizeof(restart));
	if (restart[0])
		log_warn("SIGHUP: %s changed in %s: needs a restart of nimbusd (the old value stays in use until then)",
			 restart, d->config_path);
	config_keep_startup(next, &d->cfg);
	*old = d->cfg;
	d->cfg = *next;
	if (api_provision_all(&d->api) < 0) {
		d->cfg = *old;
		api_provision_all(&d->api);
		log_err("SIGHUP: %s: the files for the new configuration could not be generated (see above): keeping the running configuration",
			d->config_path);
		goto out;
	}
	d->policy = pol;
	if (strstr(changed, "socket-mode") && chmod(d->cfg.socket, d->cfg.socket_mode) < 0)
		log_err("SIGHUP: chmod %o %s: %s", (unsigned)d->cfg.socket_mode, d->cfg.socket,
			strerror(errno));
	if (strstr(changed, "tftp-root") || strstr(changed, "tftpd-pidfile"))
		start_watch(d);
	if (strstr(changed, "lost-after"))
		set_lost_timer(d);
	log_info("SIGHUP: %s re-read: %s%s; files regenerated", d->config_path,
		 changed[0] ? "changed: " : "no change applied", changed);
out:
	free(next);
	free(old);
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : (a < b ? a : b);
}

/* The running helper's output pipe in the epoll set (a new pipe per step;
 * a closed one left the set by itself). */
static void watch_prov(struct daemon *d)
{
	int fd = prov_queue_fd(d->queue);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_PROV };

	if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		log_err("epoll_ctl for a provisioning helper: %s", strerror(errno));
}

static void watch_import(struct daemon *d)
{
	int fd = import_run_fd(&d->import);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_IMPORT };

	if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		log_err("epoll_ctl for a volume import: %s", strerror(errno));
}

static int run(struct daemon *d)
{
	struct epoll_event evs[8];
	int stop = 0;

	/* A stop waits for the transaction under way: its request gets its
	 * answer and nothing is left half-done. */
	while (!stop || prov_queue_busy(d->queue)) {
		int timeout = min_timeout(min_timeout(httpd_timeout_ms(d->admin),
						      httpd_timeout_ms(d->report)),
					  min_timeout(prov_queue_timeout_ms(d->queue),
						      api_storage_wait_timeout_ms(&d->api)));
		int n;

		watch_prov(d);
		watch_import(d);
		n = epoll_wait(d->epfd, evs, 8, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t ticks;
			unsigned char sig;

			switch (evs[i].data.u32) {
			case EV_WATCH:
				if (d->watch)
					tftp_watch_read(d->watch, on_fetch, d);
				break;
			case EV_TIMER:
				if (read(d->timer_fd, &ticks, sizeof(ticks)) > 0) {
					api_check_lost(&d->api);
					if (d->watch)
						tftp_watch_recheck(d->watch);
				}
				break;
			case EV_SIGNAL:
				while (read(d->sig_pipe[0], &sig, 1) == 1) {
					if (sig == SIGHUP && prov_queue_busy(d->queue)) {
						log_info("SIGHUP: re-reading the configuration when the node change under way is done");
						d->reload_pending = true;
					} else if (sig == SIGHUP) {
						reload(d);
					} else {
						log_info("signal %d: stopping%s", sig,
							 prov_queue_busy(d->queue) ?
							 " when the node change under way is done" : "");
						stop = 1;
					}
				}
				break;
			default:
				break;
			}
		}
		/* a child's output or its deadline: either way not blocking */
		prov_queue_run(d->queue);
		if (d->reload_pending && !prov_queue_busy(d->queue)) {
			d->reload_pending = false;
			reload(d);
		}
		httpd_run(d->report);
		httpd_run(d->admin);
		/* After the requests of this round: a generation they bumped
		 * answers the agents waiting for it, sent at once. */
		if (api_storage_wait_run(&d->api, false) > 0)
			httpd_run(d->report);
		/* an import's child output, or a volume that became ready */
		import_run_step(&d->import, &d->api);
	}
	import_run_stop(&d->import, &d->api);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .epfd = -1, .timer_fd = -1, .sig_pipe = { -1, -1 } };
	const char *config = DEFAULT_CONFIG;
	char err[600];
	int test = 0, c, rc, ret = 1, fd;

	log_init("nimbusd", LOG_LVL_INFO, 0);
	while ((c = getopt_long(argc, argv, "c:tdh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': test = 1; break;
		case 'd': log_set_level(LOG_LVL_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nimbusd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	d.config_path = config;
	if (load_config(config, &d.cfg, &d.policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "nimbusd: %s\n", err);
		return 1;
	}
	if (test) {
		printf("nimbusd: %s: configuration OK\n", config);
		return 0;
	}

	make_parent(d.cfg.database, 0700);
	make_parent(d.cfg.socket, 0755);
	rc = db_open(d.cfg.database, &d.db);
	if (rc < 0) {
		log_err("cannot open database %s: %s", d.cfg.database, strerror(-rc));
		goto out;
	}
	d.steps = (struct prov_steps_ctx){ .around_write = around_write, .around_arg = &d };
	if (prov_queue_new(&d.queue, &prov_steps_real, &d.steps) < 0) {
		log_err("out of memory");
		goto out;
	}
	d.api = (struct api_ctx){ .db = d.db, .cfg = &d.cfg, .prov = &prov_ops_real,
				  .queue = d.queue, .now = now_wall, .around_write = around_write,
				  .around_arg = &d, .swait = &d.swait, .now_ms = now_mono_ms };
	import_run_start_up(&d.api);
	/* The hardware nodes' libvirt CA: without it nimbusd still runs, and
	 * says why no certificate can be had. */
	{
		char host[64] = "", cerr[TLS_CA_ERR_MAX], dir[sizeof(d.cfg.ca_dir)], *slash;

		/* Default: ca/ beside the database (nimbusd's own state). */
		snprintf(dir, sizeof(dir), "%s", d.cfg.ca_dir[0] ? d.cfg.ca_dir : d.cfg.database);
		if (!d.cfg.ca_dir[0]) {
			slash = strrchr(dir, '/');
			snprintf(slash ? slash + 1 : dir, sizeof(dir) - (size_t)(slash ? slash + 1 - dir : 0),
				 "ca");
		}
		gethostname(host, sizeof(host) - 1);
		rc = tls_ca_open(dir, host[0] ? host : "nimbusd", now_wall(), &d.ca, cerr);
		if (rc < 0) {
			snprintf(d.ca_error, sizeof(d.ca_error), "%s: %s", dir, cerr);
			log_err("certificate authority %s", d.ca_error);
			d.api.ca_error = d.ca_error;
		} else {
			d.api.ca = d.ca;
			log_info("certificate authority for hardware nodes' libvirt TLS: %s/ca.pem", dir);
		}
	}
	if (setup_signals(&d) < 0) {
		log_err("cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	/* After a restart the files are whatever the database says. */
	api_provision_all(&d.api);

	fd = httpd_listen_unix(d.cfg.socket, d.cfg.socket_mode);
	if (fd < 0 || httpd_start(&d.admin, fd, API_ADMIN, &d.api, &d.policy) < 0)
		goto out;
	fd = httpd_listen_tcp(d.cfg.report_ip, d.cfg.prov.report_port);
	if (fd < 0 || httpd_start(&d.report, fd, API_REPORT, &d.api, NULL) < 0)
		goto out;

	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.epfd < 0 || d.timer_fd < 0) {
		log_err("cannot create epoll/timer: %s", strerror(errno));
		goto out;
	}
	start_watch(&d);
	set_lost_timer(&d);
	if (epoll_add(&d, httpd_fd(d.admin), EV_ADMIN) < 0 ||
	    epoll_add(&d, httpd_fd(d.report), EV_REPORT) < 0 ||
	    epoll_add(&d, d.timer_fd, EV_TIMER) < 0 ||
	    epoll_add(&d, d.sig_pipe[0], EV_SIGNAL) < 0) {
		log_err("epoll_ctl: %s", strerror(errno));
		goto out;
	}
	{
		char a[16];

		ipv4_format(d.cfg.report_ip, a);
		log_info("nimbusd ready: admin socket %s, reports on %s:%u, database %s (schema %d)",
			 d.cfg.socket, a, d.cfg.prov.report_port, d.cfg.database,
			 db_schema_version(d.db));
	}
	if (run(&d) == 0)
		ret = 0;
out:
	/* held long-polls get the current state: MHD stops only with no
	 * connection suspended */
	if (api_storage_wait_run(&d.api, true) > 0 && d.report)
		httpd_run(d.report);
	if (d.queue) {
		/* abandoned jobs answer their suspended requests: send those */
		prov_queue_free(d.queue);
		if (d.admin)
			httpd_run(d.admin);
	}
	httpd_stop(d.admin);
	httpd_stop(d.report);
	tls_ca_close(d.ca);
	if (d.admin)
		unlink(d.cfg.socket);
	if (d.epfd >= 0)
		close(d.epfd);
	tftp_watch_close(d.watch);
	if (d.timer_fd >= 0)
		close(d.timer_fd);
	if (d.sig_pipe[0] >= 0) {
		close(d.sig_pipe[0]);
		close(d.sig_pipe[1]);
	}
	db_close(d.db);
	return ret;
}
