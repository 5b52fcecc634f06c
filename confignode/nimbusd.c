/* nimbusd: the config node's orchestration daemon. One epoll loop serves
 * the admin API (Unix socket), node reports (TCP), the TFTP watcher
 * (inotify on pxelinux.cfg/), the lost-node timer and signals. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "db.h"
#include "httpd.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/nimbus/nimbusd.conf"

enum { EV_ADMIN = 1, EV_REPORT, EV_INOTIFY, EV_TIMER, EV_SIGNAL };

struct daemon {
	struct nimbusd_config cfg;
	struct db *db;
	struct api_ctx api;
	struct httpd *admin, *report;
	int epfd, inotify_fd, watch, timer_fd, sig_pipe[2];
	char pxe_dir[PROV_PATH_MAX + 16];
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
		"Signals: TERM/INT stop; HUP regenerates dhcpd.conf and pxelinux.cfg/.\n"
		"See docs/confignode.md for the file format and the API.\n", DEFAULT_CONFIG);
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

static int watch_pxe_dir(struct daemon *d)
{
	snprintf(d->pxe_dir, sizeof(d->pxe_dir), "%s/pxelinux.cfg", d->cfg.prov.tftp_root);
	if (mkdir(d->pxe_dir, 0755) < 0 && errno != EEXIST)
		log_warn("cannot create %s: %s", d->pxe_dir, strerror(errno));
	d->watch = inotify_add_watch(d->inotify_fd, d->pxe_dir, IN_OPEN | IN_ONLYDIR);
	if (d->watch < 0) {
		log_warn("not watching %s (no config-fetched events): %s", d->pxe_dir,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* in.tftpd opened pxelinux.cfg/01-<mac>: that node fetched its config. */
static void on_inotify(struct daemon *d, int record)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(d->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			uint8_t mac[MAC_LEN];

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_IGNORED) {
				/* The directory went away (tftp root recreated). */
				watch_pxe_dir(d);
				continue;
			}
			if (!record || !ev->len || !(ev->mask & IN_OPEN) ||
			    provision_pxe_name_parse(ev->name, mac) < 0)
				continue;
			int rc = api_node_event(&d->api, mac, NODE_EV_CONFIG_FETCHED,
						"pxelinux.cfg read");
			if (rc < 0 && rc != -ENOENT)
				log_warn("config-fetched for %s not recorded: %s", ev->name,
					 strerror(-rc));
		}
	}
}

static int run(struct daemon *d)
{
	struct epoll_event evs[8];
	int stop = 0;

	while (!stop) {
		int t1 = httpd_timeout_ms(d->admin), t2 = httpd_timeout_ms(d->report);
		int timeout = t1 < 0 ? t2 : t2 < 0 ? t1 : (t1 < t2 ? t1 : t2);
		int n = epoll_wait(d->epfd, evs, 8, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		/* Node events first, so that draining the inotify queue after
		 * our own file writes (below) loses as little as possible. */
		on_inotify(d, 1);
		for (int i = 0; i < n; i++) {
			uint64_t ticks;
			unsigned char sig;

			switch (evs[i].data.u32) {
			case EV_TIMER:
				if (read(d->timer_fd, &ticks, sizeof(ticks)) > 0)
					api_check_lost(&d->api);
				break;
			case EV_SIGNAL:
				while (read(d->sig_pipe[0], &sig, 1) == 1) {
					if (sig == SIGHUP) {
						log_info("SIGHUP: regenerating provisioning files");
						api_provision_all(&d->api);
						on_inotify(d, 0);
					} else {
						log_info("signal %d: stopping", sig);
						stop = 1;
					}
				}
				break;
			default:
				break;
			}
		}
		httpd_run(d->report);
		httpd_run(d->admin);
		/* Provisioning reads pxelinux.cfg/ files it rewrites (to skip
		 * unchanged ones): those opens are ours, not a node's. */
		on_inotify(d, 0);
	}
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
	struct daemon d = { .epfd = -1, .inotify_fd = -1, .timer_fd = -1,
			    .sig_pipe = { -1, -1 } };
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
	config_defaults(&d.cfg);
	if (config_load(config, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "nimbusd: %s\n", err);
		return 1;
	}
	if (prov_config_validate(&d.cfg.prov) < 0) {
		fprintf(stderr, "nimbusd: %s: provisioning settings refused (see the message above)\n",
			config);
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
	d.api = (struct api_ctx){ .db = d.db, .cfg = &d.cfg, .prov = &prov_ops_real,
				  .now = now_wall };
	if (setup_signals(&d) < 0) {
		log_err("cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	/* After a restart the files are whatever the database says. */
	api_provision_all(&d.api);

	fd = httpd_listen_unix(d.cfg.socket, d.cfg.socket_mode);
	if (fd < 0 || httpd_start(&d.admin, fd, API_ADMIN, &d.api) < 0)
		goto out;
	fd = httpd_listen_tcp(ntohl(d.cfg.report_ip.s_addr), d.cfg.prov.report_port);
	if (fd < 0 || httpd_start(&d.report, fd, API_REPORT, &d.api) < 0)
		goto out;

	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.epfd < 0 || d.inotify_fd < 0 || d.timer_fd < 0) {
		log_err("cannot create epoll/inotify/timer: %s", strerror(errno));
		goto out;
	}
	watch_pxe_dir(&d);
	on_inotify(&d, 0);
	{
		/* Check for lost nodes a few times per lost-after period. */
		time_t every = d.cfg.lost_after / 4 ? d.cfg.lost_after / 4 : 1;
		struct itimerspec its = { .it_interval = { every > 5 ? 5 : every, 0 },
					  .it_value = { every > 5 ? 5 : every, 0 } };

		timerfd_settime(d.timer_fd, 0, &its, NULL);
	}
	if (epoll_add(&d, httpd_fd(d.admin), EV_ADMIN) < 0 ||
	    epoll_add(&d, httpd_fd(d.report), EV_REPORT) < 0 ||
	    epoll_add(&d, d.inotify_fd, EV_INOTIFY) < 0 ||
	    epoll_add(&d, d.timer_fd, EV_TIMER) < 0 ||
	    epoll_add(&d, d.sig_pipe[0], EV_SIGNAL) < 0) {
		log_err("epoll_ctl: %s", strerror(errno));
		goto out;
	}
	{
		char a[16];

		ipv4_format(ntohl(d.cfg.report_ip.s_addr), a);
		log_info("nimbusd ready: admin socket %s, reports on %s:%u, database %s (schema %d)",
			 d.cfg.socket, a, d.cfg.prov.report_port, d.cfg.database,
			 db_schema_version(d.db));
	}
	if (run(&d) == 0)
		ret = 0;
out:
	httpd_stop(d.admin);
	httpd_stop(d.report);
	if (d.admin)
		unlink(d.cfg.socket);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.inotify_fd >= 0)
		close(d.inotify_fd);
	if (d.timer_fd >= 0)
		close(d.timer_fd);
	if (d.sig_pipe[0] >= 0) {
		close(d.sig_pipe[0]);
		close(d.sig_pipe[1]);
	}
	db_close(d.db);
	return ret;
}
