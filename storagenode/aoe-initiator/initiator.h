/* initiator.h - a small userspace AoE initiator: one raw AF_PACKET socket on
 * one interface, discovery by broadcast Query Config, single control
 * transactions (config, mask, reserve, IDENTIFY) and a windowed data engine
 * (read/write with tags, a window from the target's buffer count,
 * retransmit on timeout). Frames are built and parsed only through
 * lib/aoe/aoe_proto.h. Used by aoe-bench, the integration tests and the
 * benchmark.
 *
 * Errors are negative errno. A reply that carries an AoE error or an ATA
 * error returns -EPROTO (AoE) or -EIO (ATA) and leaves the details in
 * ini->last, which ini_describe() turns into one line naming the tag, LBA
 * and error; no answer after every retry is -ETIMEDOUT.
 */
#ifndef NIMBUS_AOE_INITIATOR_H
#define NIMBUS_AOE_INITIATOR_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "aoe/aoe_proto.h"

/* Tags with bit 31 set are reserved for userspace tools (the kernel driver
 * never uses them), so our traffic never collides with a kernel initiator's.
 * The low bits name the window slot; the middle bits a sequence number so a
 * late reply to an earlier use of the slot is recognised as stale. */
#define INI_TAG_USER      0x80000000u
#define INI_SLOT_BITS     10
#define INI_MAX_WINDOW    (1u << INI_SLOT_BITS)

static inline uint32_t ini_tag_make(uint32_t seq, unsigned slot)
{
	return INI_TAG_USER | ((seq << INI_SLOT_BITS) & 0x7FFFFFFFu) | slot;
}
static inline unsigned ini_tag_slot(uint32_t tag)
{
	return tag & (INI_MAX_WINDOW - 1);
}

/* ATA status bits that make the Linux driver fail the I/O: we treat them
 * the same way so our tests judge a target as the real client would. */
#define INI_ATA_FAILMASK  0xa9

/* What Query Config told us about one target. */
struct ini_target {
	uint16_t shelf;
	uint8_t slot;
	uint8_t mac[6];
	uint16_t bufcnt;
	uint16_t fwver;
	uint8_t scnt;          /* sectors per frame (0 in the reply means 2) */
	uint8_t aoever;
	uint8_t ccmd;
	uint16_t cslen;
	char cfg[AOE_CFG_STR_MAX + 1];
};

/* The last failure a reply reported. */
struct ini_fail {
	const char *what;      /* "read", "config set", ... */
	uint32_t tag;
	uint64_t lba;
	unsigned nsect;
	uint8_t aoe_error;     /* AoE header error (E flag set) */
	uint8_t ata_status;
	uint8_t ata_err;
	uint8_t merror;        /* Mac Mask List error */
};

struct ini {
	int fd;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t mac[6];
	unsigned mtu;
	unsigned timeout_ms;   /* first retransmit timeout; doubles per retry */
	unsigned retries;      /* retransmits before giving up */
	bool lba28;            /* use 28-bit READ/WRITE where they reach */
	uint32_t seq;
	uint64_t retransmits;
	struct ini_fail last;
};

/* Open a raw AoE socket on ifname (up, with a MAC) that receives
 * responses. ini_open_raw with requests=true receives requests instead (the
 * null target used to measure the link's ceiling). */
int ini_open(struct ini *ini, const char *ifname);
int ini_open_raw(struct ini *ini, const char *ifname, bool requests);
void ini_close(struct ini *ini);

/* Send one frame / receive one AoE response frame (response flag set; our
 * own outgoing frames are never seen). ini_recv returns its length or
 * -ETIMEDOUT after timeout_ms. */
int ini_send(struct ini *ini, const uint8_t *frame, size_t len);
int ini_recv(struct ini *ini, uint8_t *buf, size_t cap, int timeout_ms);

/* Fill a request header from this initiator to dst (shelf.slot, command)
 * with a fresh tag. */
void ini_hdr(struct ini *ini, struct aoe_hdr *h, const uint8_t *dst,
	     uint16_t shelf, uint8_t slot, uint8_t cmd);

/* Broadcast Query Config (read) for shelf.slot (wildcards allowed) and
 * collect every answer for wait_ms; returns how many targets answered (up to
 * max, duplicates by mac+shelf+slot dropped) or a negative errno. */
int ini_discover(struct ini *ini, uint16_t shelf, uint8_t slot,
		 unsigned wait_ms, struct ini_target *out, size_t max);

/* Find exactly shelf.slot (first answer) and fill *t; -ETIMEDOUT if nobody
 * answers within the retry budget. */
int ini_find(struct ini *ini, uint16_t shelf, uint8_t slot,
	     struct ini_target *t);

/* Query Config with subcommand ccmd and string (len bytes); the reply's
 * fields are stored into *t (string included). Unicast to t->mac unless it
 * is zero (then broadcast). */
int ini_config(struct ini *ini, struct ini_target *t, uint8_t ccmd,
	       const char *str, size_t len);

/* Mac Mask List: read (dcnt 0) or edit with directives; on success the
 * target's list is returned in macs, its length in *n (up to AOE_MASK_MAX). */
int ini_mask(struct ini *ini, const struct ini_target *t, uint8_t mcmd,
	     const struct aoe_mask_dir *dirs, unsigned ndirs,
	     uint8_t (*macs)[6], unsigned *n);

/* Reserve/Release: rcmd with nmacs MACs; the target's list comes back in
 * out, its length in *nout. */
int ini_reserve(struct ini *ini, const struct ini_target *t, uint8_t rcmd,
		const uint8_t (*macs)[6], unsigned nmacs,
		uint8_t (*out)[6], unsigned *nout);

/* One ATA command without data out (IDENTIFY, FLUSH, CHECK POWER); a
 * data-in reply (IDENTIFY: 512 bytes) is copied to data (cap bytes). */
int ini_ata_simple(struct ini *ini, const struct ini_target *t, uint8_t cmd,
		   uint8_t *data, size_t cap, uint8_t *status);

/* IDENTIFY, decoded. */
struct ini_identity {
	uint64_t sectors;      /* LBA48 capacity if supported, else LBA28 */
	bool lba48;
	char model[41];
	char serial[21];
	char firmware[9];
};
int ini_identify(struct ini *ini, const struct ini_target *t,
		 struct ini_identity *id);
/* Pure: decode a 512-byte IDENTIFY DEVICE block. */
void ini_identity_decode(const uint8_t *blk, struct ini_identity *id);

/* The windowed data engine. next() produces the next request (return 1),
 * or 0 when there is none; for writes it fills data (nsect * 512 bytes).
 * done() gets each completed request (reads: the data); a negative return
 * aborts the run with that error. */
struct ini_req {
	uint64_t lba;
	uint8_t nsect;
	bool write;
};
struct ini_job {
	int (*next)(void *ctx, struct ini_req *req, uint8_t *data);
	int (*done)(void *ctx, const struct ini_req *req, const uint8_t *data);
	void *ctx;
	unsigned window;       /* outstanding requests, 1..INI_MAX_WINDOW */
	uint64_t deadline_ns;  /* CLOCK_MONOTONIC; 0 = until next() says 0 */
};
struct ini_job_stats {
	uint64_t requests;
	uint64_t bytes;
	uint64_t retransmits;
	uint64_t ns;           /* wall time of the run */
};
int ini_run(struct ini *ini, const struct ini_target *t,
	    const struct ini_job *job, struct ini_job_stats *st);

/* Format ini->last (and err) as one line. */
void ini_describe(const struct ini *ini, int err, char *buf, size_t cap);

/* Names for error codes (never NULL). */
const char *ini_aoe_error_name(unsigned e);
const char *ini_ata_error_name(uint8_t err);

uint64_t ini_now_ns(void);

/* Points msgs[i] at the i-th cap-byte slice of buf (one iovec each, length
 * cap), for recvmmsg/sendmmsg batches over one buffer. */
void ini_mmsg_slices(struct mmsghdr *msgs, struct iovec *iov, unsigned n,
		     uint8_t *buf, size_t cap);

#endif
