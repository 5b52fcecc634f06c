/* Unit tests of aoetd's protocol logic (storagenode/aoe-target/target.c):
 * every command and subcommand, AoE errors 1-6, ATA errors, the MAC ACL,
 * reservations with two initiators, range checks at the last sector and one
 * past it, LBA28/LBA48 at 2^28, sector limits at MTU 1500 and 9000,
 * padding, malformed frames, counters. Frames are built with the codec,
 * which has its own tests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aoe/aoe_proto.h"
#include "target.h"

#define SHELF 7
#define SLOT 3
#define SECTORS 1000ULL
#define CAP (AOE_ATA_HDR_LEN + 255 * 512)

static const uint8_t US[6] = { 0x02, 0xaa, 0, 0, 0, 0x01 };
static const uint8_t A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t frame[CAP];
static uint8_t reply[CAP];

static struct aoe_hdr req_hdr(const uint8_t *src, uint8_t cmd)
{
	struct aoe_hdr h = { .major = SHELF, .minor = SLOT, .cmd = cmd,
			     .tag = 0x11223344 };

	memcpy(h.dst, US, 6);
	memcpy(h.src, src, 6);
	return h;
}

static size_t mk_ata(const uint8_t *src, uint8_t aflags, uint8_t cmd,
		     uint8_t count, uint64_t lba, size_t data_len)
{
	struct aoe_hdr h = req_hdr(src, AOE_CMD_ATA);
	struct aoe_ata a = { .aflags = aflags, .sector_count = count,
			     .cmd_status = cmd, .lba = lba,
			     .data_len = data_len };

	memset(frame + AOE_ATA_HDR_LEN, 0x5a, data_len);
	return (size_t)aoe_encode_ata(frame, sizeof(frame), &h, &a);
}

static size_t mk_cfg(const uint8_t *src, uint8_t ccmd, const char *s)
{
	struct aoe_hdr h = req_hdr(src, AOE_CMD_CONFIG);
	struct aoe_cfg c = { .aoever = 1, .ccmd = ccmd,
			     .cslen = (uint16_t)strlen(s),
			     .str = (const uint8_t *)s };

	return (size_t)aoe_encode_cfg(frame, sizeof(frame), &h, &c);
}

static size_t mk_mask(const uint8_t *src, uint8_t mcmd, uint8_t dcnt,
		      const struct aoe_mask_dir *dirs)
{
	struct aoe_hdr h = req_hdr(src, AOE_CMD_MASK);

	return (size_t)aoe_encode_mask(frame, sizeof(frame), &h, mcmd, 0, dcnt,
				       dirs);
}

static size_t mk_resv(const uint8_t *src, uint8_t rcmd, uint8_t n,
		      const uint8_t (*macs)[6])
{
	struct aoe_hdr h = req_hdr(src, AOE_CMD_RESERVE);

	return (size_t)aoe_encode_resv(frame, sizeof(frame), &h, rcmd, n, macs);
}

/* Runs one frame; checks what holds for every reply: padded to 60, sent
 * back to the requester from us, with our real address and the tag. */
static struct target_io run(struct target_export *ex, size_t len,
			    unsigned mtu)
{
	struct target_io io;
	struct aoe_hdr h;

	memset(reply, 0xee, sizeof(reply));
	assert_int_equal(target_handle(ex, frame, len, US, mtu, reply,
				       sizeof(reply), &io), 0);
	if (io.action == TARGET_REPLY) {
		assert_true(io.reply_len >= AOE_MIN_FRAME);
		assert_int_equal(aoe_decode_hdr(reply, io.reply_len, &h), 0);
		assert_memory_equal(h.dst, frame + 6, 6);
		assert_memory_equal(h.src, US, 6);
		assert_int_equal(h.version, 1);
		assert_true(h.flags & AOE_FLAG_RESP);
		assert_int_equal(h.major, SHELF);
		assert_int_equal(h.minor, SLOT);
		assert_int_equal(h.tag, 0x11223344);
		assert_int_equal(h.cmd, frame[19]);
	}
	return io;
}

static void expect_aoe_err(const struct target_io *io, int code)
{
	assert_int_equal(io->action, TARGET_REPLY);
	if (code) {
		assert_true(reply[14] & AOE_FLAG_ERR);
		assert_int_equal(reply[15], code);
	} else {
		assert_false(reply[14] & AOE_FLAG_ERR);
		assert_int_equal(reply[15], 0);
	}
}

static struct target_export ex;

static int setup(void **state)
{
	(void)state;
	target_export_init(&ex, SHELF, SLOT, SECTORS);
	return 0;
}

/* --- header gate -------------------------------------------------------- */

struct gate_case {
	const char *name;
	uint16_t major;
	uint8_t minor;
	uint8_t cmd;
	uint8_t verflags;   /* byte 14 */
	const uint8_t *src;
	int aoe_err;        /* -1: dropped */
	bool counted_drop;
};

static const struct gate_case gates[] = {
	{ "request", SHELF, SLOT, AOE_CMD_CONFIG, 0x10, A, 0, false },
	{ "response flag", SHELF, SLOT, AOE_CMD_CONFIG, 0x18, A, -1, false },
	{ "other shelf", SHELF + 1, SLOT, AOE_CMD_CONFIG, 0x10, A, -1, false },
	{ "other slot", SHELF, SLOT + 1, AOE_CMD_CONFIG, 0x10, A, -1, false },
	{ "wildcard both", 0xFFFF, 0xFF, AOE_CMD_CONFIG, 0x10, A, 0, false },
	{ "wildcard shelf", 0xFFFF, SLOT, AOE_CMD_CONFIG, 0x10, A, 0, false },
	{ "wildcard slot", SHELF, 0xFF, AOE_CMD_CONFIG, 0x10, A, 0, false },
	{ "wildcard slot other shelf", SHELF + 1, 0xFF, AOE_CMD_CONFIG, 0x10,
	  A, -1, false },
	{ "wildcard ATA", 0xFFFF, 0xFF, AOE_CMD_ATA, 0x10, A, -1, false },
	{ "wildcard reserve", 0xFFFF, 0xFF, AOE_CMD_RESERVE, 0x10, A, -1,
	  false },
	{ "broadcast source", SHELF, SLOT, AOE_CMD_CONFIG, 0x10, BCAST, -1,
	  true },
	{ "version 0", SHELF, SLOT, AOE_CMD_CONFIG, 0x00, A,
	  AOE_ERR_UNSUPVER, false },
	{ "version 2", SHELF, SLOT, AOE_CMD_CONFIG, 0x20, A,
	  AOE_ERR_UNSUPVER, false },
	{ "version 15 + error flag", SHELF, SLOT, AOE_CMD_ATA, 0xF4, A,
	  AOE_ERR_UNSUPVER, false },
	{ "command 4", SHELF, SLOT, 4, 0x10, A, AOE_ERR_BADCMD, false },
	{ "command 0xf0 (vendor)", SHELF, SLOT, 0xF0, 0x10, A, AOE_ERR_BADCMD,
	  false },
	{ "command 0xff", SHELF, SLOT, 0xFF, 0x10, A, AOE_ERR_BADCMD, false },
};

static void test_gate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gates) / sizeof(gates[0]); i++) {
		const struct gate_case *c = &gates[i];
		struct aoe_hdr h = req_hdr(c->src, c->cmd);
		struct target_io io;
		struct target_counters before;
		size_t len;

		setup(NULL);
		h.major = c->major;
		h.minor = c->minor;
		len = (size_t)aoe_encode_hdr(frame, sizeof(frame), &h);
		memset(frame + len, 0, 64);
		frame[14] = c->verflags;
		before = ex.stats;
		memset(reply, 0xee, sizeof(reply));
		target_handle(&ex, frame, 60, US, 1500, reply, sizeof(reply),
			      &io);
		if (c->aoe_err < 0) {
			if (io.action != TARGET_DROP)
				fail_msg("%s: not dropped", c->name);
			assert_int_equal(ex.stats.requests, before.requests);
			assert_int_equal(ex.stats.dropped,
					 before.dropped + c->counted_drop);
			continue;
		}
		if (io.action != TARGET_REPLY)
			fail_msg("%s: no reply", c->name);
		assert_int_equal(ex.stats.requests, before.requests + 1);
		assert_int_equal(reply[14] >> 4, 1);
		/* wildcard queries are answered with the real address */
		assert_int_equal(reply[16] << 8 | reply[17], SHELF);
		assert_int_equal(reply[18], SLOT);
		if (c->aoe_err) {
			if (!(reply[14] & AOE_FLAG_ERR) ||
			    reply[15] != c->aoe_err)
				fail_msg("%s: flags %#x error %d, want %d",
					 c->name, reply[14], reply[15],
					 c->aoe_err);
			assert_int_equal(ex.stats.errors, before.errors + 1);
			assert_int_equal(io.reply_len, AOE_MIN_FRAME);
		} else if (reply[14] & AOE_FLAG_ERR) {
			fail_msg("%s: error %d", c->name, reply[15]);
		}
	}
}

static void test_junk_frames(void **state)
{
	struct target_io io;

	(void)state;
	/* shorter than the AoE header, wrong ethertype: dropped, uncounted */
	for (size_t len = 0; len < AOE_HDR_LEN; len++) {
		mk_cfg(A, AOE_CCMD_READ, "");
		target_handle(&ex, frame, len, US, 1500, reply, sizeof(reply),
			      &io);
		assert_int_equal(io.action, TARGET_DROP);
	}
	mk_cfg(A, AOE_CCMD_READ, "");
	frame[13] = 0x00;
	target_handle(&ex, frame, 60, US, 1500, reply, sizeof(reply), &io);
	assert_int_equal(io.action, TARGET_DROP);
	assert_int_equal(ex.stats.requests, 0);
	assert_int_equal(ex.stats.dropped, 0);
	/* a reply buffer smaller than a minimum frame: dropped */
	mk_cfg(A, AOE_CCMD_READ, "");
	target_handle(&ex, frame, 60, US, 1500, reply, 59, &io);
	assert_int_equal(io.action, TARGET_DROP);
}

/* Each command's argument cut short: AoE error 2, reply still padded. */
static void test_truncated_arguments(void **state)
{
	static const struct { uint8_t cmd; size_t fixed; } t[] = {
		{ AOE_CMD_ATA, AOE_ATA_HDR_LEN },
		{ AOE_CMD_CONFIG, AOE_CFG_HDR_LEN },
		{ AOE_CMD_MASK, AOE_MASK_HDR_LEN },
		{ AOE_CMD_RESERVE, AOE_RESV_HDR_LEN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (size_t len = AOE_HDR_LEN; len < t[i].fixed; len++) {
			struct aoe_hdr h = req_hdr(A, t[i].cmd);
			struct target_io io;

			memset(frame, 0, 64);
			aoe_encode_hdr(frame, sizeof(frame), &h);
			io = run(&ex, len, 1500);
			if (io.action != TARGET_REPLY || reply[15] != 2)
				fail_msg("cmd %u len %zu: not bad arg",
					 t[i].cmd, len);
			expect_aoe_err(&io, AOE_ERR_BADARG);
		}
	}
}

/* --- ATA ---------------------------------------------------------------- */

#define IDNF -2
#define ABRT -3
#define BADARG AOE_ERR_BADARG

struct ata_case {
	const char *name;
	uint64_t sectors;
	bool ro;
	unsigned mtu;
	uint8_t aflags;
	uint8_t cmd;
	uint8_t count;
	uint64_t lba;        /* as sent on the wire (48 bits) */
	size_t data_len;
	/* expected: 0 = disk I/O (action below), IDNF/ABRT = ATA error,
	 * positive = AoE error code */
	int want;
	enum target_action action;
	uint64_t offset;
};

#define W AOE_AFLAG_WRITE
#define E AOE_AFLAG_EXT
#define BIG ((1ULL << 28) + 16)   /* sectors: just past the LBA28 limit */

static const struct ata_case ata_cases[] = {
	{ "read first", SECTORS, false, 1500, 0, ATA_CMD_READ, 1, 0, 0, 0,
	  TARGET_READ, 0 },
	{ "read last sector", SECTORS, false, 1500, 0, ATA_CMD_READ, 1,
	  SECTORS - 1, 0, 0, TARGET_READ, (SECTORS - 1) * 512 },
	{ "read 2 ending at last", SECTORS, false, 1500, 0, ATA_CMD_READ, 2,
	  SECTORS - 2, 0, 0, TARGET_READ, (SECTORS - 2) * 512 },
	{ "read one past end", SECTORS, false, 1500, 0, ATA_CMD_READ, 1,
	  SECTORS, 0, IDNF, 0, 0 },
	{ "read 2 straddling end", SECTORS, false, 1500, 0, ATA_CMD_READ, 2,
	  SECTORS - 1, 0, IDNF, 0, 0 },
	{ "read far past end (ext)", SECTORS, false, 1500, E,
	  ATA_CMD_READ_EXT, 1, ATA_LBA48_MAX, 0, IDNF, 0, 0 },
	{ "read count 0", SECTORS, false, 1500, 0, ATA_CMD_READ, 0, 0, 0,
	  BADARG, 0, 0 },
	{ "read 2 at mtu 1500", SECTORS, false, 1500, 0, ATA_CMD_READ, 2, 0,
	  0, 0, TARGET_READ, 0 },
	{ "read 3 at mtu 1500", SECTORS, false, 1500, 0, ATA_CMD_READ, 3, 0,
	  0, BADARG, 0, 0 },
	{ "read 17 at mtu 9000", SECTORS, false, 9000, 0, ATA_CMD_READ, 17, 0,
	  0, 0, TARGET_READ, 0 },
	{ "read 18 at mtu 9000", SECTORS, false, 9000, 0, ATA_CMD_READ, 18, 0,
	  0, BADARG, 0, 0 },
	{ "read 255 at mtu 9000", SECTORS, false, 9000, 0, ATA_CMD_READ, 255,
	  0, 0, BADARG, 0, 0 },
	{ "read with write flag", SECTORS, false, 1500, W, ATA_CMD_READ, 1, 0,
	  0, BADARG, 0, 0 },
	{ "write 1", SECTORS, false, 1500, W, ATA_CMD_WRITE, 1, 5, 512, 0,
	  TARGET_WRITE, 5 * 512 },
	{ "write last 2", SECTORS, false, 1500, W, ATA_CMD_WRITE, 2,
	  SECTORS - 2, 1024, 0, TARGET_WRITE, (SECTORS - 2) * 512 },
	{ "write one past end", SECTORS, false, 1500, W, ATA_CMD_WRITE, 1,
	  SECTORS, 512, IDNF, 0, 0 },
	{ "write straddling end", SECTORS, false, 1500, W, ATA_CMD_WRITE, 2,
	  SECTORS - 1, 1024, IDNF, 0, 0 },
	{ "write 17 at mtu 9000", SECTORS, false, 9000, W | E,
	  ATA_CMD_WRITE_EXT, 17, 0, 17 * 512, 0, TARGET_WRITE, 0 },
	{ "write 3 at mtu 1500", SECTORS, false, 1500, W, ATA_CMD_WRITE, 3, 0,
	  1536, BADARG, 0, 0 },
	{ "write without W flag", SECTORS, false, 1500, 0, ATA_CMD_WRITE, 1,
	  0, 512, BADARG, 0, 0 },
	{ "write data short", SECTORS, false, 1500, W, ATA_CMD_WRITE, 2, 0,
	  1023, BADARG, 0, 0 },
	{ "write data long", SECTORS, false, 1500, W, ATA_CMD_WRITE, 1, 0,
	  513, BADARG, 0, 0 },
	{ "write no data", SECTORS, false, 1500, W, ATA_CMD_WRITE, 1, 0, 0,
	  BADARG, 0, 0 },
	{ "write count 0", SECTORS, false, 1500, W, ATA_CMD_WRITE, 0, 0, 0,
	  BADARG, 0, 0 },
	{ "write read-only", SECTORS, true, 1500, W, ATA_CMD_WRITE, 1, 0, 512,
	  ABRT, 0, 0 },
	{ "write ext read-only", SECTORS, true, 1500, W | E,
	  ATA_CMD_WRITE_EXT, 1, 0, 512, ABRT, 0, 0 },
	{ "read read-only", SECTORS, true, 1500, 0, ATA_CMD_READ, 1, 0, 0, 0,
	  TARGET_READ, 0 },
	/* LBA28 as Linux sends it: 0xe0 in lba3's high nibble, 28 bits */
	{ "lba28 max with device bits", BIG, false, 1500, 0, ATA_CMD_READ, 1,
	  0xEFFFFFFFULL, 0, 0, TARGET_READ, 0x0FFFFFFFULL * 512 },
	{ "lba28 ignores lba4/lba5", BIG, false, 1500, 0, ATA_CMD_READ, 1,
	  0xABCDE0000010ULL, 0, 0, TARGET_READ, 0x10ULL * 512 },
	{ "lba28 cannot reach 2^28", BIG, false, 1500, 0, ATA_CMD_READ, 1,
	  1ULL << 28, 0, 0, TARGET_READ, 0 },
	{ "lba48 reaches 2^28", BIG, false, 1500, E, ATA_CMD_READ_EXT, 1,
	  1ULL << 28, 0, 0, TARGET_READ, (1ULL << 28) * 512 },
	{ "lba48 last of big export", BIG, false, 1500, E, ATA_CMD_READ_EXT,
	  2, BIG - 2, 0, 0, TARGET_READ, (BIG - 2) * 512 },
	{ "lba48 one past big export", BIG, false, 1500, E, ATA_CMD_READ_EXT,
	  1, BIG, 0, IDNF, 0, 0 },
	{ "lba48 write at 2^28", BIG, false, 1500, W | E, ATA_CMD_WRITE_EXT,
	  1, 1ULL << 28, 512, 0, TARGET_WRITE, (1ULL << 28) * 512 },
	{ "lba28 write with device bits", BIG, false, 1500, W, ATA_CMD_WRITE,
	  1, 0xE0000001ULL, 512, 0, TARGET_WRITE, 512 },
	{ "flush", SECTORS, false, 1500, 0, ATA_CMD_FLUSH, 0, 0, 0, 0,
	  TARGET_FLUSH, 0 },
	{ "flush ext", SECTORS, false, 1500, E, ATA_CMD_FLUSH_EXT, 0, 0, 0, 0,
	  TARGET_FLUSH, 0 },
	{ "set features", SECTORS, false, 1500, 0, 0xEF, 0, 0, 0, ABRT, 0, 0 },
	{ "read dma", SECTORS, false, 1500, 0, 0xC8, 1, 0, 0, ABRT, 0, 0 },
	{ "smart", SECTORS, false, 1500, 0, 0xB0, 1, 0, 0, ABRT, 0, 0 },
	{ "nop", SECTORS, false, 1500, 0, 0x00, 0, 0, 0, ABRT, 0, 0 },
};

static void test_ata_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ata_cases) / sizeof(ata_cases[0]); i++) {
		const struct ata_case *c = &ata_cases[i];
		struct target_io io;
		size_t len;

		target_export_init(&ex, SHELF, SLOT, c->sectors);
		ex.read_only = c->ro;
		len = mk_ata(A, c->aflags, c->cmd, c->count, c->lba,
			     c->data_len);
		io = run(&ex, len, c->mtu);
		if (c->want == 0) {
			if (io.action != c->action)
				fail_msg("%s: action %d, want %d", c->name,
					 io.action, c->action);
			if (io.action == TARGET_FLUSH)
				continue;
			if (io.offset != c->offset)
				fail_msg("%s: offset %llu, want %llu", c->name,
					 (unsigned long long)io.offset,
					 (unsigned long long)c->offset);
			assert_int_equal(io.len, c->count * 512);
			assert_true(io.offset + io.len <= c->sectors * 512);
			if (io.action == TARGET_WRITE)
				assert_ptr_equal(io.data,
						 frame + AOE_ATA_HDR_LEN);
			assert_int_equal(ex.stats.errors, 0);
			continue;
		}
		if (io.action != TARGET_REPLY)
			fail_msg("%s: action %d, want a reply", c->name,
				 io.action);
		assert_int_equal(ex.stats.errors, 1);
		if (c->want > 0) {
			if (reply[15] != c->want || !(reply[14] & AOE_FLAG_ERR))
				fail_msg("%s: AoE error %d, want %d", c->name,
					 reply[15], c->want);
			continue;
		}
		/* ATA error: no AoE error, ERR|DRDY and the error register */
		if (reply[14] & AOE_FLAG_ERR)
			fail_msg("%s: AoE error %d, want ATA error", c->name,
				 reply[15]);
		assert_int_equal(reply[27], ATA_STAT_ERR | ATA_STAT_DRDY);
		assert_int_equal(reply[25], c->want == IDNF ? ATA_ERR_IDNF
							     : ATA_ERR_ABRT);
		assert_int_equal(io.reply_len, AOE_MIN_FRAME);
		/* padding is zeros */
		for (size_t b = AOE_ATA_HDR_LEN; b < AOE_MIN_FRAME; b++)
			assert_int_equal(reply[b], 0);
	}
}

static uint16_t id_word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

static void id_string(const uint8_t *id, unsigned w, unsigned n, char *out)
{
	for (unsigned i = 0; i < n * 2; i++)
		out[i] = (char)id[2 * w + (i ^ 1)];
	out[n * 2] = 0;
}

struct identify_case {
	uint64_t sectors;
	uint32_t lba28;
};

static void test_identify(void **state)
{
	static const struct identify_case t[] = {
		{ 1000, 1000 },
		{ 0x0FFFFFFF, 0x0FFFFFFF },
		{ 1ULL << 28, 0x0FFFFFFF },
		{ 1ULL << 40, 0x0FFFFFFF },
	};
	char s[41];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const uint8_t *id = reply + AOE_ATA_HDR_LEN;
		struct target_io io;
		uint64_t lba48 = 0;

		target_export_init(&ex, SHELF, SLOT, t[i].sectors);
		io = run(&ex, mk_ata(A, 0, ATA_CMD_IDENTIFY, 1, 0, 0), 1500);
		assert_int_equal(io.action, TARGET_REPLY);
		assert_int_equal(io.reply_len, AOE_ATA_HDR_LEN + 512);
		assert_int_equal(reply[27], ATA_STAT_DRDY);
		assert_int_equal(reply[14] & AOE_FLAG_ERR, 0);
		assert_int_equal(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16,
				 t[i].lba28);
		for (int w = 3; w >= 0; w--)
			lba48 = lba48 << 16 | id_word(id, 100 + (unsigned)w);
		assert_true(lba48 == t[i].sectors);
		/* LBA48 supported and enabled, words valid (Linux reads 83|86
		 * bit 10 to pick LBA48) */
		assert_int_equal(id_word(id, 83) & 0xC400, 0x4400);
		assert_true(id_word(id, 86) & 0x0400);
		assert_int_equal(id_word(id, 84) & 0xC000, 0x4000);
		assert_int_equal(id_word(id, 87) & 0xC000, 0x4000);
		assert_true(id_word(id, 49) & 0x0200);   /* LBA */
		assert_int_equal(id_word(id, 0), 0x0040);
		assert_int_equal(id_word(id, 47) & 0xFF00, 0x8000);
		assert_true(id_word(id, 80) & 0x0040);   /* ATA-6: LBA48 era */
		assert_int_equal(id_word(id, 93) & 0xC000, 0x4000);
		id_string(id, 27, 20, s);
		assert_string_equal(s, "nimbus aoetd                            ");
		id_string(id, 10, 10, s);
		assert_string_equal(s, "7.3                 ");
		id_string(id, 23, 4, s);
		assert_string_equal(s, "0001    ");
	}
	/* an IDENTIFY does not fit a reply buffer of one minimum frame */
	target_export_init(&ex, SHELF, SLOT, 1000);
	mk_ata(A, 0, ATA_CMD_IDENTIFY, 1, 0, 0);
	{
		struct target_io io;

		target_handle(&ex, frame, 60, US, 1500, reply, 100, &io);
		assert_int_equal(io.action, TARGET_REPLY);
		assert_int_equal(reply[15], AOE_ERR_BADARG);
	}
}

static void test_check_power(void **state)
{
	struct target_io io;

	(void)state;
	io = run(&ex, mk_ata(A, 0, ATA_CMD_CHECK_POWER, 0, 0, 0), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(reply[26], 0xFF);
	assert_int_equal(reply[27], ATA_STAT_DRDY);
	assert_int_equal(io.reply_len, AOE_MIN_FRAME);
}

/* The daemon's side: completion turns results into status and counters. */
static void test_complete(void **state)
{
	static const struct {
		const char *name;
		bool write;
		int64_t result;
		bool ok;
	} t[] = {
		{ "read ok", false, 1024, true },
		{ "read short", false, 512, false },
		{ "read zero", false, 0, false },
		{ "read EIO", false, -EIO, false },
		{ "write ok", true, 1024, true },
		{ "write short", true, 1023, false },
		{ "write ENOSPC", true, -ENOSPC, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct target_io io;
		size_t n;

		setup(NULL);
		io = run(&ex, t[i].write ?
			 mk_ata(A, W, ATA_CMD_WRITE, 2, 10, 1024) :
			 mk_ata(A, 0, ATA_CMD_READ, 2, 10, 0), 1500);
		assert_int_equal(io.action, t[i].write ? TARGET_WRITE
						       : TARGET_READ);
		n = target_complete(&ex, &io, t[i].result, reply);
		if (t[i].ok) {
			assert_int_equal(reply[27], ATA_STAT_DRDY);
			assert_int_equal(reply[25], 0);
			assert_int_equal(n, t[i].write ? AOE_MIN_FRAME
						       : AOE_ATA_HDR_LEN + 1024);
			assert_int_equal(ex.stats.errors, 0);
			assert_int_equal(ex.stats.read_bytes,
					 t[i].write ? 0 : 1024);
			assert_int_equal(ex.stats.write_bytes,
					 t[i].write ? 1024 : 0);
		} else {
			if (reply[27] != (ATA_STAT_ERR | ATA_STAT_DRDY))
				fail_msg("%s: status %#x", t[i].name,
					 reply[27]);
			assert_int_equal(reply[25], ATA_ERR_UNC);
			assert_int_equal(n, AOE_MIN_FRAME);
			assert_int_equal(ex.stats.errors, 1);
			assert_int_equal(ex.stats.read_bytes, 0);
			assert_int_equal(ex.stats.write_bytes, 0);
		}
		assert_int_equal(reply[24], t[i].write ? W : 0);
		assert_int_equal(reply[26], 2);
		assert_int_equal(reply[28], 10);   /* lba echoed */
		assert_int_equal(ex.stats.requests, 1);
	}
	/* flush: 0 is success, an error is UNC */
	setup(NULL);
	{
		struct target_io io = run(&ex, mk_ata(A, 0, ATA_CMD_FLUSH, 0,
						     0, 0), 1500);

		assert_int_equal(target_complete(&ex, &io, 0, reply), 60);
		assert_int_equal(reply[27], ATA_STAT_DRDY);
		assert_int_equal(target_complete(&ex, &io, -EIO, reply), 60);
		assert_int_equal(reply[27], ATA_STAT_ERR | ATA_STAT_DRDY);
	}
}

/* --- Query Config ------------------------------------------------------- */

struct cfg_case {
	const char *name;
	const char *have;     /* export's string before */
	uint8_t ccmd;
	const char *send;
	int want;             /* -1 silent, 0 reply, >0 AoE error */
	const char *after;    /* export's string after */
};

static const struct cfg_case cfg_cases[] = {
	{ "read empty", "", AOE_CCMD_READ, "", 0, "" },
	{ "read set", "vol0", AOE_CCMD_READ, "ignored", 0, "vol0" },
	{ "exact match", "vol0", AOE_CCMD_TEST_EXACT, "vol0", 0, "vol0" },
	{ "exact longer", "vol0", AOE_CCMD_TEST_EXACT, "vol01", -1, "vol0" },
	{ "exact shorter", "vol0", AOE_CCMD_TEST_EXACT, "vol", -1, "vol0" },
	{ "exact differs", "vol0", AOE_CCMD_TEST_EXACT, "vol1", -1, "vol0" },
	{ "exact empty both", "", AOE_CCMD_TEST_EXACT, "", 0, "" },
	{ "prefix match", "vol0", AOE_CCMD_TEST_PREFIX, "vo", 0, "vol0" },
	{ "prefix whole", "vol0", AOE_CCMD_TEST_PREFIX, "vol0", 0, "vol0" },
	{ "prefix empty", "vol0", AOE_CCMD_TEST_PREFIX, "", 0, "vol0" },
	{ "prefix longer", "vol0", AOE_CCMD_TEST_PREFIX, "vol00", -1, "vol0" },
	{ "prefix differs", "vol0", AOE_CCMD_TEST_PREFIX, "x", -1, "vol0" },
	{ "set when empty", "", AOE_CCMD_SET, "mine", 0, "mine" },
	{ "set when set", "vol0", AOE_CCMD_SET, "mine", AOE_ERR_CFGSET,
	  "vol0" },
	{ "set same again", "vol0", AOE_CCMD_SET, "vol0", 0, "vol0" },
	{ "force set", "vol0", AOE_CCMD_FORCE_SET, "mine", 0, "mine" },
	{ "force set empty", "vol0", AOE_CCMD_FORCE_SET, "", 0, "" },
	{ "ccmd 5", "vol0", 5, "", AOE_ERR_BADARG, "vol0" },
	{ "ccmd 15", "vol0", 15, "", AOE_ERR_BADARG, "vol0" },
};

static void set_cfg(const char *s)
{
	ex.cfg_len = (uint16_t)strlen(s);
	memcpy(ex.cfg, s, ex.cfg_len);
}

static void test_cfg_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cfg_cases) / sizeof(cfg_cases[0]); i++) {
		const struct cfg_case *c = &cfg_cases[i];
		struct target_io io;
		struct aoe_cfg r;

		setup(NULL);
		set_cfg(c->have);
		io = run(&ex, mk_cfg(A, c->ccmd, c->send), 1500);
		if (ex.cfg_len != strlen(c->after) ||
		    memcmp(ex.cfg, c->after, ex.cfg_len) != 0)
			fail_msg("%s: string changed wrongly", c->name);
		if (c->want < 0) {
			if (io.action != TARGET_DROP)
				fail_msg("%s: answered", c->name);
			assert_int_equal(ex.stats.errors, 0);
			continue;
		}
		if (io.action != TARGET_REPLY)
			fail_msg("%s: silent", c->name);
		if (c->want > 0) {
			if (reply[15] != c->want)
				fail_msg("%s: error %d want %d", c->name,
					 reply[15], c->want);
			expect_aoe_err(&io, c->want);
			continue;
		}
		expect_aoe_err(&io, 0);
		assert_int_equal(aoe_decode_cfg(reply, io.reply_len, &r), 0);
		assert_int_equal(r.bufcnt, 16);
		assert_int_equal(r.fwver, 1);
		assert_int_equal(r.scnt, 2);
		assert_int_equal(r.aoever, 1);
		assert_int_equal(r.ccmd, c->ccmd);
		assert_int_equal(r.cslen, strlen(c->after));
		assert_memory_equal(r.str, c->after, r.cslen);
	}
}

static void test_cfg_limits(void **state)
{
	static char s[AOE_CFG_STR_MAX + 2];
	struct target_io io;
	struct aoe_cfg r;
	size_t len;

	(void)state;
	/* 1024 bytes: accepted and read back; 1025: bad argument */
	memset(s, 'x', AOE_CFG_STR_MAX);
	io = run(&ex, mk_cfg(A, AOE_CCMD_FORCE_SET, s), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(ex.cfg_len, AOE_CFG_STR_MAX);
	assert_int_equal(io.reply_len, AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX);
	s[AOE_CFG_STR_MAX] = 'y';
	io = run(&ex, mk_cfg(A, AOE_CCMD_FORCE_SET, s), 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	assert_int_equal(ex.cfg_len, AOE_CFG_STR_MAX);
	assert_int_equal(ex.cfg[0], 'x');
	/* cslen pointing past the frame: bad argument, nothing stored */
	setup(NULL);
	len = mk_cfg(A, AOE_CCMD_FORCE_SET, "abcd");
	io = run(&ex, len - 1, 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	assert_int_equal(ex.cfg_len, 0);
	/* sectors per frame follows the MTU; bufcnt what the export says */
	ex.bufcnt = 64;
	io = run(&ex, mk_cfg(A, AOE_CCMD_READ, ""), 9000);
	assert_int_equal(aoe_decode_cfg(reply, io.reply_len, &r), 0);
	assert_int_equal(r.scnt, 17);
	assert_int_equal(r.bufcnt, 64);
	/* replies are padded with zeros */
	assert_int_equal(io.reply_len, AOE_MIN_FRAME);
	for (size_t b = AOE_CFG_HDR_LEN; b < AOE_MIN_FRAME; b++)
		assert_int_equal(reply[b], 0);
}

static void test_announce(void **state)
{
	struct aoe_hdr h;
	struct aoe_cfg c;
	size_t n;

	(void)state;
	set_cfg("vol0");
	memset(reply, 0xee, sizeof(reply));
	n = target_announce(&ex, US, 9000, reply, sizeof(reply));
	assert_int_equal(n, AOE_MIN_FRAME);
	assert_int_equal(aoe_decode_hdr(reply, n, &h), 0);
	assert_memory_equal(h.dst, BCAST, 6);
	assert_memory_equal(h.src, US, 6);
	assert_int_equal(h.flags, AOE_FLAG_RESP);
	assert_int_equal(h.error, 0);
	assert_int_equal(h.major, SHELF);
	assert_int_equal(h.minor, SLOT);
	assert_int_equal(h.cmd, AOE_CMD_CONFIG);
	assert_int_equal(aoe_decode_cfg(reply, n, &c), 0);
	assert_int_equal(c.scnt, 17);
	assert_int_equal(c.cslen, 4);
	assert_memory_equal(c.str, "vol0", 4);
	assert_int_equal(reply[59], 0);
	assert_int_equal(target_announce(&ex, US, 9000, reply, 40), 0);
}

/* --- Mac Mask List ------------------------------------------------------ */

static void read_mask(const uint8_t *src, struct target_io *io,
		      struct aoe_mask *m)
{
	*io = run(&ex, mk_mask(src, AOE_MCMD_READ, 0, NULL), 1500);
	expect_aoe_err(io, 0);
	assert_int_equal(aoe_decode_mask(reply, io->reply_len, m), 0);
}

static void test_mask(void **state)
{
	struct aoe_mask_dir dirs[3];
	struct aoe_mask_dir d;
	struct aoe_mask m;
	struct target_io io;

	(void)state;
	read_mask(A, &io, &m);
	assert_int_equal(m.dcnt, 0);
	/* add A and B (B twice: no duplicate) */
	dirs[0] = (struct aoe_mask_dir){ AOE_DCMD_ADD, { 0 } };
	memcpy(dirs[0].mac, A, 6);
	dirs[1] = (struct aoe_mask_dir){ AOE_DCMD_ADD, { 0 } };
	memcpy(dirs[1].mac, B, 6);
	dirs[2] = dirs[1];
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 3, dirs), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.merror, 0);
	assert_int_equal(m.dcnt, 2);
	aoe_mask_dir_get(&m, 1, &d);
	assert_memory_equal(d.mac, B, 6);
	assert_int_equal(ex.nmask, 2);
	/* delete B, nop, delete an absent MAC */
	dirs[0].dcmd = AOE_DCMD_DEL;
	memcpy(dirs[0].mac, B, 6);
	dirs[1].dcmd = AOE_DCMD_NONE;
	dirs[2].dcmd = AOE_DCMD_DEL;
	dirs[2].mac[5] = 0x77;
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 3, dirs), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.dcnt, 1);
	aoe_mask_dir_get(&m, 0, &d);
	assert_memory_equal(d.mac, A, 6);
	/* bad directive: merror 2, directives echoed, nothing applied */
	dirs[0].dcmd = AOE_DCMD_ADD;
	dirs[1].dcmd = 3;
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 2, dirs), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.merror, AOE_MERR_BADDCMD);
	assert_int_equal(m.dcnt, 2);
	aoe_mask_dir_get(&m, 1, &d);
	assert_int_equal(d.dcmd, 3);
	assert_int_equal(ex.nmask, 1);
	assert_int_equal(ex.stats.errors, 1);
	/* bad mcmd: AoE bad argument; dcnt past the frame too */
	io = run(&ex, mk_mask(A, 2, 0, NULL), 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 3, dirs) - 1, 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	assert_int_equal(ex.nmask, 1);
}

static void test_mask_acl(void **state)
{
	struct target_io io;
	uint64_t req;

	(void)state;
	memcpy(ex.mask[0], A, 6);
	ex.nmask = 1;
	/* B is not listed: ignored for every command, counted as dropped */
	req = ex.stats.requests;
	io = run(&ex, mk_ata(B, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	assert_int_equal(io.action, TARGET_DROP);
	io = run(&ex, mk_cfg(B, AOE_CCMD_READ, ""), 1500);
	assert_int_equal(io.action, TARGET_DROP);
	io = run(&ex, mk_mask(B, AOE_MCMD_READ, 0, NULL), 1500);
	assert_int_equal(io.action, TARGET_DROP);
	assert_int_equal(ex.stats.dropped, 3);
	assert_int_equal(ex.stats.requests, req);
	/* frames for another export are not ours to count */
	mk_cfg(B, AOE_CCMD_READ, "");
	frame[18] = SLOT + 1;
	io = run(&ex, 60, 1500);
	assert_int_equal(ex.stats.dropped, 3);
	/* A is listed */
	io = run(&ex, mk_ata(A, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	assert_int_equal(io.action, TARGET_READ);
	assert_int_equal(ex.stats.requests, req + 1);
}

static void test_mask_full(void **state)
{
	struct aoe_mask_dir dirs[AOE_MASK_MAX];
	struct aoe_mask m;
	struct target_io io;

	(void)state;
	/* fill to 255 in one edit (the one frame holds 255 directives) */
	for (unsigned i = 0; i < AOE_MASK_MAX; i++) {
		dirs[i].dcmd = AOE_DCMD_ADD;
		memcpy(dirs[i].mac, A, 6);
		dirs[i].mac[3] = 0x55;
		dirs[i].mac[5] = (uint8_t)i;
	}
	memcpy(dirs[0].mac, A, 6);   /* A stays allowed */
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, AOE_MASK_MAX, dirs), 9000);
	expect_aoe_err(&io, 0);
	assert_int_equal(ex.nmask, AOE_MASK_MAX);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.dcnt, AOE_MASK_MAX);
	/* one more: list full, nothing changes, even the delete before it */
	dirs[0].dcmd = AOE_DCMD_DEL;
	memcpy(dirs[0].mac, dirs[11].mac, 6);   /* an existing entry */
	dirs[1].dcmd = AOE_DCMD_ADD;
	memcpy(dirs[1].mac, B, 6);
	dirs[1].mac[3] = 0x99;
	dirs[2] = dirs[1];
	dirs[2].mac[3] = 0x98;
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 3, dirs), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.merror, AOE_MERR_FULL);
	assert_int_equal(ex.nmask, AOE_MASK_MAX);
	assert_memory_equal(ex.mask[11], dirs[0].mac, 6);
	/* the delete then one add fits exactly */
	io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 2, dirs), 1500);
	assert_int_equal(aoe_decode_mask(reply, io.reply_len, &m), 0);
	assert_int_equal(m.merror, 0);
	assert_int_equal(ex.nmask, AOE_MASK_MAX);
}

/* --- Reserve/Release ---------------------------------------------------- */

static void test_reserve_two_macs(void **state)
{
	const uint8_t only_a[1][6] = { { 0x02, 0, 0, 0, 0, 0x0a } };
	const uint8_t only_b[1][6] = { { 0x02, 0, 0, 0, 0, 0x0b } };
	struct target_io io;
	struct aoe_resv r;

	(void)state;
	/* read: empty */
	io = run(&ex, mk_resv(A, AOE_RCMD_READ, 0, NULL), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_resv(reply, io.reply_len, &r), 0);
	assert_int_equal(r.nmacs, 0);
	/* A reserves */
	io = run(&ex, mk_resv(A, AOE_RCMD_SET, 1, only_a), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(aoe_decode_resv(reply, io.reply_len, &r), 0);
	assert_int_equal(r.rcmd, AOE_RCMD_SET);
	assert_int_equal(r.nmacs, 1);
	assert_memory_equal(r.macs, A, 6);
	/* B: ATA, config set refused with 6; config read, reserve read ok */
	io = run(&ex, mk_ata(B, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	io = run(&ex, mk_ata(B, 0, ATA_CMD_IDENTIFY, 1, 0, 0), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	io = run(&ex, mk_cfg(B, AOE_CCMD_SET, "b"), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	io = run(&ex, mk_cfg(B, AOE_CCMD_FORCE_SET, "b"), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	assert_int_equal(ex.cfg_len, 0);
	io = run(&ex, mk_cfg(B, AOE_CCMD_READ, ""), 1500);
	expect_aoe_err(&io, 0);
	io = run(&ex, mk_resv(B, AOE_RCMD_READ, 0, NULL), 1500);
	expect_aoe_err(&io, 0);
	/* B may read the mask list but not edit it (it could lock A out) */
	io = run(&ex, mk_mask(B, AOE_MCMD_READ, 0, NULL), 1500);
	expect_aoe_err(&io, 0);
	{
		struct aoe_mask_dir d = { AOE_DCMD_ADD, { 0 } };

		memcpy(d.mac, B, 6);
		io = run(&ex, mk_mask(B, AOE_MCMD_EDIT, 1, &d), 1500);
		expect_aoe_err(&io, AOE_ERR_RESERVED);
		assert_int_equal(ex.nmask, 0);
		io = run(&ex, mk_mask(A, AOE_MCMD_EDIT, 0, NULL), 1500);
		expect_aoe_err(&io, 0);
	}
	/* B cannot set (or release) the reservation */
	io = run(&ex, mk_resv(B, AOE_RCMD_SET, 1, only_b), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	io = run(&ex, mk_resv(B, AOE_RCMD_SET, 0, NULL), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	assert_int_equal(ex.nresv, 1);
	/* A still works */
	io = run(&ex, mk_ata(A, W, ATA_CMD_WRITE, 1, 0, 512), 1500);
	assert_int_equal(io.action, TARGET_WRITE);
	io = run(&ex, mk_cfg(A, AOE_CCMD_SET, "a"), 1500);
	expect_aoe_err(&io, 0);
	/* B forces: now A is refused */
	io = run(&ex, mk_resv(B, AOE_RCMD_FORCE, 1, only_b), 1500);
	expect_aoe_err(&io, 0);
	io = run(&ex, mk_ata(A, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	expect_aoe_err(&io, AOE_ERR_RESERVED);
	io = run(&ex, mk_ata(B, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	assert_int_equal(io.action, TARGET_READ);
	/* B releases: everyone again */
	io = run(&ex, mk_resv(B, AOE_RCMD_SET, 0, NULL), 1500);
	expect_aoe_err(&io, 0);
	assert_int_equal(ex.nresv, 0);
	io = run(&ex, mk_ata(A, 0, ATA_CMD_READ, 1, 0, 0), 1500);
	assert_int_equal(io.action, TARGET_READ);
	/* bad rcmd, nmacs past the frame */
	io = run(&ex, mk_resv(A, 3, 0, NULL), 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	io = run(&ex, mk_resv(A, AOE_RCMD_SET, 1, only_a) - 1, 1500);
	expect_aoe_err(&io, AOE_ERR_BADARG);
	assert_int_equal(ex.nresv, 0);
	/* a reservation of several MACs, set by one of them */
	{
		const uint8_t ab[2][6] = { { 0x02, 0, 0, 0, 0, 0x0a },
					   { 0x02, 0, 0, 0, 0, 0x0b } };

		io = run(&ex, mk_resv(A, AOE_RCMD_SET, 2, ab), 1500);
		expect_aoe_err(&io, 0);
		io = run(&ex, mk_resv(B, AOE_RCMD_SET, 1, only_b), 1500);
		expect_aoe_err(&io, 0);
		assert_int_equal(ex.nresv, 1);
	}
}

static void test_counters(void **state)
{
	struct target_io io;

	(void)state;
	io = run(&ex, mk_ata(A, 0, ATA_CMD_READ, 2, 0, 0), 1500);
	target_complete(&ex, &io, 1024, reply);
	io = run(&ex, mk_ata(A, W, ATA_CMD_WRITE, 1, 0, 512), 1500);
	target_complete(&ex, &io, 512, reply);
	io = run(&ex, mk_ata(A, 0, ATA_CMD_READ, 1, SECTORS, 0), 1500);
	io = run(&ex, mk_cfg(A, 9, ""), 1500);
	io = run(&ex, mk_cfg(BCAST, AOE_CCMD_READ, ""), 1500);
	assert_int_equal(ex.stats.requests, 4);
	assert_int_equal(ex.stats.read_bytes, 1024);
	assert_int_equal(ex.stats.write_bytes, 512);
	assert_int_equal(ex.stats.errors, 2);
	assert_int_equal(ex.stats.dropped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gate, setup),
		cmocka_unit_test_setup(test_junk_frames, setup),
		cmocka_unit_test_setup(test_truncated_arguments, setup),
		cmocka_unit_test_setup(test_ata_table, setup),
		cmocka_unit_test_setup(test_identify, setup),
		cmocka_unit_test_setup(test_check_power, setup),
		cmocka_unit_test_setup(test_complete, setup),
		cmocka_unit_test_setup(test_cfg_table, setup),
		cmocka_unit_test_setup(test_cfg_limits, setup),
		cmocka_unit_test_setup(test_announce, setup),
		cmocka_unit_test_setup(test_mask, setup),
		cmocka_unit_test_setup(test_mask_acl, setup),
		cmocka_unit_test_setup(test_mask_full, setup),
		cmocka_unit_test_setup(test_reserve_two_macs, setup),
		cmocka_unit_test_setup(test_counters, setup),
	};
	return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
