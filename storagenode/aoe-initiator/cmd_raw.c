/* cmd_raw.c - aoe-bench's ceiling subcommands: raw-send / raw-count
 * (one-way frames) and reflect (the null target). */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "reflect.h"

/* --- raw frame ceiling --------------------------------------------------- */

int cmd_raw_send(struct ini *ini, struct opts *o)
{
	enum { BATCH = 64 };
	uint64_t size = o->size ? o->size : ini->mtu + AOE_ETH_HDR_LEN;
	uint8_t *frame;
	struct aoe_hdr h;
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	uint64_t sent = 0, end;

	if (size < AOE_MIN_FRAME || size > ini->mtu + AOE_ETH_HDR_LEN) {
		fprintf(stderr, "aoe-bench: --size %" PRIu64 " outside %u..%u "
			"(frame bytes at MTU %u)\n", size, AOE_MIN_FRAME,
			ini->mtu + AOE_ETH_HDR_LEN, ini->mtu);
		return EX_USAGE;
	}
	frame = calloc(1, size);
	if (!frame)
		return EX_FAIL;
	/* A response to a shelf nobody has: targets ignore it, and the
	 * counter's response-only filter passes it. */
	memset(&h, 0, sizeof(h));
	memset(h.dst, 0xff, 6);
	if (o->have_mac)
		memcpy(h.dst, o->mac, 6);
	memcpy(h.src, ini->mac, 6);
	h.flags = AOE_FLAG_RESP;
	h.major = 0xFFFE;
	h.minor = 0xFE;
	h.cmd = AOE_CMD_ATA;
	h.tag = INI_TAG_USER;
	aoe_encode_hdr(frame, size, &h);
	iov.iov_base = frame;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	double cpu0 = cpu_seconds();
	uint64_t start = ini_now_ns();
	end = start + o->seconds * 1000000000ull;
	while (ini_now_ns() < end) {
		int n = sendmmsg(ini->fd, msgs, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != EINTR) {
			fprintf(stderr, "aoe-bench: raw-send on %s: %s\n",
				o->iface, strerror(errno));
			free(frame);
			return EX_FAIL;
		}
		if (n > 0)
			sent += (uint64_t)n;
	}
	double secs = (double)(ini_now_ns() - start) / 1e9;
	if (!o->quiet)
		printf("raw-send %s: frames=%" PRIu64 " size=%" PRIu64
		       " fps=%.0f mbps=%.1f secs=%.2f cpu=%.2f\n", o->iface, sent,
		       size, sent / secs, sent * size / secs / 1e6, secs,
		       cpu_seconds() - cpu0);
	free(frame);
	return EX_OK;
}

int cmd_raw_count(struct ini *ini, struct opts *o)
{
	enum { BATCH = 64 };
	size_t cap = ini->mtu + 64;
	uint8_t *buf = malloc(cap * BATCH);
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t frames = 0, bytes = 0, first = 0, last = 0;
	uint64_t stop = ini_now_ns() + (o->seconds + 30) * 1000000000ull;

	if (!buf)
		return EX_FAIL;
	ini_mmsg_slices(msgs, iov, BATCH, buf, cap);
	/* Count from the first frame for --seconds, or until the sender
	 * has been quiet for 1 s; wait up to 30 s for it to start. */
	for (;;) {
		struct timespec tmo = { 0, 100000000 };
		int n = recvmmsg(ini->fd, msgs, BATCH, MSG_WAITFORONE, &tmo);
		uint64_t now = ini_now_ns();
		if (n > 0) {
			if (!first)
				first = now;
			last = now;
			frames += (uint64_t)n;
			for (int i = 0; i < n; i++)
				bytes += msgs[i].msg_len;
		}
		if (first && now - first >= o->seconds * 1000000000ull)
			break;
		if (first && now - last > 1000000000ull)
			break;
		if (!first && now > stop)
			break;
	}
	free(buf);
	if (!frames) {
		fprintf(stderr, "aoe-bench: raw-count on %s: no frames\n", o->iface);
		return EX_NOANSWER;
	}
	double secs = (double)(last - first) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("raw-count %s: frames=%" PRIu64 " bytes=%" PRIu64 " fps=%.0f "
	       "mbps=%.1f secs=%.2f\n", o->iface, frames, bytes, frames / secs,
	       bytes / secs / 1e6, secs);
	return EX_OK;
}

int cmd_reflect(struct ini *ini, struct opts *o)
{
	int err = reflect_run(ini);

	fprintf(stderr, "aoe-bench: reflect on %s: %s\n", o->iface,
		strerror(-err));
	return EX_FAIL;
}
