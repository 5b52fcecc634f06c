/* Unit tests of the AoE wire codec (lib/aoe/aoe_proto.c): round trips,
 * byte-exact layouts, every short length, wrong ethertype, count fields
 * pointing past the end of the frame, encoder capacity, padding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "aoe/aoe_proto.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static struct aoe_hdr sample_hdr(uint8_t cmd)
{
	struct aoe_hdr h = {
		.flags = AOE_FLAG_RESP, .error = 0, .major = 0x1234,
		.minor = 0x56, .cmd = cmd, .tag = 0xdeadbeef,
	};
	memcpy(h.dst, MAC_A, 6);
	memcpy(h.src, MAC_B, 6);
	return h;
}

static void test_hdr_layout(void **state)
{
	struct aoe_hdr h = sample_hdr(AOE_CMD_CONFIG), d;
	uint8_t buf[64];
	static const uint8_t want[AOE_HDR_LEN] = {
		0x02, 0, 0, 0, 0, 0x0a, 0x02, 0, 0, 0, 0, 0x0b, 0x88, 0xa2,
		0x18, 0x00, 0x12, 0x34, 0x56, 0x01, 0xde, 0xad, 0xbe, 0xef,
	};

	(void)state;
	h.version = 7; /* ignored: the encoder always speaks version 1 */
	assert_int_equal(aoe_encode_hdr(buf, sizeof(buf), &h), AOE_HDR_LEN);
	assert_memory_equal(buf, want, AOE_HDR_LEN);
	assert_int_equal(aoe_decode_hdr(buf, AOE_HDR_LEN, &d), 0);
	assert_memory_equal(d.dst, MAC_A, 6);
	assert_memory_equal(d.src, MAC_B, 6);
	assert_int_equal(d.version, 1);
	assert_int_equal(d.flags, AOE_FLAG_RESP);
	assert_int_equal(d.major, 0x1234);
	assert_int_equal(d.minor, 0x56);
	assert_int_equal(d.cmd, AOE_CMD_CONFIG);
	assert_int_equal(d.tag, 0xdeadbeef);
	assert_int_equal(aoe_encode_hdr(buf, AOE_HDR_LEN - 1, &h), -ENOSPC);
}

static void test_ata_round_trip(void **state)
{
	struct aoe_hdr h = sample_hdr(AOE_CMD_ATA);
	uint8_t data[1024], buf[AOE_ATA_HDR_LEN + 1024];
	struct aoe_ata a = {
		.aflags = AOE_AFLAG_EXT | AOE_AFLAG_WRITE, .err_feature = 0x11,
		.sector_count = 2, .cmd_status = ATA_CMD_WRITE_EXT,
		.lba = 0xA1B2C3D4E5F6ULL, .data = data, .data_len = sizeof(data),
	}, d;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	n = aoe_encode_ata(buf, sizeof(buf), &h, &a);
	assert_int_equal(n, AOE_ATA_HDR_LEN + 1024);
	/* LBA goes least-significant byte first, reserved bytes are zero */
	static const uint8_t arg[12] = { 0x41, 0x11, 2, 0x34, 0xf6, 0xe5, 0xd4,
					 0xc3, 0xb2, 0xa1, 0, 0 };
	assert_memory_equal(buf + AOE_HDR_LEN, arg, sizeof(arg));
	assert_int_equal(aoe_decode_ata(buf, (size_t)n, &d), 0);
	assert_int_equal(d.aflags, a.aflags);
	assert_int_equal(d.err_feature, 0x11);
	assert_int_equal(d.sector_count, 2);
	assert_int_equal(d.cmd_status, ATA_CMD_WRITE_EXT);
	assert_true(d.lba == 0xA1B2C3D4E5F6ULL);
	assert_int_equal(d.data_len, 1024);
	assert_ptr_equal(d.data, buf + AOE_ATA_HDR_LEN);
	assert_memory_equal(d.data, data, sizeof(data));
	/* capacity: one byte short of header + data */
	assert_int_equal(aoe_encode_ata(buf, AOE_ATA_HDR_LEN + 1023, &h, &a),
			 -ENOSPC);
	a.data_len = 0;
	assert_int_equal(aoe_encode_ata(buf, AOE_ATA_HDR_LEN - 1, &h, &a),
			 -ENOSPC);
	/* NULL data leaves the payload alone (already written in place) */
	memset(buf + AOE_ATA_HDR_LEN, 0x5a, 512);
	a.data = NULL;
	a.data_len = 512;
	assert_int_equal(aoe_encode_ata(buf, sizeof(buf), &h, &a),
			 AOE_ATA_HDR_LEN + 512);
	assert_int_equal(buf[AOE_ATA_HDR_LEN + 511], 0x5a);
}

static void test_cfg_round_trip(void **state)
{
	struct aoe_hdr h = sample_hdr(AOE_CMD_CONFIG);
	uint8_t buf[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX];
	static const char s[] = "nimbus:vol0";
	struct aoe_cfg c = {
		.bufcnt = 64, .fwver = 0x4019, .scnt = 17, .aoever = 1,
		.ccmd = AOE_CCMD_FORCE_SET, .cslen = sizeof(s) - 1,
		.str = (const uint8_t *)s,
	}, d;
	int n;

	(void)state;
	n = aoe_encode_cfg(buf, sizeof(buf), &h, &c);
	assert_int_equal(n, AOE_CFG_HDR_LEN + (int)sizeof(s) - 1);
	static const uint8_t arg[8] = { 0, 64, 0x40, 0x19, 17, 0x14, 0, 11 };
	assert_memory_equal(buf + AOE_HDR_LEN, arg, sizeof(arg));
	assert_int_equal(aoe_decode_cfg(buf, (size_t)n, &d), 0);
	assert_int_equal(d.bufcnt, 64);
	assert_int_equal(d.fwver, 0x4019);
	assert_int_equal(d.scnt, 17);
	assert_int_equal(d.aoever, 1);
	assert_int_equal(d.ccmd, AOE_CCMD_FORCE_SET);
	assert_int_equal(d.cslen, sizeof(s) - 1);
	assert_memory_equal(d.str, s, sizeof(s) - 1);
	assert_int_equal(aoe_encode_cfg(buf, (size_t)n - 1, &h, &c), -ENOSPC);
	/* the full 1024-byte string fits exactly */
	memset(buf, 0, sizeof(buf));
	c.cslen = AOE_CFG_STR_MAX;
	c.str = NULL;
	assert_int_equal(aoe_encode_cfg(buf, sizeof(buf), &h, &c),
			 (int)sizeof(buf));
	assert_int_equal(aoe_decode_cfg(buf, sizeof(buf), &d), 0);
	assert_int_equal(d.cslen, AOE_CFG_STR_MAX);
}

static void test_mask_round_trip(void **state)
{
	struct aoe_hdr h = sample_hdr(AOE_CMD_MASK);
	uint8_t buf[AOE_MASK_HDR_LEN + 3 * 8];
	struct aoe_mask_dir dirs[3] = {
		{ AOE_DCMD_ADD, { 2, 0, 0, 0, 0, 1 } },
		{ AOE_DCMD_DEL, { 2, 0, 0, 0, 0, 2 } },
		{ AOE_DCMD_NONE, { 2, 0, 0, 0, 0, 3 } },
	};
	struct aoe_mask m;
	struct aoe_mask_dir d;
	int n;

	(void)state;
	n = aoe_encode_mask(buf, sizeof(buf), &h, AOE_MCMD_EDIT, AOE_MERR_FULL,
			    3, dirs);
	assert_int_equal(n, sizeof(buf));
	static const uint8_t arg[12] = { 0, 1, 3, 3, 0, 1, 2, 0, 0, 0, 0, 1 };
	assert_memory_equal(buf + AOE_HDR_LEN, arg, sizeof(arg));
	assert_int_equal(aoe_decode_mask(buf, (size_t)n, &m), 0);
	assert_int_equal(m.mcmd, AOE_MCMD_EDIT);
	assert_int_equal(m.merror, AOE_MERR_FULL);
	assert_int_equal(m.dcnt, 3);
	for (unsigned i = 0; i < 3; i++) {
		aoe_mask_dir_get(&m, i, &d);
		assert_int_equal(d.dcmd, dirs[i].dcmd);
		assert_memory_equal(d.mac, dirs[i].mac, 6);
	}
	assert_int_equal(aoe_encode_mask(buf, sizeof(buf) - 1, &h, 1, 0, 3,
					 dirs), -ENOSPC);
}

static void test_resv_round_trip(void **state)
{
	struct aoe_hdr h = sample_hdr(AOE_CMD_RESERVE);
	uint8_t buf[AOE_RESV_HDR_LEN + 12];
	const uint8_t macs[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
	struct aoe_resv r;
	int n;

	(void)state;
	n = aoe_encode_resv(buf, sizeof(buf), &h, AOE_RCMD_FORCE, 2, macs);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(buf[24], AOE_RCMD_FORCE);
	assert_int_equal(buf[25], 2);
	assert_int_equal(aoe_decode_resv(buf, (size_t)n, &r), 0);
	assert_int_equal(r.rcmd, AOE_RCMD_FORCE);
	assert_int_equal(r.nmacs, 2);
	assert_memory_equal(r.macs, macs, 12);
	assert_int_equal(aoe_encode_resv(buf, sizeof(buf) - 1, &h, 2, 2, macs),
			 -ENOSPC);
}

/* Every decoder, every length below its fixed part: -EMSGSIZE, even when
 * the ethertype is wrong too (length is checked first). */
typedef int (*decode_fn)(const uint8_t *, size_t, void *);

/* Wrappers with one signature, so the tables call each decoder through a
 * pointer of its own type. */
static int dec_hdr(const uint8_t *f, size_t l, void *o) { return aoe_decode_hdr(f, l, o); }
static int dec_ata(const uint8_t *f, size_t l, void *o) { return aoe_decode_ata(f, l, o); }
static int dec_cfg(const uint8_t *f, size_t l, void *o) { return aoe_decode_cfg(f, l, o); }
static int dec_mask(const uint8_t *f, size_t l, void *o) { return aoe_decode_mask(f, l, o); }
static int dec_resv(const uint8_t *f, size_t l, void *o) { return aoe_decode_resv(f, l, o); }

struct decoder_case {
	const char *name;
	decode_fn fn;
	size_t fixed;
};

static const struct decoder_case decoders[] = {
	{ "hdr", dec_hdr, AOE_HDR_LEN },
	{ "ata", dec_ata, AOE_ATA_HDR_LEN },
	{ "cfg", dec_cfg, AOE_CFG_HDR_LEN },
	{ "mask", dec_mask, AOE_MASK_HDR_LEN },
	{ "resv", dec_resv, AOE_RESV_HDR_LEN },
};

static void test_short_and_wrong_ethertype(void **state)
{
	union {
		struct aoe_hdr h;
		struct aoe_ata a;
		struct aoe_cfg c;
		struct aoe_mask m;
		struct aoe_resv r;
	} out;
	uint8_t frame[64] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		const struct decoder_case *c = &decoders[i];

		frame[12] = 0x88;
		frame[13] = 0xa2;
		for (size_t len = 0; len < c->fixed; len++)
			if (c->fn(frame, len, &out) != -EMSGSIZE)
				fail_msg("%s: len %zu not -EMSGSIZE", c->name,
					 len);
		assert_int_equal(c->fn(frame, c->fixed, &out), 0);
		assert_int_equal(c->fn(frame, sizeof(frame), &out), 0);
		frame[13] = 0xa3;	/* one bit off */
		if (c->fn(frame, c->fixed, &out) != -EPROTO)
			fail_msg("%s: wrong ethertype not -EPROTO", c->name);
		if (c->fn(frame, c->fixed - 1, &out) != -EMSGSIZE)
			fail_msg("%s: short + wrong ethertype not -EMSGSIZE",
				 c->name);
		frame[12] = 0x08;	/* IPv4 */
		frame[13] = 0x00;
		if (c->fn(frame, sizeof(frame), &out) != -EPROTO)
			fail_msg("%s: IPv4 ethertype not -EPROTO", c->name);
	}
}

/* Count fields: exactly fitting decodes, one past the frame fails, and a
 * wrong ethertype wins over a bad count (counts are not believed first). */
struct count_case {
	const char *name;
	size_t off;       /* offset of the count field */
	bool be16;
	unsigned count;
	size_t unit;      /* bytes per counted item */
	size_t fixed;
	decode_fn fn;
};

static const struct count_case counts[] = {
	{ "cfg 1", 30, true, 1, 1, AOE_CFG_HDR_LEN, dec_cfg },
	{ "cfg 1024", 30, true, 1024, 1, AOE_CFG_HDR_LEN,
	  dec_cfg },
	{ "cfg 65535", 30, true, 65535, 1, AOE_CFG_HDR_LEN,
	  dec_cfg },
	{ "mask 1", 27, false, 1, 8, AOE_MASK_HDR_LEN,
	  dec_mask },
	{ "mask 255", 27, false, 255, 8, AOE_MASK_HDR_LEN,
	  dec_mask },
	{ "resv 1", 25, false, 1, 6, AOE_RESV_HDR_LEN,
	  dec_resv },
	{ "resv 255", 25, false, 255, 6, AOE_RESV_HDR_LEN,
	  dec_resv },
};

static void test_counts_past_frame(void **state)
{
	static uint8_t frame[AOE_CFG_HDR_LEN + 65536];
	union {
		struct aoe_cfg c;
		struct aoe_mask m;
		struct aoe_resv r;
	} out;

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		const struct count_case *c = &counts[i];
		size_t exact = c->fixed + c->count * c->unit;

		memset(frame, 0, sizeof(frame));
		frame[12] = 0x88;
		frame[13] = 0xa2;
		if (c->be16) {
			frame[c->off] = (uint8_t)(c->count >> 8);
			frame[c->off + 1] = (uint8_t)c->count;
		} else {
			frame[c->off] = (uint8_t)c->count;
		}
		if (c->fn(frame, exact, &out) != 0)
			fail_msg("%s: exact length rejected", c->name);
		if (c->fn(frame, exact - 1, &out) != -EMSGSIZE)
			fail_msg("%s: one byte short accepted", c->name);
		if (c->fn(frame, c->fixed, &out) != -EMSGSIZE)
			fail_msg("%s: no payload accepted", c->name);
		frame[12] = 0x86;
		if (c->fn(frame, exact - 1, &out) != -EPROTO)
			fail_msg("%s: ethertype not checked before count",
				 c->name);
	}
}

static void test_pad(void **state)
{
	uint8_t buf[128];

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(aoe_pad(buf, AOE_HDR_LEN), AOE_MIN_FRAME);
	for (size_t i = AOE_HDR_LEN; i < AOE_MIN_FRAME; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[AOE_MIN_FRAME], 0xff);
	assert_int_equal(buf[AOE_HDR_LEN - 1], 0xff);
	assert_int_equal(aoe_pad(buf, 59), 60);
	assert_int_equal(aoe_pad(buf, 60), 60);
	assert_int_equal(aoe_pad(buf, 100), 100);
}

static void test_sectors_per_frame(void **state)
{
	static const struct { unsigned mtu, want; } t[] = {
		{ 0, 0 }, { 35, 0 }, { 36, 0 }, { 547, 0 }, { 548, 1 },
		{ 1059, 1 }, { 1060, 2 }, { 1500, 2 }, { 4096, 7 },
		{ 9000, 17 }, { 65535, 127 }, { 131108, 255 }, { 200000, 255 },
		{ 0xFFFFFFFFu, 255 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (aoe_sectors_per_frame(t[i].mtu) != t[i].want)
			fail_msg("mtu %u: %u sectors, want %u", t[i].mtu,
				 aoe_sectors_per_frame(t[i].mtu), t[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_layout),
		cmocka_unit_test(test_ata_round_trip),
		cmocka_unit_test(test_cfg_round_trip),
		cmocka_unit_test(test_mask_round_trip),
		cmocka_unit_test(test_resv_round_trip),
		cmocka_unit_test(test_short_and_wrong_ethertype),
		cmocka_unit_test(test_counts_past_frame),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_sectors_per_frame),
	};
	return cmocka_run_group_tests_name("aoe_proto", tests, NULL, NULL);
}
