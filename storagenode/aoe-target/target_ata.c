/* target_ata.c - AoE command 0: ATA. Every check happens before a disk
 * operation is handed out, so the daemon only ever sees reads and writes
 * inside the export. Error choices: docs/aoe-protocol.md, "ATA".
 */
#include <string.h>

#include "target_priv.h"

/* Writes the ATA reply header: the request's aflags, count and LBA echoed,
 * with status and error register. */
static void ata_reply_hdr(struct target_req *r, const struct aoe_ata *a,
			  uint8_t status, uint8_t error, uint8_t count)
{
	struct aoe_hdr h = target_reply_hdr(r);
	struct aoe_ata out = {
		.aflags = a->aflags, .err_feature = error,
		.sector_count = count, .cmd_status = status, .lba = a->lba,
	};

	aoe_encode_ata(r->reply, AOE_ATA_HDR_LEN, &h, &out);
}

/* A reply without data, now. */
static void ata_done(struct target_req *r, const struct aoe_ata *a,
		     uint8_t status, uint8_t error, uint8_t count)
{
	if (status & ATA_STAT_ERR)
		r->ex->stats.errors++;
	ata_reply_hdr(r, a, status, error, count);
	target_reply_ready(r, AOE_ATA_HDR_LEN);
}

static bool is_rw(uint8_t cmd)
{
	return cmd == ATA_CMD_READ || cmd == ATA_CMD_READ_EXT ||
	       cmd == ATA_CMD_WRITE || cmd == ATA_CMD_WRITE_EXT;
}

/* READ/WRITE SECTORS (EXT). The opcode decides the addressing, as on a
 * real drive: LBA28 takes lba0..lba2 and the low nibble of lba3 (the
 * device register; Linux puts 0xe0 in its high nibble), EXT all 48 bits. */
static void ata_rw(struct target_req *r, const struct aoe_ata *a)
{
	struct target_export *ex = r->ex;
	bool ext = a->cmd_status == ATA_CMD_READ_EXT ||
		   a->cmd_status == ATA_CMD_WRITE_EXT;
	bool write = a->cmd_status == ATA_CMD_WRITE ||
		     a->cmd_status == ATA_CMD_WRITE_EXT;
	uint64_t lba = a->lba & (ext ? ATA_LBA48_MAX : ATA_LBA28_MAX);
	size_t bytes = (size_t)a->sector_count * AOE_SECTOR_SIZE;

	/* Malformed requests are AoE "bad argument": the initiator built
	 * something no drive could have accepted. */
	if (a->sector_count == 0 ||
	    a->sector_count > aoe_sectors_per_frame(r->mtu) ||
	    bytes > r->cap - AOE_ATA_HDR_LEN ||
	    write != !!(a->aflags & AOE_AFLAG_WRITE) ||
	    (write && a->data_len != bytes)) {
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	if (write && ex->read_only) {
		ata_done(r, a, TARGET_ST_ERR, ATA_ERR_ABRT, a->sector_count);
		return;
	}
	if (lba >= ex->sectors || a->sector_count > ex->sectors - lba) {
		ata_done(r, a, TARGET_ST_ERR, ATA_ERR_IDNF, a->sector_count);
		return;
	}
	ata_reply_hdr(r, a, TARGET_ST_OK, 0, a->sector_count);
	r->io->action = write ? TARGET_WRITE : TARGET_READ;
	r->io->offset = lba * AOE_SECTOR_SIZE;
	r->io->len = bytes;
	r->io->data = write ? a->data : NULL;
}

void target_ata(struct target_req *r)
{
	struct aoe_ata a;

	if (aoe_decode_ata(r->frame, r->len, &a) < 0) {
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	if (target_reserved_against(r->ex, r->hdr.src)) {
		target_aoe_error(r, AOE_ERR_RESERVED);
		return;
	}
	if (is_rw(a.cmd_status)) {
		ata_rw(r, &a);
		return;
	}
	switch (a.cmd_status) {
	case ATA_CMD_IDENTIFY:
		if (r->cap < AOE_ATA_HDR_LEN + TARGET_ID_LEN) {
			target_aoe_error(r, AOE_ERR_BADARG);
			return;
		}
		ata_reply_hdr(r, &a, TARGET_ST_OK, 0, 1);
		target_identify_page(r->ex, r->reply + AOE_ATA_HDR_LEN);
		r->io->action = TARGET_REPLY;
		r->io->reply_len = AOE_ATA_HDR_LEN + TARGET_ID_LEN;
		return;
	case ATA_CMD_FLUSH:
	case ATA_CMD_FLUSH_EXT:
		ata_reply_hdr(r, &a, TARGET_ST_OK, 0, a.sector_count);
		r->io->action = TARGET_FLUSH;
		return;
	case ATA_CMD_CHECK_POWER:
		/* 0xFF in the sector count: active or idle, never asleep */
		ata_done(r, &a, TARGET_ST_OK, 0, 0xFF);
		return;
	default:
		ata_done(r, &a, TARGET_ST_ERR, ATA_ERR_ABRT, a.sector_count);
		return;
	}
}
