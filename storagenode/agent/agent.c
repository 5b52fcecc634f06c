#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>

#include "child.h"
#include "file_util.h"
#include "http.h"
#include "log.h"
#include "lvs.h"
#include "procdrbd.h"
#include "res_check.h"
#include "volume_fsm.h"

#define STEP_DEADLINE_MS   90000   /* create-md or lvcreate under emulation */
#define LVS_DEADLINE_MS    30000
#define POLL_DEADLINE_MS   35000   /* nimbusd holds a long-poll 25 s */
#define POST_DEADLINE_MS   10000
#define RETRY_MS           2000
#define FAIL_BACKOFF_MS    5000
#define MAX_WAITERS        16

enum { EV_POLL = 1, EV_POST, EV_CHILD, EV_CTRL, EV_SIG, EV_CLIENT };

/* What the agent remembers of a volume between probes. */
struct vmem {
	char name[SMSG_NAME_MAX];
	bool md;              /* meta-data created (or found) */
	bool fenced;          /* the fence-peer handler lost: no export */
	bool cfg_in;          /* in the aoetd config being loaded */
	bool exported;        /* in the aoetd config as loaded */
	uint64_t exp_size;    /* the DRBD device's size when exported */
	char error[SMSG_DETAIL_MAX];
	const char *why;
	int64_t retry_at;
};

enum ch_kind { CH_NONE, CH_LVS, CH_STEP, CH_RELOAD, CH_NET };

struct agent {
	const struct agent_opts *o;
	int ep, sig_fd, ctrl_fd;
	struct smsg_desired want;
	bool have_want;
	uint64_t applied;             /* the generation converged to */
	struct vmem mem[SMSG_MAX_VOLUMES];
	size_t n_mem;
	struct http_conn poll, post;
	int64_t poll_at, post_at;
	bool post_now;
	struct child ch;
	enum ch_kind ch_kind;
	char ch_vol[SMSG_NAME_MAX];
	enum vol_action ch_act;
	struct lvs_out lvs;
	bool lvs_ok, lvs_failed_once;
	struct procdrbd_minor drbd[PROCDRBD_MAX];
	int n_drbd;
	bool dirty, busy_volumes;
	int64_t cycle_at;
	bool reload_needed;
	int waiters[MAX_WAITERS];
	int n_waiters;
	char node[SMSG_NAME_MAX];
	char net_applied[64];         /* "SELF PEER" set on repl_iface */
	char net_pending[64];
	int64_t net_retry_at;
};

static struct vmem *mem_get(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_mem; i++)
		if (strcmp(a->mem[i].name, name) == 0)
			return &a->mem[i];
	if (a->n_mem >= SMSG_MAX_VOLUMES)
		return NULL;
	memset(&a->mem[a->n_mem], 0, sizeof(a->mem[0]));
	snprintf(a->mem[a->n_mem].name, sizeof(a->mem[0].name), "%s", name);
	return &a->mem[a->n_mem++];
}

static void set_error(struct vmem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct vmem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	/* free text in messages: printable only */
	for (char *p = m->error; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = ' ';
}

static void ep_set(struct agent *a, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(a->ep, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void http_watch(struct agent *a, struct http_conn *c, uint64_t tag)
{
	if (c->fd >= 0)
		ep_set(a, c->fd, c->out_off < c->out_len ? EPOLLOUT : EPOLLIN, tag);
}

/* --- files --------------------------------------------------------------- */

static void res_path(const struct agent *a, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.res", a->o->drbd_dir, name);
}

static void check_path(const struct agent *a, const char *name, const char *ext, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.%s", a->o->drbd_check_dir, name, ext);
}

/* The candidate resource file of w and its check configuration (every
 * other installed *.res, as drbdadm's include glob sees them, and the
 * candidate), written for `drbdadm -c CONF dump NAME` (res_check.h). */
static int write_res_check(const struct agent *a, const struct smsg_want_volume *w, char *conf,
			   size_t conf_cap)
{
	static char paths[SMSG_MAX_VOLUMES][256];
	static const char *ptrs[SMSG_MAX_VOLUMES];
	static char text[SMSG_MAX_VOLUMES * 280 + 512];
	char cand[256], own[320];
	struct dirent *e;
	size_t n = 0;
	ssize_t len;
	DIR *d;
	int rc;

	mkdir(a->o->drbd_check_dir, 0700);
	check_path(a, w->name, "res", cand, sizeof(cand));
	check_path(a, w->name, "conf", conf, conf_cap);
	snprintf(own, sizeof(own), "%s.res", w->name);
	rc = file_write_atomic(cand, w->resource);
	if (rc < 0)
		return rc;
	d = opendir(a->o->drbd_dir);
	while (d && (e = readdir(d)) && n < SMSG_MAX_VOLUMES) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".res") != 0 || strcmp(e->d_name, own) == 0)
			continue;
		snprintf(paths[n], sizeof(paths[n]), "%s/%s", a->o->drbd_dir, e->d_name);
		ptrs[n] = paths[n];
		n++;
	}
	if (d)
		closedir(d);
	len = res_check_conf(text, sizeof(text), ptrs, n, cand);
	if (len < 0)
		return (int)len;
	return file_write_atomic(conf, text);
}

/* The checked candidate into /etc/drbd.d (drbdadm dump accepted it). */
static int install_res(const struct agent *a, const char *name)
{
	static char buf[SMSG_RESOURCE_MAX + 1];
	char cand[256], p[256];
	ssize_t n;

	check_path(a, name, "res", cand, sizeof(cand));
	n = file_read(cand, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	res_path(a, name, p, sizeof(p));
	return file_write_atomic(p, buf);
}

static bool res_current(const struct agent *a, const struct smsg_want_volume *w)
{
	static char buf[SMSG_RESOURCE_MAX + 1];
	char p[256];

	res_path(a, w->name, p, sizeof(p));
	return file_read(p, buf, sizeof(buf)) >= 0 && strcmp(buf, w->resource) == 0;
}

/* DRBD 8.4 internal meta-data: a superblock in the LV's last 4 KiB
 * (drbd_md_superblock_ok). For a clone, found meta-data is always the
 * clone's own: clone_script wipes the copy of its origin's before the LV
 * gets its name. */
static bool md_present(const struct agent *a, const char *name, uint64_t lv_size)
{
	unsigned char sb[4096];
	char p[256];
	int fd;
	bool ok = false;

	if (lv_size < 8192)
		return false;
	snprintf(p, sizeof(p), "/dev/%s/%s", a->o->vg, name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, sb, sizeof(sb), (off_t)((lv_size & ~4095ULL) - 4096)) == (ssize_t)sizeof(sb))
		ok = drbd_md_superblock_ok(sb);
	close(fd);
	return ok;
}

/* A clone's LV (VA_CLONE_CREATE): "sh -c clone_script sh VG ORIGIN NAME
 * TMP". A thin snapshot of the origin's LV is a copy of its bytes, and so
 * of the origin's DRBD internal meta-data at its end: the origin's UUIDs,
 * bitmap and activity log. Attached as the clone's, DRBD would take the
 * clone for the origin (same current UUID on both nodes, no fresh start),
 * so the clone must get meta-data of its own, created by create-md. The
 * agent decides whether to run create-md from what md_present finds at the
 * LV's end, which for a fresh snapshot is the origin's superblock; and it
 * may restart (or the node reboot) between any two steps, so a decision
 * kept in memory ("just made: create it") would be lost. Hence the LV only
 * appears under the clone's name once the copied superblock is gone:
 *   1. remove TMP, left by a run cut short (the agent runs one step at a
 *      time, so no other clone uses TMP; it is not a volume name: '_');
 *   2. lvcreate -s -kn -ay: a thin snapshot, writable (thin snapshots are;
 *      -pr would make it read-only), with the activation-skip flag
 *      cleared (-kn) and active (-ay), so vgchange -ay activates it at
 *      every boot like any volume (-K would activate it this once only);
 *   3. zeros over its last 4 KiB, the superblock md_present and drbdmeta
 *      look for (the LV is exactly the origin's size, and its last 4 KiB
 *      are DRBD meta-data, never data: the origin's device ends before its
 *      meta-data), written through and synced;
 *   4. lvrename TMP NAME: one LVM metadata commit.
 * Cut short anywhere before 4, there is no NAME and the step runs again
 * from 1; after 4, NAME has no meta-data, so the next steps are those of
 * a new volume: lvextend if the clone is larger (before create-md: the
 * meta-data goes at the LV's end), the resource file, create-md (fresh
 * UUIDs), up, new-current-uuid on the first member. */
#define CLONE_TMP "nimbus_clone_tmp"
static const char clone_script[] =
	"set -e\n"
	"vg=$1 origin=$2 name=$3 tmp=$4\n"
	"lvm lvremove -q -f \"$vg/$tmp\" >/dev/null 2>&1 || true\n"
	"lvm lvcreate -q -s -kn -ay -n \"$tmp\" \"$vg/$origin\"\n"
	"size=$(blockdev --getsize64 \"/dev/$vg/$tmp\")\n"
	"[ \"$size\" -ge 8192 ] || { echo \"clone: /dev/$vg/$tmp is $size bytes\"; exit 1; }\n"
	"dd if=/dev/zero of=\"/dev/$vg/$tmp\" bs=4096 seek=$((size / 4096 - 1)) count=1"
	" conv=notrunc,fsync\n"
	"lvm lvrename -q \"$vg\" \"$tmp\" \"$name\"\n";

static const struct smsg_want_volume *want_find(const struct agent *a, const char *name)
{
	for (size_t i = 0; a->have_want && i < a->want.n_volumes; i++)
		if (strcmp(a->want.volumes[i].name, name) == 0)
			return &a->want.volumes[i];
	return NULL;
}

static uint64_t drbd_size(uint32_t minor)
{
	char p[64], buf[32];

	snprintf(p, sizeof(p), "/sys/block/drbd%u/size", minor);
	if (file_read(p, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 10) * 512;
}

/* The aoetd config: every wanted volume marked cfg_in. */
static int write_aoetd_conf(struct agent *a)
{
	size_t cap = 256 + a->want.n_volumes * 160, off = 0;
	char *t = malloc(cap);
	int rc;

	if (!t)
		return -ENOMEM;
	off += (size_t)snprintf(t, cap, "# Written by nimbus-storaged; do not edit (docs/storage.md).\n");
	for (size_t i = 0; a->have_want && i < a->want.n_volumes; i++) {
		const struct smsg_want_volume *w = &a->want.volumes[i];
		struct vmem *m = mem_get(a, w->name);

		if (!m || !m->cfg_in)
			continue;
		if (w->kind == SMSG_VOLUME_SNAPSHOT)
			off += (size_t)snprintf(t + off, cap - off, "export %u.%u /dev/%s/%s iface=%s ro direct\n",
						w->shelf, w->slot, a->o->vg, w->name, a->o->iface);
		else
			off += (size_t)snprintf(t + off, cap - off, "export %u.%u /dev/drbd%u iface=%s direct\n",
						w->shelf, w->slot, w->minor, a->o->iface);
	}
	rc = file_write_atomic(a->o->aoetd_conf, t);
	free(t);
	return rc;
}

/* --- children ------------------------------------------------------------ */

static int spawn(struct agent *a, enum ch_kind k, char *const argv[], int64_t deadline)
{
	int rc = child_spawn(&a->ch, argv, http_now_ms() + deadline);

	if (rc < 0) {
		log_err("cannot run %s: %s", argv[0], strerror(-rc));
		return rc;
	}
	a->ch_kind = k;
	ep_set(a, a->ch.fd, EPOLLIN, EV_CHILD);
	return 0;
}

static void start_lvs(struct agent *a)
{
	char *argv[] = { "lvm", "lvs", LVS_ARGS, (char *)a->o->vg, NULL };

	a->dirty = false;
	spawn(a, CH_LVS, argv, LVS_DEADLINE_MS);
}

static void start_reload(struct agent *a)
{
	char *argv[] = { "aoetctl", "-s", (char *)a->o->aoetd_sock, "reload", NULL };
	int rc;

	a->reload_needed = false;
	rc = write_aoetd_conf(a);
	if (rc < 0) {
		log_err("cannot write %s: %s", a->o->aoetd_conf, strerror(-rc));
		return;
	}
	spawn(a, CH_RELOAD, argv, LVS_DEADLINE_MS);
}

static void answer_waiters(struct agent *a, const char *line)
{
	for (int i = 0; i < a->n_waiters; i++) {
		if (write(a->waiters[i], line, strlen(line)) < 0)
			log_warn("control: cannot answer a handler: %m");
		close(a->waiters[i]);
	}
	a->n_waiters = 0;
}

/* One step of volume w (or of an unwanted one, w NULL) as a child. */
static void run_action(struct agent *a, const struct smsg_want_volume *w, const char *name,
		       struct vmem *m, enum vol_action act)
{
	char size[32], lv[160], pool[160];
	char *argv[12] = { NULL };
	int rc;

	snprintf(lv, sizeof(lv), "%s/%s", a->o->vg, name);
	snprintf(pool, sizeof(pool), "%s/%s", a->o->vg, a->o->pool);
	if (w)
		snprintf(size, sizeof(size), "%llub", (unsigned long long)vol_lv_bytes(w->size_bytes));
	log_info("volume %s: %s (%s)", name, vol_action_name(act), m->why ? m->why : "");
	switch (act) {
	case VA_WRITE_RES: {
		/* checked before installed: a file drbdadm cannot parse, or
		 * one whose minor or port clashes with an installed one,
		 * never replaces the running one */
		static char conf[256];
		char *v[] = { "drbdadm", "-c", conf, "dump", (char *)name, NULL };

		rc = write_res_check(a, w, conf, sizeof(conf));
		if (rc < 0) {
			set_error(m, "cannot write the check of %s's resource file in %s: %s", name,
				  a->o->drbd_check_dir, strerror(-rc));
			m->retry_at = http_now_ms() + FAIL_BACKOFF_MS;
			a->dirty = true;
			return;
		}
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_EXPORT:
	case VA_UNEXPORT:
		m->cfg_in = act == VA_EXPORT;
		start_reload(a);
		return;
	case VA_LV_CREATE: {
		char *v[] = { "lvm", "lvcreate", "-q", "-V", size, "-T", pool, "-n", (char *)name, NULL };
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_SNAP_CREATE: {
		static char origin[160];
		char *v[] = { "lvm", "lvcreate", "-q", "-s", "-kn", "-ay", "-n", (char *)name, origin, NULL };

		snprintf(origin, sizeof(origin), "%s/%s", a->o->vg, w->origin);
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_CLONE_CREATE: {
		/* one fixed TMP: only one step runs at a time, and a run cut
		 * short is cleaned up by the next, whichever clone it is for */
		char *v[] = { "sh", "-c", (char *)clone_script, "sh", (char *)a->o->vg, (char *)w->origin,
			      (char *)name, CLONE_TMP, NULL };

		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_LV_EXTEND: {
		char *v[] = { "lvm", "lvextend", "-q", "-L", size, lv, NULL };
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_CREATE_MD: {
		/* --force: no question on stdin (it is /dev/null: a question
		 * fails the step), and existing meta-data is overwritten with
		 * fresh (UUID "just created"). A clone's LV holds its origin's
		 * data, which drbdmeta inspects first: a file system it can
		 * size passes (it fits: the clone's LV is at least the origin's,
		 * so the meta-data lands past the origin's device), but one it
		 * cannot size - an LVM PV label, which pvs does not see here
		 * (lvm.conf filters LVs) - is refused with exit 40 whatever
		 * --force says, hence --ignore-sanity-checks for a clone. */
		char *v[] = { "drbdadm", "--", "--force", "create-md", (char *)name, NULL };
		char *vc[] = { "drbdadm", "--", "--force", "--ignore-sanity-checks", "create-md",
			       (char *)name, NULL };

		if (w->kind == SMSG_VOLUME_CLONE)
			memcpy(argv, vc, sizeof(vc));
		else
			memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_NEW_UUID: {
		char *v[] = { "drbdadm", "--", "--clear-bitmap", "new-current-uuid", (char *)name, NULL };
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_UP: case VA_ADJUST: case VA_PRIMARY: case VA_RESIZE: case VA_DOWN:
	case VA_RESUME_IO: case VA_SECONDARY: case VA_OUTDATE: {
		static const char *const verb[] = { [VA_UP] = "up", [VA_ADJUST] = "adjust",
			[VA_PRIMARY] = "primary", [VA_RESIZE] = "resize", [VA_DOWN] = "down",
			[VA_RESUME_IO] = "resume-io", [VA_SECONDARY] = "secondary",
			[VA_OUTDATE] = "outdate" };
		char *v[] = { "drbdadm", (char *)verb[act], (char *)name, NULL };
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_LV_REMOVE: {
		char *v[] = { "lvm", "lvremove", "-q", "-f", lv, NULL };
		memcpy(argv, v, sizeof(v));
		break;
	}
	case VA_NONE:
		return;
	}
	snprintf(a->ch_vol, sizeof(a->ch_vol), "%s", name);
	a->ch_act = act;
	if (spawn(a, CH_STEP, argv, STEP_DEADLINE_MS) < 0) {
		set_error(m, "cannot run %s", argv[0]);
		m->retry_at = http_now_ms() + FAIL_BACKOFF_MS;
	}
}

/* What the node has for volume w (or, w NULL, for an unwanted one). */
static void probe_have(struct agent *a, const struct smsg_want_volume *w, const char *name,
		       struct vmem *m, struct vol_have *h)
{
	const struct lvs_lv *lv = lvs_find(&a->lvs, name);
	char p[256];

	memset(h, 0, sizeof(*h));
	h->lv = lv != NULL;
	h->lv_size = lv ? lv->size : 0;
	h->exported = m->exported;
	h->fenced = m->fenced;
	if (!w) {
		res_path(a, name, p, sizeof(p));
		h->drbd = access(p, F_OK) == 0;
		return;
	}
	if (w->kind == SMSG_VOLUME_SNAPSHOT)
		return;
	if (w->kind == SMSG_VOLUME_CLONE && !h->lv) {
		/* the snapshot may be taken: this node's copy of the origin is
		 * current (volume_fsm.c, rule 2) */
		const struct smsg_want_volume *o = want_find(a, w->origin);
		const struct procdrbd_minor *od = o && smsg_kind_replicated(o->kind) ?
			procdrbd_find(a->drbd, (size_t)a->n_drbd, o->minor) : NULL;

		h->origin_synced = od && lvs_find(&a->lvs, o->name) && od->conn == SMSG_CONN_CONNECTED &&
				   od->disk == SMSG_DSK_UPTODATE && od->peer_disk == SMSG_DSK_UPTODATE;
	}
	h->res_current = res_current(a, w);
	const struct procdrbd_minor *d = procdrbd_find(a->drbd, (size_t)a->n_drbd, w->minor);
	if (d) {
		h->drbd = true;
		h->conn = d->conn;
		h->role = d->role;
		h->disk = d->disk;
		h->peer_disk = d->peer_disk;
		h->suspended = d->suspended;
		h->drbd_size = drbd_size(w->minor);
		m->md = true;
	}
	if (!m->md && h->lv)
		m->md = md_present(a, name, h->lv_size);
	h->md = m->md;
	/* Back in sync with the peer: a lost fence is over. */
	if (m->fenced && d && d->disk == SMSG_DSK_UPTODATE && d->conn == SMSG_CONN_CONNECTED &&
	    d->peer_disk == SMSG_DSK_UPTODATE) {
		log_info("volume %s: UpToDate and connected again: fence over", name);
		m->fenced = false;
		h->fenced = false;
	}
}

static void read_drbd(struct agent *a)
{
	static char buf[256 * 1024];
	ssize_t n = file_read("/proc/drbd", buf, sizeof(buf));

	a->n_drbd = 0;
	if (n < 0)
		return;
	a->n_drbd = procdrbd_parse(buf, (size_t)n, a->drbd, PROCDRBD_MAX);
	if (a->n_drbd < 0) {
		log_warn("cannot parse /proc/drbd");
		a->n_drbd = 0;
	}
}

static bool wanted(const struct agent *a, const char *name)
{
	return want_find(a, name) != NULL;
}

/* The pair's replication address on its NIC, and a host route to the
 * peer (the message carries no prefix: /32 and a route work for any). */
static bool net_step(struct agent *a, int64_t now)
{
	char self[16], peer[16], cmd[256];
	char *argv[] = { "sh", "-c", cmd, NULL };

	if (!a->o->repl_iface || !a->have_want || !a->want.pair[0] || now < a->net_retry_at)
		return false;
	inet_ntop(AF_INET, &a->want.repl_self, self, sizeof(self));
	inet_ntop(AF_INET, &a->want.repl_peer, peer, sizeof(peer));
	snprintf(a->net_pending, sizeof(a->net_pending), "%s %s", self, peer);
	if (strcmp(a->net_pending, a->net_applied) == 0)
		return false;
	/* busybox ip: add what is missing, then check */
	snprintf(cmd, sizeof(cmd), "ip link set %1$s up; ip addr add %2$s/32 dev %1$s 2>/dev/null; "
		 "ip route add %3$s/32 dev %1$s src %2$s 2>/dev/null; "
		 "ip addr show dev %1$s | grep -q 'inet %2$s/' && ip route | grep -q '^%3$s '",
		 a->o->repl_iface, self, peer);
	log_info("replication link %s: %s, peer %s", a->o->repl_iface, self, peer);
	return spawn(a, CH_NET, argv, LVS_DEADLINE_MS) == 0;
}

/* After a probe: the first volume with something to do gets its step. */
static void decide(struct agent *a)
{
	int64_t now = http_now_ms();
	bool first = a->have_want && vol_first_member(&a->want), all_done = true;

	if (net_step(a, now))
		return;
	a->busy_volumes = false;
	for (int pass = 0; pass < 4 && a->have_want; pass++) {
		bool acted = false;

		for (size_t i = 0; i < a->want.n_volumes; i++) {
			const struct smsg_want_volume *w = &a->want.volumes[i];
			struct vmem *m = mem_get(a, w->name);
			struct vol_have h;
			enum vol_action act;

			if (!m)
				continue;
			probe_have(a, w, w->name, m, &h);
			if (smsg_kind_replicated(w->kind) &&
			    vol_export_resized(&m->exp_size, m->exported, h.drbd_size)) {
				log_info("volume %s: device now %llu bytes: aoetd reloads", w->name,
					 (unsigned long long)h.drbd_size);
				a->reload_needed = true;
			}
			act = vol_next(w, &h, first, &m->why);
			/* Without a list of LVs (lvs failed: a disk read error,
			 * a busy VG) every LV looks missing: withdrawing an
			 * export is still safe, anything else waits for a good
			 * list (it once ran lvcreate on a volume that existed). */
			if (!a->lvs_ok && act != VA_UNEXPORT && act != VA_NONE) {
				m->why = "waiting for a good LV list (lvs failed)";
				a->busy_volumes = true;
				all_done = false;
				continue;
			}
			if (act == VA_EXPORT)
				m->exp_size = h.drbd_size;
			if (act == VA_NONE) {
				if (strcmp(m->why, "exported") != 0 && strcmp(m->why, "kept, not exported") != 0 &&
				    strcmp(m->why, "exported read-only") != 0) {
					a->busy_volumes = true;
				} else if (m->error[0]) {
					/* Converged anyway (a resize the peer did first):
					 * the failure no longer describes the volume. */
					log_info("volume %s: %s; clearing the last error (%s)", w->name,
						 m->why, m->error);
					m->error[0] = '\0';
					a->post_now = true;
				}
				continue;
			}
			all_done = false;
			if (now < m->retry_at)
				continue;
			run_action(a, w, w->name, m, act);
			acted = true;
			break;
		}
		/* a file written in place: decide again without a new probe */
		if (!acted || a->ch.pid || a->ch_kind != CH_NONE)
			break;
		if (!a->dirty)
			break;
		a->dirty = false;
	}
	if (a->ch.pid || a->dirty)
		return;
	/* Volumes nimbusd no longer lists (only while in a pair: a node
	 * that lost its pairing keeps its data). */
	for (size_t i = 0; a->have_want && a->want.pair[0] && i < a->lvs.n; i++) {
		const char *name = a->lvs.lv[i].name;
		struct vmem *m;
		struct vol_have h;
		enum vol_action act;

		if (strcmp(name, a->o->pool) == 0 || !smsg_name_ok(name) || wanted(a, name))
			continue;
		m = mem_get(a, name);
		if (!m)
			continue;
		probe_have(a, NULL, name, m, &h);
		act = vol_next_removal(&h);
		if (act == VA_NONE || now < m->retry_at)
			continue;
		all_done = false;
		m->why = "no longer wanted";
		run_action(a, NULL, name, m, act);
		return;
	}
	if (all_done && a->have_want && a->applied != a->want.generation) {
		log_info("converged to generation %llu", (unsigned long long)a->want.generation);
		a->applied = a->want.generation;
		a->post_now = true;
	}
}

static void child_done(struct agent *a)
{
	enum ch_kind k = a->ch_kind;
	struct vmem *m;
	int rc;

	a->ch_kind = CH_NONE;
	switch (k) {
	case CH_LVS:
		if (a->ch.status != 0 || lvs_parse(a->ch.out, a->ch.out_len, &a->lvs) < 0) {
			if (a->lvs_ok || !a->lvs_failed_once)
				log_warn("lvs failed (exit %d): %.300s", a->ch.status, a->ch.out);
			a->lvs_failed_once = true;
			a->lvs_ok = false;
			memset(&a->lvs, 0, sizeof(a->lvs));
		} else {
			a->lvs_ok = true;
		}
		read_drbd(a);
		decide(a);
		break;
	case CH_STEP:
		m = mem_get(a, a->ch_vol);
		if (!m)
			break;
		if (a->ch.status != 0 && a->ch_act == VA_WRITE_RES) {
			char why[200];

			res_check_reason(a->ch.out, a->ch.out_len, why, sizeof(why));
			set_error(m, "drbdadm refused the resource file (exit %d, not installed): %s",
				  a->ch.status, why);
			log_warn("volume %s: %s", m->name, m->error);
			m->retry_at = http_now_ms() + FAIL_BACKOFF_MS;
		} else if (a->ch.status != 0) {
			char *last = a->ch.out + a->ch.out_len;

			while (last > a->ch.out && (last[-1] == '\n' || last[-1] == ' '))
				*--last = '\0';
			last = strrchr(a->ch.out, '\n');
			set_error(m, "%s failed (exit %d): %.180s", vol_action_name(a->ch_act),
				  a->ch.status, last ? last + 1 : a->ch.out);
			log_warn("volume %s: %s", m->name, m->error);
			m->retry_at = http_now_ms() + FAIL_BACKOFF_MS;
		} else if (a->ch_act == VA_WRITE_RES && (rc = install_res(a, m->name)) < 0) {
			set_error(m, "cannot install %s's resource file in %s: %s", m->name,
				  a->o->drbd_dir, strerror(-rc));
			log_warn("volume %s: %s", m->name, m->error);
			m->retry_at = http_now_ms() + FAIL_BACKOFF_MS;
		} else {
			m->error[0] = '\0';
			if (a->ch_act == VA_CREATE_MD)
				m->md = true;
			/* a new LV without meta-data (clone_script wiped the
			 * origin's): create-md comes next */
			if (a->ch_act == VA_CLONE_CREATE)
				m->md = false;
			if (a->ch_act == VA_DOWN) {
				char p[256];

				res_path(a, m->name, p, sizeof(p));
				unlink(p);
			}
			if (a->ch_act == VA_LV_REMOVE)
				m->md = false;
		}
		a->post_now = true;
		a->dirty = true;
		break;
	case CH_RELOAD:
		if (a->ch.status != 0) {
			log_err("aoetctl reload failed (exit %d): %.200s", a->ch.status, a->ch.out);
			for (size_t i = 0; i < a->n_mem; i++)
				a->mem[i].cfg_in = a->mem[i].exported;
			answer_waiters(a, "error: aoetd reload failed\n");
		} else {
			for (size_t i = 0; i < a->n_mem; i++) {
				if (a->mem[i].cfg_in != a->mem[i].exported)
					log_info("volume %s: %s", a->mem[i].name,
						 a->mem[i].cfg_in ? "exported" : "no longer exported");
				a->mem[i].exported = a->mem[i].cfg_in;
			}
			answer_waiters(a, "ok\n");
		}
		a->post_now = true;
		a->dirty = true;
		break;
	case CH_NET:
		if (a->ch.status != 0) {
			log_err("replication link set-up failed (exit %d): %.200s", a->ch.status, a->ch.out);
			a->net_retry_at = http_now_ms() + FAIL_BACKOFF_MS;
		} else {
			snprintf(a->net_applied, sizeof(a->net_applied), "%s", a->net_pending);
		}
		a->dirty = true;
		break;
	case CH_NONE:
		break;
	}
}

/* --- nimbusd --------------------------------------------------------------- */

static void start_poll(struct agent *a)
{
	char path[128], m[MAC_STR_LEN];

	mac_format(a->o->mac, m);
	snprintf(path, sizeof(path), "/v1/storage/desired/%s/%llu", m,
		 (unsigned long long)(a->have_want ? a->want.generation : 0));
	if (http_start(&a->poll, a->o->server_ip, a->o->server_port, "GET", path, NULL,
		       http_now_ms() + POLL_DEADLINE_MS) < 0) {
		a->poll_at = http_now_ms() + RETRY_MS;
		return;
	}
	a->poll_at = 0;
	http_watch(a, &a->poll, EV_POLL);
}

static void poll_done(struct agent *a, int rc)
{
	struct smsg_desired d;
	char err[SMSG_ERR_MAX];

	if (rc < 0 || a->poll.status != 200) {
		log_warn("GET desired state from nimbusd: %s", rc < 0 ? strerror(-rc) : "refused");
		if (rc >= 0)
			log_warn("nimbusd answered %d: %.200s", a->poll.status, a->poll.body);
		http_close(&a->poll);
		a->poll_at = http_now_ms() + RETRY_MS;
		return;
	}
	memset(&d, 0, sizeof(d));
	if (smsg_desired_decode(a->poll.body, a->poll.body_len, &d, err) < 0) {
		log_err("bad desired state from nimbusd: %s", err);
		smsg_desired_free(&d);
		http_close(&a->poll);
		a->poll_at = http_now_ms() + RETRY_MS;
		return;
	}
	http_close(&a->poll);
	if (!a->have_want || d.generation != a->want.generation) {
		log_info("desired state: generation %llu, pair %s, %zu volume(s)",
			 (unsigned long long)d.generation, d.pair[0] ? d.pair : "(none)", d.n_volumes);
		if (a->have_want)
			smsg_desired_free(&a->want);
		a->want = d;
		a->have_want = true;
		snprintf(a->node, sizeof(a->node), "%s", d.node);
		a->dirty = true;
	} else {
		smsg_desired_free(&d);
	}
	start_poll(a);
}

static void start_post(struct agent *a)
{
	struct smsg_observed o;
	char *text = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	memcpy(o.mac, a->o->mac, MAC_LEN);
	snprintf(o.node, sizeof(o.node), "%s", a->node);
	o.generation = a->applied;
	o.n_disks = a->o->n_disks < SMSG_MAX_DISKS ? a->o->n_disks : SMSG_MAX_DISKS;
	if (o.n_disks)
		memcpy(o.disks, a->o->disks, o.n_disks * sizeof(o.disks[0]));
	o.vg = a->lvs_ok;
	o.vg_size = a->lvs.vg_size;
	o.vg_free = a->lvs.vg_free <= a->lvs.vg_size ? a->lvs.vg_free : a->lvs.vg_size;
	{
		const struct lvs_lv *pool = lvs_find(&a->lvs, a->o->pool);

		if (pool) {
			o.pool_size = pool->size;
			o.pool_used = (uint64_t)((double)pool->size * pool->data_pct / 100.0);
		}
	}
	o.volumes = calloc(a->want.n_volumes ? a->want.n_volumes : 1, sizeof(*o.volumes));
	if (!o.volumes)
		return;
	for (size_t i = 0; a->have_want && i < a->want.n_volumes; i++) {
		const struct smsg_want_volume *w = &a->want.volumes[i];
		struct smsg_have_volume *h = &o.volumes[o.n_volumes++];
		const struct lvs_lv *lv = lvs_find(&a->lvs, w->name);
		const struct procdrbd_minor *d = smsg_kind_replicated(w->kind) ?
			procdrbd_find(a->drbd, (size_t)a->n_drbd, w->minor) : NULL;
		struct vmem *m = mem_get(a, w->name);

		snprintf(h->name, sizeof(h->name), "%s", w->name);
		h->lv = lv != NULL;
		h->size_bytes = lv ? lv->size : 0;
		h->sync_percent = 100.0;
		h->sync_eta_s = -1;
		if (d) {
			h->drbd = true;
			h->role = d->role;
			h->peer_role = d->peer_role;
			h->disk = d->disk;
			h->peer_disk = d->peer_disk;
			h->conn = d->conn;
			h->sync_percent = d->sync_percent;
			h->sync_eta_s = d->sync_eta_s;
		}
		if (m) {
			h->exported = m->exported;
			snprintf(h->error, sizeof(h->error), "%s", m->error);
		}
	}
	rc = smsg_observed_encode(&o, &text);
	smsg_observed_free(&o);
	if (rc < 0) {
		log_err("cannot encode the observed state: %s", strerror(-rc));
		return;
	}
	a->post_now = false;
	a->post_at = http_now_ms() + (a->busy_volumes ? 5000 : 30000);
	if (http_start(&a->post, a->o->server_ip, a->o->server_port, "POST", "/v1/storage/observed",
		       text, http_now_ms() + POST_DEADLINE_MS) == 0)
		http_watch(a, &a->post, EV_POST);
	free(text);
}

/* --- control socket (the DRBD handlers) ------------------------------------ */

static void ctrl_line(struct agent *a, int fd, char *line)
{
	char *nl = strchr(line, '\n');
	struct vmem *m;

	if (nl)
		*nl = '\0';
	if (strncmp(line, "fence ", 6) == 0 && smsg_name_ok(line + 6) &&
	    (m = mem_get(a, line + 6))) {
		log_warn("volume %s: fence lost (or nimbusd unreachable): stop exporting it now", m->name);
		m->fenced = true;
		if (!m->cfg_in && !m->exported) {
			if (write(fd, "ok\n", 3) < 0)
				log_warn("control: %m");
			close(fd);
			return;
		}
		m->cfg_in = false;
		a->reload_needed = true;
		if (a->n_waiters < MAX_WAITERS) {
			a->waiters[a->n_waiters++] = fd;
			return;
		}
	} else if (strncmp(line, "recheck ", 8) == 0 && smsg_name_ok(line + 8) &&
		   (m = mem_get(a, line + 8))) {
		log_info("volume %s: resync finished: check again", m->name);
		m->fenced = false;
		a->dirty = true;
		if (write(fd, "ok\n", 3) < 0)
			log_warn("control: %m");
	} else {
		if (write(fd, "error: want 'fence NAME' or 'recheck NAME'\n", 43) < 0)
			log_warn("control: %m");
	}
	close(fd);
}

static void ctrl_read(struct agent *a, int fd)
{
	char line[128];
	ssize_t n = read(fd, line, sizeof(line) - 1);

	if (n < 0 && errno == EAGAIN)
		return;
	epoll_ctl(a->ep, EPOLL_CTL_DEL, fd, NULL);
	if (n <= 0) {
		close(fd);
		return;
	}
	line[n] = '\0';
	ctrl_line(a, fd, line);
}

static int ctrl_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* --- the loop -------------------------------------------------------------- */

static int64_t earliest(int64_t a, int64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

static int write_env(const struct agent_opts *o)
{
	char text[512], m[MAC_STR_LEN];

	mac_format(o->mac, m);
	snprintf(text, sizeof(text), "server=%u.%u.%u.%u:%u\nmac=%s\nctrl=%s\n",
		 o->server_ip >> 24, (o->server_ip >> 16) & 255, (o->server_ip >> 8) & 255,
		 o->server_ip & 255, o->server_port, m, o->ctrl);
	return file_write_atomic(o->env, text);
}

int agent_run(const struct agent_opts *o)
{
	static struct agent a;
	sigset_t ss;
	int rc = 0;
	bool stop = false;

	memset(&a, 0, sizeof(a));
	a.o = o;
	http_init(&a.poll);
	http_init(&a.post);
	child_init(&a.ch);
	a.ep = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	a.ctrl_fd = ctrl_listen(o->ctrl);
	if (a.ep < 0 || a.sig_fd < 0 || a.ctrl_fd < 0) {
		log_err("cannot set up the loop or the control socket %s: %s", o->ctrl,
			strerror(a.ctrl_fd < 0 ? -a.ctrl_fd : errno));
		return -EIO;
	}
	ep_set(&a, a.sig_fd, EPOLLIN, EV_SIG);
	ep_set(&a, a.ctrl_fd, EPOLLIN, EV_CTRL);
	mkdir(o->drbd_dir, 0755);
	if (access("/etc/drbd.conf", F_OK) != 0)
		file_write_atomic("/etc/drbd.conf", "# nimbus-storaged: one file per volume\n"
			     "global { usage-count no; }\ninclude \"/etc/drbd.d/*.res\";\n");
	if (write_env(o) < 0)
		log_warn("cannot write %s: the DRBD handlers will not find nimbusd", o->env);
	/* aoetd starts with no exports (storagenode/image/build-image) */
	write_aoetd_conf(&a);
	log_info("running: nimbusd at %u.%u.%u.%u:%u, exports on %s, VG %s", o->server_ip >> 24,
		 (o->server_ip >> 16) & 255, (o->server_ip >> 8) & 255, o->server_ip & 255,
		 o->server_port, o->iface, o->vg);
	start_poll(&a);
	a.dirty = true;
	while (!stop) {
		struct epoll_event evs[16];
		int64_t now = http_now_ms(), wake = 0;
		int n, timeout;

		if (a.ch.pid)
			wake = now + 100;
		wake = earliest(wake, a.cycle_at);
		wake = earliest(wake, a.poll_at);
		wake = earliest(wake, a.poll.fd >= 0 ? a.poll.deadline_ms : 0);
		wake = earliest(wake, a.post.fd >= 0 ? a.post.deadline_ms : 0);
		wake = earliest(wake, a.lvs_ok && a.post.fd < 0 ? a.post_at : 0);
		if (a.dirty || a.reload_needed || (a.post_now && a.post.fd < 0))
			wake = now;
		timeout = wake == 0 ? 1000 : wake <= now ? 0 : (int)(wake - now);
		n = epoll_wait(a.ep, evs, 16, timeout);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			log_err("epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			switch (tag & 0xffffffff) {
			case EV_SIG:
				stop = true;
				break;
			case EV_CTRL: {
				int c = accept4(a.ctrl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c >= 0)
					ep_set(&a, c, EPOLLIN, EV_CLIENT | (uint64_t)c << 32);
				break;
			}
			case EV_CLIENT:
				ctrl_read(&a, (int)(tag >> 32));
				break;
			case EV_POLL:
				if (a.poll.fd >= 0) {
					int r = http_io(&a.poll);

					if (r == 0)
						http_watch(&a, &a.poll, EV_POLL);
					else
						poll_done(&a, r);
				}
				break;
			case EV_POST:
				if (a.post.fd >= 0) {
					int r = http_io(&a.post);

					if (r == 0) {
						http_watch(&a, &a.post, EV_POST);
					} else {
						if (r < 0 || a.post.status != 200)
							log_warn("POST observed state: %s %d %.200s",
								 r < 0 ? strerror(-r) : "status",
								 r < 0 ? 0 : a.post.status,
								 r < 0 ? "" : a.post.body);
						http_close(&a.post);
					}
				}
				break;
			default:
				break;
			}
		}
		now = http_now_ms();
		if (a.poll.fd >= 0 && now >= a.poll.deadline_ms)
			poll_done(&a, -ETIMEDOUT);
		if (a.post.fd >= 0 && now >= a.post.deadline_ms) {
			log_warn("POST observed state: no answer in %d s", POST_DEADLINE_MS / 1000);
			http_close(&a.post);
		}
		if (a.poll.fd < 0 && a.poll_at && now >= a.poll_at)
			start_poll(&a);
		if (a.ch.pid && child_poll(&a.ch, now) == 1)
			child_done(&a);
		if (!a.ch.pid) {
			if (a.reload_needed)
				start_reload(&a);
			else if (a.dirty || (a.cycle_at && now >= a.cycle_at)) {
				a.cycle_at = now + (a.busy_volumes ? 1000 : 10000);
				start_lvs(&a);
			} else if (!a.cycle_at) {
				a.cycle_at = now + 1000;
			}
		}
		if (a.post.fd < 0 && a.lvs_ok && a.node[0] &&
		    (a.post_now || (a.post_at && now >= a.post_at)))
			start_post(&a);
	}
	log_info("stopping (exports stay as they are: aoetd keeps serving)");
	http_close(&a.poll);
	http_close(&a.post);
	answer_waiters(&a, "error: agent stopping\n");
	if (a.have_want)
		smsg_desired_free(&a.want);
	unlink(o->ctrl);
	return rc;
}
