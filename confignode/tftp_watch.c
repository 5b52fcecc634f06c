#include "tftp_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "provision.h"

struct tftp_watch {
	bool fan;                  /* fanotify, else inotify */
	int fd, wd;
	char dir[PATH_MAX];
	char pidfile[PATH_MAX];
	dev_t dev;                 /* the watched directory, to see it replaced */
	ino_t ino;
	pid_t self;
};

enum tftp_opener tftp_classify(pid_t opener, pid_t self, pid_t tftpd, pid_t parent)
{
	if (opener == self)
		return TFTP_OPEN_OURS;
	if (!tftpd || opener == tftpd || parent == tftpd || parent == 0)
		return TFTP_OPEN_FETCH;
	return TFTP_OPEN_OTHER;
}

pid_t tftp_parse_pid(const char *text)
{
	char *end;
	long v;

	text += strspn(text, " \t");
	if (*text < '0' || *text > '9')
		return 0;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || v <= 0 || v > INT_MAX || (*end && *end != '\n' && *end != ' '))
		return 0;
	return (pid_t)v;
}

/* Reads a small file (a pidfile, /proc/PID/stat) into buf; -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The parent of pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm
 * may hold spaces and parentheses, so after the last ')'); 0 if gone. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

static int arm(struct tftp_watch *w)
{
	struct stat st;

	if (mkdir(w->dir, 0755) < 0 && errno != EEXIST)
		log_warn("cannot create %s: %s", w->dir, strerror(errno));
	if (stat(w->dir, &st) < 0)
		return -errno;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	if (w->fan) {
		/* FAN_MARK_FLUSH drops the mark on a replaced directory. */
		fanotify_mark(w->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
		if (fanotify_mark(w->fd, FAN_MARK_ADD, FAN_OPEN | FAN_EVENT_ON_CHILD, AT_FDCWD,
				  w->dir) < 0)
			return -errno;
		return 0;
	}
	/* IN_CLOSE_NOWRITE only separates opens: the kernel merges identical
	 * events queued back to back, so open+open would read as one. */
	w->wd = inotify_add_watch(w->fd, w->dir, IN_OPEN | IN_CLOSE_NOWRITE | IN_ONLYDIR);
	return w->wd < 0 ? -errno : 0;
}

static int watch_open(struct tftp_watch **out, const char *dir, const char *tftpd_pidfile,
		      bool try_fanotify)
{
	struct tftp_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	snprintf(w->pidfile, sizeof(w->pidfile), "%s", tftpd_pidfile ? tftpd_pidfile : "");
	w->self = getpid();
	/* fanotify needs CAP_SYS_ADMIN: EPERM for an unprivileged nimbusd. */
	w->fd = try_fanotify ? fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
					     O_RDONLY | O_CLOEXEC | O_LARGEFILE) : -1;
	w->fan = w->fd >= 0;
	if (w->fan && arm(w) < 0) {
		log_warn("fanotify on %s: %s: falling back to inotify", dir, strerror(errno));
		close(w->fd);
		w->fan = false;
	}
	if (!w->fan) {
		w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->fd < 0 || (rc = arm(w)) < 0) {
			rc = -errno;
			log_warn("not watching %s (no config-fetched events): %s", dir,
				 strerror(-rc));
			if (w->fd >= 0)
				close(w->fd);
			free(w);
			return rc;
		}
		if (w->pidfile[0])
			log_warn("tftpd-pidfile %s ignored: telling in.tftpd's opens apart needs fanotify (nimbusd as root); any reader of %s counts",
				 w->pidfile, dir);
	}
	*out = w;
	return 0;
}

int tftp_watch_open(struct tftp_watch **out, const char *dir, const char *tftpd_pidfile)
{
	return watch_open(out, dir, tftpd_pidfile, true);
}

int tftp_watch_open_inotify(struct tftp_watch **out, const char *dir, const char *tftpd_pidfile)
{
	return watch_open(out, dir, tftpd_pidfile, false);
}

void tftp_watch_close(struct tftp_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}

int tftp_watch_fd(const struct tftp_watch *w)
{
	return w->fd;
}

const char *tftp_watch_backend(const struct tftp_watch *w)
{
	return w->fan ? "fanotify" : "inotify";
}

void tftp_watch_recheck(struct tftp_watch *w)
{
	struct stat st;

	if (stat(w->dir, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino)
		return;
	if (w->fan || stat(w->dir, &st) < 0) {
		int rc = arm(w);

		if (rc < 0)
			log_warn("cannot watch %s again: %s", w->dir, strerror(-rc));
		else
			log_info("%s was replaced: watching the new directory", w->dir);
	}
	/* inotify: IN_IGNORED (below) re-arms. */
}

static void fan_read(struct tftp_watch *w, tftp_fetch_fn fn, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *md = (struct fanotify_event_metadata *)buf;

		for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
			char link[64], path[PATH_MAX], pidtext[32];
			const char *base;
			uint8_t mac[MAC_LEN];
			pid_t tftpd = 0;
			ssize_t len;

			if (md->vers != FANOTIFY_METADATA_VERSION) {
				log_err("fanotify: unexpected metadata version %u", md->vers);
				return;
			}
			if (md->mask & FAN_Q_OVERFLOW)
				log_warn("fanotify queue overflowed: config-fetched events lost");
			if (md->fd < 0)
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", md->fd);
			len = readlink(link, path, sizeof(path) - 1);
			close(md->fd);
			if (len <= 0)
				continue;
			path[len] = '\0';
			/* Opened, then replaced by our rename: still that node's file. */
			if (len > 10 && strcmp(path + len - 10, " (deleted)") == 0)
				path[len - 10] = '\0';
			base = strrchr(path, '/');
			base = base ? base + 1 : path;
			if (provision_pxe_name_parse(base, mac) < 0)
				continue;
			if (w->pidfile[0] && read_small(w->pidfile, pidtext, sizeof(pidtext)) == 0)
				tftpd = tftp_parse_pid(pidtext);
			switch (tftp_classify(md->pid, w->self, tftpd,
					      md->pid == w->self ? w->self : parent_of(md->pid))) {
			case TFTP_OPEN_OURS:
				break;
			case TFTP_OPEN_OTHER:
				log_info("%s opened by pid %d, not in.tftpd (pid %d): not a fetch",
					 base, (int)md->pid, (int)tftpd);
				break;
			case TFTP_OPEN_FETCH:
				fn(arg, mac, base, md->pid);
				break;
			}
		}
	}
}

/* inotify. own: the events came while nimbusd rewrote the files: the
 * first open of each name is nimbusd's own compare. */
static void ino_read(struct tftp_watch *w, bool own, tftp_fetch_fn fn, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint8_t (*seen)[MAC_LEN] = NULL;
	size_t nseen = 0, cap = 0;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			uint8_t mac[MAC_LEN];
			bool first = true;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_IGNORED) {
				/* The directory went away (tftp root recreated). */
				arm(w);
				continue;
			}
			if (ev->mask & IN_Q_OVERFLOW)
				log_warn("inotify queue overflowed: config-fetched events lost");
			if (!ev->len || !(ev->mask & IN_OPEN) ||
			    provision_pxe_name_parse(ev->name, mac) < 0)
				continue;
			if (own) {
				for (size_t i = 0; i < nseen && first; i++)
					if (memcmp(seen[i], mac, MAC_LEN) == 0)
						first = false;
				if (first) {
					if (nseen == cap) {
						size_t nc = cap ? cap * 2 : 64;
						void *ns = realloc(seen, nc * sizeof(*seen));

						if (!ns)
							continue;
						seen = ns;
						cap = nc;
					}
					memcpy(seen[nseen++], mac, MAC_LEN);
					continue;
				}
			}
			fn(arg, mac, ev->name, 0);
		}
	}
	free(seen);
}

void tftp_watch_read(struct tftp_watch *w, tftp_fetch_fn fn, void *arg)
{
	if (w->fan)
		fan_read(w, fn, arg);
	else
		ino_read(w, false, fn, arg);
}

void tftp_watch_own_write(struct tftp_watch *w, bool before, tftp_fetch_fn fn, void *arg)
{
	if (w->fan)
		fan_read(w, fn, arg);
	else
		ino_read(w, !before, fn, arg);
}
