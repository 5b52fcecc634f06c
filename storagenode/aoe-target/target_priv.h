/* target_priv.h - what the parts of aoetd's protocol logic share: one
 * request in flight through target_handle(), the reply helpers, and the
 * per-command handlers. Not for the daemon: it uses target.h only.
 *
 *   target.c           the gate (address, ACL, version), dispatch,
 *                      completion, announcement, reply helpers
 *   target_ata.c       ATA commands and their checks
 *   target_identify.c  the IDENTIFY DEVICE page
 *   target_cfg.c       Query Config
 *   target_lists.c     Mac Mask List and Reserve/Release
 */
#ifndef NIMBUS_AOE_TARGET_PRIV_H
#define NIMBUS_AOE_TARGET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aoe/aoe_proto.h"
#include "target.h"

#define TARGET_MAC_LEN 6

/* ATA status the Linux initiator treats as success: only DRDY. Any of
 * 0xa9 (BSY|DF|DRQ|ERR) fails the block I/O at once, so ERR is set only for
 * errors that retrying cannot cure. */
#define TARGET_ST_OK   ATA_STAT_DRDY
#define TARGET_ST_ERR  (ATA_STAT_DRDY | ATA_STAT_ERR)

#define TARGET_ID_LEN  512   /* IDENTIFY DEVICE page */

/* One request: the frame, where it came in, where the reply goes. */
struct target_req {
	struct target_export *ex;
	struct aoe_hdr hdr;          /* decoded request header */
	const uint8_t *frame;
	size_t len;
	const uint8_t *our_mac;
	unsigned mtu;
	uint8_t *reply;
	size_t cap;                  /* >= AOE_MIN_FRAME */
	struct target_io *io;
};

bool target_mac_in(const uint8_t (*list)[TARGET_MAC_LEN], unsigned n,
		   const uint8_t *mac);
/* A reservation is in place and mac does not hold it. */
bool target_reserved_against(const struct target_export *ex,
			     const uint8_t *mac);

/* The reply header for r: to the requester, from us, the export's real
 * shelf/slot (also for wildcard queries), the request's command and tag. */
struct aoe_hdr target_reply_hdr(const struct target_req *r);
/* reply[0 .. len) is complete: pad it and hand it to the daemon. */
void target_reply_ready(struct target_req *r, size_t len);
/* Reply with AoE error code (counted in errors). */
void target_aoe_error(struct target_req *r, enum aoe_error code);

void target_ata(struct target_req *r);
void target_cfg(struct target_req *r);
/* Encodes a Query Config response with header h carrying the export's
 * current string; returns its length or -ENOSPC. */
int target_cfg_encode(const struct target_export *ex, const struct aoe_hdr *h,
		      uint8_t ccmd, unsigned mtu, uint8_t *reply, size_t cap);
void target_mask(struct target_req *r);
void target_resv(struct target_req *r);

void target_identify_page(const struct target_export *ex,
			  uint8_t id[TARGET_ID_LEN]);

#endif
