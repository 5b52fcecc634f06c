/* daemon.c - aoetd's event loop: frames in (recvmmsg), protocol logic
 * (target.c), disk I/O (inline for the page cache, io_uring otherwise),
 * replies out (sendmmsg), plus signals, link changes and reloads.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mac.h"

#define CONFIG_FILE_MAX (16 << 20)

static void iface_rx(struct evsrc *src, uint32_t events);
static void flush_tx(struct daemon *d, struct iface *ifc);

/* --- configuration file -------------------------------------------------- */

int config_load(struct aoetd_config *c, const char *path, char *err,
		size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes",
			 path, CONFIG_FILE_MAX);
		rc = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = config_parse(c, path, text, len, err, errlen);
out:
	free(text);
	close(fd);
	return rc;
}

/* "FILE:LINE: " for an export from a file, "" from the command line. */
static void where(const struct aoetd_config *c, const struct export_cfg *e,
		  char *buf, size_t n)
{
	if (c->file[0] && e->line)
		snprintf(buf, n, "%s:%u: ", c->file, e->line);
	else
		buf[0] = '\0';
}

int daemon_check(const struct aoetd_config *cfg, char *err, size_t errlen)
{
	char msg[512], at[PATH_MAX + 32];

	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct export_cfg *e = &cfg->exports[i];
		struct backing b;
		int rc;

		where(cfg, e, at, sizeof(at));
		for (unsigned k = 0; k < e->nifaces; k++) {
			if (!netif_exists(e->ifaces[k])) {
				snprintf(err, errlen, "%sexport %u.%u: unknown "
					 "interface '%s'", at, e->shelf, e->slot,
					 e->ifaces[k]);
				return -ENODEV;
			}
		}
		rc = backing_open(e, true, &b, msg, sizeof(msg));
		if (rc) {
			snprintf(err, errlen, "%s%s", at, msg);
			return rc;
		}
		backing_close(&b);
	}
	return 0;
}

/* --- slots ----------------------------------------------------------------- */

static int slots_init(struct daemon *d)
{
	size_t region = SLOT_ALIGN + SLOT_FRAME_MAX;

	d->pool_len = (size_t)SLOT_COUNT * region * 2;
	d->pool = mmap(NULL, d->pool_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->pool == MAP_FAILED) {
		d->pool = NULL;
		return -errno;
	}
	d->slots = calloc(SLOT_COUNT, sizeof(*d->slots));
	if (!d->slots)
		return -ENOMEM;
	for (unsigned i = 0; i < SLOT_COUNT; i++) {
		struct slot *s = &d->slots[i];
		uint8_t *base = d->pool + (size_t)i * region * 2;

		s->rx = base + SLOT_ALIGN - AOE_ATA_HDR_LEN;
		s->tx = base + region + SLOT_ALIGN - AOE_ATA_HDR_LEN;
		s->next = d->free;
		d->free = s;
	}
	d->nfree = SLOT_COUNT;
	return 0;
}

static struct slot *slot_get(struct daemon *d)
{
	struct slot *s = d->free;

	if (!s)
		return NULL;
	d->free = s->next;
	d->nfree--;
	s->next = NULL;
	return s;
}

static void set_rx_polling(struct daemon *d, bool on)
{
	for (struct iface *i = d->ifaces; i; i = i->next) {
		bool want = on && i->in_use && !d->stopping;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &i->src };

		if (want == i->polling)
			continue;
		if (want)
			epoll_ctl(d->epfd, EPOLL_CTL_ADD, i->n.fd, &ev);
		else
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, i->n.fd, NULL);
		i->polling = want;
	}
}

static void export_destroy(struct daemon *d, struct export *ex);
static void iface_destroy(struct daemon *d, struct iface *ifc);

/* Returns a finished slot, releasing what it held. */
static void slot_put(struct daemon *d, struct slot *s)
{
	struct export *ex = s->ex;
	struct iface *ifc = s->ifc;

	s->ex = NULL;
	s->ifc = NULL;
	s->fallback = false;
	s->final_sync = false;
	s->zc = NULL;
	s->next = d->free;
	d->free = s;
	d->nfree++;
	/* Retired exports and unused interfaces are freed by gc() at the end
	 * of the loop round, never under a caller still looking at them. */
	if (ex)
		ex->inflight--;
	if (ifc)
		ifc->refs--;
	/* Resume receiving once a batch's worth of slots is back. */
	if (d->rx_paused && d->nfree >= RX_BATCH) {
		d->rx_paused = false;
		set_rx_polling(d, true);
	}
}

/* --- exports and interfaces ------------------------------------------------ */

static int export_create(const struct export_cfg *c, struct export **out,
			 char *err, size_t errlen)
{
	struct export *ex = calloc(1, sizeof(*ex));
	int rc;

	if (!ex) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ex->cfg = *c;
	rc = backing_open(c, false, &ex->b, err, errlen);
	if (rc) {
		free(ex);
		return rc;
	}
	target_export_init(&ex->t, c->shelf, c->slot, ex->b.sectors);
	ex->t.read_only = c->read_only;
	ex->t.bufcnt = c->bufcnt ? c->bufcnt : AOETD_DEFAULT_BUFCNT;
	memcpy(ex->t.mask, c->macs, (size_t)c->nmacs * 6);
	ex->t.nmask = c->nmacs;
	if (c->has_cfg) {
		memcpy(ex->t.cfg, c->cfg, c->cfg_len);
		ex->t.cfg_len = c->cfg_len;
	}
	/* A page-cache copy costs less than an io_uring round trip; disk
	 * waits (O_DIRECT, O_SYNC) must not stall the loop. */
	ex->inline_io = !c->direct && !c->sync;
	*out = ex;
	return 0;
}

static void export_sync(struct export *ex)
{
	if (ex->cfg.read_only || ex->b.fd < 0)
		return;
	if (fdatasync(ex->b.fd) < 0)
		log_err("export %u.%u: fdatasync %s: %s", ex->cfg.shelf,
			ex->cfg.slot, ex->cfg.path, strerror(errno));
}

static void export_destroy(struct daemon *d, struct export *ex)
{
	for (struct export **pp = &d->zombies; *pp; pp = &(*pp)->next) {
		if (*pp == ex) {
			*pp = ex->next;
			break;
		}
	}
	/* Without io_uring the closing sync runs here, in the loop (every
	 * disk wait does then); with it, gc() has already had it done. */
	if (!ex->synced)
		export_sync(ex);
	log_info("export %u.%u: closed %s", ex->cfg.shelf, ex->cfg.slot,
		 ex->cfg.path);
	backing_close(&ex->b);
	free(ex);
}

/* Takes an export out of service; gc() closes it once its I/O is done. */
static void export_retire(struct daemon *d, struct export *ex)
{
	ex->removed = true;
	ex->next = d->zombies;
	d->zombies = ex;
}

static struct iface *iface_find(struct daemon *d, const char *name)
{
	for (struct iface *i = d->ifaces; i; i = i->next)
		if (!strcmp(i->n.name, name))
			return i;
	return NULL;
}

static int iface_open(struct daemon *d, const char *name, struct iface **out,
		      char *err, size_t errlen)
{
	struct iface *ifc = calloc(1, sizeof(*ifc));
	int rc;

	if (!ifc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = netif_open(&ifc->n, name, err, errlen);
	if (rc) {
		free(ifc);
		return rc;
	}
	ifc->src.fn = iface_rx;
	ifc->d = d;
	ifc->next = d->ifaces;
	d->ifaces = ifc;
	log_info("interface %s: index %d mac %02x:%02x:%02x:%02x:%02x:%02x "
		 "mtu %u (%u sectors per frame) %s", name, ifc->n.ifindex,
		 ifc->n.mac[0], ifc->n.mac[1], ifc->n.mac[2], ifc->n.mac[3],
		 ifc->n.mac[4], ifc->n.mac[5], ifc->n.mtu,
		 aoe_sectors_per_frame(ifc->n.mtu < SLOT_FRAME_MAX - 14 ?
				       ifc->n.mtu : SLOT_FRAME_MAX - 14),
		 ifc->n.up ? "up" : "down");
	*out = ifc;
	return 0;
}

static void iface_destroy(struct daemon *d, struct iface *ifc)
{
	for (struct iface **pp = &d->ifaces; *pp; pp = &(*pp)->next) {
		if (*pp == ifc) {
			*pp = ifc->next;
			break;
		}
	}
	if (ifc->polling)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, ifc->n.fd, NULL);
	log_info("interface %s: no longer used", ifc->n.name);
	netif_close(&ifc->n);
	free(ifc->exports);
	free(ifc);
}

static unsigned iface_mtu(const struct iface *ifc)
{
	return ifc->n.mtu < SLOT_FRAME_MAX - 14 ? ifc->n.mtu
						 : SLOT_FRAME_MAX - 14;
}

static int iface_add_export(struct iface *ifc, struct export *ex)
{
	if (ifc->nexports == ifc->capexports) {
		unsigned cap = ifc->capexports ? ifc->capexports * 2 : 8;
		struct export **n = realloc(ifc->exports, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ifc->exports = n;
		ifc->capexports = cap;
	}
	ifc->exports[ifc->nexports++] = ex;
	return 0;
}

/* Recomputes which exports each interface serves; interfaces nobody uses
 * any more stop receiving and go once their slots are back. */
static void rebuild_ifaces(struct daemon *d)
{
	struct iface *i;

	for (i = d->ifaces; i; i = i->next) {
		i->nexports = 0;
		i->in_use = false;
	}
	for (struct export *ex = d->exports; ex; ex = ex->next) {
		for (unsigned k = 0; k < ex->cfg.nifaces; k++) {
			i = iface_find(d, ex->cfg.ifaces[k]);
			if (!i)
				continue; /* opened before commit: cannot be */
			if (iface_add_export(i, ex) < 0)
				log_err("interface %s: out of memory adding "
					"export %u.%u", i->n.name, ex->cfg.shelf,
					ex->cfg.slot);
			i->in_use = true;
		}
	}
	set_rx_polling(d, !d->rx_paused);
}

/* The last fdatasync of a retired export, through io_uring like its
 * other disk waits: a device that holds its I/O (DRBD frozen by fencing
 * while the agent unexports it, which is why it is removed) must not hold
 * the loop, or the reload that removed it and every other export would
 * wait with it. Without a free slot, the next round tries again. */
static void start_closing_sync(struct daemon *d, struct export *ex)
{
	struct slot *s = slot_get(d);
	int rc;

	if (!s)
		return;
	s->ex = ex;
	s->final_sync = true;
	s->io.action = TARGET_FLUSH;
	ex->inflight++;
	rc = ioeng_fdatasync(&d->io, ex->b.fd, s);
	if (rc == 0)
		rc = ioeng_submit(&d->io);
	if (rc < 0) {
		log_warn("export %u.%u: cannot queue its closing fdatasync: %s; syncing in the loop",
			 ex->cfg.shelf, ex->cfg.slot, strerror(-rc));
		slot_put(d, s);
		export_sync(ex);
		ex->synced = true;
	}
}

/* Frees retired exports and unused interfaces that nothing refers to. */
static void gc(struct daemon *d)
{
	struct export *ex, *enext;
	struct iface *i, *inext;

	for (ex = d->zombies; ex; ex = enext) {
		enext = ex->next;
		/* a closing sync in flight counts in inflight too */
		if (ex->inflight)
			continue;
		if (!ex->synced && d->have_uring && !ex->cfg.read_only && ex->b.fd >= 0) {
			start_closing_sync(d, ex);
			continue;
		}
		export_destroy(d, ex);
	}
	for (i = d->ifaces; i; i = inext) {
		inext = i->next;
		if (!i->in_use && i->refs == 0)
			iface_destroy(d, i);
	}
}

static void announce_one(struct iface *ifc, struct export *ex)
{
	uint8_t buf[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX + 64];
	size_t n;

	if (ifc->n.fd < 0 || !ifc->n.up)
		return;
	n = target_announce(&ex->t, ifc->n.mac, iface_mtu(ifc), buf, sizeof(buf));
	if (!n)
		return;
	if (send(ifc->n.fd, buf, n, 0) < 0) {
		ifc->tx_errors++;
		log_warn("export %u.%u: announce on %s: %s", ex->cfg.shelf,
			 ex->cfg.slot, ifc->n.name, strerror(errno));
		return;
	}
	ifc->tx_frames++;
	log_debug("export %u.%u: announced on %s", ex->cfg.shelf, ex->cfg.slot,
		  ifc->n.name);
}

static void announce_export(struct daemon *d, struct export *ex)
{
	for (unsigned k = 0; k < ex->cfg.nifaces; k++) {
		struct iface *ifc = iface_find(d, ex->cfg.ifaces[k]);

		if (ifc)
			announce_one(ifc, ex);
	}
}

static void announce_iface(struct iface *ifc)
{
	for (unsigned k = 0; k < ifc->nexports; k++)
		announce_one(ifc, ifc->exports[k]);
	log_info("interface %s: announced %u export%s", ifc->n.name,
		 ifc->nexports, ifc->nexports == 1 ? "" : "s");
}

static struct export *export_find(struct daemon *d, uint16_t shelf,
				  uint8_t slot)
{
	for (struct export *ex = d->exports; ex; ex = ex->next)
		if (ex->cfg.shelf == shelf && ex->cfg.slot == slot)
			return ex;
	return NULL;
}

static void export_unlink(struct daemon *d, struct export *ex)
{
	for (struct export **pp = &d->exports; *pp; pp = &(*pp)->next) {
		if (*pp == ex) {
			*pp = ex->next;
			return;
		}
	}
}

/* Makes cfg the running configuration. Everything that can fail (opening
 * backing files and interfaces) happens before anything changes, so a bad
 * file leaves the old configuration untouched. Takes *cfg on success. */
/* After backing_resize(): the target answers with the backing's size from
 * now on (initiators see it at their next identify). */
static void export_take_size(struct export *ex)
{
	if (ex->t.sectors == ex->b.sectors)
		return;
	log_info("export %u.%u: size now %llu sectors", ex->cfg.shelf, ex->cfg.slot,
		 (unsigned long long)ex->b.sectors);
	ex->t.sectors = ex->b.sectors;
}

static int apply_config(struct daemon *d, struct aoetd_config *cfg,
			char *err, size_t errlen)
{
	struct export **fresh = NULL;
	struct export *list = NULL, **tail = &list;
	char at[PATH_MAX + 32], msg[512];
	unsigned added = 0, changed = 0, removed = 0, kept = 0;
	int rc = 0;

	fresh = calloc(cfg->nexports ? cfg->nexports : 1, sizeof(*fresh));
	if (!fresh) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct export_cfg *e = &cfg->exports[i];
		struct export *old = export_find(d, e->shelf, e->slot);

		where(cfg, e, at, sizeof(at));
		for (unsigned k = 0; k < e->nifaces; k++) {
			struct iface *ifc = iface_find(d, e->ifaces[k]);

			if (ifc)
				continue;
			rc = iface_open(d, e->ifaces[k], &ifc, msg, sizeof(msg));
			if (rc) {
				snprintf(err, errlen, "%sexport %u.%u: %s", at,
					 e->shelf, e->slot, msg);
				goto fail;
			}
		}
		if (old && export_cfg_equal(&old->cfg, e))
			continue;
		rc = export_create(e, &fresh[i], msg, sizeof(msg));
		if (rc) {
			snprintf(err, errlen, "%s%s", at, msg);
			goto fail;
		}
	}

	/* Commit: nothing below fails. */
	for (unsigned i = 0; i < cfg->nexports; i++) {
		const struct export_cfg *e = &cfg->exports[i];
		struct export *old = export_find(d, e->shelf, e->slot);
		struct export *ex = fresh[i];

		if (!ex) {
			old->cfg.line = e->line;
			ex = old;
			kept++;
			/* The same line, but the device may have grown (a
			 * volume grown under a running export): initiators see
			 * the new size at their next identify. */
			if (backing_resize(&old->cfg, &old->b, msg, sizeof(msg)) != 0)
				log_warn("export %u.%u: size not rechecked: %s",
					 e->shelf, e->slot, msg);
			else
				export_take_size(old);
		} else if (old) {
			/* Counters describe the disk's history: keep them. */
			ex->t.stats = old->t.stats;
			changed++;
			log_info("export %u.%u: changed, reopened %s", e->shelf,
				 e->slot, e->path);
		} else {
			added++;
			log_info("export %u.%u: %s, %llu sectors%s%s%s", e->shelf,
				 e->slot, e->path,
				 (unsigned long long)ex->b.sectors,
				 e->read_only ? ", read-only" : "",
				 e->direct ? ", O_DIRECT" : "",
				 e->sync ? ", O_SYNC" : "");
		}
		/* What is left in d->exports afterwards was removed. */
		if (old)
			export_unlink(d, old);
		if (old && old != ex)
			export_retire(d, old);
		ex->next = NULL;
		*tail = ex;
		tail = &ex->next;
	}
	while (d->exports) {
		struct export *ex = d->exports;

		d->exports = ex->next;
		log_info("export %u.%u: removed", ex->cfg.shelf, ex->cfg.slot);
		removed++;
		export_retire(d, ex);
	}
	d->exports = list;
	rebuild_ifaces(d);
	for (unsigned i = 0; i < cfg->nexports; i++)
		if (fresh[i])
			announce_export(d, fresh[i]);
	free(fresh);

	if (d->cfg.file[0])
		log_info("configuration %s: %u exports (%u added, %u changed, "
			 "%u removed, %u unchanged)", cfg->file, cfg->nexports,
			 added, changed, removed, kept);
	config_free(&d->cfg);
	d->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	return 0;
fail:
	for (unsigned i = 0; i < cfg->nexports; i++) {
		if (fresh[i]) {
			backing_close(&fresh[i]->b);
			free(fresh[i]);
		}
	}
	free(fresh);
	rebuild_ifaces(d); /* interfaces opened for nothing go in gc() */
	gc(d);
	return rc;
}

static void reload(struct daemon *d, struct outbuf *answer)
{
	struct aoetd_config cfg;
	char err[1024];
	int rc;

	if (!d->cfgfile) {
		/* Positional form: the backing device may have been resized. */
		for (struct export *ex = d->exports; ex; ex = ex->next) {
			rc = backing_resize(&ex->cfg, &ex->b, err, sizeof(err));
			if (rc) {
				log_err("reload refused: %s", err);
				if (answer)
					outbuf_printf(answer, "error: %s\n", err);
				return;
			}
			export_take_size(ex);
		}
		if (answer)
			outbuf_printf(answer, "ok\n");
		return;
	}
	config_init(&cfg);
	rc = config_load(&cfg, d->cfgfile, err, sizeof(err));
	if (rc == 0) {
		/* The control socket stays where it is until a restart. */
		if (cfg.control_set && strcmp(cfg.control, d->cfg.control))
			log_warn("control socket change to '%s' takes effect "
				 "at restart", cfg.control);
		memcpy(cfg.control, d->cfg.control, sizeof(cfg.control));
		rc = apply_config(d, &cfg, err, sizeof(err));
	}
	if (rc) {
		log_err("reload refused, keeping the running configuration: %s",
			err);
		if (answer)
			outbuf_printf(answer, "error: %s\n", err);
	} else if (answer) {
		outbuf_printf(answer, "ok\n");
	}
	config_free(&cfg);
}

/* --- the data path ---------------------------------------------------------- */

static void queue_tx(struct daemon *d, struct slot *s)
{
	struct iface *ifc = s->ifc;

	s->next = NULL;
	if (ifc->txq_tail)
		ifc->txq_tail->next = s;
	else
		ifc->txq_head = s;
	ifc->txq_tail = s;
	if (++ifc->ntx >= RX_BATCH)
		flush_tx(d, ifc);
}

static int64_t rw_inline(struct slot *s, int fd);

/* The mapping could not be read (I/O error, file truncated under us: the
 * kernel's copy fails with EFAULT): read the data the ordinary way, or turn
 * the reply into an ATA error. */
static void unzerocopy(struct slot *s)
{
	int64_t r;

	s->zc = NULL;
	s->done = 0;
	r = rw_inline(s, s->ex->b.fd);
	if (r != (int64_t)s->io.len) {
		if (s->ex->io_errors++ < 10 || s->ex->io_errors % 1000 == 0)
			log_warn("export %u.%u: read %zu bytes at %llu: %s",
				 s->ex->cfg.shelf, s->ex->cfg.slot, s->io.len,
				 (unsigned long long)s->io.offset,
				 r < 0 ? strerror((int)-r) : "short read");
		s->tx_len = target_complete(&s->ex->t, &s->io, r < 0 ? r : -EIO,
					    s->tx);
	}
}

static void set_iov(struct slot *s, struct mmsghdr *m, struct iovec *iov)
{
	memset(m, 0, sizeof(*m));
	iov[0].iov_base = s->tx;
	if (s->zc) {
		iov[0].iov_len = AOE_ATA_HDR_LEN;
		iov[1].iov_base = (void *)s->zc;
		iov[1].iov_len = s->tx_len - AOE_ATA_HDR_LEN;
		m->msg_hdr.msg_iovlen = 2;
	} else {
		iov[0].iov_len = s->tx_len;
		m->msg_hdr.msg_iovlen = 1;
	}
	m->msg_hdr.msg_iov = iov;
}

static void flush_tx(struct daemon *d, struct iface *ifc)
{
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH][2];
	struct slot *batch[RX_BATCH];

	while (ifc->txq_head) {
		unsigned n = 0, sent = 0;

		for (struct slot *s = ifc->txq_head; s && n < RX_BATCH;
		     s = s->next, n++) {
			batch[n] = s;
			set_iov(s, &msgs[n], iov[n]);
		}
		ifc->txq_head = batch[n - 1]->next;
		if (!ifc->txq_head)
			ifc->txq_tail = NULL;
		ifc->ntx -= n;
		while (sent < n) {
			int r = sendmmsg(ifc->n.fd, msgs + sent, n - sent, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EFAULT && batch[sent]->zc) {
				unzerocopy(batch[sent]);
				set_iov(batch[sent], &msgs[sent], iov[sent]);
				continue;
			}
			if (r <= 0) {
				/* Drop this reply: the initiator retransmits. */
				ifc->tx_errors++;
				log_debug("interface %s: send: %s", ifc->n.name,
					  strerror(errno));
				slot_put(d, batch[sent++]);
				continue;
			}
			for (int k = 0; k < r; k++)
				slot_put(d, batch[sent + (unsigned)k]);
			ifc->tx_frames += (unsigned)r;
			sent += (unsigned)r;
		}
	}
}

static void complete(struct daemon *d, struct slot *s, int64_t result)
{
	/* A failing disk fails every request: log the first ones and then
	 * one in a thousand (the counters have the rest). */
	if (result < 0 && (s->ex->io_errors++ < 10 ||
			   s->ex->io_errors % 1000 == 0))
		log_warn("export %u.%u: %s %zu bytes at %llu: %s (%llu disk "
			 "errors so far)", s->ex->cfg.shelf, s->ex->cfg.slot,
			 s->io.action == TARGET_READ ? "read" :
			 s->io.action == TARGET_WRITE ? "write" : "flush",
			 s->io.len, (unsigned long long)s->io.offset,
			 strerror((int)-result),
			 (unsigned long long)s->ex->io_errors);
	/* A retired export answers nothing: its backing may no longer be the
	 * volume's good copy (a storage node that lost its DRBD fence unexports
	 * while writes sit frozen in DRBD, and they finish only once DRBD lets
	 * them go, long after the peer took over). Acknowledging such a write
	 * would acknowledge data the resync then overwrites; unanswered, the
	 * initiator retransmits to a target that still serves. */
	if (s->final_sync) {
		if (result < 0)
			log_err("export %u.%u: fdatasync %s: %s", s->ex->cfg.shelf, s->ex->cfg.slot,
				s->ex->cfg.path, strerror((int)-result));
		s->ex->synced = true;
		slot_put(d, s);
		return;
	}
	if (s->ex->removed) {
		s->ex->late_dropped++;
		if (s->ex->late_dropped == 1)
			log_info("export %u.%u: removed with I/O in flight: its late completions get no answer",
				 s->ex->cfg.shelf, s->ex->cfg.slot);
		slot_put(d, s);
		return;
	}
	s->tx_len = target_complete(&s->ex->t, &s->io, result, s->tx);
	if (s->tx_len)
		queue_tx(d, s);
	else
		slot_put(d, s);
}

/* Synchronous transfer of what is left of s's request on fd. */
static int64_t rw_inline(struct slot *s, int fd)
{
	uint64_t off = s->ex->b.base + s->io.offset;

	while (s->done < s->io.len) {
		ssize_t n;

		if (s->io.action == TARGET_READ)
			n = pread(fd, s->tx + AOE_ATA_HDR_LEN + s->done,
				  s->io.len - s->done, (off_t)(off + s->done));
		else
			n = pwrite(fd, s->io.data + s->done, s->io.len - s->done,
				   (off_t)(off + s->done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		s->done += (size_t)n;
	}
	return (int64_t)s->done;
}

static int submit_rw(struct daemon *d, struct slot *s)
{
	struct export *ex = s->ex;
	uint64_t off = ex->b.base + s->io.offset + s->done;

	if (s->io.action == TARGET_READ)
		return ioeng_read(&d->io, ex->b.fd, s->tx + AOE_ATA_HDR_LEN + s->done,
				  s->io.len - s->done, off, s);
	return ioeng_write(&d->io, ex->b.fd, s->io.data + s->done,
			   s->io.len - s->done, off, s);
}

static void io_done(void *ctx, void *ud, int res)
{
	struct daemon *d = ctx;
	struct slot *s = ud;

	if (s->io.action == TARGET_FLUSH) {
		complete(d, s, res < 0 ? res : 0);
		return;
	}
	if (res == -EINVAL && s->ex->b.fd_buffered >= 0) {
		/* O_DIRECT refused this request (alignment): the buffered
		 * descriptor serves it, still synchronously with the disk
		 * when 'sync' is set. */
		if (!s->ex->warned_unaligned)
			log_warn("export %u.%u: O_DIRECT refused %zu bytes at "
				 "%llu (device sectors larger than 512 bytes?): "
				 "such requests go through the page cache",
				 s->ex->cfg.shelf, s->ex->cfg.slot, s->io.len,
				 (unsigned long long)s->io.offset);
		s->ex->warned_unaligned = true;
		s->fallback = true;
		complete(d, s, rw_inline(s, s->ex->b.fd_buffered));
		return;
	}
	if (res == -EAGAIN || res == -EINTR || (res > 0 &&
	    s->done + (size_t)res < s->io.len)) {
		if (res > 0)
			s->done += (size_t)res;
		if (submit_rw(d, s) == 0)
			return;
		complete(d, s, -EIO);
		return;
	}
	if (res < 0) {
		complete(d, s, res);
		return;
	}
	s->done += (size_t)res;
	complete(d, s, (int64_t)s->done);
}

static void write_done(void *ctx, void *ud, int64_t res)
{
	complete(ctx, ud, res);
}

/* Writes the gathered page-cache writes and answers them. */
static void flush_writes(struct daemon *d)
{
	if (d->wb.n)
		wbatch_flush(&d->wb, write_done, d);
}

static void dispatch(struct daemon *d, struct iface *ifc, struct export *ex,
		     struct slot *s)
{
	int rc;

	s->ex = ex;
	ex->inflight++;
	s->ifc = ifc;
	ifc->refs++;
	s->done = 0;
	target_handle(&ex->t, s->rx, s->rx_len, ifc->n.mac, iface_mtu(ifc),
		      s->tx, SLOT_FRAME_MAX, &s->io);
	/* Anything but a gathered write sees the writes received before it
	 * (a read of the same sectors, a FLUSH) on the disk. */
	if (s->io.action != TARGET_WRITE || !ex->inline_io)
		flush_writes(d);
	switch (s->io.action) {
	case TARGET_REPLY:
		s->tx_len = s->io.reply_len;
		queue_tx(d, s);
		return;
	case TARGET_READ:
	case TARGET_WRITE:
		if (log_get_level() >= LOG_LVL_DEBUG) {
			char m[MAC_STR_LEN];

			mac_format(s->rx + 6, m);
			log_debug("export %u.%u: %s %zu bytes at %llu from %s on %s",
				  ex->cfg.shelf, ex->cfg.slot,
				  s->io.action == TARGET_READ ? "read" : "write",
				  s->io.len, (unsigned long long)s->io.offset,
				  m, ifc->n.name);
		}
		if (s->io.action == TARGET_WRITE && ex->inline_io) {
			uint64_t off = ex->b.base + s->io.offset;

			if (!wbatch_add(&d->wb, ex->b.fd, off, s->io.data,
					s->io.len, s)) {
				flush_writes(d);
				wbatch_add(&d->wb, ex->b.fd, off, s->io.data,
					   s->io.len, s);
			}
			return;
		}
		if (s->io.action == TARGET_READ && ex->b.map) {
			/* Zero copy: the reply's data goes from the page cache
			 * to the wire when it is sent (see unzerocopy()). */
			s->zc = ex->b.map + ex->b.map_skew + s->io.offset;
			complete(d, s, (int64_t)s->io.len);
			return;
		}
		if (ex->inline_io || !d->have_uring) {
			complete(d, s, rw_inline(s, ex->b.fd));
			return;
		}
		rc = submit_rw(d, s);
		if (rc)
			complete(d, s, rc);
		return;
	case TARGET_FLUSH:
		if (ex->cfg.read_only) {
			complete(d, s, 0);
			return;
		}
		if (!d->have_uring) {
			complete(d, s, fdatasync(ex->b.fd) < 0 ? -errno : 0);
			return;
		}
		rc = ioeng_fdatasync(&d->io, ex->b.fd, s);
		if (rc)
			complete(d, s, rc);
		return;
	case TARGET_DROP:
	default:
		slot_put(d, s);
		return;
	}
}

static void frame_in(struct daemon *d, struct iface *ifc, struct slot *s)
{
	struct export *first = NULL;
	struct aoe_hdr h;

	ifc->rx_frames++;
	if (aoe_decode_hdr(s->rx, s->rx_len, &h) < 0) {
		ifc->rx_dropped++;
		slot_put(d, s);
		return;
	}
	for (unsigned k = 0; k < ifc->nexports; k++) {
		struct export *ex = ifc->exports[k];
		struct slot *c;

		if (!target_matches(&ex->t, &h))
			continue;
		if (!first) {
			first = ex;
			continue;
		}
		/* A wildcard (broadcast) request: each export answers with
		 * its own reply, so each needs its own slot. */
		c = slot_get(d);
		if (!c) {
			ifc->rx_dropped++;
			continue;
		}
		memcpy(c->rx, s->rx, s->rx_len);
		c->rx_len = s->rx_len;
		dispatch(d, ifc, ex, c);
	}
	if (!first) {
		ifc->rx_dropped++;
		slot_put(d, s);
		return;
	}
	dispatch(d, ifc, first, s);
}

static void iface_rx(struct evsrc *src, uint32_t events)
{
	struct iface *ifc = (struct iface *)src;
	struct daemon *d = ifc->d;
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct slot *batch[RX_BATCH];

	if (events & EPOLLERR) {
		int e = 0;
		socklen_t l = sizeof(e);

		getsockopt(ifc->n.fd, SOL_SOCKET, SO_ERROR, &e, &l);
		log_warn("interface %s: socket error: %s", ifc->n.name,
			 strerror(e));
	}
	/* A few batches, then let the other interfaces and the disk run. */
	for (int round = 0; round < 4 && !d->stopping; round++) {
		unsigned n = d->nfree < RX_BATCH ? d->nfree : RX_BATCH;
		int r;

		if (n == 0) {
			d->rx_paused = true;
			set_rx_polling(d, false);
			return;
		}
		for (unsigned k = 0; k < n; k++) {
			batch[k] = slot_get(d);
			iov[k].iov_base = batch[k]->rx;
			iov[k].iov_len = SLOT_FRAME_MAX;
			memset(&msgs[k], 0, sizeof(msgs[k]));
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(ifc->n.fd, msgs, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("interface %s: receive: %s", ifc->n.name,
					 strerror(errno));
			r = 0;
		}
		/* Give back the unused slots first: the frames below may
		 * need more for wildcard requests. */
		for (unsigned k = (unsigned)r; k < n; k++)
			slot_put(d, batch[k]);
		for (int k = 0; k < r; k++) {
			batch[k]->rx_len = msgs[k].msg_len;
			if (msgs[k].msg_len > SLOT_FRAME_MAX) {
				ifc->rx_frames++;
				ifc->rx_dropped++;
				slot_put(d, batch[k]);
				continue;
			}
			frame_in(d, ifc, batch[k]);
		}
		flush_writes(d);
		if ((unsigned)r < n)
			break;
	}
}

/* --- other event sources ------------------------------------------------------ */

static void io_event(struct evsrc *src, uint32_t events)
{
	struct daemon *d = (struct daemon *)((char *)src -
					     offsetof(struct daemon, io_src));

	(void)events;
	ioeng_reap(&d->io, io_done, d);
}

/* A link message (ifindex, its state) or, with ifindex -1, "messages were
 * lost: look at every interface". */
static void link_changed(void *ctx, int ifindex, bool msg_up)
{
	struct daemon *d = ctx;

	for (struct iface *i = d->ifaces; i; i = i->next) {
		bool was_up = i->n.up;
		unsigned old_mtu = i->n.mtu;

		if (ifindex >= 0 && i->n.ifindex != ifindex)
			continue;
		if (netif_refresh(&i->n) < 0) {
			if (was_up)
				log_warn("interface %s: gone or unreadable",
					 i->n.name);
			i->n.up = false;
			continue;
		}
		/* The message's state, not the current one: a down and up
		 * read together must still announce. */
		if (ifindex >= 0)
			i->n.up = msg_up;
		if (old_mtu != i->n.mtu)
			log_info("interface %s: mtu %u (%u sectors per frame)",
				 i->n.name, i->n.mtu,
				 aoe_sectors_per_frame(iface_mtu(i)));
		if (was_up != i->n.up)
			log_info("interface %s: link %s", i->n.name,
				 i->n.up ? "up" : "down");
		if (!was_up && i->n.up && i->in_use)
			announce_iface(i);
	}
}

static void netlink_event(struct evsrc *src, uint32_t events)
{
	struct daemon *d = (struct daemon *)((char *)src -
					     offsetof(struct daemon, nl_src));

	(void)events;
	/* Missed messages (ENOBUFS): look at every interface. */
	if (netlink_drain(d->nlfd, link_changed, d) < 0)
		link_changed(d, -1, false);
}

static void begin_stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	log_info("%s: stopping (finishing %u requests in flight)", why,
		 SLOT_COUNT - d->nfree);
	d->stopping = true;
	set_rx_polling(d, false);
}

static void signal_event(struct evsrc *src, uint32_t events)
{
	struct daemon *d = (struct daemon *)((char *)src -
					     offsetof(struct daemon, sig_src));
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s",
				 d->cfgfile ? d->cfgfile : "backing file sizes");
			reload(d, NULL);
			break;
		case SIGTERM:
			begin_stop(d, "SIGTERM");
			break;
		case SIGINT:
			begin_stop(d, "SIGINT");
			break;
		default:
			break;
		}
	}
}

static void control_command(void *ctx, const char *cmd, struct outbuf *out)
{
	struct daemon *d = ctx;

	if (!strcmp(cmd, "status"))
		status_format(d, false, out);
	else if (!strcmp(cmd, "status json"))
		status_format(d, true, out);
	else if (!strcmp(cmd, "reload"))
		reload(d, out);
	else if (!strcmp(cmd, "version"))
		outbuf_printf(out, "aoetd %s\n", AOETD_VERSION);
	else
		outbuf_printf(out, "error: unknown command '%.64s' (want status, "
			      "status json, reload or version)\n", cmd);
}

/* --- life cycle ---------------------------------------------------------------- */

static int add_fd(struct daemon *d, int fd, struct evsrc *src, uint32_t extra)
{
	struct epoll_event ev = { .events = EPOLLIN | extra, .data.ptr = src };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int daemon_init(struct daemon *d, struct aoetd_config *cfg,
		const char *cfgfile, char *err, size_t errlen)
{
	sigset_t set;
	int rc;

	memset(d, 0, sizeof(*d));
	d->epfd = d->sigfd = d->nlfd = -1;
	d->io.efd = -1;
	d->cfgfile = cfgfile;
	d->started = time(NULL);
	wbatch_init(&d->wb);
	config_init(&d->cfg);
	d->cfg.control_set = cfg->control_set;
	snprintf(d->cfg.file, sizeof(d->cfg.file), "%s", cfg->file);

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return rc;
	}
	rc = slots_init(d);
	if (rc) {
		snprintf(err, errlen, "request buffers: %s", strerror(-rc));
		return rc;
	}
	rc = ioeng_init(&d->io, SLOT_COUNT);
	if (rc == 0) {
		d->have_uring = true;
		d->io_src.fn = io_event;
		rc = add_fd(d, d->io.efd, &d->io_src, EPOLLET);
		if (rc) {
			snprintf(err, errlen, "epoll: %s", strerror(-rc));
			return rc;
		}
	} else {
		log_warn("io_uring unavailable (%s): disk I/O will block the "
			 "event loop", strerror(-rc));
	}

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return rc;
	}
	d->sig_src.fn = signal_event;
	rc = add_fd(d, d->sigfd, &d->sig_src, 0);
	if (rc) {
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		return rc;
	}
	d->nlfd = netlink_open();
	if (d->nlfd >= 0) {
		d->nl_src.fn = netlink_event;
		add_fd(d, d->nlfd, &d->nl_src, 0);
	} else {
		log_warn("netlink: %s: no announcements when links come up",
			 strerror(-d->nlfd));
	}

	rc = apply_config(d, cfg, err, errlen);
	if (rc)
		return rc;
	if (d->cfg.control[0]) {
		rc = control_open(&d->ctl, d->cfg.control, d->epfd,
				  control_command, d, err, errlen);
		if (rc)
			return rc;
		d->have_ctl = true;
	}
	return 0;
}

int daemon_run(struct daemon *d)
{
	struct epoll_event evs[64];
	unsigned n_ex = 0;

	for (struct export *ex = d->exports; ex; ex = ex->next)
		n_ex++;
	log_info("ready: %u export%s, control socket %s", n_ex,
		 n_ex == 1 ? "" : "s",
		 d->have_ctl ? d->cfg.control : "none");
	while (!(d->stopping && d->nfree == SLOT_COUNT &&
		 (!d->have_uring || d->io.inflight + d->io.queued == 0))) {
		int n = epoll_wait(d->epfd, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct evsrc *src = evs[k].data.ptr;

			src->fn(src, evs[k].events);
		}
		/* Submit new disk work and collect what finished at once
		 * (page-cache hits complete during submission), then send
		 * every reply of this round in batches. */
		if (d->have_uring) {
			for (int spin = 0; spin < 4; spin++) {
				int rc = ioeng_submit(&d->io);

				if (rc < 0)
					log_err("io_uring submit: %s",
						strerror(-rc));
				if (!ioeng_reap(&d->io, io_done, d))
					break;
			}
		}
		for (struct iface *i = d->ifaces; i; i = i->next)
			if (i->txq_head)
				flush_tx(d, i);
		gc(d);
	}
	for (struct export *ex = d->exports; ex; ex = ex->next)
		export_sync(ex);
	log_info("stopped: every export synced");
	return 0;
}

void daemon_fini(struct daemon *d)
{
	if (d->have_ctl)
		control_close(&d->ctl);
	d->have_ctl = false;
	while (d->exports) {
		struct export *ex = d->exports;

		d->exports = ex->next;
		backing_close(&ex->b);
		free(ex);
	}
	while (d->zombies) {
		struct export *ex = d->zombies;

		d->zombies = ex->next;
		backing_close(&ex->b);
		free(ex);
	}
	while (d->ifaces) {
		struct iface *i = d->ifaces;

		d->ifaces = i->next;
		netif_close(&i->n);
		free(i->exports);
		free(i);
	}
	if (d->have_uring)
		ioeng_exit(&d->io);
	if (d->nlfd >= 0)
		close(d->nlfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->pool)
		munmap(d->pool, d->pool_len);
	free(d->slots);
	config_free(&d->cfg);
}
