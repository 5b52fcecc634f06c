/* reflect.c - the null AoE target (see reflect.h). */
#include "reflect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64

static void put_word(uint8_t *blk, unsigned w, uint16_t v)
{
	blk[2 * w] = (uint8_t)v;
	blk[2 * w + 1] = (uint8_t)(v >> 8);
}

static void identify_block(uint8_t *blk)
{
	static const char model[40] = "nimbus null target                      ";

	memset(blk, 0, AOE_SECTOR_SIZE);
	for (unsigned i = 0; i < 40; i++)
		blk[2 * 27 + (i ^ 1)] = (uint8_t)model[i];
	put_word(blk, 49, 1u << 9);          /* LBA supported */
	put_word(blk, 60, 0xFFFF);
	put_word(blk, 61, 0x0FFF);
	put_word(blk, 83, 1u << 10);         /* LBA48 supported */
	put_word(blk, 86, 1u << 10);
	for (unsigned i = 0; i < 4; i++)
		put_word(blk, 100 + i, (uint16_t)(REFLECT_SECTORS >> (16 * i)));
}

size_t reflect_reply(const uint8_t *frame, size_t len, const uint8_t mac[6],
		     unsigned mtu, uint8_t *reply, size_t cap)
{
	struct aoe_hdr h;
	int n;

	if (aoe_decode_hdr(frame, len, &h) < 0 || (h.flags & AOE_FLAG_RESP) ||
	    h.version != AOE_VERSION)
		return 0;
	memcpy(h.dst, h.src, 6);
	memcpy(h.src, mac, 6);
	h.flags = AOE_FLAG_RESP;
	h.error = 0;
	if (h.cmd == AOE_CMD_CONFIG) {
		struct aoe_cfg c = {
			.bufcnt = REFLECT_BUFCNT,
			.scnt = (uint8_t)aoe_sectors_per_frame(mtu),
			.aoever = AOE_VERSION,
		};
		if (h.major == AOE_MAJOR_ANY)
			h.major = 0;
		if (h.minor == AOE_MINOR_ANY)
			h.minor = 0;
		n = aoe_encode_cfg(reply, cap, &h, &c);
		return n < 0 ? 0 : aoe_pad(reply, (size_t)n);
	}
	if (h.cmd != AOE_CMD_ATA)
		return 0;
	struct aoe_ata a;
	if (aoe_decode_ata(frame, len, &a) < 0)
		return 0;
	size_t data = 0;
	uint8_t cmd = a.cmd_status;
	a.cmd_status = ATA_STAT_DRDY;
	a.err_feature = 0;
	a.data = NULL;
	if (cmd == ATA_CMD_IDENTIFY) {
		data = AOE_SECTOR_SIZE;
		if (cap < AOE_ATA_HDR_LEN + data)
			return 0;
		identify_block(reply + AOE_ATA_HDR_LEN);
	} else if (cmd == ATA_CMD_READ || cmd == ATA_CMD_READ_EXT) {
		data = (size_t)a.sector_count * AOE_SECTOR_SIZE;
	}
	if (AOE_ATA_HDR_LEN + data > cap ||
	    AOE_ATA_HDR_LEN + data > (size_t)mtu + AOE_ETH_HDR_LEN) {
		a.cmd_status = ATA_STAT_DRDY | ATA_STAT_ERR;
		a.err_feature = ATA_ERR_ABRT;
		data = 0;
	}
	/* Read data is whatever the buffer holds: the point is to move the
	 * frames, not to produce content. */
	a.data_len = data;
	n = aoe_encode_ata(reply, cap, &h, &a);
	return n < 0 ? 0 : aoe_pad(reply, (size_t)n);
}

int reflect_run(struct ini *ini)
{
	size_t cap = ini->mtu + 64;
	uint8_t *rx = calloc(BATCH, cap), *tx = calloc(BATCH, cap);
	struct mmsghdr rmsg[BATCH], tmsg[BATCH];
	struct iovec riov[BATCH], tiov[BATCH];
	int err = 0;

	if (!rx || !tx) {
		err = -ENOMEM;
		goto out;
	}
	ini_mmsg_slices(rmsg, riov, BATCH, rx, cap);
	/* Each reply's length is set as it is built. */
	ini_mmsg_slices(tmsg, tiov, BATCH, tx, cap);
	for (;;) {
		int n = recvmmsg(ini->fd, rmsg, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		unsigned nt = 0;
		for (int i = 0; i < n; i++) {
			size_t len = reflect_reply(rx + (size_t)i * cap,
						   rmsg[i].msg_len, ini->mac,
						   ini->mtu, tx + (size_t)nt * cap,
						   cap);
			if (len)
				tiov[nt++].iov_len = len;
		}
		for (unsigned off = 0; off < nt;) {
			int s = sendmmsg(ini->fd, tmsg + off, nt - off, 0);
			if (s < 0) {
				if (errno == EINTR)
					continue;
				break; /* dropped: the client retransmits */
			}
			off += (unsigned)s;
		}
	}
out:
	free(rx);
	free(tx);
	return err;
}
