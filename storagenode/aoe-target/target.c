/* target.c - AoEr11 request handling for one export, without I/O: the gate
 * every frame passes, dispatch to the command handlers, completion of disk
 * operations, the announcement.
 *
 * The gate's order: decode the common header, drop responses and frames
 * for other exports, drop frames from group addresses and from MACs the
 * Mac Mask List does not allow, check the AoE version, then dispatch on
 * the command. Each handler validates its argument completely before it
 * asks the daemon for any disk operation, so a bad frame can only produce
 * an error reply or nothing. docs/aoe-protocol.md explains the choices.
 */
#include <stdio.h>
#include <string.h>

#include "target_priv.h"

bool target_mac_in(const uint8_t (*list)[TARGET_MAC_LEN], unsigned n,
		   const uint8_t *mac)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(list[i], mac, TARGET_MAC_LEN) == 0)
			return true;
	return false;
}

bool target_reserved_against(const struct target_export *ex,
			     const uint8_t *mac)
{
	return ex->nresv > 0 && !target_mac_in(ex->resv, ex->nresv, mac);
}

void target_export_init(struct target_export *ex, uint16_t shelf, uint8_t slot,
			uint64_t sectors)
{
	memset(ex, 0, sizeof(*ex));
	ex->shelf = shelf;
	ex->slot = slot;
	ex->sectors = sectors;
	ex->bufcnt = 16;
	ex->fwver = 0x0001;
	snprintf(ex->model, sizeof(ex->model), "nimbus aoetd");
	snprintf(ex->serial, sizeof(ex->serial), "%u.%u", (unsigned)shelf,
		 (unsigned)slot);
	snprintf(ex->firmware, sizeof(ex->firmware), "%04x",
		 (unsigned)ex->fwver);
}

/* Wildcard shelf/slot is discovery: only Query Config may use it. Letting
 * an ATA write or a list edit through a wildcard would apply it to every
 * export behind every target on the segment at once. */
bool target_matches(const struct target_export *ex, const struct aoe_hdr *h)
{
	bool wild = false;

	if (h->flags & AOE_FLAG_RESP)
		return false;
	if (h->major != ex->shelf) {
		if (h->major != AOE_MAJOR_ANY)
			return false;
		wild = true;
	}
	if (h->minor != ex->slot) {
		if (h->minor != AOE_MINOR_ANY)
			return false;
		wild = true;
	}
	return !wild || h->cmd == AOE_CMD_CONFIG;
}

struct aoe_hdr target_reply_hdr(const struct target_req *r)
{
	struct aoe_hdr h = {
		.version = AOE_VERSION, .flags = AOE_FLAG_RESP,
		.major = r->ex->shelf, .minor = r->ex->slot,
		.cmd = r->hdr.cmd, .tag = r->hdr.tag,
	};

	memcpy(h.dst, r->hdr.src, TARGET_MAC_LEN);
	memcpy(h.src, r->our_mac, TARGET_MAC_LEN);
	return h;
}

void target_reply_ready(struct target_req *r, size_t len)
{
	r->io->action = TARGET_REPLY;
	r->io->reply_len = aoe_pad(r->reply, len);
}

/* The request's argument is echoed (as much as the frame carried, up to
 * the minimum frame) so the initiator can match the error to its request. */
void target_aoe_error(struct target_req *r, enum aoe_error code)
{
	struct aoe_hdr h = target_reply_hdr(r);
	size_t arg = 0;

	h.flags |= AOE_FLAG_ERR;
	h.error = (uint8_t)code;
	aoe_encode_hdr(r->reply, AOE_HDR_LEN, &h);
	if (r->len > AOE_HDR_LEN) {
		arg = r->len - AOE_HDR_LEN;
		if (arg > AOE_MIN_FRAME - AOE_HDR_LEN)
			arg = AOE_MIN_FRAME - AOE_HDR_LEN;
		memcpy(r->reply + AOE_HDR_LEN, r->frame + AOE_HDR_LEN, arg);
	}
	r->ex->stats.errors++;
	target_reply_ready(r, AOE_HDR_LEN + arg);
}

int target_handle(struct target_export *ex, const uint8_t *frame, size_t len,
		  const uint8_t our_mac[6], unsigned mtu,
		  uint8_t *reply, size_t cap, struct target_io *io)
{
	struct target_req r = {
		.ex = ex, .frame = frame, .len = len, .our_mac = our_mac,
		.mtu = mtu, .reply = reply, .cap = cap, .io = io,
	};

	memset(io, 0, sizeof(*io));
	io->action = TARGET_DROP;
	if (aoe_decode_hdr(frame, len, &r.hdr) < 0 ||
	    !target_matches(ex, &r.hdr))
		return 0;
	/* Never answer a group address: a reply would go to every host. The
	 * Mac Mask List, when set, says who may talk to this export at all. */
	if ((r.hdr.src[0] & 0x01) ||
	    (ex->nmask > 0 && !target_mac_in(ex->mask, ex->nmask, r.hdr.src))) {
		ex->stats.dropped++;
		return 0;
	}
	/* Every reply fits the smallest buffer the daemon may pass (an
	 * Ethernet minimum frame), so only this needs checking. */
	if (cap < AOE_MIN_FRAME) {
		ex->stats.dropped++;
		return 0;
	}
	ex->stats.requests++;
	if (r.hdr.version != AOE_VERSION) {
		target_aoe_error(&r, AOE_ERR_UNSUPVER);
		return 0;
	}
	switch (r.hdr.cmd) {
	case AOE_CMD_ATA:
		target_ata(&r);
		break;
	case AOE_CMD_CONFIG:
		target_cfg(&r);
		break;
	case AOE_CMD_MASK:
		target_mask(&r);
		break;
	case AOE_CMD_RESERVE:
		target_resv(&r);
		break;
	default:
		target_aoe_error(&r, AOE_ERR_BADCMD);
		break;
	}
	return 0;
}

size_t target_complete(struct target_export *ex, const struct target_io *io,
		       int64_t result, uint8_t *reply)
{
	uint8_t *ata = reply + AOE_HDR_LEN;	/* aflags err count status */
	bool ok = result >= 0 && (io->action == TARGET_FLUSH ||
				  (uint64_t)result == io->len);

	if (!ok) {
		/* A medium error: retrying will not help, so the initiator
		 * may fail the I/O; never acknowledge what was not done. */
		ata[1] = ATA_ERR_UNC;
		ata[3] = TARGET_ST_ERR;
		ex->stats.errors++;
		return aoe_pad(reply, AOE_ATA_HDR_LEN);
	}
	ata[1] = 0;
	ata[3] = TARGET_ST_OK;
	switch (io->action) {
	case TARGET_READ:
		ex->stats.read_bytes += io->len;
		return AOE_ATA_HDR_LEN + io->len;
	case TARGET_WRITE:
		ex->stats.write_bytes += io->len;
		break;
	default:
		break;
	}
	return aoe_pad(reply, AOE_ATA_HDR_LEN);
}

size_t target_announce(const struct target_export *ex, const uint8_t our_mac[6],
		       unsigned mtu, uint8_t *reply, size_t cap)
{
	struct aoe_hdr h = {
		.version = AOE_VERSION, .flags = AOE_FLAG_RESP,
		.major = ex->shelf, .minor = ex->slot, .cmd = AOE_CMD_CONFIG,
	};
	int n;

	memset(h.dst, 0xff, TARGET_MAC_LEN);
	memcpy(h.src, our_mac, TARGET_MAC_LEN);
	if (cap < AOE_MIN_FRAME)
		return 0;
	n = target_cfg_encode(ex, &h, AOE_CCMD_READ, mtu, reply, cap);
	return n < 0 ? 0 : aoe_pad(reply, (size_t)n);
}
