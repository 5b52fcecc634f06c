#include "hostd_loop.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"       /* storagenode/agent/, shared with nimbus-storaged */
#include "http.h"        /* storagenode/agent/, shared with nimbus-storaged */
#include "file_util.h"
#include "host_plan.h"
#include "host_cert.h"
#include "host_probe.h"
#include "log.h"
#include "report.h"      /* hwnode/report/: env_lookup for NAME.state */

#define POLL_DEADLINE_MS    35000   /* nimbusd holds a long-poll 25 s */
#define POLL_RETRY_MS       2000
#define POLL_MIN_GAP_MS     1000    /* an unchanged answer in less: wait this long */
#define POST_DEADLINE_MS    10000
#define POST_RETRY_MS       2000
#define PROBE_DEADLINE_MS   30000   /* virsh list, xl list, xl info */
#define BUSY_PROBE_MS       2000    /* probe interval while something is under way */
#define XL_INFO_EVERY_MS    60000
#define MIGRATE_DEADLINE_MS 600000
#define BACKOFF_FIRST_MS    5000
#define BACKOFF_MAX_MS      60000
#define MAX_MEM             (HMSG_MAX_INSTANCES * 2)
#define CERT_DEADLINE_MS    10000
#define CERT_GAP_MS         30000   /* between two looks at (or requests for) the certificate */
#define RESTART_DEADLINE_MS 90000   /* systemctl restart nimbus-libvirtd.service */
#define RESTART_QUIET_MS    2000    /* no virsh right after: libvirtd opens its socket */
#define LIBVIRTD_UNIT       "nimbus-libvirtd.service"

enum { EV_POLL = 1, EV_POST, EV_CH, EV_MIG, EV_SIG, EV_CERT };

enum ch_kind { CH_NONE, CH_VIRSH, CH_XL_LIST, CH_XL_INFO, CH_ACTION, CH_RESTART };

/* What the agent remembers of one instance. */
struct imem {
	bool used;
	char name[HMSG_NAME_MAX];
	struct host_mem pm;               /* the planner's view */
	char error[HMSG_DETAIL_MAX];      /* the last failed step, "" none */
	enum host_action error_act;
	int64_t retry_at, backoff_ms;     /* after a failed step */
	const char *last_reason;          /* logged once per change */
	bool was_active, stop_by_agent;   /* for "stopped on its own" */
	struct hmsg_have_migration mig;   /* id 0: none */
	char mig_to[HMSG_NAME_MAX];
	int64_t mig_mono;                 /* monotonic start of the running one */
	bool mig_restored;                /* loaded mid-migration: settle after a probe */
};

struct hostd {
	const struct hostd_opts *o;
	int ep, sig_pipe[2];              /* SIGTERM/SIGINT write their number here */
	bool stop;
	int64_t started_ms;               /* CLOCK_REALTIME */
	char node[HMSG_NAME_MAX];
	struct hmsg_desired want;
	bool have_want;
	uint64_t applied;

	struct http_conn poll, post;
	int64_t poll_at, poll_sent;
	char poll_err[256];
	int64_t post_due, post_retry;
	bool post_now;
	char post_err[256];
	char *sig_posted, *sig_inflight;  /* observed state without its clocks */
	bool warned_no_node;

	struct child ch;                  /* probes and actions */
	enum ch_kind ch_kind;
	char ch_inst[HMSG_NAME_MAX];
	enum host_action ch_act;
	int64_t ch_start;
	bool ch_timed_out;                /* DESTROY after stop_timeout_s */
	uint32_t ch_timeout_s;
	uint64_t ch_xml_hash, ch_reboot_seq;
	struct child mig;                 /* the one live migration */
	char mig_inst[HMSG_NAME_MAX];

	/* the libvirt TLS certificate (host_cert.h) */
	struct host_cert_paths pki;
	struct http_conn cert;            /* POST /v1/host/certificate */
	char *cert_key;                   /* the key of the request in flight (PEM) */
	int64_t cert_next;                /* no look at the files before (monotonic) */
	char cert_why[HOST_CERT_ERR_MAX]; /* why one is needed: logged once */
	char cert_err[HOST_CERT_ERR_MAX]; /* the last failure: logged once */
	struct host_cert_info cert_new;   /* installed, libvirtd not yet restarted */
	bool cert_renewal;                /* a good one was in place: libvirtd may use it */
	bool cert_restart, restart_waits;
	int64_t probe_hold;               /* no probe before (libvirtd restarting) */

	/* probes */
	bool dirty, busy, probed;
	int64_t probe_at, xl_info_at;
	bool libvirt;
	char libvirt_error[HMSG_DETAIL_MAX];
	struct host_dom doms[HMSG_MAX_INSTANCES], next[HMSG_MAX_INSTANCES];
	size_t n_doms, n_next, skipped_logged;
	struct host_xl_row xl_rows[HMSG_MAX_INSTANCES];
	char xl_list_err[HMSG_DETAIL_MAX];
	struct host_xen xen;
	char xen_err[HMSG_DETAIL_MAX];
	bool bridge;
	struct hmsg_target targets[HMSG_MAX_TARGETS];
	size_t n_targets;

	struct imem mem[MAX_MEM];
	struct hmsg_event events[HMSG_MAX_EVENTS];
	size_t n_events;
	uint64_t seq;
};

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double secs(int64_t ms)
{
	return ms / 1000.0;
}

static void ep_set(struct hostd *a, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(a->ep, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void http_watch(struct hostd *a, struct http_conn *c, uint64_t tag)
{
	if (c->fd >= 0)
		ep_set(a, c->fd, c->out_off < c->out_len ? EPOLLOUT : EPOLLIN, tag);
}

static void fmt_text(char *dst, size_t cap, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void fmt_text(char *dst, size_t cap, const char *fmt, va_list ap)
{
	vsnprintf(dst, cap, fmt, ap);
	host_printable(dst);
}

/* --- files in the state directory ------------------------------------------------ */

static void state_path(const struct hostd *a, const char *name, const char *ext, char *out,
		       size_t cap)
{
	snprintf(out, cap, "%s/%s.%s", a->o->state_dir, name, ext);
}


/* --- memory ---------------------------------------------------------------------- */

static struct imem *mem_find(struct hostd *a, const char *name)
{
	for (size_t i = 0; i < MAX_MEM; i++)
		if (a->mem[i].used && strcmp(a->mem[i].name, name) == 0)
			return &a->mem[i];
	return NULL;
}

static struct imem *mem_get(struct hostd *a, const char *name)
{
	struct imem *m = mem_find(a, name);

	if (m)
		return m;
	for (size_t i = 0; i < MAX_MEM; i++)
		if (!a->mem[i].used) {
			m = &a->mem[i];
			memset(m, 0, sizeof(*m));
			m->used = true;
			snprintf(m->name, sizeof(m->name), "%s", name);
			m->backoff_ms = BACKOFF_FIRST_MS;
			return m;
		}
	return NULL;
}

static const char *const phase_names[] = {
	[HMSG_MIG_STARTING] = "starting", [HMSG_MIG_TRANSFER] = "transfer",
	[HMSG_MIG_DONE] = "done", [HMSG_MIG_FAILED] = "failed",
};

/* NAME.state: what must survive a restart of the agent. */
static void mem_save(struct hostd *a, const struct imem *m)
{
	char path[512], text[1024];
	int rc;

	if (a->o->once)
		return;
	state_path(a, m->name, "state", path, sizeof(path));
	snprintf(text, sizeof(text),
		 "# nimbus-hostd's memory of instance %s (hwnode/agent/hostd_loop.c)\n"
		 "reboot_known=%d\nreboot_seq=%llu\nmigration_id=%llu\nmigration_phase=%s\n"
		 "migration_started_ms=%lld\nmigration_elapsed_ms=%lld\nmigration_to=%s\n"
		 "migration_error=%s\nmigration_uncertain=%d\n",
		 m->name, m->pm.reboot_known, (unsigned long long)m->pm.reboot_seq,
		 (unsigned long long)m->mig.id, phase_names[m->mig.phase],
		 (long long)m->mig.started_ms, (long long)m->mig.elapsed_ms, m->mig_to,
		 m->mig.error, m->pm.migration_uncertain);
	rc = file_write_atomic(path, text);
	if (rc < 0)
		log_warn("instance %s: cannot write %s: %s (a restarted agent forgets it)", m->name,
			 path, strerror(-rc));
}

static void mem_forget_files(struct hostd *a, const char *name)
{
	char path[512];

	state_path(a, name, "state", path, sizeof(path));
	unlink(path);
	state_path(a, name, "xml", path, sizeof(path));
	unlink(path);
}

static long long env_ll(const char *text, const char *key)
{
	char v[64];

	return env_lookup(text, key, v, sizeof(v)) == 0 ? strtoll(v, NULL, 10) : 0;
}

/* The state directory at start: NAME.xml (hash of the XML last defined)
 * and NAME.state. */
static void mem_load(struct hostd *a)
{
	static char buf[HMSG_XML_MAX + 1];
	DIR *d = opendir(a->o->state_dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		char name[HMSG_NAME_MAX], path[512], v[HMSG_DETAIL_MAX];
		const char *dot = strrchr(e->d_name, '.');
		size_t len = dot ? (size_t)(dot - e->d_name) : 0;
		struct imem *m;

		if (!dot || len == 0 || len >= sizeof(name) ||
		    (strcmp(dot, ".xml") != 0 && strcmp(dot, ".state") != 0))
			continue;
		memcpy(name, e->d_name, len);
		name[len] = '\0';
		if (!smsg_name_ok(name) || !(m = mem_get(a, name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->o->state_dir, e->d_name);
		if (file_read(path, buf, sizeof(buf)) < 0)
			continue;
		n++;
		if (strcmp(dot, ".xml") == 0) {
			m->pm.xml_known = true;
			m->pm.xml_hash = host_plan_xml_hash(buf);
			continue;
		}
		m->pm.reboot_known = env_ll(buf, "reboot_known") != 0;
		m->pm.reboot_seq = (uint64_t)env_ll(buf, "reboot_seq");
		m->pm.migration_uncertain = env_ll(buf, "migration_uncertain") != 0;
		m->mig.id = (uint64_t)env_ll(buf, "migration_id");
		if (!m->mig.id)
			continue;
		if (env_lookup(buf, "migration_phase", v, sizeof(v)) == 0)
			for (size_t k = 0; k < 4; k++)
				if (strcmp(v, phase_names[k]) == 0)
					m->mig.phase = (enum hmsg_mig_phase)k;
		m->mig.started_ms = env_ll(buf, "migration_started_ms");
		m->mig.elapsed_ms = env_ll(buf, "migration_elapsed_ms");
		if (env_lookup(buf, "migration_to", v, sizeof(v)) == 0 && smsg_name_ok(v))
			snprintf(m->mig_to, sizeof(m->mig_to), "%.63s", v);
		if (env_lookup(buf, "migration_error", v, sizeof(v)) == 0) {
			host_printable(v);
			snprintf(m->mig.error, sizeof(m->mig.error), "%s", v);
		}
		m->pm.migration_id = m->mig.id;
		m->pm.migration_phase = m->mig.phase;
		m->mig_restored = m->mig.phase == HMSG_MIG_STARTING ||
				  m->mig.phase == HMSG_MIG_TRANSFER;
	}
	if (d)
		closedir(d);
	if (n)
		log_info("state directory %s: remembered %zu file(s) of earlier runs", a->o->state_dir, n);
}

/* --- events ---------------------------------------------------------------------- */

static void event_add(struct hostd *a, const char *inst, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void event_add(struct hostd *a, const char *inst, const char *fmt, ...)
{
	struct hmsg_event *e;
	va_list ap;

	if (a->n_events == HMSG_MAX_EVENTS) {
		memmove(&a->events[0], &a->events[1], sizeof(a->events[0]) * (HMSG_MAX_EVENTS - 1));
		a->n_events--;
	}
	e = &a->events[a->n_events++];
	memset(e, 0, sizeof(*e));
	e->seq = ++a->seq;
	e->at_ms = realtime_ms();
	snprintf(e->instance, sizeof(e->instance), "%s", inst ? inst : "");
	va_start(ap, fmt);
	fmt_text(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	if (!e->text[0])
		snprintf(e->text, sizeof(e->text), "(no text)");
	a->post_now = true;
}

static void set_error(struct imem *m, enum host_action act, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct imem *m, enum host_action act, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_text(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	m->error_act = act;
}

/* Why a child failed, for an operator: its last output line, or what
 * happened to it when it printed nothing. */
static void child_error(const struct child *c, int64_t now, const char *prog, char *dst,
			size_t cap)
{
	char line[HMSG_DETAIL_MAX];

	host_last_line(c->out, c->out_len, line, sizeof(line));
	if (now >= c->deadline_ms && c->status == 128 + SIGKILL)
		snprintf(dst, cap, "%s did not finish in time and was killed%s%.200s", prog,
			 line[0] ? ": " : "", line);
	else if (c->status == 127 && !line[0])
		snprintf(dst, cap, "cannot run %s (exit 127: not installed or not on PATH)", prog);
	else if (line[0])
		snprintf(dst, cap, "%s", line);
	else if (c->status > 128)
		snprintf(dst, cap, "%s killed by signal %d", prog, c->status - 128);
	else
		snprintf(dst, cap, "%s exited with status %d and printed nothing", prog, c->status);
	host_printable(dst);
}

/* --- children -------------------------------------------------------------------- */

static int spawn(struct hostd *a, struct child *c, uint64_t tag, char *const argv[],
		 int64_t deadline)
{
	int rc = child_spawn(c, argv, http_now_ms() + deadline);

	if (rc < 0) {
		log_err("cannot run %s: %s", argv[0], strerror(-rc));
		return rc;
	}
	ep_set(a, c->fd, EPOLLIN, tag);
	return 0;
}

static bool spawn_ch(struct hostd *a, enum ch_kind k, char *const argv[], int64_t deadline)
{
	if (spawn(a, &a->ch, EV_CH, argv, deadline) < 0)
		return false;
	a->ch_kind = k;
	a->ch_start = http_now_ms();
	return true;
}

/* --- probing --------------------------------------------------------------------- */

static void probe_finish(struct hostd *a);

static void start_xl_info_or_finish(struct hostd *a)
{
	char *argv[] = { "xl", "info", NULL };

	if (http_now_ms() >= a->xl_info_at && spawn_ch(a, CH_XL_INFO, argv, PROBE_DEADLINE_MS))
		return;
	probe_finish(a);
}

static void start_probe(struct hostd *a)
{
	char *argv[] = { "virsh", "-c", (char *)a->o->uri, HOST_VIRSH_LIST_CMD, NULL };

	a->dirty = false;
	if (spawn_ch(a, CH_VIRSH, argv, PROBE_DEADLINE_MS))
		return;
	a->libvirt = false;
	snprintf(a->libvirt_error, sizeof(a->libvirt_error), "cannot run virsh: %s",
		 strerror(errno));
	a->n_next = 0;
	start_xl_info_or_finish(a);
}

static void virsh_done(struct hostd *a, int64_t now)
{
	char err[HMSG_DETAIL_MAX] = "";
	size_t skipped = 0;
	int n = -EINVAL;
	bool any_running = false;

	if (a->ch.status == 0)
		n = host_virsh_list_parse(a->ch.out, a->next, HMSG_MAX_INSTANCES, &skipped);
	if (n < 0) {
		if (a->ch.status == 0)
			snprintf(err, sizeof(err), "virsh -c %s list printed no domain table: %.150s",
				 a->o->uri, a->ch.out);
		else
			child_error(&a->ch, now, "virsh", err, sizeof(err));
		host_printable(err);
		if (a->libvirt || !a->probed || strcmp(err, a->libvirt_error) != 0)
			log_warn("libvirt does not answer on %s: %s", a->o->uri, err);
		a->libvirt = false;
		snprintf(a->libvirt_error, sizeof(a->libvirt_error), "%s", err);
		a->n_next = 0;
		start_xl_info_or_finish(a);
		return;
	}
	if (!a->libvirt)
		log_info("libvirt answers on %s: %d domain(s) of nimbus's naming%s", a->o->uri, n,
			 a->probed ? " (again)" : "");
	if (skipped && skipped != a->skipped_logged)
		log_info("%zu domain(s) in libvirt left out of the report: not a nimbus instance "
			 "name (lower-case DNS label)", skipped);
	a->skipped_logged = skipped;
	a->libvirt = true;
	a->libvirt_error[0] = '\0';
	a->n_next = (size_t)n;
	for (size_t i = 0; i < a->n_next; i++)
		any_running |= a->next[i].id >= 0;
	if (any_running) {
		char *argv[] = { "xl", "list", NULL };

		if (spawn_ch(a, CH_XL_LIST, argv, PROBE_DEADLINE_MS))
			return;
	}
	start_xl_info_or_finish(a);
}

static void xl_list_done(struct hostd *a, int64_t now)
{
	char err[HMSG_DETAIL_MAX] = "";
	int n = -EINVAL;

	if (a->ch.status == 0)
		n = host_xl_list_parse(a->ch.out, a->xl_rows, HMSG_MAX_INSTANCES);
	if (n < 0) {
		if (a->ch.status == 0)
			snprintf(err, sizeof(err), "xl list printed no table");
		else
			child_error(&a->ch, now, "xl", err, sizeof(err));
		if (strcmp(err, a->xl_list_err) != 0)
			log_warn("xl list failed: %s (memory and vCPUs reported as 0)", err);
		snprintf(a->xl_list_err, sizeof(a->xl_list_err), "%s", err);
		n = 0;
	} else if (a->xl_list_err[0]) {
		log_info("xl list works again");
		a->xl_list_err[0] = '\0';
	}
	host_xl_apply(a->next, a->n_next, a->xl_rows, (size_t)n);
	start_xl_info_or_finish(a);
}

static void xl_info_done(struct hostd *a, int64_t now)
{
	char err[HMSG_DETAIL_MAX] = "";
	struct host_xen x;

	a->xl_info_at = now + XL_INFO_EVERY_MS;
	if (a->ch.status != 0 || host_xl_info_parse(a->ch.out, &x) < 0) {
		if (a->ch.status == 0)
			snprintf(err, sizeof(err), "xl info printed no xen_version/nr_cpus/free_memory");
		else
			child_error(&a->ch, now, "xl", err, sizeof(err));
		if (strcmp(err, a->xen_err) != 0)
			log_warn("xl info failed: %s (%s)", err, a->xen.version[0] ?
				 "Xen's figures kept from the last good one" : "no Xen figures yet: 0");
		snprintf(a->xen_err, sizeof(a->xen_err), "%s", err);
	} else {
		if (a->xen_err[0] || !a->xen.version[0])
			log_info("xl info: Xen %s, %u CPU(s), %llu MiB, %llu MiB free", x.version,
				 x.cpus, (unsigned long long)x.total_mib,
				 (unsigned long long)x.free_mib);
		a->xen_err[0] = '\0';
		if (x.free_mib > x.total_mib)
			x.free_mib = x.total_mib;
		a->xen = x;
	}
	probe_finish(a);
}

/* instbr0 exists and is up (IFF_UP in its flags). */
static bool read_bridge(void)
{
	char buf[32];

	if (file_read("/sys/class/net/" HOSTD_BRIDGE "/flags", buf, sizeof(buf)) <= 0)
		return false;
	return (strtoul(buf, NULL, 16) & 0x1) != 0;
}

/* Every AoE device the aoe driver made, its size and its paths. */
static void read_targets(struct hostd *a)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;

	a->n_targets = 0;
	while (d && (e = readdir(d)) && a->n_targets < HMSG_MAX_TARGETS) {
		static char text[16384];
		struct hmsg_target *t = &a->targets[a->n_targets];
		char path[512], buf[32];
		uint16_t shelf;
		uint8_t slot;

		if (strncmp(e->d_name, "etherd!", 7) != 0 ||
		    host_aoe_dev_parse(e->d_name, &shelf, &slot) < 0)
			continue;
		memset(t, 0, sizeof(*t));
		t->shelf = shelf;
		t->slot = slot;
		snprintf(path, sizeof(path), "/sys/block/%s/size", e->d_name);
		if (file_read(path, buf, sizeof(buf)) > 0)
			t->size_bytes = strtoull(buf, NULL, 10) * 512;
		snprintf(path, sizeof(path), "/sys/kernel/debug/aoe/e%u.%u", shelf, slot);
		if (file_read(path, text, sizeof(text)) > 0)
			t->paths = host_aoe_paths(text);
		a->n_targets++;
	}
	if (d)
		closedir(d);
}

/* The aoe driver tells its paths only in debugfs: mount it once if the
 * driver is there and debugfs is not. */
static void mount_debugfs(void)
{
	struct stat dbg, kern;

	if (access("/sys/module/aoe", F_OK) != 0 || access("/sys/kernel/debug/aoe", F_OK) == 0)
		return;
	/* something is mounted there already (without the aoe files) */
	if (stat("/sys/kernel/debug", &dbg) < 0 || stat("/sys/kernel", &kern) < 0 ||
	    dbg.st_dev != kern.st_dev)
		return;
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0)
		log_warn("cannot mount debugfs on /sys/kernel/debug: %m (AoE paths reported as 0)");
	else
		log_info("mounted debugfs on /sys/kernel/debug (the aoe driver's paths)");
}

static const struct host_dom *dom_find(const struct hostd *a, const char *name)
{
	for (size_t i = 0; a->libvirt && i < a->n_doms; i++)
		if (strcmp(a->doms[i].name, name) == 0)
			return &a->doms[i];
	return NULL;
}

static const struct hmsg_want_instance *want_find(const struct hostd *a, const char *name)
{
	for (size_t i = 0; a->have_want && i < a->want.n_instances; i++)
		if (strcmp(a->want.instances[i].name, name) == 0)
			return &a->want.instances[i];
	return NULL;
}

/* What the new probe says happened without the agent's doing, or what
 * its doing led to: a clean shutdown finished, a domain stopped by
 * itself, a migration the agent was restarted in the middle of. */
static void observe(struct hostd *a, int64_t now)
{
	for (size_t i = 0; i < MAX_MEM; i++) {
		struct imem *m = &a->mem[i];
		const struct host_dom *d;
		bool active;

		if (!m->used)
			continue;
		d = dom_find(a, m->name);
		active = d && host_dom_active(d->state);
		/* The agent was restarted while it migrated this one: libvirtd
		 * may still be at it. Gone from here: done. Still here after
		 * the migration's whole deadline: failed, without a verdict. */
		if (m->mig_restored && !m->pm.migration_running &&
		    (!d || realtime_ms() - m->mig.started_ms >= MIGRATE_DEADLINE_MS)) {
			m->mig_restored = false;
			m->mig.elapsed_ms = realtime_ms() - m->mig.started_ms;
			if (d) {
				m->mig.phase = HMSG_MIG_FAILED;
				m->pm.migration_uncertain = true;
				snprintf(m->mig.error, sizeof(m->mig.error),
					 "nimbus-hostd restarted while the migration ran; the domain "
					 "is still here (%s) after %d s", hmsg_dom_state_name(d->state),
					 MIGRATE_DEADLINE_MS / 1000);
				event_add(a, m->name, "migration to %s failed: %s", m->mig_to,
					  m->mig.error);
			} else {
				m->mig.phase = HMSG_MIG_DONE;
				event_add(a, m->name, "migrated to %s in %.1f s (nimbus-hostd restarted "
					  "during the migration; the domain is gone from here)", m->mig_to,
					  secs(m->mig.elapsed_ms));
			}
			m->pm.migration_phase = m->mig.phase;
			log_info("instance %s: migration %llu settled after a restart: %s", m->name,
				 (unsigned long long)m->mig.id, phase_names[m->mig.phase]);
			mem_save(a, m);
		}
		if (m->pm.shutdown_sent_ms && !active) {
			event_add(a, m->name, "stopped cleanly after %.1f s",
				  secs(now - m->pm.shutdown_sent_ms));
			log_info("instance %s: stopped cleanly after %.1f s", m->name,
				 secs(now - m->pm.shutdown_sent_ms));
			m->pm.shutdown_sent_ms = 0;
			a->xl_info_at = now;
		} else if (m->was_active && !active && !m->stop_by_agent &&
			   !m->pm.migration_running && m->mig.phase != HMSG_MIG_DONE) {
			event_add(a, m->name, "stopped, not by nimbus-hostd (%s)",
				  d ? hmsg_dom_state_name(d->state) : "no longer defined");
			log_warn("instance %s: stopped, not by this agent (%s)", m->name,
				 d ? hmsg_dom_state_name(d->state) : "no longer defined");
			a->xl_info_at = now;
		}
		if (!active)
			m->stop_by_agent = false;
		m->was_active = active;
	}
}

/* Memory of instances nimbusd no longer names and libvirt no longer has. */
static void mem_gc(struct hostd *a)
{
	if (!a->have_want || !a->libvirt)
		return;
	for (size_t i = 0; i < MAX_MEM; i++) {
		struct imem *m = &a->mem[i];
		const struct hmsg_want_instance *w;

		if (!m->used || m->pm.migration_running || strcmp(m->name, a->ch_inst) == 0)
			continue;
		w = want_find(a, m->name);
		/* a migration record lives while nimbusd asks for that migration */
		if (m->mig.id && (!w || w->migrate.id != m->mig.id)) {
			log_info("instance %s: migration %llu (%s) no longer asked for: forgotten",
				 m->name, (unsigned long long)m->mig.id, phase_names[m->mig.phase]);
			memset(&m->mig, 0, sizeof(m->mig));
			m->pm.migration_id = 0;
			m->pm.migration_phase = HMSG_MIG_STARTING;
			m->mig_to[0] = '\0';
			if (w || dom_find(a, m->name))
				mem_save(a, m);
		}
		if (w || dom_find(a, m->name) || m->mig.id)
			continue;
		mem_forget_files(a, m->name);
		m->used = false;
	}
}

/* --- actions --------------------------------------------------------------------- */

static int64_t action_deadline(enum host_action act)
{
	switch (act) {
	case HA_START: return 300000;    /* libxl builds the domain: 15-26 s under TCG */
	case HA_DESTROY: case HA_REBOOT: return 120000;
	default: return 60000;
	}
}

static void fail_step(struct hostd *a, struct imem *m, enum host_action act, const char *why,
		      int64_t now, int64_t took)
{
	set_error(m, act, "%s failed: %s", host_action_name(act), why);
	event_add(a, m->name, "%s", m->error);
	log_warn("instance %s: %s failed after %.1f s: %s (again in %lld s)", m->name,
		 host_action_name(act), secs(took), why, (long long)(m->backoff_ms / 1000));
	m->retry_at = now + m->backoff_ms;
	m->backoff_ms = m->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : m->backoff_ms * 2;
}

static void run_action(struct hostd *a, const struct hmsg_want_instance *w, struct imem *m,
		       const struct host_plan *p)
{
	static char file[512];
	char *verb = (char *)host_action_name(p->action);
	char *argv[] = { "virsh", "-c", (char *)a->o->uri, verb, (char *)w->name, NULL };
	int64_t now = http_now_ms();
	int rc;

	log_info("instance %s: %s (%s)", w->name, verb, p->reason);
	if (p->action == HA_DEFINE) {
		state_path(a, w->name, "xml.new", file, sizeof(file));
		rc = file_write_atomic(file, w->domain_xml);
		if (rc < 0) {
			char why[HMSG_DETAIL_MAX];

			snprintf(why, sizeof(why), "cannot write %.200s: %s", file, strerror(-rc));
			fail_step(a, m, p->action, why, now, 0);
			return;
		}
		argv[4] = file;
	}
	snprintf(a->ch_inst, sizeof(a->ch_inst), "%s", w->name);
	a->ch_act = p->action;
	a->ch_timed_out = p->timed_out;
	a->ch_timeout_s = w->stop_timeout_s;
	a->ch_xml_hash = host_plan_xml_hash(w->domain_xml);
	a->ch_reboot_seq = w->reboot_seq;
	if (!spawn_ch(a, CH_ACTION, argv, action_deadline(p->action))) {
		char why[HMSG_DETAIL_MAX];

		snprintf(why, sizeof(why), "cannot run virsh: %s", strerror(errno));
		fail_step(a, m, p->action, why, now, 0);
		a->ch_inst[0] = '\0';
		a->dirty = true;
	}
}

static void action_done(struct hostd *a, int64_t now)
{
	struct imem *m = mem_get(a, a->ch_inst);
	enum host_action act = a->ch_act;
	int64_t took = now - a->ch_start;
	char file[512], xml[512];

	a->ch_inst[0] = '\0';
	a->dirty = true;
	a->post_now = true;
	if (!m)
		return;
	if (a->ch.status != 0) {
		char why[HMSG_DETAIL_MAX];

		child_error(&a->ch, now, "virsh", why, sizeof(why));
		if (act == HA_DEFINE) {
			state_path(a, m->name, "xml.new", file, sizeof(file));
			unlink(file);
		}
		fail_step(a, m, act, why, now, took);
		return;
	}
	if (m->error[0] && m->error_act == act) {
		log_info("instance %s: %s succeeded: last error cleared (%s)", m->name,
			 host_action_name(act), m->error);
		m->error[0] = '\0';
	}
	m->backoff_ms = BACKOFF_FIRST_MS;
	m->retry_at = 0;
	switch (act) {
	case HA_DEFINE:
		state_path(a, m->name, "xml.new", file, sizeof(file));
		state_path(a, m->name, "xml", xml, sizeof(xml));
		if (rename(file, xml) < 0)
			log_warn("instance %s: cannot rename %s to %s: %m (defined anyway)", m->name,
				 file, xml);
		m->pm.xml_known = true;
		m->pm.xml_hash = a->ch_xml_hash;
		event_add(a, m->name, "defined");
		break;
	case HA_START:
		m->pm.reboot_known = true;
		m->pm.reboot_seq = a->ch_reboot_seq;   /* a fresh boot is every reboot asked */
		mem_save(a, m);
		a->xl_info_at = now;
		event_add(a, m->name, "started");
		break;
	case HA_SHUTDOWN:
		m->pm.shutdown_sent_ms = a->ch_start;
		m->stop_by_agent = true;
		break;
	case HA_DESTROY:
		if (a->ch_timed_out)
			event_add(a, m->name, "destroyed: no clean shutdown within %u s",
				  a->ch_timeout_s);
		else
			event_add(a, m->name, "destroyed");
		m->pm.shutdown_sent_ms = 0;
		m->stop_by_agent = true;
		a->xl_info_at = now;
		break;
	case HA_UNDEFINE:
		/* nothing of it is left here to remember (but a migration's record) */
		if (!m->mig.id) {
			mem_forget_files(a, m->name);
		} else {
			state_path(a, m->name, "xml", xml, sizeof(xml));
			unlink(xml);
		}
		m->pm.xml_known = false;
		event_add(a, m->name, "undefined");
		break;
	case HA_REBOOT:
		m->pm.reboot_seq = a->ch_reboot_seq;
		m->pm.reboot_sent_ms = a->ch_start;
		m->stop_by_agent = true;   /* a probe may catch it between two lives */
		mem_save(a, m);
		event_add(a, m->name, "rebooted");
		break;
	default:
		break;
	}
	log_info("instance %s: %s done in %.1f s", m->name, host_action_name(act), secs(took));
}

/* --- migrations ------------------------------------------------------------------ */

static void migration_failed_now(struct hostd *a, struct imem *m, const char *to, const char *why)
{
	m->mig.phase = HMSG_MIG_FAILED;
	m->mig.elapsed_ms = 0;
	snprintf(m->mig.error, sizeof(m->mig.error), "%s", why);
	host_printable(m->mig.error);
	m->pm.migration_phase = HMSG_MIG_FAILED;
	event_add(a, m->name, "migration to %s failed after 0.0 s: %s", to, m->mig.error);
	log_warn("instance %s: migration %llu to %s refused: %s", m->name,
		 (unsigned long long)m->mig.id, to, m->mig.error);
	mem_save(a, m);
}

static void start_migration(struct hostd *a, const struct hmsg_want_instance *w, struct imem *m,
			    const struct host_plan *p)
{
	char addr[INET_ADDRSTRLEN], dst[96], stream[64];
	char *argv[] = { "virsh", "-c", (char *)a->o->uri, "migrate", "--live", "--p2p",
			 "--persistent", "--undefinesource", (char *)w->name, dst, stream, NULL };

	inet_ntop(AF_INET, &w->migrate.to_addr, addr, sizeof(addr));
	snprintf(dst, sizeof(dst), "xen+tls://%s/system", addr);
	snprintf(stream, sizeof(stream), "tcp://%s", addr);
	memset(&m->mig, 0, sizeof(m->mig));
	m->mig.id = w->migrate.id;
	m->mig.phase = HMSG_MIG_STARTING;
	m->mig.started_ms = realtime_ms();
	m->mig_mono = http_now_ms();
	snprintf(m->mig_to, sizeof(m->mig_to), "%s", w->migrate.to);
	m->pm.migration_id = m->mig.id;
	m->pm.migration_phase = HMSG_MIG_STARTING;
	if (p->action == HA_MIGRATE_REFUSE) {
		migration_failed_now(a, m, w->migrate.to, p->reason);
		return;
	}
	log_info("instance %s: migrating to %s (%s), migration %llu", w->name, w->migrate.to, addr,
		 (unsigned long long)m->mig.id);
	if (spawn(a, &a->mig, EV_MIG, argv, MIGRATE_DEADLINE_MS) < 0) {
		char why[HMSG_DETAIL_MAX];

		snprintf(why, sizeof(why), "cannot run virsh: %s", strerror(errno));
		migration_failed_now(a, m, w->migrate.to, why);
		return;
	}
	snprintf(a->mig_inst, sizeof(a->mig_inst), "%s", w->name);
	m->mig.phase = HMSG_MIG_TRANSFER;
	m->pm.migration_phase = HMSG_MIG_TRANSFER;
	m->pm.migration_running = true;
	a->post_now = true;
	mem_save(a, m);
}

static void migration_done(struct hostd *a, int64_t now)
{
	struct imem *m = mem_find(a, a->mig_inst);
	char why[HMSG_DETAIL_MAX], xml[512];

	a->mig_inst[0] = '\0';
	a->dirty = true;
	a->post_now = true;
	a->xl_info_at = now;
	if (!m)
		return;
	m->pm.migration_running = false;
	m->mig.elapsed_ms = now - m->mig_mono;
	if (a->mig.status == 0) {
		m->mig.phase = HMSG_MIG_DONE;
		m->mig.error[0] = '\0';
		/* --undefinesource: libvirt here no longer has it */
		state_path(a, m->name, "xml", xml, sizeof(xml));
		unlink(xml);
		m->pm.xml_known = false;
		m->was_active = false;
		event_add(a, m->name, "migrated to %s in %.1f s", m->mig_to, secs(m->mig.elapsed_ms));
		log_info("instance %s: migrated to %s in %.1f s (migration %llu)", m->name, m->mig_to,
			 secs(m->mig.elapsed_ms), (unsigned long long)m->mig.id);
	} else {
		child_error(&a->mig, now, "virsh migrate", why, sizeof(why));
		if (now >= a->mig.deadline_ms) {
			snprintf(why, sizeof(why), "no result within %d s: virsh killed; libvirtd "
				 "may still be migrating (if the domain leaves this node it is not "
				 "started here again)", MIGRATE_DEADLINE_MS / 1000);
			m->pm.migration_uncertain = true;
		}
		m->mig.phase = HMSG_MIG_FAILED;
		snprintf(m->mig.error, sizeof(m->mig.error), "%s", why);
		event_add(a, m->name, "migration to %s failed after %.1f s: %s", m->mig_to,
			  secs(m->mig.elapsed_ms), why);
		log_warn("instance %s: migration %llu to %s failed after %.1f s: %s", m->name,
			 (unsigned long long)m->mig.id, m->mig_to, secs(m->mig.elapsed_ms), why);
	}
	m->pm.migration_phase = m->mig.phase;
	mem_save(a, m);
}

/* --- deciding -------------------------------------------------------------------- */

static void decide(struct hostd *a)
{
	int64_t now = http_now_ms();
	bool settled = true, acted = false;

	a->busy = a->mig.pid != 0;
	if (!a->have_want || !a->libvirt || a->o->once)
		return;
	for (size_t i = 0; i < a->want.n_instances; i++) {
		const struct hmsg_want_instance *w = &a->want.instances[i];
		const struct host_dom *d = dom_find(a, w->name);
		struct host_have h = { .exists = d != NULL, .state = d ? d->state : HMSG_DOM_SHUTOFF,
				       .persistent = d && d->persistent };
		struct imem *m = mem_get(a, w->name);
		struct host_plan p;

		if (!m) {
			settled = false;
			continue;
		}
		if (!m->pm.reboot_known) {
			/* first sight: what nimbusd asked before is done */
			m->pm.reboot_known = true;
			m->pm.reboot_seq = w->reboot_seq;
			mem_save(a, m);
		}
		if (m->pm.migration_uncertain &&
		    (d || w->state == HMSG_WANT_INCOMING || w->state == HMSG_WANT_ABSENT)) {
			log_info("instance %s: %s: the migration without a verdict no longer holds it",
				 w->name, d ? "its domain is here" : hmsg_want_state_name(w->state));
			m->pm.migration_uncertain = false;
			mem_save(a, m);
		}
		p = host_plan_next(w, &h, &m->pm, now);
		if (p.action == HA_NONE && !d && m->pm.migration_uncertain) {
			/* held (host_plan.h, rule 5b): say so, until nimbusd decides */
			if (!m->error[0]) {
				set_error(m, HA_NONE, "not started here: it left this node during a "
					  "migration without a verdict and may run on the target");
				log_warn("instance %s: %s", w->name, m->error);
				a->post_now = true;
			}
			m->last_reason = p.reason;
			continue;
		}
		if (p.action == HA_NONE) {
			if (p.reason != m->last_reason)
				log_info("instance %s: %s", w->name, p.reason);
			m->last_reason = p.reason;
			if (!p.settled) {
				settled = false;
			} else if (m->error[0]) {
				log_info("instance %s: %s; clearing the last error (%s)", w->name,
					 p.reason, m->error);
				m->error[0] = '\0';
				a->post_now = true;
			}
			continue;
		}
		m->last_reason = NULL;
		settled = false;
		if (now < m->retry_at)
			continue;
		if (p.action == HA_MIGRATE || p.action == HA_MIGRATE_REFUSE) {
			if (p.action == HA_MIGRATE && a->mig.pid)
				continue;   /* one migration at a time */
			start_migration(a, w, m, &p);
			continue;
		}
		if (acted || a->ch.pid)
			continue;
		run_action(a, w, m, &p);
		acted = true;
	}
	a->busy = a->busy || !settled || a->mig.pid != 0;
	if (settled && a->applied != a->want.generation) {
		log_info("converged to generation %llu (%zu instance(s))",
			 (unsigned long long)a->want.generation, a->want.n_instances);
		a->applied = a->want.generation;
		a->post_now = true;
	}
}

/* --- observed state -------------------------------------------------------------- */

static struct hmsg_have_instance obs_inst[HMSG_MAX_INSTANCES];

static bool report_migration(const struct hostd *a, const struct imem *m)
{
	const struct hmsg_want_instance *w;

	if (!m->mig.id)
		return false;
	if (!a->have_want)
		return true;
	w = want_find(a, m->name);
	return w && w->migrate.id == m->mig.id;
}

/* The observed state as it is now; clocks: false leaves out what only
 * time changes (a running migration's elapsed_ms), for comparing. */
static void build_observed(struct hostd *a, struct hmsg_observed *o, bool clocks)
{
	int64_t now = http_now_ms();

	memset(o, 0, sizeof(*o));
	memcpy(o->mac, a->o->mac, MAC_LEN);
	snprintf(o->node, sizeof(o->node), "%s", a->node[0] ? a->node : "unknown");
	o->generation = a->applied;
	o->started_ms = a->started_ms;
	o->libvirt = a->libvirt;
	snprintf(o->libvirt_error, sizeof(o->libvirt_error), "%s", a->libvirt_error);
	snprintf(o->xen_version, sizeof(o->xen_version), "%s", a->xen.version);
	o->xen_major = a->xen.major;
	o->xen_minor = a->xen.minor;
	o->cpus = a->xen.cpus;
	o->memory_total_mib = a->xen.total_mib;
	o->memory_free_mib = a->xen.free_mib;
	o->instance_bridge = a->bridge;
	o->targets = a->targets;
	o->n_targets = a->n_targets;
	o->instances = obs_inst;
	for (size_t i = 0; a->libvirt && i < a->n_doms; i++) {
		struct hmsg_have_instance *h = &obs_inst[o->n_instances++];
		const struct host_dom *d = &a->doms[i];
		const struct imem *m = mem_find(a, d->name);

		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", d->name);
		h->state = d->state;
		h->persistent = d->persistent;
		h->memory_mib = d->memory_mib;
		h->vcpus = d->vcpus;
		if (m) {
			snprintf(h->error, sizeof(h->error), "%s", m->error);
			if (report_migration(a, m))
				h->migration = m->mig;
		}
	}
	/* Pseudo-entries (state shutoff, persistent false: no such domain
	 * in libvirt) for what only the agent knows of an instance libvirt
	 * does not have: a finished migration nimbusd still asks about, the
	 * error of a step that never made a domain. Without libvirt, only
	 * a migration done (that needs no libvirt to be true). */
	for (size_t i = 0; i < MAX_MEM && o->n_instances < HMSG_MAX_INSTANCES; i++) {
		const struct imem *m = &a->mem[i];
		struct hmsg_have_instance *h;
		bool mig = report_migration(a, m);

		if (!m->used || dom_find(a, m->name))
			continue;
		if (a->libvirt ? !mig && !(m->error[0] && want_find(a, m->name)) :
				 !(mig && m->mig.phase == HMSG_MIG_DONE))
			continue;
		h = &obs_inst[o->n_instances++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", m->name);
		h->state = HMSG_DOM_SHUTOFF;
		h->persistent = false;
		if (a->libvirt)
			snprintf(h->error, sizeof(h->error), "%s", m->error);
		if (mig)
			h->migration = m->mig;
	}
	for (size_t i = 0; i < o->n_instances; i++) {
		struct hmsg_have_migration *hm = &obs_inst[i].migration;
		const struct imem *m = mem_find(a, obs_inst[i].name);

		if (hm->id && m && m->pm.migration_running)
			hm->elapsed_ms = clocks ? now - m->mig_mono : 0;
		else if (hm->id && m && m->mig_restored)
			hm->elapsed_ms = clocks && realtime_ms() > m->mig.started_ms ?
					 realtime_ms() - m->mig.started_ms : 0;
	}
	memcpy(o->events, a->events, sizeof(a->events[0]) * a->n_events);
	o->n_events = a->n_events;
}

static char *encode_observed(struct hostd *a, bool clocks)
{
	static struct hmsg_observed o;
	char *text = NULL;
	int rc;

	build_observed(a, &o, clocks);
	rc = hmsg_observed_encode(&o, &text);
	if (rc < 0) {
		log_err("cannot encode the observed state: %s", strerror(-rc));
		return NULL;
	}
	return text;
}

/* The observed state differs from the one posted (or being posted). */
static void check_changed(struct hostd *a)
{
	char *sig;

	if (a->o->once)
		return;
	sig = encode_observed(a, false);
	if (!sig)
		return;
	if ((!a->sig_posted || strcmp(sig, a->sig_posted) != 0) &&
	    (!a->sig_inflight || strcmp(sig, a->sig_inflight) != 0))
		a->post_now = true;
	free(sig);
}

static void start_post(struct hostd *a)
{
	char *text = encode_observed(a, true);
	int64_t now = http_now_ms();
	int rc;

	a->post_now = false;
	a->post_due = now + (int64_t)a->o->probe_interval_s * 1000;
	if (!text) {
		a->post_retry = now + POST_RETRY_MS;
		return;
	}
	free(a->sig_inflight);
	a->sig_inflight = encode_observed(a, false);
	rc = http_start(&a->post, a->o->server_ip, a->o->server_port, "POST", "/v1/host/observed",
			text, now + POST_DEADLINE_MS);
	free(text);
	if (rc < 0) {
		char err[256];

		snprintf(err, sizeof(err), "%s", strerror(-rc));
		if (strcmp(err, a->post_err) != 0)
			log_warn("POST observed state to nimbusd: %s", err);
		snprintf(a->post_err, sizeof(a->post_err), "%s", err);
		a->post_retry = now + POST_RETRY_MS;
		return;
	}
	http_watch(a, &a->post, EV_POST);
}

static void post_done(struct hostd *a, int rc)
{
	char err[256] = "";

	if (rc < 0)
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	else if (a->post.status != 200)
		snprintf(err, sizeof(err), "nimbusd answered %d: %.200s", a->post.status,
			 a->post.body ? a->post.body : "");
	host_printable(err);
	if (err[0]) {
		if (strcmp(err, a->post_err) != 0)
			log_warn("POST observed state to nimbusd: %s", err);
		a->post_retry = http_now_ms() + POST_RETRY_MS;
	} else {
		if (a->post_err[0])
			log_info("POST observed state: nimbusd accepts it again");
		free(a->sig_posted);
		a->sig_posted = a->sig_inflight;
		a->sig_inflight = NULL;
	}
	snprintf(a->post_err, sizeof(a->post_err), "%s", err);
	http_close(&a->post);
}

/* --- the libvirt certificate ----------------------------------------------------- */

/* Live migration is libvirtd to libvirtd over TLS with client
 * certificates; the node's comes from nimbusd: a key and a CSR made here
 * (host_cert.c), POST /v1/host/certificate, the five files written, then
 * libvirtd restarted so that it listens for TLS (nimbus-libvirtd-start).
 * Looked at when the agent starts and at nimbusd's desired state answers,
 * at most every CERT_GAP_MS: one is asked for when it is missing, does
 * not match its key, is for another node name or expires within
 * HOST_CERT_RENEW_S. Failures are logged once each and tried again the
 * same way; nothing of it waits: the request is the loop's, the restart
 * one child among the probes and steps. */

static void cert_failed(struct hostd *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cert_failed(struct hostd *a, const char *fmt, ...)
{
	char err[HOST_CERT_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_text(err, sizeof(err), fmt, ap);
	va_end(ap);
	if (strcmp(err, a->cert_err) != 0)
		log_warn("libvirt certificate from nimbusd: %s (asked again with a desired state, "
			 "at most every %d s)", err, CERT_GAP_MS / 1000);
	snprintf(a->cert_err, sizeof(a->cert_err), "%s", err);
	http_close(&a->cert);
	host_cert_free_key(a->cert_key);
	a->cert_key = NULL;
}

static void cert_start(struct hostd *a)
{
	static struct hmsg_cert_req req;
	char err[HOST_CERT_ERR_MAX], *key = NULL, *csr = NULL, *json = NULL;
	int rc;

	if (host_cert_make_csr(a->node, &key, &csr, err) < 0) {
		cert_failed(a, "%s", err);
		return;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.mac, a->o->mac, MAC_LEN);
	snprintf(req.node, sizeof(req.node), "%s", a->node);
	if (strlen(csr) >= sizeof(req.csr)) {
		free(csr);
		host_cert_free_key(key);
		cert_failed(a, "the certificate request is longer than %d bytes", HMSG_PEM_MAX - 1);
		return;
	}
	memcpy(req.csr, csr, strlen(csr) + 1);
	free(csr);
	rc = hmsg_cert_req_encode(&req, &json);
	if (rc < 0) {
		host_cert_free_key(key);
		cert_failed(a, "cannot encode the certificate request: %s", strerror(-rc));
		return;
	}
	rc = http_start(&a->cert, a->o->server_ip, a->o->server_port, "POST",
			"/v1/host/certificate", json, http_now_ms() + CERT_DEADLINE_MS);
	free(json);
	a->cert_key = key;
	if (rc < 0) {
		cert_failed(a, "%s", strerror(-rc));
		return;
	}
	http_watch(a, &a->cert, EV_CERT);
}

/* At start and after each desired state answer. */
static void cert_maybe(struct hostd *a)
{
	struct host_cert_info info;
	char why[HOST_CERT_ERR_MAX];
	int64_t now = http_now_ms();

	if (a->o->once || a->cert.fd >= 0 || a->cert_restart || a->ch_kind == CH_RESTART ||
	    !a->node[0] || now < a->cert_next)
		return;
	a->cert_next = now + CERT_GAP_MS;
	/* the CN against the name nimbusd gives, not the boot environment's */
	if (!host_cert_needed(&a->pki, a->have_want ? a->node : NULL, realtime_ms() / 1000, &info,
			      why)) {
		a->cert_why[0] = '\0';
		return;
	}
	a->cert_renewal = info.not_after > realtime_ms() / 1000;
	if (strcmp(why, a->cert_why) != 0)
		log_info("libvirt certificate: %s: asking nimbusd for one", why);
	snprintf(a->cert_why, sizeof(a->cert_why), "%s", why);
	cert_start(a);
}

static void cert_done(struct hostd *a, int rc)
{
	static struct hmsg_cert_reply rep;
	char err[HOST_CERT_ERR_MAX], derr[HMSG_ERR_MAX], date[HOST_CERT_DATE_MAX];
	struct host_cert_info info;

	if (rc < 0) {
		cert_failed(a, "%s", rc == -ETIMEDOUT ? "no answer within 10 s" : strerror(-rc));
		return;
	}
	if (a->cert.status != 200) {
		cert_failed(a, "nimbusd answered %d: %.200s", a->cert.status,
			    a->cert.body ? a->cert.body : "");
		return;
	}
	if (hmsg_cert_reply_decode(a->cert.body, a->cert.body_len, &rep, derr) < 0) {
		cert_failed(a, "bad reply: %s", derr);
		return;
	}
	if (host_cert_check_reply(rep.ca, rep.cert, a->cert_key, realtime_ms() / 1000, &info,
				  err) < 0) {
		cert_failed(a, "not taken: %s", err);
		return;
	}
	if (host_cert_install(&a->pki, rep.ca, rep.cert, a->cert_key, err) < 0) {
		cert_failed(a, "%s", err);
		return;
	}
	if (rep.not_after != info.not_after)
		log_warn("libvirt certificate: nimbusd's not_after %lld is not the certificate's %lld "
			 "(the certificate's holds)", (long long)rep.not_after,
			 (long long)info.not_after);
	host_cert_date(info.not_after, date);
	log_debug("libvirt certificate for %s, valid until %s, written to %s and %s",
		  info.cn, date, a->pki.libvirt_dir, a->pki.ca_dir);
	http_close(&a->cert);
	host_cert_free_key(a->cert_key);
	a->cert_key = NULL;
	a->cert_err[0] = a->cert_why[0] = '\0';
	a->cert_new = info;
	a->cert_restart = true;
}

/* A live migration may be under way through libvirtd, to or from here:
 * restarting libvirtd would break it. */
static bool migration_under_way(struct hostd *a)
{
	if (a->mig.pid)
		return true;
	for (size_t i = 0; i < MAX_MEM; i++)
		if (a->mem[i].used && a->mem[i].mig_restored)
			return true;
	for (size_t i = 0; a->have_want && i < a->want.n_instances; i++) {
		const struct hmsg_want_instance *w = &a->want.instances[i];
		const struct imem *m;

		if (w->state == HMSG_WANT_INCOMING)
			return true;
		if (!w->migrate.id)
			continue;
		m = mem_find(a, w->name);
		if (!m || m->mig.id != w->migrate.id || m->mig.phase == HMSG_MIG_STARTING ||
		    m->mig.phase == HMSG_MIG_TRANSFER)
			return true;
	}
	return false;
}

/* The new certificate is on disk: libvirtd reads it when it starts. With
 * the child slot free (between probes and steps), and, when it replaces
 * one libvirtd may be using, no migration the restart would cut (without
 * one, no TLS migration can be under way: nothing to wait for, and a
 * target kept `incoming` cannot hold the first certificate back). */
static bool start_restart(struct hostd *a)
{
	char *argv[] = { "systemctl", "restart", LIBVIRTD_UNIT, NULL };

	if (a->cert_renewal && migration_under_way(a)) {
		if (!a->restart_waits)
			log_info("libvirt certificate: restarting libvirtd waits for the live "
				 "migration under way");
		a->restart_waits = true;
		return false;
	}
	a->restart_waits = false;
	a->cert_restart = false;
	log_info("libvirt certificate: systemctl restart " LIBVIRTD_UNIT);
	if (spawn_ch(a, CH_RESTART, argv, RESTART_DEADLINE_MS))
		return true;
	{
		char date[HOST_CERT_DATE_MAX];

		host_cert_date(a->cert_new.not_after, date);
		log_warn("libvirt certificate for %s from nimbusd, valid until %s; cannot run "
			 "systemctl: %s (libvirtd keeps its TLS setup until it restarts)", a->node,
			 date, strerror(errno));
		event_add(a, "", "libvirt certificate from nimbusd, valid until %s; cannot restart "
			  "libvirtd: %s", date, strerror(errno));
	}
	return false;
}

static void restart_done(struct hostd *a, int64_t now)
{
	char date[HOST_CERT_DATE_MAX];

	host_cert_date(a->cert_new.not_after, date);
	a->probe_hold = now + RESTART_QUIET_MS;
	a->dirty = true;
	a->post_now = true;
	if (a->ch.status == 0) {
		log_info("libvirt certificate for %s from nimbusd, valid until %s; libvirtd restarted",
			 a->node, date);
		event_add(a, "", "libvirt certificate from nimbusd, valid until %s; libvirtd restarted",
			  date);
	} else {
		char why[HMSG_DETAIL_MAX];

		child_error(&a->ch, now, "systemctl", why, sizeof(why));
		log_warn("libvirt certificate for %s from nimbusd, valid until %s; restarting libvirtd "
			 "failed: %s", a->node, date, why);
		event_add(a, "", "libvirt certificate from nimbusd, valid until %s; restarting "
			  "libvirtd failed: %s", date, why);
	}
}

/* --- desired state --------------------------------------------------------------- */

static void poll_failed(struct hostd *a, const char *err)
{
	char e[256];

	snprintf(e, sizeof(e), "%s", err);
	host_printable(e);
	if (strcmp(e, a->poll_err) != 0)
		log_warn("GET desired state from nimbusd: %s (asking again every %d s)", e,
			 POLL_RETRY_MS / 1000);
	snprintf(a->poll_err, sizeof(a->poll_err), "%s", e);
	http_close(&a->poll);
	a->poll_at = http_now_ms() + POLL_RETRY_MS;
}

static void start_poll(struct hostd *a)
{
	char path[128], m[MAC_STR_LEN];
	int rc;

	mac_format(a->o->mac, m);
	snprintf(path, sizeof(path), "/v1/host/desired/%s/%llu", m,
		 (unsigned long long)(a->have_want ? a->want.generation : 0));
	a->poll_at = 0;
	a->poll_sent = http_now_ms();
	rc = http_start(&a->poll, a->o->server_ip, a->o->server_port, "GET", path, NULL,
			a->poll_sent + POLL_DEADLINE_MS);
	if (rc < 0) {
		poll_failed(a, strerror(-rc));
		return;
	}
	http_watch(a, &a->poll, EV_POLL);
}

static void poll_done(struct hostd *a, int rc)
{
	struct hmsg_desired d;
	char err[HMSG_ERR_MAX], msg[256];
	bool changed;

	if (rc < 0) {
		poll_failed(a, rc == -ETIMEDOUT ? "no answer within 35 s" : strerror(-rc));
		return;
	}
	if (a->poll.status != 200) {
		snprintf(msg, sizeof(msg), "nimbusd answered %d: %.200s", a->poll.status,
			 a->poll.body ? a->poll.body : "");
		poll_failed(a, msg);
		return;
	}
	memset(&d, 0, sizeof(d));
	if (hmsg_desired_decode(a->poll.body, a->poll.body_len, &d, err) < 0) {
		hmsg_desired_free(&d);
		snprintf(msg, sizeof(msg), "bad desired state: %s", err);
		poll_failed(a, msg);
		return;
	}
	http_close(&a->poll);
	if (a->poll_err[0])
		log_info("GET desired state: nimbusd answers again");
	a->poll_err[0] = '\0';
	changed = !a->have_want || d.generation != a->want.generation;
	if (changed) {
		log_info("desired state: node %s, generation %llu, %zu instance(s)", d.node,
			 (unsigned long long)d.generation, d.n_instances);
		if (a->have_want)
			hmsg_desired_free(&a->want);
		a->want = d;
		a->have_want = true;
		if (strcmp(a->node, d.node) != 0) {
			if (a->node[0])
				log_warn("nimbusd names this node %s (it was %s)", d.node, a->node);
			snprintf(a->node, sizeof(a->node), "%s", d.node);
			a->cert_next = 0;   /* the certificate's CN is to be looked at */
		}
		a->dirty = true;
		a->post_now = true;
	} else {
		hmsg_desired_free(&d);
	}
	cert_maybe(a);
	/* ask again at once; a nimbusd that does not hold the request would
	 * make that a busy loop, so an unchanged quick answer waits a bit */
	if (!changed && http_now_ms() - a->poll_sent < POLL_MIN_GAP_MS)
		a->poll_at = a->poll_sent + POLL_MIN_GAP_MS;
	else
		start_poll(a);
}

/* --- the loop -------------------------------------------------------------------- */

static void probe_finish(struct hostd *a)
{
	int64_t now = http_now_ms();

	a->ch_kind = CH_NONE;
	a->bridge = read_bridge();
	read_targets(a);
	memcpy(a->doms, a->next, sizeof(a->doms[0]) * a->n_next);
	a->n_doms = a->n_next;
	a->probed = true;
	if (a->libvirt)
		observe(a, now);
	decide(a);
	mem_gc(a);
	a->probe_at = now + (a->busy ? BUSY_PROBE_MS : (int64_t)a->o->probe_interval_s * 1000);
	check_changed(a);
	if (a->o->once) {
		char *text = encode_observed(a, true);

		if (text) {
			printf("%s\n", text);
			fflush(stdout);
			free(text);
		}
		a->stop = true;
	}
}

static void ch_done(struct hostd *a, int64_t now)
{
	enum ch_kind k = a->ch_kind;

	a->ch_kind = CH_NONE;
	switch (k) {
	case CH_VIRSH: virsh_done(a, now); break;
	case CH_XL_LIST: xl_list_done(a, now); break;
	case CH_XL_INFO: xl_info_done(a, now); break;
	case CH_ACTION: action_done(a, now); check_changed(a); break;
	case CH_RESTART: restart_done(a, now); break;
	case CH_NONE: break;
	}
}

static int sig_write_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (sig_write_fd >= 0 && write(sig_write_fd, &b, 1) < 0) {
		/* full pipe: a stop is already pending */
	}
	errno = saved;
}

static int64_t earliest(int64_t x, int64_t y)
{
	return x == 0 ? y : y == 0 ? x : x < y ? x : y;
}

/* When the loop must look again at a child: its deadline, or soon once
 * its output closed and only its exit status is left to collect. */
static int64_t child_wake(const struct child *c, int64_t now)
{
	if (!c->pid)
		return 0;
	return c->fd >= 0 ? c->deadline_ms : now + 20;
}

/* Progress on one of the agent's HTTP requests: watched again while it
 * runs, handed to done once it finished or failed. */
static void http_step(struct hostd *a, struct http_conn *c, uint64_t tag,
		      void (*done)(struct hostd *, int))
{
	int r;

	if (c->fd < 0)
		return;
	r = http_io(c);
	if (r == 0)
		http_watch(a, c, tag);
	else
		done(a, r);
}

int hostd_run(const struct hostd_opts *o)
{
	static struct hostd a;
	char m[MAC_STR_LEN];
	int rc = 0;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.started_ms = realtime_ms();
	snprintf(a.node, sizeof(a.node), "%s", o->node);
	http_init(&a.poll);
	http_init(&a.post);
	http_init(&a.cert);
	child_init(&a.ch);
	child_init(&a.mig);
	a.ep = epoll_create1(EPOLL_CLOEXEC);
	/* A handler and a pipe, not signalfd: signalfd needs the signals
	 * blocked, and virsh and xl would inherit that mask (a virsh that
	 * ignores SIGTERM holds up systemd's stop). No SIGPIPE to ignore
	 * either: sockets are written with MSG_NOSIGNAL, pipes only read. */
	if (pipe2(a.sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		a.sig_pipe[0] = a.sig_pipe[1] = -1;
	sig_write_fd = a.sig_pipe[1];
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (a.ep < 0 || a.sig_pipe[0] < 0) {
		log_err("cannot set up the event loop: %m");
		return -EIO;
	}
	ep_set(&a, a.sig_pipe[0], EPOLLIN, EV_SIG);
	if (!o->once) {
		rc = file_make_dir(o->state_dir, 0700, false);
		if (rc < 0) {
			log_err("cannot create the state directory %s: %s", o->state_dir,
				strerror(-rc));
			return rc;
		}
		mount_debugfs();
	}
	mem_load(&a);
	mac_format(o->mac, m);
	if (!o->once) {
		log_info("running: nimbusd at %u.%u.%u.%u:%u, node %s (%s), libvirt %s, state in %s, "
			 "probe every %u s", o->server_ip >> 24, (o->server_ip >> 16) & 255,
			 (o->server_ip >> 8) & 255, o->server_ip & 255, o->server_port, m,
			 a.node[0] ? a.node : "name from nimbusd", o->uri, o->state_dir,
			 o->probe_interval_s);
		rc = host_cert_paths(o->pki_dir, &a.pki);
		if (rc < 0) {
			log_err("--pki-dir %s: %s", o->pki_dir, strerror(-rc));
			return rc;
		}
		start_poll(&a);
		cert_maybe(&a);
	}
	a.dirty = true;
	while (!a.stop) {
		struct epoll_event evs[16];
		int64_t now = http_now_ms(), wake = 0;
		int n, timeout;

		wake = earliest(wake, child_wake(&a.ch, now));
		wake = earliest(wake, child_wake(&a.mig, now));
		wake = earliest(wake, a.ch.pid || !a.probe_at ? 0 :
				      a.probe_at < a.probe_hold ? a.probe_hold : a.probe_at);
		wake = earliest(wake, a.poll.fd < 0 ? a.poll_at : a.poll.deadline_ms);
		wake = earliest(wake, a.post.fd >= 0 ? a.post.deadline_ms : 0);
		wake = earliest(wake, a.cert.fd >= 0 ? a.cert.deadline_ms : 0);
		if (!o->once && a.post.fd < 0 && a.node[0]) {
			int64_t p = a.post_now ? now : a.post_due;

			wake = earliest(wake, p > a.post_retry ? p : a.post_retry);
		}
		if (a.dirty && !a.ch.pid)
			wake = earliest(wake, now >= a.probe_hold ? now : a.probe_hold);
		if (a.cert_restart && !a.restart_waits && !a.ch.pid)
			wake = now;
		timeout = wake == 0 ? 1000 : wake <= now ? 0 : (int)(wake - now > 60000 ? 60000 : wake - now);
		n = epoll_wait(a.ep, evs, 16, timeout);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			log_err("epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_SIG: {
				unsigned char sig;

				if (read(a.sig_pipe[0], &sig, 1) == 1)
					log_info("signal %u (%s): stopping", sig, strsignal(sig));
				a.stop = true;
				break;
			}
			case EV_POLL:
				http_step(&a, &a.poll, EV_POLL, poll_done);
				break;
			case EV_POST:
				http_step(&a, &a.post, EV_POST, post_done);
				break;
			case EV_CERT:
				http_step(&a, &a.cert, EV_CERT, cert_done);
				break;
			default:   /* EV_CH, EV_MIG: child_poll below reads them */
				break;
			}
		}
		now = http_now_ms();
		if (a.poll.fd >= 0 && now >= a.poll.deadline_ms)
			poll_done(&a, -ETIMEDOUT);
		if (a.post.fd >= 0 && now >= a.post.deadline_ms)
			post_done(&a, -ETIMEDOUT);
		if (a.cert.fd >= 0 && now >= a.cert.deadline_ms)
			cert_done(&a, -ETIMEDOUT);
		if (!o->once && a.poll.fd < 0 && a.poll_at && now >= a.poll_at)
			start_poll(&a);
		if (a.mig.pid && child_poll(&a.mig, now) == 1) {
			migration_done(&a, now);
			check_changed(&a);
		}
		if (a.ch.pid && child_poll(&a.ch, now) == 1)
			ch_done(&a, now);
		if (!a.ch.pid && a.ch_kind == CH_NONE && !a.stop && a.cert_restart)
			start_restart(&a);
		if (!a.ch.pid && a.ch_kind == CH_NONE && !a.stop && now >= a.probe_hold &&
		    (a.dirty || (a.probe_at && now >= a.probe_at)))
			start_probe(&a);
		if (!o->once && a.post.fd < 0 && now >= a.post_retry &&
		    (a.post_now || (a.post_due && now >= a.post_due))) {
			if (a.node[0]) {
				start_post(&a);
			} else if (!a.warned_no_node) {
				log_info("no node name yet (no NIMBUS_NODE in the boot environment): the "
					 "observed state waits for nimbusd's desired state");
				a.warned_no_node = true;
			}
		}
	}
	if (a.mig.pid)
		log_warn("stopping while instance %s migrates: virsh migrate is left to finish "
			 "(its outcome is the next agent's to find)", a.mig_inst);
	if (a.ch.pid && a.ch_kind == CH_ACTION)
		log_warn("stopping while instance %s: %s runs", a.ch_inst, host_action_name(a.ch_act));
	if (!o->once)
		log_info("stopping (domains stay as they are)");
	http_close(&a.poll);
	http_close(&a.post);
	http_close(&a.cert);
	host_cert_free_key(a.cert_key);
	if (a.have_want)
		hmsg_desired_free(&a.want);
	free(a.sig_posted);
	free(a.sig_inflight);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sig_write_fd = -1;
	close(a.sig_pipe[0]);
	close(a.sig_pipe[1]);
	close(a.ep);
	return rc;
}
