/* target.h - AoE request handling for one export: the protocol logic of
 * aoetd, with no I/O. The daemon feeds it frames; it answers with a reply to
 * send now, or with one disk operation to perform (read, write, flush) whose
 * result the daemon hands back to target_complete() to build the reply.
 * Unit tests and fuzzers drive exactly this code.
 */
#ifndef NIMBUS_AOE_TARGET_H
#define NIMBUS_AOE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aoe/aoe_proto.h"

struct target_counters {
	uint64_t requests;    /* frames accepted for this export */
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t errors;      /* replies carrying an AoE or ATA error */
	uint64_t dropped;     /* frames addressed to us but ignored (ACL, bad) */
};

/* One export as the protocol sees it. The daemon fills the identity and
 * limits; the lists and the config string change at run time through the
 * protocol (and are seeded from the configuration). */
struct target_export {
	uint16_t shelf;            /* major, 0..65534 */
	uint8_t slot;              /* minor, 0..254 */
	uint64_t sectors;          /* size of the export in 512-byte sectors */
	bool read_only;
	uint16_t bufcnt;           /* advertised outstanding-request window */
	uint16_t fwver;
	char model[41];            /* IDENTIFY strings, NUL-terminated */
	char serial[21];
	char firmware[9];

	uint8_t cfg[AOE_CFG_STR_MAX];
	uint16_t cfg_len;

	uint8_t mask[AOE_MASK_MAX][6];   /* Mac Mask List: empty = all allowed */
	unsigned nmask;
	uint8_t resv[AOE_RESV_MAX][6];   /* Reserve list: empty = unreserved */
	unsigned nresv;

	struct target_counters stats;
};

enum target_action {
	TARGET_DROP = 0,  /* nothing to send (not ours, response, denied, junk) */
	TARGET_REPLY,     /* reply[0 .. io->reply_len) is ready to send */
	TARGET_READ,      /* read io->len bytes at export byte io->offset into
			   * reply + AOE_ATA_HDR_LEN, then target_complete() */
	TARGET_WRITE,     /* write io->len bytes from io->data at io->offset,
			   * then target_complete() */
	TARGET_FLUSH,     /* make every acknowledged write durable, then
			   * target_complete() */
};

/* What target_handle() asks of the daemon. offset is relative to the export
 * (the daemon adds the backing file's base offset); the logic guarantees
 * offset + len <= sectors * 512. */
struct target_io {
	enum target_action action;
	uint64_t offset;
	size_t len;
	const uint8_t *data;   /* TARGET_WRITE: points into the request frame */
	size_t reply_len;      /* TARGET_REPLY: bytes ready in reply */
};

/* Initialise an export with defaults (bufcnt 16, model "nimbus aoetd",
 * serial from shelf.slot, firmware from fwver). */
void target_export_init(struct target_export *ex, uint16_t shelf, uint8_t slot,
			uint64_t sectors);

/* Does a frame with this header address this export? Only requests
 * (response flag clear) match; the wildcard shelf 0xFFFF / slot 0xFF
 * matches only for Query Config (discovery), never for ATA, mask or
 * reserve commands, which must name the export exactly. */
bool target_matches(const struct target_export *ex, const struct aoe_hdr *h);

/* Handle one received frame for this export. our_mac is the receiving
 * interface's address (the reply's source); mtu its MTU (sectors per frame
 * and the largest request accepted). reply must hold cap bytes, at least
 * AOE_ATA_HDR_LEN + 255 * 512 or mtu + 14, whichever is smaller is enough.
 * Fills *io and returns 0; never fails on bad input (bad input becomes an
 * error reply or TARGET_DROP). */
int target_handle(struct target_export *ex, const uint8_t *frame, size_t len,
		  const uint8_t our_mac[6], unsigned mtu,
		  uint8_t *reply, size_t cap, struct target_io *io);

/* Finish a TARGET_READ/WRITE/FLUSH: result is the byte count done or a
 * negative errno. Completes the reply prepared in reply (status, error,
 * padding) and returns its length. A short or failed transfer becomes an
 * ATA error (UNC), never a success. */
size_t target_complete(struct target_export *ex, const struct target_io *io,
		       int64_t result, uint8_t *reply);

/* Build the unsolicited Query Config response announcing this export on an
 * interface (broadcast destination); returns its length. */
size_t target_announce(const struct target_export *ex, const uint8_t our_mac[6],
		       unsigned mtu, uint8_t *reply, size_t cap);

#endif
