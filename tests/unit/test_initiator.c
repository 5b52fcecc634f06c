/* Unit tests of aoe-bench's pure parts: the verify pattern, command-line
 * value parsing (good and malformed), tag/slot encoding, IDENTIFY decoding
 * and the one-line failure descriptions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../storagenode/aoe-initiator/args.h"
#include "../../storagenode/aoe-initiator/initiator.h"
#include "../../storagenode/aoe-initiator/pattern.h"
#include "../../storagenode/aoe-initiator/reflect.h"

static void test_pattern_roundtrip(void **state)
{
	static const struct { uint64_t lba; unsigned n; uint64_t seed; } cases[] = {
		{ 0, 1, 0 }, { 7, 17, 1 }, { 0x0FFFFFFF, 2, 42 },
		{ 0xFFFFFFFFFFFFull - 3, 3, ~0ull },
	};
	uint8_t buf[17 * 512];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pattern_fill(buf, cases[i].lba, cases[i].n, cases[i].seed);
		assert_int_equal(pattern_check(buf, cases[i].lba, cases[i].n,
					       cases[i].seed), -1);
		/* Wrong seed or wrong place: first sector is reported. */
		assert_int_equal(pattern_check(buf, cases[i].lba, cases[i].n,
					       cases[i].seed + 1), 0);
		assert_int_equal(pattern_check(buf, cases[i].lba + 1, cases[i].n,
					       cases[i].seed), 0);
	}
}

static void test_pattern_detects_one_byte(void **state)
{
	uint8_t buf[8 * 512];
	(void)state;

	for (unsigned s = 0; s < 8; s++) {
		pattern_fill(buf, 1000, 8, 5);
		buf[s * 512 + 300] ^= 0x01;
		assert_int_equal(pattern_check(buf, 1000, 8, 5), (int)s);
	}
}

static void test_pattern_sectors_differ(void **state)
{
	uint8_t a[512], b[512];
	(void)state;

	pattern_fill(a, 10, 1, 0);
	pattern_fill(b, 11, 1, 0);
	assert_memory_not_equal(a + 16, b + 16, 512 - 16);
	pattern_fill(b, 10, 1, 1);
	assert_memory_not_equal(a + 16, b + 16, 512 - 16);
	/* Splitting a transfer differently gives the same bytes. */
	uint8_t c[1024], d[1024];
	pattern_fill(c, 20, 2, 3);
	pattern_fill(d, 20, 1, 3);
	pattern_fill(d + 512, 21, 1, 3);
	assert_memory_equal(c, d, sizeof(c));
}

static void test_args_size(void **state)
{
	static const struct { const char *s; int err; uint64_t v; } cases[] = {
		{ "512", 0, 512 }, { "4k", 0, 4096 }, { "8K", 0, 8192 },
		{ "1m", 0, 1 << 20 }, { "2G", 0, 2ull << 30 }, { "0", 0, 0 },
		{ "0x200", 0, 512 },
		{ "", -EINVAL, 0 }, { "k", -EINVAL, 0 }, { "4kb", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { " 4", -EINVAL, 0 }, { "4 ", -EINVAL, 0 },
		{ "1.5k", -EINVAL, 0 }, { "99999999999999999999", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int err = args_size(cases[i].s, &v);
		if (err != cases[i].err)
			fail_msg("args_size('%s') = %d, want %d", cases[i].s, err,
				 cases[i].err);
		if (!err && v != cases[i].v)
			fail_msg("args_size('%s') = %llu", cases[i].s,
				 (unsigned long long)v);
	}
	assert_int_equal(args_size(NULL, NULL), -EINVAL);
}

static void test_args_u64(void **state)
{
	uint64_t v;
	(void)state;

	assert_int_equal(args_u64("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(args_u64("11", 10, &v), -ERANGE);
	assert_int_equal(args_u64("1x", 10, &v), -EINVAL);
	assert_int_equal(args_u64("+1", 10, &v), -EINVAL);
	assert_int_equal(args_u64(NULL, 10, &v), -EINVAL);
}

static void test_args_target(void **state)
{
	static const struct {
		const char *s; int err; uint16_t shelf; uint8_t slot;
	} cases[] = {
		{ "1.2", 0, 1, 2 }, { "e1.2", 0, 1, 2 }, { "0.0", 0, 0, 0 },
		{ "65534.254", 0, 65534, 254 },
		{ "65535.0", -ERANGE, 0, 0 }, { "0.255", -ERANGE, 0, 0 },
		{ "1", -EINVAL, 0, 0 }, { "1.", -EINVAL, 0, 0 },
		{ ".1", -EINVAL, 0, 0 }, { "1.2.3", -EINVAL, 0, 0 },
		{ "a.b", -EINVAL, 0, 0 }, { "", -EINVAL, 0, 0 },
		{ "e", -EINVAL, 0, 0 }, { "1.-2", -EINVAL, 0, 0 },
		{ "123456789012345678901234567890.1", -EINVAL, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t shelf = 9;
		uint8_t slot = 9;
		int err = args_target(cases[i].s, &shelf, &slot);
		if (err != cases[i].err)
			fail_msg("args_target('%s') = %d, want %d", cases[i].s,
				 err, cases[i].err);
		if (!err && (shelf != cases[i].shelf || slot != cases[i].slot))
			fail_msg("args_target('%s') = %u.%u", cases[i].s, shelf,
				 slot);
	}
}

static void test_tags(void **state)
{
	(void)state;

	for (unsigned slot = 0; slot < INI_MAX_WINDOW; slot += 37) {
		for (uint32_t seq = 0; seq < 5000000; seq += 999983) {
			uint32_t t = ini_tag_make(seq, slot);
			assert_true(t & INI_TAG_USER);
			assert_int_equal(ini_tag_slot(t), slot);
		}
	}
	/* Consecutive uses of one slot get different tags. */
	assert_int_not_equal(ini_tag_make(1, 5), ini_tag_make(2, 5));
	/* Sequence wrap keeps bit 31 and the slot. */
	assert_int_equal(ini_tag_slot(ini_tag_make(0xFFFFFFFF, 3)), 3);
	assert_true(ini_tag_make(0xFFFFFFFF, 3) & INI_TAG_USER);
}

static void put_string(uint8_t *blk, unsigned word, unsigned nwords,
		       const char *s)
{
	size_t len = strlen(s);

	for (unsigned i = 0; i < nwords * 2; i++) {
		char c = i < len ? s[i] : ' ';
		blk[2 * word + (i ^ 1)] = (uint8_t)c;
	}
}

static void put_word(uint8_t *blk, unsigned w, uint16_t v)
{
	blk[2 * w] = (uint8_t)v;
	blk[2 * w + 1] = (uint8_t)(v >> 8);
}

static void test_identity_decode(void **state)
{
	uint8_t blk[512];
	struct ini_identity id;
	(void)state;

	memset(blk, 0, sizeof(blk));
	put_string(blk, 27, 20, "nimbus aoetd");
	put_string(blk, 10, 10, "e1.2");
	put_string(blk, 23, 4, "v1.0");
	put_word(blk, 60, 0xFFFF);
	put_word(blk, 61, 0x0FFF);
	put_word(blk, 83, 1u << 10);
	put_word(blk, 100, 0x0001);
	put_word(blk, 101, 0x1000);
	put_word(blk, 102, 0x0002);
	put_word(blk, 103, 0);
	ini_identity_decode(blk, &id);
	assert_string_equal(id.model, "nimbus aoetd");
	assert_string_equal(id.serial, "e1.2");
	assert_string_equal(id.firmware, "v1.0");
	assert_true(id.lba48);
	assert_int_equal(id.sectors, 0x0000000210000001ull);

	/* Without LBA48 the 28-bit capacity counts. */
	put_word(blk, 83, 0);
	ini_identity_decode(blk, &id);
	assert_false(id.lba48);
	assert_int_equal(id.sectors, 0x0FFFFFFF);

	/* All-zero block: empty strings, zero size, no crash. */
	memset(blk, 0, sizeof(blk));
	ini_identity_decode(blk, &id);
	assert_string_equal(id.model, "");
	assert_int_equal(id.sectors, 0);
}

static void test_describe(void **state)
{
	struct ini ini;
	char line[256];
	(void)state;

	memset(&ini, 0, sizeof(ini));
	ini.retries = 2;
	ini.last.what = "read";
	ini.last.tag = 0x80000403;
	ini.last.lba = 2048;
	ini.last.nsect = 2;
	ini.last.ata_status = 0x51;
	ini.last.ata_err = ATA_ERR_IDNF;
	ini_describe(&ini, -EIO, line, sizeof(line));
	assert_string_equal(line, "read tag 0x80000403 LBA 2048 (+2): ATA status "
			    "0x51 error 0x10 (IDNF, sector out of range)");

	memset(&ini.last, 0, sizeof(ini.last));
	ini.last.what = "reserve";
	ini.last.tag = 0x80000001;
	ini.last.aoe_error = AOE_ERR_RESERVED;
	ini_describe(&ini, -EPROTO, line, sizeof(line));
	assert_string_equal(line, "reserve tag 0x80000001: AoE error 6 (target "
			    "reserved)");

	ini_describe(&ini, -ETIMEDOUT, line, sizeof(line));
	assert_string_equal(line, "reserve tag 0x80000001: no answer after 3 tries");

	ini.last.aoe_error = 200;
	ini_describe(&ini, -EPROTO, line, sizeof(line));
	assert_string_equal(line, "reserve tag 0x80000001: AoE error 200 (unknown)");

	/* Truncation never overflows. */
	char small[8];
	ini_describe(&ini, -EPROTO, small, sizeof(small));
	assert_int_equal(strlen(small), 7);
}

static const uint8_t CLIENT[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t NULLT[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static size_t ata_request(uint8_t *buf, uint8_t cmd, uint8_t nsect,
			  uint64_t lba, uint8_t flags)
{
	struct aoe_hdr h = { .flags = flags, .major = 1, .minor = 1,
			     .cmd = AOE_CMD_ATA, .tag = 0x80000007 };
	struct aoe_ata a = { .aflags = AOE_AFLAG_EXT, .sector_count = nsect,
			     .cmd_status = cmd, .lba = lba };
	memset(h.dst, 0xff, 6);
	memcpy(h.src, CLIENT, 6);
	if (cmd == ATA_CMD_WRITE_EXT)
		a.data_len = (size_t)nsect * 512;
	int n = aoe_encode_ata(buf, 9100, &h, &a);
	assert_true(n > 0);
	return aoe_pad(buf, (size_t)n);
}

static void test_reflect_reply(void **state)
{
	static const struct {
		const char *name; uint8_t cmd; uint8_t nsect; uint8_t flags;
		unsigned mtu; size_t want_len; uint8_t want_status;
	} cases[] = {
		{ "read 17 at 9000", ATA_CMD_READ_EXT, 17, 0, 9000, 36 + 17 * 512, ATA_STAT_DRDY },
		{ "read 2 at 1500", ATA_CMD_READ_EXT, 2, 0, 1500, 36 + 1024, ATA_STAT_DRDY },
		{ "read 3 at 1500 too big", ATA_CMD_READ_EXT, 3, 0, 1500, 60, ATA_STAT_DRDY | ATA_STAT_ERR },
		{ "write 2", ATA_CMD_WRITE_EXT, 2, 0, 1500, 60, ATA_STAT_DRDY },
		{ "identify", ATA_CMD_IDENTIFY, 1, 0, 1500, 36 + 512, ATA_STAT_DRDY },
		{ "response flag: ignored", ATA_CMD_READ_EXT, 2, AOE_FLAG_RESP, 1500, 0, 0 },
	};
	static uint8_t req[9100], reply[9100];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = ata_request(req, cases[i].cmd, cases[i].nsect, 5,
					 cases[i].flags);
		size_t r = reflect_reply(req, len, NULLT, cases[i].mtu, reply,
					 sizeof(reply));
		if (r != cases[i].want_len)
			fail_msg("%s: reply length %zu, want %zu", cases[i].name,
				 r, cases[i].want_len);
		if (!r)
			continue;
		struct aoe_hdr h;
		struct aoe_ata a;
		assert_int_equal(aoe_decode_hdr(reply, r, &h), 0);
		assert_int_equal(aoe_decode_ata(reply, r, &a), 0);
		assert_true(h.flags & AOE_FLAG_RESP);
		assert_memory_equal(h.dst, CLIENT, 6);
		assert_memory_equal(h.src, NULLT, 6);
		assert_int_equal(h.tag, 0x80000007);
		if (a.cmd_status != cases[i].want_status)
			fail_msg("%s: status 0x%02x", cases[i].name, a.cmd_status);
		if (cases[i].cmd == ATA_CMD_IDENTIFY) {
			struct ini_identity id;
			ini_identity_decode(a.data, &id);
			assert_true(id.lba48);
			assert_int_equal(id.sectors, REFLECT_SECTORS);
		}
	}

	/* Query Config: buffer count and sectors per frame from the MTU. */
	struct aoe_hdr h = { .major = AOE_MAJOR_ANY, .minor = AOE_MINOR_ANY,
			     .cmd = AOE_CMD_CONFIG, .tag = 0x80000001 };
	struct aoe_cfg c = { .aoever = 1 };
	memcpy(h.src, CLIENT, 6);
	int n = aoe_encode_cfg(req, sizeof(req), &h, &c);
	assert_true(n > 0);
	size_t r = reflect_reply(req, aoe_pad(req, (size_t)n), NULLT, 9000,
				 reply, sizeof(reply));
	assert_true(r >= AOE_MIN_FRAME);
	assert_int_equal(aoe_decode_cfg(reply, r, &c), 0);
	assert_int_equal(c.bufcnt, REFLECT_BUFCNT);
	assert_int_equal(c.scnt, 17);

	/* Junk: short frames, wrong ethertype, other commands. */
	ata_request(req, ATA_CMD_READ_EXT, 2, 0, 0);
	for (size_t len = 0; len < AOE_ATA_HDR_LEN; len++)
		assert_int_equal(reflect_reply(req, len, NULLT, 1500, reply,
					       sizeof(reply)), 0);
	ata_request(req, ATA_CMD_READ_EXT, 2, 0, 0);
	req[12] = 0x08;
	req[13] = 0x00;
	assert_int_equal(reflect_reply(req, 60, NULLT, 1500, reply, sizeof(reply)), 0);
	ata_request(req, ATA_CMD_READ_EXT, 2, 0, 0);
	req[19] = AOE_CMD_MASK;
	assert_int_equal(reflect_reply(req, 60, NULLT, 1500, reply, sizeof(reply)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_roundtrip),
		cmocka_unit_test(test_pattern_detects_one_byte),
		cmocka_unit_test(test_pattern_sectors_differ),
		cmocka_unit_test(test_args_size),
		cmocka_unit_test(test_args_u64),
		cmocka_unit_test(test_args_target),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_identity_decode),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_reflect_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
