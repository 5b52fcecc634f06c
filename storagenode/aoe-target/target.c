/* target.c - AoEr11 request handling for one export, without I/O.
 *
 * Every frame goes through the same gate, in this order: decode the common
 * header, drop responses and frames for other exports, drop frames from
 * MACs the Mac Mask List does not allow, check the AoE version, then
 * dispatch on the command. Each command validates its argument completely
 * before it asks the daemon for any disk operation, so a bad frame can only
 * ever produce an error reply or nothing. docs/aoe-protocol.md explains the
 * error choices.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aoe/aoe_proto.h"
#include "target.h"

#define MAC_BYTES 6

static const uint8_t BROADCAST[MAC_BYTES] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff };

/* ATA status the Linux initiator treats as success: only DRDY. Any of
 * 0xa9 (BSY|DF|DRQ|ERR) fails the block I/O at once, so ERR is set only for
 * errors that retrying cannot cure. */
#define ST_OK   ATA_STAT_DRDY
#define ST_ERR  (ATA_STAT_DRDY | ATA_STAT_ERR)

/* IDENTIFY DEVICE word numbers (ATA8-ACS) that we fill in. */
#define ID_WORDS          256
#define ID_CONFIG         0
#define ID_CYLS           1
#define ID_HEADS          3
#define ID_SPT            6
#define ID_SERIAL         10   /* 10 words */
#define ID_FIRMWARE       23   /* 4 words */
#define ID_MODEL          27   /* 20 words */
#define ID_MULTIPLE       47
#define ID_CAPS           49
#define ID_CAPS2          50
#define ID_VALID          53
#define ID_CUR_CYLS       54
#define ID_CUR_HEADS      55
#define ID_CUR_SPT        56
#define ID_CUR_CAP        57   /* 2 words */
#define ID_LBA28          60   /* 2 words */
#define ID_MAJOR          80
#define ID_MINOR          81
#define ID_CMDSET1        82
#define ID_CMDSET2        83
#define ID_CMDSET_EXT     84
#define ID_CMDSET1_EN     85
#define ID_CMDSET2_EN     86
#define ID_CMDSET_EXT_EN  87
#define ID_UDMA           88
#define ID_HW_RESET       93
#define ID_LBA48          100  /* 4 words */

#define CMDSET2_VALID     0x4000   /* bits 15:14 = 01: word is valid */
#define CMDSET2_LBA48     0x0400
#define CMDSET2_FLUSH     0x1000
#define CMDSET2_FLUSH_EXT 0x2000

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, MAC_BYTES) == 0;
}

static bool mac_in(const uint8_t (*list)[MAC_BYTES], unsigned n,
		   const uint8_t *mac)
{
	for (unsigned i = 0; i < n; i++)
		if (mac_eq(list[i], mac))
			return true;
	return false;
}

/* Only the reservation holders may change data or the config string while
 * a reservation is in place. */
static bool reserved_against(const struct target_export *ex,
			     const uint8_t *mac)
{
	return ex->nresv > 0 && !mac_in(ex->resv, ex->nresv, mac);
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

/* The reply header: back to the requester, from us, with the export's real
 * address (also for wildcard queries), the request's command and tag. */
static struct aoe_hdr reply_hdr(const struct target_export *ex,
				const struct aoe_hdr *req,
				const uint8_t our_mac[MAC_BYTES])
{
	struct aoe_hdr h = {
		.version = AOE_VERSION, .flags = AOE_FLAG_RESP,
		.major = ex->shelf, .minor = ex->slot, .cmd = req->cmd,
		.tag = req->tag,
	};

	memcpy(h.dst, req->src, MAC_BYTES);
	memcpy(h.src, our_mac, MAC_BYTES);
	return h;
}

static void reply_ready(struct target_io *io, uint8_t *reply, size_t len)
{
	io->action = TARGET_REPLY;
	io->reply_len = aoe_pad(reply, len);
}

/* An AoE error reply echoes the request's argument (as much of it as the
 * frame carried, up to the command's fixed part) so the initiator can match
 * it, with the E flag and the code. */
static void aoe_error(struct target_export *ex, const struct aoe_hdr *req,
		      const uint8_t *frame, size_t len,
		      const uint8_t our_mac[MAC_BYTES], enum aoe_error code,
		      uint8_t *reply, struct target_io *io)
{
	struct aoe_hdr h = reply_hdr(ex, req, our_mac);
	size_t arg = 0;

	h.flags |= AOE_FLAG_ERR;
	h.error = (uint8_t)code;
	aoe_encode_hdr(reply, AOE_HDR_LEN, &h);
	if (len > AOE_HDR_LEN) {
		arg = len - AOE_HDR_LEN;
		if (arg > AOE_MIN_FRAME - AOE_HDR_LEN)
			arg = AOE_MIN_FRAME - AOE_HDR_LEN;
		memcpy(reply + AOE_HDR_LEN, frame + AOE_HDR_LEN, arg);
	}
	ex->stats.errors++;
	reply_ready(io, reply, AOE_HDR_LEN + arg);
}

/* --- ATA ---------------------------------------------------------------- */

/* ATA strings: space padded, two characters per word, first character in
 * the high byte; words are little-endian on the wire. */
static void id_string(uint8_t *id, unsigned word, unsigned nwords,
		      const char *s)
{
	size_t n = strnlen(s, nwords * 2);

	for (unsigned i = 0; i < nwords * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';

		id[word * 2 + (i ^ 1)] = c;
	}
}

static void id_word(uint8_t *id, unsigned word, uint16_t v)
{
	id[word * 2] = (uint8_t)v;
	id[word * 2 + 1] = (uint8_t)(v >> 8);
}

static void id_words(uint8_t *id, unsigned word, unsigned nwords, uint64_t v)
{
	for (unsigned i = 0; i < nwords; i++)
		id_word(id, word + i, (uint16_t)(v >> (16 * i)));
}

static void identify_page(const struct target_export *ex, uint8_t *id)
{
	uint64_t lba28 = ex->sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX
						      : ex->sectors;
	uint64_t lba48 = ex->sectors > ATA_LBA48_MAX ? ATA_LBA48_MAX
						      : ex->sectors;
	/* Legacy CHS geometry for old BIOS-era code: 16 heads, 63 sectors
	 * per track, at most 16383 cylinders (the ATA convention). */
	uint64_t cyls = ex->sectors / (16 * 63);
	uint16_t features = CMDSET2_LBA48 | CMDSET2_FLUSH | CMDSET2_FLUSH_EXT;

	if (cyls > 16383)
		cyls = 16383;
	memset(id, 0, ID_WORDS * 2);
	id_word(id, ID_CONFIG, 0x0040);		/* fixed, non-removable */
	id_word(id, ID_CYLS, (uint16_t)cyls);
	id_word(id, ID_HEADS, 16);
	id_word(id, ID_SPT, 63);
	id_string(id, ID_SERIAL, 10, ex->serial);
	id_string(id, ID_FIRMWARE, 4, ex->firmware);
	id_string(id, ID_MODEL, 20, ex->model);
	id_word(id, ID_MULTIPLE, 0x8000);	/* no READ/WRITE MULTIPLE */
	id_word(id, ID_CAPS, 0x0200);		/* LBA supported */
	id_word(id, ID_CAPS2, 0x4000);
	id_word(id, ID_VALID, 0x0001);		/* words 54-58 valid */
	id_word(id, ID_CUR_CYLS, (uint16_t)cyls);
	id_word(id, ID_CUR_HEADS, 16);
	id_word(id, ID_CUR_SPT, 63);
	id_words(id, ID_CUR_CAP, 2, cyls * 16 * 63);
	id_words(id, ID_LBA28, 2, lba28);
	id_word(id, ID_MAJOR, 0x00fe);		/* ATA-1 .. ATA8-ACS */
	id_word(id, ID_MINOR, 0);
	id_word(id, ID_CMDSET1, 0);
	id_word(id, ID_CMDSET2, CMDSET2_VALID | features);
	id_word(id, ID_CMDSET_EXT, CMDSET2_VALID);
	id_word(id, ID_CMDSET1_EN, 0);
	id_word(id, ID_CMDSET2_EN, features);
	id_word(id, ID_CMDSET_EXT_EN, CMDSET2_VALID);
	id_word(id, ID_UDMA, 0);		/* no DMA modes: AoE is PIO-like */
	id_word(id, ID_HW_RESET, 0x600b);	/* device 0, diag passed */
	id_words(id, ID_LBA48, 4, lba48);
}

/* Writes the ATA reply header (request fields echoed, status/error set). */
static void ata_reply_hdr(const struct target_export *ex,
			  const struct aoe_hdr *req, const struct aoe_ata *a,
			  const uint8_t our_mac[MAC_BYTES], uint8_t status,
			  uint8_t error, uint8_t count, uint8_t *reply)
{
	struct aoe_hdr h = reply_hdr(ex, req, our_mac);
	struct aoe_ata r = {
		.aflags = a->aflags, .err_feature = error,
		.sector_count = count, .cmd_status = status, .lba = a->lba,
	};

	aoe_encode_ata(reply, AOE_ATA_HDR_LEN, &h, &r);
}

static void ata_done(struct target_export *ex, const struct aoe_hdr *req,
		     const struct aoe_ata *a, const uint8_t our_mac[MAC_BYTES],
		     uint8_t status, uint8_t error, uint8_t count,
		     uint8_t *reply, struct target_io *io)
{
	if (status & ATA_STAT_ERR)
		ex->stats.errors++;
	ata_reply_hdr(ex, req, a, our_mac, status, error, count, reply);
	reply_ready(io, reply, AOE_ATA_HDR_LEN);
}

static bool is_rw(uint8_t cmd)
{
	return cmd == ATA_CMD_READ || cmd == ATA_CMD_READ_EXT ||
	       cmd == ATA_CMD_WRITE || cmd == ATA_CMD_WRITE_EXT;
}

/* READ/WRITE SECTORS (EXT). The opcode decides the addressing, as on a
 * real drive: LBA28 takes lba0..lba2 and the low nibble of lba3 (the
 * device register; Linux puts 0xe0 in its high nibble), EXT all 48 bits. */
static void ata_rw(struct target_export *ex, const struct aoe_hdr *req,
		   const uint8_t *frame, size_t len, const struct aoe_ata *a,
		   const uint8_t our_mac[MAC_BYTES], unsigned mtu,
		   uint8_t *reply, size_t cap, struct target_io *io)
{
	bool ext = a->cmd_status == ATA_CMD_READ_EXT ||
		   a->cmd_status == ATA_CMD_WRITE_EXT;
	bool write = a->cmd_status == ATA_CMD_WRITE ||
		     a->cmd_status == ATA_CMD_WRITE_EXT;
	uint64_t lba = a->lba & (ext ? ATA_LBA48_MAX : ATA_LBA28_MAX);
	size_t bytes = (size_t)a->sector_count * AOE_SECTOR_SIZE;

	/* Malformed requests are AoE "bad argument": the initiator built
	 * something no drive could have accepted. */
	if (a->sector_count == 0 ||
	    a->sector_count > aoe_sectors_per_frame(mtu) ||
	    bytes > cap - AOE_ATA_HDR_LEN ||
	    write != !!(a->aflags & AOE_AFLAG_WRITE) ||
	    (write && a->data_len != bytes)) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG, reply,
			  io);
		return;
	}
	if (write && ex->read_only) {
		ata_done(ex, req, a, our_mac, ST_ERR, ATA_ERR_ABRT,
			 a->sector_count, reply, io);
		return;
	}
	if (lba >= ex->sectors || a->sector_count > ex->sectors - lba) {
		ata_done(ex, req, a, our_mac, ST_ERR, ATA_ERR_IDNF,
			 a->sector_count, reply, io);
		return;
	}
	ata_reply_hdr(ex, req, a, our_mac, ST_OK, 0, a->sector_count, reply);
	io->action = write ? TARGET_WRITE : TARGET_READ;
	io->offset = lba * AOE_SECTOR_SIZE;
	io->len = bytes;
	io->data = write ? a->data : NULL;
}

static void handle_ata(struct target_export *ex, const struct aoe_hdr *req,
		       const uint8_t *frame, size_t len,
		       const uint8_t our_mac[MAC_BYTES], unsigned mtu,
		       uint8_t *reply, size_t cap, struct target_io *io)
{
	struct aoe_ata a;

	if (aoe_decode_ata(frame, len, &a) < 0) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG, reply,
			  io);
		return;
	}
	if (reserved_against(ex, req->src)) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_RESERVED,
			  reply, io);
		return;
	}
	if (is_rw(a.cmd_status)) {
		ata_rw(ex, req, frame, len, &a, our_mac, mtu, reply, cap, io);
		return;
	}
	switch (a.cmd_status) {
	case ATA_CMD_IDENTIFY:
		if (cap < AOE_ATA_HDR_LEN + ID_WORDS * 2) {
			aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG,
				  reply, io);
			return;
		}
		ata_reply_hdr(ex, req, &a, our_mac, ST_OK, 0, 1, reply);
		identify_page(ex, reply + AOE_ATA_HDR_LEN);
		io->action = TARGET_REPLY;
		io->reply_len = AOE_ATA_HDR_LEN + ID_WORDS * 2;
		return;
	case ATA_CMD_FLUSH:
	case ATA_CMD_FLUSH_EXT:
		ata_reply_hdr(ex, req, &a, our_mac, ST_OK, 0, a.sector_count,
			      reply);
		io->action = TARGET_FLUSH;
		io->offset = 0;
		io->len = 0;
		return;
	case ATA_CMD_CHECK_POWER:
		/* 0xFF in the sector count: active or idle, never asleep */
		ata_done(ex, req, &a, our_mac, ST_OK, 0, 0xFF, reply, io);
		return;
	default:
		ata_done(ex, req, &a, our_mac, ST_ERR, ATA_ERR_ABRT,
			 a.sector_count, reply, io);
		return;
	}
}

/* --- Query Config ------------------------------------------------------- */

static void cfg_reply(const struct target_export *ex,
		      const struct aoe_hdr *req, uint8_t ccmd,
		      const uint8_t our_mac[MAC_BYTES], unsigned mtu,
		      uint8_t *reply, size_t cap, struct target_io *io)
{
	struct aoe_hdr h = reply_hdr(ex, req, our_mac);
	struct aoe_cfg c = {
		.bufcnt = ex->bufcnt, .fwver = ex->fwver,
		.scnt = (uint8_t)aoe_sectors_per_frame(mtu),
		.aoever = AOE_VERSION, .ccmd = ccmd, .cslen = ex->cfg_len,
		.str = ex->cfg,
	};
	int n = aoe_encode_cfg(reply, cap, &h, &c);

	if (n < 0) {	/* a 1 KiB string does not fit a tiny MTU */
		io->action = TARGET_DROP;
		return;
	}
	reply_ready(io, reply, (size_t)n);
}

static void handle_cfg(struct target_export *ex, const struct aoe_hdr *req,
		       const uint8_t *frame, size_t len,
		       const uint8_t our_mac[MAC_BYTES], unsigned mtu,
		       uint8_t *reply, size_t cap, struct target_io *io)
{
	struct aoe_cfg c;
	enum aoe_error err = AOE_ERR_NONE;

	if (aoe_decode_cfg(frame, len, &c) < 0 || c.cslen > AOE_CFG_STR_MAX) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG, reply,
			  io);
		return;
	}
	switch (c.ccmd) {
	case AOE_CCMD_READ:
		break;
	case AOE_CCMD_TEST_EXACT:
		/* The spec: a server whose string does not match is silent,
		 * which is how initiators find "their" targets. */
		if (c.cslen != ex->cfg_len ||
		    memcmp(c.str, ex->cfg, c.cslen) != 0)
			goto silent;
		break;
	case AOE_CCMD_TEST_PREFIX:
		if (c.cslen > ex->cfg_len ||
		    memcmp(c.str, ex->cfg, c.cslen) != 0)
			goto silent;
		break;
	case AOE_CCMD_SET:
	case AOE_CCMD_FORCE_SET:
		if (reserved_against(ex, req->src)) {
			err = AOE_ERR_RESERVED;
			break;
		}
		/* Setting the string it already has succeeds, so that a set
		 * retransmitted after a lost reply is not an error. */
		if (c.ccmd == AOE_CCMD_SET && ex->cfg_len != 0 &&
		    (c.cslen != ex->cfg_len ||
		     memcmp(c.str, ex->cfg, c.cslen) != 0)) {
			err = AOE_ERR_CFGSET;
			break;
		}
		memcpy(ex->cfg, c.str, c.cslen);
		ex->cfg_len = c.cslen;
		break;
	default:
		err = AOE_ERR_BADARG;
		break;
	}
	if (err != AOE_ERR_NONE) {
		aoe_error(ex, req, frame, len, our_mac, err, reply, io);
		return;
	}
	cfg_reply(ex, req, c.ccmd, our_mac, mtu, reply, cap, io);
	return;
silent:
	io->action = TARGET_DROP;
}

/* --- Mac Mask List ------------------------------------------------------ */

/* Applies an edit all or nothing: the directives are checked and the
 * resulting list size computed first, so a failed edit never leaves a
 * half-applied access list behind. Returns an aoe_mask_err. */
static uint8_t mask_edit(struct target_export *ex, const struct aoe_mask *m)
{
	unsigned n = ex->nmask;
	struct aoe_mask_dir d;
	/* A scratch copy: the edit is applied to it, then committed. */
	uint8_t work[AOE_MASK_MAX][MAC_BYTES];

	for (unsigned i = 0; i < m->dcnt; i++) {
		aoe_mask_dir_get(m, i, &d);
		if (d.dcmd > AOE_DCMD_DEL)
			return AOE_MERR_BADDCMD;
	}
	memcpy(work, ex->mask, n * MAC_BYTES);
	for (unsigned i = 0; i < m->dcnt; i++) {
		aoe_mask_dir_get(m, i, &d);
		if (d.dcmd == AOE_DCMD_ADD &&
		    !mac_in((const uint8_t (*)[MAC_BYTES])work, n, d.mac)) {
			if (n >= AOE_MASK_MAX)
				return AOE_MERR_FULL;
			memcpy(work[n++], d.mac, MAC_BYTES);
		} else if (d.dcmd == AOE_DCMD_DEL) {
			for (unsigned j = 0; j < n; j++) {
				if (!mac_eq(work[j], d.mac))
					continue;
				memmove(work[j], work[j + 1],
					(n - j - 1) * MAC_BYTES);
				n--;
				break;
			}
		}
	}
	memcpy(ex->mask, work, n * MAC_BYTES);
	ex->nmask = n;
	return AOE_MERR_NONE;
}

static void handle_mask(struct target_export *ex, const struct aoe_hdr *req,
			const uint8_t *frame, size_t len,
			const uint8_t our_mac[MAC_BYTES], uint8_t *reply,
			size_t cap, struct target_io *io)
{
	struct aoe_hdr h = reply_hdr(ex, req, our_mac);
	struct aoe_mask m;
	struct aoe_mask_dir list[AOE_MASK_MAX];
	uint8_t merr;
	int n;

	if (aoe_decode_mask(frame, len, &m) < 0 ||
	    (m.mcmd != AOE_MCMD_READ && m.mcmd != AOE_MCMD_EDIT)) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG, reply,
			  io);
		return;
	}
	/* Another host could otherwise lock the holder out of its own
	 * reservation by editing the access list. */
	if (m.mcmd == AOE_MCMD_EDIT && reserved_against(ex, req->src)) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_RESERVED,
			  reply, io);
		return;
	}
	if (m.mcmd == AOE_MCMD_EDIT) {
		merr = mask_edit(ex, &m);
		if (merr != AOE_MERR_NONE) {
			/* Echo the directives as sent, so the initiator sees
			 * which edit was refused and why. */
			for (unsigned i = 0; i < m.dcnt; i++)
				aoe_mask_dir_get(&m, i, &list[i]);
			n = aoe_encode_mask(reply, cap, &h, m.mcmd, merr,
					    m.dcnt, list);
			ex->stats.errors++;
			goto out;
		}
	}
	for (unsigned i = 0; i < ex->nmask; i++) {
		list[i].dcmd = AOE_DCMD_NONE;
		memcpy(list[i].mac, ex->mask[i], MAC_BYTES);
	}
	n = aoe_encode_mask(reply, cap, &h, m.mcmd, AOE_MERR_NONE,
			    (uint8_t)ex->nmask, list);
out:
	if (n < 0) {
		io->action = TARGET_DROP;
		return;
	}
	reply_ready(io, reply, (size_t)n);
}

/* --- Reserve/Release ---------------------------------------------------- */

static void handle_resv(struct target_export *ex, const struct aoe_hdr *req,
			const uint8_t *frame, size_t len,
			const uint8_t our_mac[MAC_BYTES], uint8_t *reply,
			size_t cap, struct target_io *io)
{
	struct aoe_hdr h = reply_hdr(ex, req, our_mac);
	struct aoe_resv r;
	int n;

	if (aoe_decode_resv(frame, len, &r) < 0 || r.rcmd > AOE_RCMD_FORCE) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_BADARG, reply,
			  io);
		return;
	}
	if (r.rcmd == AOE_RCMD_SET && reserved_against(ex, req->src)) {
		aoe_error(ex, req, frame, len, our_mac, AOE_ERR_RESERVED,
			  reply, io);
		return;
	}
	if (r.rcmd != AOE_RCMD_READ) {
		/* nmacs 0 releases the target */
		memcpy(ex->resv, r.macs, (size_t)r.nmacs * MAC_BYTES);
		ex->nresv = r.nmacs;
	}
	n = aoe_encode_resv(reply, cap, &h, r.rcmd, (uint8_t)ex->nresv,
			    (const uint8_t (*)[6])ex->resv);
	if (n < 0) {
		io->action = TARGET_DROP;
		return;
	}
	reply_ready(io, reply, (size_t)n);
}

/* --- entry points ------------------------------------------------------- */

int target_handle(struct target_export *ex, const uint8_t *frame, size_t len,
		  const uint8_t our_mac[6], unsigned mtu,
		  uint8_t *reply, size_t cap, struct target_io *io)
{
	struct aoe_hdr h;

	memset(io, 0, sizeof(*io));
	io->action = TARGET_DROP;
	if (aoe_decode_hdr(frame, len, &h) < 0 || !target_matches(ex, &h))
		return 0;
	/* Never answer a group address: a reply would go to every host. The
	 * Mac Mask List, when set, says who may talk to this export at all. */
	if ((h.src[0] & 0x01) ||
	    (ex->nmask > 0 && !mac_in(ex->mask, ex->nmask, h.src))) {
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
	if (h.version != AOE_VERSION) {
		aoe_error(ex, &h, frame, len, our_mac, AOE_ERR_UNSUPVER, reply,
			  io);
		return 0;
	}
	switch (h.cmd) {
	case AOE_CMD_ATA:
		handle_ata(ex, &h, frame, len, our_mac, mtu, reply, cap, io);
		break;
	case AOE_CMD_CONFIG:
		handle_cfg(ex, &h, frame, len, our_mac, mtu, reply, cap, io);
		break;
	case AOE_CMD_MASK:
		handle_mask(ex, &h, frame, len, our_mac, reply, cap, io);
		break;
	case AOE_CMD_RESERVE:
		handle_resv(ex, &h, frame, len, our_mac, reply, cap, io);
		break;
	default:
		aoe_error(ex, &h, frame, len, our_mac, AOE_ERR_BADCMD, reply,
			  io);
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
		ata[3] = ST_ERR;
		ex->stats.errors++;
		return aoe_pad(reply, AOE_ATA_HDR_LEN);
	}
	ata[1] = 0;
	ata[3] = ST_OK;
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
	struct aoe_hdr req = { .cmd = AOE_CMD_CONFIG, .tag = 0 };
	struct target_io io;

	memcpy(req.src, BROADCAST, MAC_BYTES);
	if (cap < AOE_MIN_FRAME)
		return 0;
	cfg_reply(ex, &req, AOE_CCMD_READ, our_mac, mtu, reply, cap, &io);
	return io.action == TARGET_REPLY ? io.reply_len : 0;
}
