/* ini_engine.c - the initiator's windowed data engine (see ini_run in
 * initiator.h): a window of slots, each one request in flight under a tag
 * naming its slot; batched sends (sendmmsg) and receives (recvmmsg);
 * retransmission with a doubling timeout; stale replies recognised by tag.
 * It needs only a datagram socket in ini->fd, so the unit test drives it
 * over a socketpair against a fake target. */
#include "initiator.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RECV_BATCH 64
#define SEND_BATCH 64

/* --- the windowed data engine ---------------------------------------------- */

struct slot {
	uint8_t *frame;
	size_t len;
	uint32_t tag;
	bool busy;
	unsigned tries;
	uint64_t sent_ns;
	struct ini_req req;
};

struct engine {
	struct ini *ini;
	const struct ini_target *t;
	const struct ini_job *job;
	struct slot *slots;
	unsigned *freelist;
	unsigned nfree;
	unsigned window;
	size_t frame_cap;
	uint8_t *rxbuf;
	size_t rx_cap;
	struct mmsghdr rx_msgs[RECV_BATCH];
	struct iovec rx_iov[RECV_BATCH];
	struct mmsghdr tx_msgs[SEND_BATCH];
	struct iovec tx_iov[SEND_BATCH];
	unsigned ntx;
	unsigned inflight;
	struct ini_job_stats *st;
};

static int tx_flush(struct engine *e)
{
	unsigned off = 0;

	while (off < e->ntx) {
		int n = sendmmsg(e->ini->fd, e->tx_msgs + off, e->ntx - off, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A full queue or a link going down drops the
			 * frames: the retransmit timer recovers them like
			 * any other loss, as the kernel initiator does. */
			if (errno == ENOBUFS || errno == EAGAIN ||
			    errno == ENETDOWN || errno == ENXIO)
				break;
			e->ntx = 0;
			return -errno;
		}
		off += (unsigned)n;
	}
	e->ntx = 0;
	return 0;
}

static void tx_queue(struct engine *e, struct slot *s)
{
	e->tx_iov[e->ntx].iov_base = s->frame;
	e->tx_iov[e->ntx].iov_len = s->len;
	memset(&e->tx_msgs[e->ntx].msg_hdr, 0, sizeof(struct msghdr));
	e->tx_msgs[e->ntx].msg_hdr.msg_iov = &e->tx_iov[e->ntx];
	e->tx_msgs[e->ntx].msg_hdr.msg_iovlen = 1;
	e->ntx++;
}

static int build_request(struct engine *e, unsigned idx)
{
	struct slot *s = &e->slots[idx];
	struct aoe_hdr h;
	struct aoe_ata a;
	uint64_t end = s->req.lba + s->req.nsect;
	bool ext = !e->ini->lba28 || end > ATA_LBA28_MAX;
	int n;

	ini_hdr(e->ini, &h, e->t->mac, e->t->shelf, e->t->slot, AOE_CMD_ATA);
	h.tag = ini_tag_make(e->ini->seq, idx);
	memset(&a, 0, sizeof(a));
	a.aflags = (ext ? AOE_AFLAG_EXT : 0) | (s->req.write ? AOE_AFLAG_WRITE : 0);
	a.sector_count = s->req.nsect;
	a.cmd_status = s->req.write ? (ext ? ATA_CMD_WRITE_EXT : ATA_CMD_WRITE)
				    : (ext ? ATA_CMD_READ_EXT : ATA_CMD_READ);
	a.lba = s->req.lba;
	a.data = NULL; /* written in place by next() */
	a.data_len = s->req.write ? (size_t)s->req.nsect * AOE_SECTOR_SIZE : 0;
	n = aoe_encode_ata(s->frame, e->frame_cap, &h, &a);
	if (n < 0)
		return n;
	s->len = aoe_pad(s->frame, (size_t)n);
	s->tag = h.tag;
	return 0;
}

static int fail_slot(struct engine *e, struct slot *s, const char *what)
{
	struct ini_fail *f = &e->ini->last;

	memset(f, 0, sizeof(*f));
	f->what = what ? what : (s->req.write ? "write" : "read");
	f->tag = s->tag;
	f->lba = s->req.lba;
	f->nsect = s->req.nsect;
	return 0;
}

static int handle_reply(struct engine *e, const uint8_t *buf, size_t len)
{
	struct aoe_hdr h;
	struct aoe_ata a;
	struct slot *s;
	unsigned idx;
	int err;

	if (aoe_decode_hdr(buf, len, &h) < 0 || h.cmd != AOE_CMD_ATA ||
	    !(h.tag & INI_TAG_USER))
		return 0;
	idx = ini_tag_slot(h.tag);
	if (idx >= e->window)
		return 0;
	s = &e->slots[idx];
	if (!s->busy || s->tag != h.tag)
		return 0; /* stale: answer to a retransmitted request */
	if (h.flags & AOE_FLAG_ERR) {
		fail_slot(e, s, NULL);
		e->ini->last.aoe_error = h.error;
		return -EPROTO;
	}
	if (aoe_decode_ata(buf, len, &a) < 0) {
		fail_slot(e, s, NULL);
		return -EBADMSG;
	}
	if (a.cmd_status & INI_ATA_FAILMASK) {
		fail_slot(e, s, NULL);
		e->ini->last.ata_status = a.cmd_status;
		e->ini->last.ata_err = a.err_feature;
		return -EIO;
	}
	size_t want = (size_t)s->req.nsect * AOE_SECTOR_SIZE;
	if (!s->req.write && a.data_len < want) {
		fail_slot(e, s, NULL);
		return -EMSGSIZE;
	}
	if (e->job->done) {
		err = e->job->done(e->job->ctx, &s->req,
				   s->req.write ? NULL : a.data);
		if (err < 0) {
			fail_slot(e, s, "verify");
			return err;
		}
	}
	s->busy = false;
	e->freelist[e->nfree++] = idx;
	e->inflight--;
	e->st->requests++;
	e->st->bytes += want;
	return 0;
}

static int rx_batch(struct engine *e)
{
	int n = recvmmsg(e->ini->fd, e->rx_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int err = handle_reply(e, e->rxbuf + (size_t)i * e->rx_cap,
				       e->rx_msgs[i].msg_len);
		if (err)
			return err;
	}
	return n;
}

static int check_timeouts(struct engine *e, uint64_t now)
{
	for (unsigned i = 0; i < e->window; i++) {
		struct slot *s = &e->slots[i];
		if (!s->busy)
			continue;
		unsigned shift = s->tries < 4 ? s->tries : 4;
		uint64_t rto = (uint64_t)e->ini->timeout_ms * 1000000ull << shift;
		if (now - s->sent_ns < rto)
			continue;
		if (s->tries >= e->ini->retries) {
			fail_slot(e, s, NULL);
			return -ETIMEDOUT;
		}
		s->tries++;
		s->sent_ns = now;
		e->st->retransmits++;
		e->ini->retransmits++;
		tx_queue(e, s);
		if (e->ntx == SEND_BATCH) {
			int err = tx_flush(e);
			if (err)
				return err;
		}
	}
	return tx_flush(e);
}

static int engine_setup(struct engine *e)
{
	e->frame_cap = AOE_ATA_HDR_LEN + (size_t)e->t->scnt * AOE_SECTOR_SIZE;
	if (e->frame_cap < AOE_MIN_FRAME)
		e->frame_cap = AOE_MIN_FRAME;
	e->rx_cap = e->ini->mtu + 64 > e->frame_cap + 64 ? e->ini->mtu + 64
							  : e->frame_cap + 64;
	e->slots = calloc(e->window, sizeof(*e->slots));
	e->freelist = calloc(e->window, sizeof(*e->freelist));
	e->rxbuf = malloc(e->rx_cap * RECV_BATCH);
	if (!e->slots || !e->freelist || !e->rxbuf)
		return -ENOMEM;
	for (unsigned i = 0; i < e->window; i++) {
		e->slots[i].frame = malloc(e->frame_cap);
		if (!e->slots[i].frame)
			return -ENOMEM;
		e->freelist[e->nfree++] = e->window - 1 - i;
	}
	ini_mmsg_slices(e->rx_msgs, e->rx_iov, RECV_BATCH, e->rxbuf, e->rx_cap);
	return 0;
}

static void engine_free(struct engine *e)
{
	if (e->slots)
		for (unsigned i = 0; i < e->window; i++)
			free(e->slots[i].frame);
	free(e->slots);
	free(e->freelist);
	free(e->rxbuf);
}

int ini_run(struct ini *ini, const struct ini_target *t,
	    const struct ini_job *job, struct ini_job_stats *st)
{
	struct engine *e = calloc(1, sizeof(*e));
	struct pollfd pfd = { .fd = ini->fd, .events = POLLIN };
	bool more = true;
	uint64_t start = ini_now_ns(), next_scan = start + 10000000ull;
	int err;

	if (!e)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	e->ini = ini;
	e->t = t;
	e->job = job;
	e->st = st;
	e->window = job->window ? job->window : 1;
	if (e->window > INI_MAX_WINDOW)
		e->window = INI_MAX_WINDOW;
	err = engine_setup(e);
	if (err)
		goto out;

	for (;;) {
		uint64_t now = ini_now_ns();

		while (more && e->nfree && e->ntx < SEND_BATCH) {
			if (job->deadline_ns && now >= job->deadline_ns) {
				more = false;
				break;
			}
			unsigned idx = e->freelist[e->nfree - 1];
			struct slot *s = &e->slots[idx];
			int r = job->next(job->ctx, &s->req,
					  s->frame + AOE_ATA_HDR_LEN);
			if (r < 0) {
				err = r;
				goto out;
			}
			if (r == 0) {
				more = false;
				break;
			}
			if (s->req.nsect == 0 || s->req.nsect > t->scnt) {
				err = -EINVAL;
				goto out;
			}
			ini->seq++;
			err = build_request(e, idx);
			if (err)
				goto out;
			e->nfree--;
			s->busy = true;
			s->tries = 0;
			s->sent_ns = now;
			e->inflight++;
			tx_queue(e, s);
		}
		err = tx_flush(e);
		if (err)
			goto out;
		if (!more && !e->inflight)
			break;

		int n = rx_batch(e);
		if (n < 0) {
			err = n;
			goto out;
		}
		now = ini_now_ns();
		if (n == 0 && (!more || !e->nfree)) {
			int wait = (int)((next_scan > now ? next_scan - now : 0) /
					 1000000) + 1;
			if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
				err = -errno;
				goto out;
			}
			now = ini_now_ns();
		}
		if (now >= next_scan) {
			/* Read every reply already waiting before judging
			 * what is late: after a long stall (a busy host, a
			 * long poll) the answers are in the socket and must
			 * not be counted as lost and sent again. */
			do {
				n = rx_batch(e);
				if (n < 0) {
					err = n;
					goto out;
				}
			} while (n == RECV_BATCH);
			err = check_timeouts(e, now);
			if (err)
				goto out;
			next_scan = now + 10000000ull;
		}
	}
	err = 0;
out:
	st->ns = ini_now_ns() - start;
	engine_free(e);
	free(e);
	return err;
}

