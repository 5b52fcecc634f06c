/* initiator.c - the userspace AoE initiator (see initiator.h). */
#include "initiator.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mac.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint64_t ini_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ini_mmsg_slices(struct mmsghdr *msgs, struct iovec *iov, unsigned n,
		     uint8_t *buf, size_t cap)
{
	memset(msgs, 0, n * sizeof(*msgs));
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = buf + (size_t)i * cap;
		iov[i].iov_len = cap;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

const char *ini_aoe_error_name(unsigned e)
{
	static const char *const names[] = {
		"no error", "unrecognized command", "bad argument",
		"device unavailable", "config string present",
		"unsupported version", "target reserved",
	};
	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

const char *ini_ata_error_name(uint8_t err)
{
	if (err & ATA_ERR_IDNF)
		return "IDNF, sector out of range";
	if (err & ATA_ERR_UNC)
		return "UNC, medium error";
	if (err & ATA_ERR_ABRT)
		return "ABRT, command aborted";
	return "unspecified";
}

/* Only responses reach an initiator's socket: our own requests (and other
 * initiators' on a shared segment) are filtered in the kernel, not copied to
 * us. A reflector wants the opposite: requests only. */
static int attach_filter(int fd, bool requests)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, AOE_ETH_HDR_LEN),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, AOE_FLAG_RESP),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 requests ? 0 : AOE_FLAG_RESP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]),
				   .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

int ini_open(struct ini *ini, const char *ifname)
{
	return ini_open_raw(ini, ifname, false);
}

int ini_open_raw(struct ini *ini, const char *ifname, bool requests)
{
	struct ifreq ifr;
	struct sockaddr_ll sll;
	int one = 1, size, err;

	memset(ini, 0, sizeof(*ini));
	ini->fd = -1;
	ini->timeout_ms = 200;
	ini->retries = 8;
	ini->seq = (uint32_t)getpid() ^ (uint32_t)ini_now_ns();
	if (strlen(ifname) >= sizeof(ini->ifname)) {
		log_err("interface name '%s' too long", ifname);
		return -ENAMETOOLONG;
	}
	strcpy(ini->ifname, ifname);
	ini->ifindex = (int)if_nametoindex(ifname);
	if (!ini->ifindex) {
		err = -errno;
		log_err("interface '%s': %s", ifname, strerror(errno));
		return err;
	}
	ini->fd = socket(AF_PACKET, SOCK_RAW, htons(AOE_ETHERTYPE));
	if (ini->fd < 0) {
		err = -errno;
		log_err("raw socket on %s: %s", ifname, strerror(errno));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(ini->fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail_errno;
	memcpy(ini->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(ini->fd, SIOCGIFMTU, &ifr) < 0)
		goto fail_errno;
	ini->mtu = (unsigned)ifr.ifr_mtu;

	err = attach_filter(ini->fd, requests);
	if (err)
		goto fail;
	/* Best effort: both only make us faster or quieter. */
	setsockopt(ini->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(ini->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		   sizeof(one));
	/* Room for a whole window of jumbo replies even when we lag. */
	size = 32 << 20;
	if (setsockopt(ini->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(ini->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	size = 8 << 20;
	if (setsockopt(ini->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(ini->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(AOE_ETHERTYPE);
	sll.sll_ifindex = ini->ifindex;
	if (bind(ini->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail_errno;
	/* Frames queued before bind may come from other interfaces. */
	{
		uint8_t junk[64];
		while (recv(ini->fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
			;
	}
	return 0;

fail_errno:
	err = -errno;
	log_err("interface '%s': %s", ifname, strerror(errno));
fail:
	close(ini->fd);
	ini->fd = -1;
	return err;
}

void ini_close(struct ini *ini)
{
	if (ini->fd >= 0)
		close(ini->fd);
	ini->fd = -1;
}

int ini_send(struct ini *ini, const uint8_t *frame, size_t len)
{
	ssize_t n = send(ini->fd, frame, len, 0);

	/* Transient: treated as a lost frame, which retransmission covers. */
	if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
		      errno == ENETDOWN || errno == ENXIO))
		return 0;
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ini_recv(struct ini *ini, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = { .fd = ini->fd, .events = POLLIN };
	uint64_t end = ini_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		ssize_t n = recv(ini->fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		uint64_t now = ini_now_ns();
		if (now >= end)
			return -ETIMEDOUT;
		int r = poll(&pfd, 1, (int)((end - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

void ini_hdr(struct ini *ini, struct aoe_hdr *h, const uint8_t *dst,
	     uint16_t shelf, uint8_t slot, uint8_t cmd)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->dst, dst, 6);
	memcpy(h->src, ini->mac, 6);
	h->version = AOE_VERSION;
	h->major = shelf;
	h->minor = slot;
	h->cmd = cmd;
	h->tag = ini_tag_make(++ini->seq, 0);
}

static const uint8_t *target_dst(const struct ini_target *t)
{
	return mac_is_zero(t->mac) ? bcast : t->mac;
}

/* Send req and wait for the response with the same tag and command,
 * retransmitting with a doubling timeout. Returns the reply length. */
static int transact(struct ini *ini, const uint8_t *req, size_t len,
		    const struct aoe_hdr *rh, uint8_t *reply, size_t cap)
{
	unsigned tmo = ini->timeout_ms;
	int err;

	for (unsigned try = 0; try <= ini->retries; try++) {
		if (try)
			ini->retransmits++;
		err = ini_send(ini, req, len);
		if (err)
			return err;
		uint64_t end = ini_now_ns() + (uint64_t)tmo * 1000000ull;
		for (;;) {
			uint64_t now = ini_now_ns();
			if (now >= end)
				break;
			int n = ini_recv(ini, reply, cap,
					 (int)((end - now + 999999) / 1000000));
			if (n == -ETIMEDOUT)
				break;
			if (n < 0)
				return n;
			struct aoe_hdr h;
			if (aoe_decode_hdr(reply, (size_t)n, &h) < 0)
				continue;
			if (!(h.flags & AOE_FLAG_RESP) || h.tag != rh->tag ||
			    h.cmd != rh->cmd)
				continue;
			return n;
		}
		if (tmo < 2000)
			tmo *= 2;
	}
	ini->last.tag = rh->tag;
	return -ETIMEDOUT;
}

static void last_reset(struct ini *ini, const char *what, uint32_t tag)
{
	memset(&ini->last, 0, sizeof(ini->last));
	ini->last.what = what;
	ini->last.tag = tag;
}

/* Common check of a reply's AoE error. */
static int reply_aoe_error(struct ini *ini, const uint8_t *reply, size_t n)
{
	struct aoe_hdr h;

	if (aoe_decode_hdr(reply, n, &h) < 0)
		return -EBADMSG;
	if (h.flags & AOE_FLAG_ERR) {
		ini->last.aoe_error = h.error;
		return -EPROTO;
	}
	return 0;
}

/* One request/reply exchange for the admin commands: pads the encoded
 * request (len bytes, or a negative errno from its encoder), sends it, waits
 * for the reply with the same tag and turns an AoE error flag into -EPROTO.
 * Returns the reply's length. */
static int exchange(struct ini *ini, const char *what, uint8_t *req, int len,
		    const struct aoe_hdr *h, uint8_t *reply, size_t cap)
{
	int err;

	if (len < 0)
		return len;
	len = (int)aoe_pad(req, (size_t)len);
	last_reset(ini, what, h->tag);
	len = transact(ini, req, (size_t)len, h, reply, cap);
	if (len < 0)
		return len;
	err = reply_aoe_error(ini, reply, (size_t)len);
	return err ? err : len;
}

static void target_from_cfg(struct ini_target *t, const struct aoe_hdr *h,
			    const struct aoe_cfg *c)
{
	t->shelf = h->major;
	t->slot = h->minor;
	memcpy(t->mac, h->src, 6);
	t->bufcnt = c->bufcnt;
	t->fwver = c->fwver;
	t->scnt = c->scnt ? c->scnt : 2;
	t->aoever = c->aoever;
	t->ccmd = c->ccmd;
	t->cslen = c->cslen > AOE_CFG_STR_MAX ? AOE_CFG_STR_MAX : c->cslen;
	memcpy(t->cfg, c->str, t->cslen);
	t->cfg[t->cslen] = 0;
}

static int send_query(struct ini *ini, const uint8_t *dst, uint16_t shelf,
		      uint8_t slot, uint8_t ccmd, const char *str, size_t len,
		      struct aoe_hdr *h, uint8_t *req, size_t cap)
{
	struct aoe_cfg c = { .aoever = AOE_VERSION, .ccmd = ccmd,
			     .cslen = (uint16_t)len,
			     .str = (const uint8_t *)str };
	int n;

	ini_hdr(ini, h, dst, shelf, slot, AOE_CMD_CONFIG);
	n = aoe_encode_cfg(req, cap, h, &c);
	if (n < 0)
		return n;
	return (int)aoe_pad(req, (size_t)n);
}

int ini_discover(struct ini *ini, uint16_t shelf, uint8_t slot,
		 unsigned wait_ms, struct ini_target *out, size_t max)
{
	uint8_t req[AOE_MIN_FRAME + AOE_CFG_HDR_LEN];
	uint8_t reply[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX + 64];
	struct aoe_hdr h;
	size_t found = 0;
	int n, err;

	n = send_query(ini, bcast, shelf, slot, AOE_CCMD_READ, NULL, 0, &h,
		       req, sizeof(req));
	if (n < 0)
		return n;
	err = ini_send(ini, req, (size_t)n);
	if (err)
		return err;
	uint64_t end = ini_now_ns() + (uint64_t)wait_ms * 1000000ull;
	for (;;) {
		uint64_t now = ini_now_ns();
		if (now >= end)
			break;
		int r = ini_recv(ini, reply, sizeof(reply),
				 (int)((end - now + 999999) / 1000000));
		if (r == -ETIMEDOUT)
			break;
		if (r < 0)
			return r;
		struct aoe_hdr rh;
		struct aoe_cfg c;
		if (aoe_decode_hdr(reply, (size_t)r, &rh) < 0 ||
		    rh.cmd != AOE_CMD_CONFIG || rh.tag != h.tag ||
		    (rh.flags & AOE_FLAG_ERR) ||
		    aoe_decode_cfg(reply, (size_t)r, &c) < 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < found && i < max; i++)
			if (out[i].shelf == rh.major && out[i].slot == rh.minor &&
			    !memcmp(out[i].mac, rh.src, 6))
				dup = true;
		if (dup)
			continue;
		if (found < max)
			target_from_cfg(&out[found], &rh, &c);
		found++;
	}
	return (int)(found < max ? found : max);
}

int ini_config(struct ini *ini, struct ini_target *t, uint8_t ccmd,
	       const char *str, size_t len)
{
	uint8_t req[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX + 64];
	uint8_t reply[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX + 64];
	struct aoe_hdr h, rh;
	struct aoe_cfg c;
	int n;

	if (len > AOE_CFG_STR_MAX)
		return -E2BIG;
	n = send_query(ini, target_dst(t), t->shelf, t->slot, ccmd, str, len,
		       &h, req, sizeof(req));
	n = exchange(ini, "config", req, n, &h, reply, sizeof(reply));
	if (n < 0)
		return n;
	if (aoe_decode_hdr(reply, (size_t)n, &rh) < 0 ||
	    aoe_decode_cfg(reply, (size_t)n, &c) < 0)
		return -EBADMSG;
	target_from_cfg(t, &rh, &c);
	return 0;
}

int ini_find(struct ini *ini, uint16_t shelf, uint8_t slot,
	     struct ini_target *t)
{
	memset(t, 0, sizeof(*t));
	t->shelf = shelf;
	t->slot = slot;
	return ini_config(ini, t, AOE_CCMD_READ, NULL, 0);
}

int ini_mask(struct ini *ini, const struct ini_target *t, uint8_t mcmd,
	     const struct aoe_mask_dir *dirs, unsigned ndirs,
	     uint8_t (*macs)[6], unsigned *n)
{
	uint8_t req[AOE_MASK_HDR_LEN + AOE_MASK_MAX * 8 + 64];
	uint8_t reply[AOE_MASK_HDR_LEN + AOE_MASK_MAX * 8 + 64];
	struct aoe_hdr h;
	struct aoe_mask m;
	int len;

	if (ndirs > AOE_MASK_MAX)
		return -E2BIG;
	ini_hdr(ini, &h, target_dst(t), t->shelf, t->slot, AOE_CMD_MASK);
	len = aoe_encode_mask(req, sizeof(req), &h, mcmd, 0, (uint8_t)ndirs,
			      dirs);
	len = exchange(ini, "mask", req, len, &h, reply, sizeof(reply));
	if (len < 0)
		return len;
	if (aoe_decode_mask(reply, (size_t)len, &m) < 0)
		return -EBADMSG;
	if (m.merror) {
		ini->last.merror = m.merror;
		return -EPROTO;
	}
	*n = 0;
	for (unsigned i = 0; i < m.dcnt; i++) {
		struct aoe_mask_dir d;
		aoe_mask_dir_get(&m, i, &d);
		memcpy(macs[(*n)++], d.mac, 6);
	}
	return 0;
}

int ini_reserve(struct ini *ini, const struct ini_target *t, uint8_t rcmd,
		const uint8_t (*macs)[6], unsigned nmacs,
		uint8_t (*out)[6], unsigned *nout)
{
	uint8_t req[AOE_RESV_HDR_LEN + AOE_RESV_MAX * 6 + 64];
	uint8_t reply[AOE_RESV_HDR_LEN + AOE_RESV_MAX * 6 + 64];
	struct aoe_hdr h;
	struct aoe_resv r;
	int len;

	if (nmacs > AOE_RESV_MAX)
		return -E2BIG;
	ini_hdr(ini, &h, target_dst(t), t->shelf, t->slot, AOE_CMD_RESERVE);
	len = aoe_encode_resv(req, sizeof(req), &h, rcmd, (uint8_t)nmacs, macs);
	len = exchange(ini, "reserve", req, len, &h, reply, sizeof(reply));
	if (len < 0)
		return len;
	if (aoe_decode_resv(reply, (size_t)len, &r) < 0)
		return -EBADMSG;
	*nout = r.nmacs;
	for (unsigned i = 0; i < r.nmacs; i++)
		memcpy(out[i], r.macs + 6 * i, 6);
	return 0;
}

int ini_ata_simple(struct ini *ini, const struct ini_target *t, uint8_t cmd,
		   uint8_t *data, size_t cap, uint8_t *status)
{
	uint8_t req[AOE_MIN_FRAME + AOE_ATA_HDR_LEN];
	uint8_t reply[AOE_ATA_HDR_LEN + 2 * AOE_SECTOR_SIZE + 64];
	struct aoe_hdr h;
	struct aoe_ata a = { .cmd_status = cmd };
	int len;

	if (cmd == ATA_CMD_IDENTIFY)
		a.sector_count = 1;
	if (cmd == ATA_CMD_FLUSH_EXT)
		a.aflags = AOE_AFLAG_EXT;
	ini_hdr(ini, &h, target_dst(t), t->shelf, t->slot, AOE_CMD_ATA);
	len = aoe_encode_ata(req, sizeof(req), &h, &a);
	len = exchange(ini, cmd == ATA_CMD_IDENTIFY ? "identify" : "ata command",
		       req, len, &h, reply, sizeof(reply));
	if (len < 0)
		return len;
	if (aoe_decode_ata(reply, (size_t)len, &a) < 0)
		return -EBADMSG;
	if (status)
		*status = a.cmd_status;
	if (a.cmd_status & INI_ATA_FAILMASK) {
		ini->last.ata_status = a.cmd_status;
		ini->last.ata_err = a.err_feature;
		return -EIO;
	}
	if (data) {
		size_t n = a.data_len < cap ? a.data_len : cap;
		memcpy(data, a.data, n);
		if (n < cap)
			return -EMSGSIZE;
	}
	return 0;
}

static void ident_string(const uint8_t *blk, unsigned word, unsigned nwords,
			 char *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nwords; i++) {
		/* ATA strings: two characters per word, the first in the
		 * high byte. */
		out[k++] = (char)blk[2 * (word + i) + 1];
		out[k++] = (char)blk[2 * (word + i)];
	}
	out[k] = 0;
	while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == 0))
		out[--k] = 0;
}

static uint16_t ident_word(const uint8_t *blk, unsigned w)
{
	return (uint16_t)(blk[2 * w] | blk[2 * w + 1] << 8);
}

void ini_identity_decode(const uint8_t *blk, struct ini_identity *id)
{
	memset(id, 0, sizeof(*id));
	ident_string(blk, 10, 10, id->serial);
	ident_string(blk, 23, 4, id->firmware);
	ident_string(blk, 27, 20, id->model);
	id->lba48 = ident_word(blk, 83) & (1u << 10);
	if (id->lba48) {
		for (int i = 3; i >= 0; i--)
			id->sectors = id->sectors << 16 |
				      ident_word(blk, 100 + (unsigned)i);
	} else {
		id->sectors = (uint64_t)ident_word(blk, 61) << 16 |
			      ident_word(blk, 60);
	}
}

int ini_identify(struct ini *ini, const struct ini_target *t,
		 struct ini_identity *id)
{
	uint8_t blk[AOE_SECTOR_SIZE];
	int err = ini_ata_simple(ini, t, ATA_CMD_IDENTIFY, blk, sizeof(blk),
				 NULL);

	if (err)
		return err;
	ini_identity_decode(blk, id);
	return 0;
}

void ini_describe(const struct ini *ini, int err, char *buf, size_t cap)
{
	const struct ini_fail *f = &ini->last;
	char where[96] = "";
	int n;

	if (f->nsect)
		snprintf(where, sizeof(where), " LBA %llu (+%u)",
			 (unsigned long long)f->lba, f->nsect);
	n = snprintf(buf, cap, "%s tag 0x%08x%s: ", f->what ? f->what : "request",
		     f->tag, where);
	if (n < 0 || (size_t)n >= cap)
		return;
	buf += n;
	cap -= (size_t)n;
	switch (err) {
	case -EPROTO:
		if (f->merror)
			snprintf(buf, cap, "mask list error %u%s", f->merror,
				 f->merror == AOE_MERR_FULL ? " (list full)" : "");
		else
			snprintf(buf, cap, "AoE error %u (%s)", f->aoe_error,
				 ini_aoe_error_name(f->aoe_error));
		break;
	case -EIO:
		snprintf(buf, cap, "ATA status 0x%02x error 0x%02x (%s)",
			 f->ata_status, f->ata_err,
			 ini_ata_error_name(f->ata_err));
		break;
	case -ETIMEDOUT:
		snprintf(buf, cap, "no answer after %u tries", ini->retries + 1);
		break;
	case -EMSGSIZE:
		snprintf(buf, cap, "reply shorter than the data requested");
		break;
	default:
		snprintf(buf, cap, "%s", strerror(-err));
		break;
	}
}
