/* AoEr11 wire format: pure encoders and decoders (see aoe_proto.h).
 *
 * Fields are read and written byte by byte rather than through packed
 * structs so that alignment and host byte order never matter, and so that
 * every access is visibly inside the length checked just before it.
 */
#include <errno.h>
#include <string.h>

#include "aoe/aoe_proto.h"

/* Offsets inside the frame (see the layout in aoe_proto.h). */
#define OFF_ETHERTYPE   12
#define OFF_VERFLAGS    14
#define OFF_ERROR       15
#define OFF_MAJOR       16
#define OFF_MINOR       18
#define OFF_CMD         19
#define OFF_TAG         20
#define OFF_ARG         24

#define MASK_DIR_LEN    8
#define MAC_BYTES       6

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The checks every decoder starts with, in the documented order: the fixed
 * part must be there before the ethertype is even looked at. */
static int check_frame(const uint8_t *frame, size_t len, size_t need)
{
	if (len < need)
		return -EMSGSIZE;
	if (get_be16(frame + OFF_ETHERTYPE) != AOE_ETHERTYPE)
		return -EPROTO;
	return 0;
}

int aoe_decode_hdr(const uint8_t *frame, size_t len, struct aoe_hdr *h)
{
	int rc = check_frame(frame, len, AOE_HDR_LEN);

	if (rc < 0)
		return rc;
	memcpy(h->dst, frame, 6);
	memcpy(h->src, frame + 6, 6);
	h->version = frame[OFF_VERFLAGS] >> 4;
	h->flags = frame[OFF_VERFLAGS] & 0x0F;
	h->error = frame[OFF_ERROR];
	h->major = get_be16(frame + OFF_MAJOR);
	h->minor = frame[OFF_MINOR];
	h->cmd = frame[OFF_CMD];
	h->tag = get_be32(frame + OFF_TAG);
	return 0;
}

int aoe_decode_ata(const uint8_t *frame, size_t len, struct aoe_ata *a)
{
	const uint8_t *p = frame + OFF_ARG;
	int rc = check_frame(frame, len, AOE_ATA_HDR_LEN);

	if (rc < 0)
		return rc;
	a->aflags = p[0];
	a->err_feature = p[1];
	a->sector_count = p[2];
	a->cmd_status = p[3];
	a->lba = 0;
	for (int i = 5; i >= 0; i--)
		a->lba = a->lba << 8 | p[4 + i];
	/* Whatever follows is data for writes and padding otherwise; the
	 * command decides how much of it counts. */
	a->data = frame + AOE_ATA_HDR_LEN;
	a->data_len = len - AOE_ATA_HDR_LEN;
	return 0;
}

int aoe_decode_cfg(const uint8_t *frame, size_t len, struct aoe_cfg *c)
{
	const uint8_t *p = frame + OFF_ARG;
	int rc = check_frame(frame, len, AOE_CFG_HDR_LEN);

	if (rc < 0)
		return rc;
	c->bufcnt = get_be16(p);
	c->fwver = get_be16(p + 2);
	c->scnt = p[4];
	c->aoever = p[5] >> 4;
	c->ccmd = p[5] & 0x0F;
	c->cslen = get_be16(p + 6);
	if (c->cslen > len - AOE_CFG_HDR_LEN)
		return -EMSGSIZE;
	c->str = frame + AOE_CFG_HDR_LEN;
	return 0;
}

int aoe_decode_mask(const uint8_t *frame, size_t len, struct aoe_mask *m)
{
	const uint8_t *p = frame + OFF_ARG;
	int rc = check_frame(frame, len, AOE_MASK_HDR_LEN);

	if (rc < 0)
		return rc;
	m->mcmd = p[1];
	m->merror = p[2];
	m->dcnt = p[3];
	if ((size_t)m->dcnt * MASK_DIR_LEN > len - AOE_MASK_HDR_LEN)
		return -EMSGSIZE;
	m->dirs = frame + AOE_MASK_HDR_LEN;
	return 0;
}

void aoe_mask_dir_get(const struct aoe_mask *m, unsigned i,
		      struct aoe_mask_dir *d)
{
	const uint8_t *p = m->dirs + (size_t)i * MASK_DIR_LEN;

	d->dcmd = p[1];
	memcpy(d->mac, p + 2, MAC_BYTES);
}

int aoe_decode_resv(const uint8_t *frame, size_t len, struct aoe_resv *r)
{
	const uint8_t *p = frame + OFF_ARG;
	int rc = check_frame(frame, len, AOE_RESV_HDR_LEN);

	if (rc < 0)
		return rc;
	r->rcmd = p[0];
	r->nmacs = p[1];
	if ((size_t)r->nmacs * MAC_BYTES > len - AOE_RESV_HDR_LEN)
		return -EMSGSIZE;
	r->macs = frame + AOE_RESV_HDR_LEN;
	return 0;
}

int aoe_encode_hdr(uint8_t *buf, size_t cap, const struct aoe_hdr *h)
{
	if (cap < AOE_HDR_LEN)
		return -ENOSPC;
	memcpy(buf, h->dst, 6);
	memcpy(buf + 6, h->src, 6);
	put_be16(buf + OFF_ETHERTYPE, AOE_ETHERTYPE);
	buf[OFF_VERFLAGS] = (uint8_t)(AOE_VERSION << 4 | (h->flags & 0x0F));
	buf[OFF_ERROR] = h->error;
	put_be16(buf + OFF_MAJOR, h->major);
	buf[OFF_MINOR] = h->minor;
	buf[OFF_CMD] = h->cmd;
	put_be32(buf + OFF_TAG, h->tag);
	return AOE_HDR_LEN;
}

int aoe_encode_ata(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		   const struct aoe_ata *a)
{
	uint8_t *p = buf + OFF_ARG;

	if (a->data_len > cap || cap - a->data_len < AOE_ATA_HDR_LEN)
		return -ENOSPC;
	aoe_encode_hdr(buf, cap, h);
	p[0] = a->aflags;
	p[1] = a->err_feature;
	p[2] = a->sector_count;
	p[3] = a->cmd_status;
	for (int i = 0; i < 6; i++)
		p[4 + i] = (uint8_t)(a->lba >> (8 * i));
	p[10] = 0;
	p[11] = 0;
	if (a->data && a->data_len)
		memmove(buf + AOE_ATA_HDR_LEN, a->data, a->data_len);
	return (int)(AOE_ATA_HDR_LEN + a->data_len);
}

int aoe_encode_cfg(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		   const struct aoe_cfg *c)
{
	uint8_t *p = buf + OFF_ARG;

	if (cap < AOE_CFG_HDR_LEN || cap - AOE_CFG_HDR_LEN < c->cslen)
		return -ENOSPC;
	aoe_encode_hdr(buf, cap, h);
	put_be16(p, c->bufcnt);
	put_be16(p + 2, c->fwver);
	p[4] = c->scnt;
	p[5] = (uint8_t)(c->aoever << 4 | (c->ccmd & 0x0F));
	put_be16(p + 6, c->cslen);
	if (c->str && c->cslen)
		memmove(buf + AOE_CFG_HDR_LEN, c->str, c->cslen);
	return AOE_CFG_HDR_LEN + c->cslen;
}

int aoe_encode_mask(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		    uint8_t mcmd, uint8_t merror, uint8_t dcnt,
		    const struct aoe_mask_dir *dirs)
{
	size_t len = AOE_MASK_HDR_LEN + (size_t)dcnt * MASK_DIR_LEN;
	uint8_t *p = buf + OFF_ARG;

	if (cap < len)
		return -ENOSPC;
	aoe_encode_hdr(buf, cap, h);
	p[0] = 0;
	p[1] = mcmd;
	p[2] = merror;
	p[3] = dcnt;
	for (unsigned i = 0; dirs && i < dcnt; i++) {
		uint8_t *d = buf + AOE_MASK_HDR_LEN + (size_t)i * MASK_DIR_LEN;

		d[0] = 0;
		d[1] = dirs[i].dcmd;
		memcpy(d + 2, dirs[i].mac, MAC_BYTES);
	}
	return (int)len;
}

int aoe_encode_resv(uint8_t *buf, size_t cap, const struct aoe_hdr *h,
		    uint8_t rcmd, uint8_t nmacs, const uint8_t (*macs)[6])
{
	size_t len = AOE_RESV_HDR_LEN + (size_t)nmacs * MAC_BYTES;
	uint8_t *p = buf + OFF_ARG;

	if (cap < len)
		return -ENOSPC;
	aoe_encode_hdr(buf, cap, h);
	p[0] = rcmd;
	p[1] = nmacs;
	if (macs && nmacs)
		memmove(buf + AOE_RESV_HDR_LEN, macs, (size_t)nmacs * MAC_BYTES);
	return (int)len;
}

size_t aoe_pad(uint8_t *buf, size_t len)
{
	if (len >= AOE_MIN_FRAME)
		return len;
	memset(buf + len, 0, AOE_MIN_FRAME - len);
	return AOE_MIN_FRAME;
}

unsigned aoe_sectors_per_frame(unsigned mtu)
{
	unsigned n;

	if (mtu < AOE_ATA_HDR_LEN)
		return 0;
	n = (mtu - AOE_ATA_HDR_LEN) / AOE_SECTOR_SIZE;
	return n > 255 ? 255 : n;
}
