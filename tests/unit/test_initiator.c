/* Unit tests of aoe-bench's pure parts: the verify pattern, command-line
 * value parsing (good and malformed), tag/slot encoding, IDENTIFY decoding
 * and the one-line failure descriptions. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
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

/* write --sparse skips exactly the all-zero buffers: a non-zero byte at
 * the first, a middle or the last position is data. */
static void test_pattern_is_zero(void **state)
{
	static const size_t lens[] = { 1, 2, 512, 8704 };
	uint8_t buf[8704] = { 1 };
	(void)state;

	assert_int_equal(pattern_is_zero(buf, 0), 1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i], at[] = { 0, n / 2, n - 1 };

		memset(buf, 0, n);
		assert_int_equal(pattern_is_zero(buf, n), 1);
		for (size_t k = 0; k < 3; k++) {
			memset(buf, 0, n);
			buf[at[k]] = 0x80;
			assert_int_equal(pattern_is_zero(buf, n), 0);
		}
	}
}

static void test_pattern_percent(void **state)
{
	static const struct { uint64_t done, total; unsigned pct; } cases[] = {
		{ 0, 0, 100 }, { 0, 1, 0 }, { 1, 1, 100 }, { 5, 1, 100 },
		{ 99, 100, 99 }, { 1, 3, 33 }, { 2, 3, 66 }, { 511, 51200, 0 },
		{ 512, 51200, 1 },
		/* the largest LBA48 export in bytes: done * 100 would wrap 64 bits */
		{ (0xFFFFFFFFFFFFull * 512) / 2, 0xFFFFFFFFFFFFull * 512, 50 },
		{ 0xFFFFFFFFFFFFull * 512 - 1, 0xFFFFFFFFFFFFull * 512, 99 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(pattern_percent(cases[i].done, cases[i].total), cases[i].pct);
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

/* --- the data engine against a fake target over a socketpair -------------
 * ini_run only needs a datagram socket, so the real engine (window, tags,
 * retransmits, stale replies, errors) runs here against a target thread
 * that can drop, duplicate, hold back and fail requests. */

struct fake {
	int fd;
	unsigned drop_every;     /* drop the first copy of every Nth request */
	bool duplicate;          /* send every reply twice */
	bool silent;             /* never answer */
	uint64_t ata_error_lba;  /* answer this LBA with ATA ABRT (0 = none) */
	uint8_t aoe_error;       /* answer everything with this AoE error */
	unsigned hold;           /* hold replies until this many are pending */
	unsigned timeout_ms;     /* the initiator's first timeout (default 20) */
	unsigned delay_first_ms; /* after the very first reply, wait this long */
	unsigned max_pending;
	unsigned received;
	uint32_t dropped[4096];
	unsigned ndropped;
};

static bool seen_drop(struct fake *f, uint32_t tag)
{
	for (unsigned i = 0; i < f->ndropped; i++)
		if (f->dropped[i] == tag)
			return true;
	return false;
}

static size_t fake_reply(struct fake *f, const uint8_t *req, size_t len,
			 uint8_t *reply, size_t cap)
{
	size_t n = reflect_reply(req, len, NULLT, 9000, reply, cap);
	struct aoe_hdr h;
	struct aoe_ata a;

	if (!n || aoe_decode_hdr(reply, n, &h) || aoe_decode_ata(req, len, &a))
		return n;
	if (f->aoe_error) {
		reply[14] |= AOE_FLAG_ERR;
		reply[15] = f->aoe_error;
	} else if (f->ata_error_lba && a.lba == f->ata_error_lba) {
		reply[24 + 1] = ATA_ERR_IDNF;
		reply[24 + 3] = ATA_STAT_DRDY | ATA_STAT_ERR;
	} else if (!(a.aflags & AOE_AFLAG_WRITE)) {
		pattern_fill(reply + AOE_ATA_HDR_LEN, a.lba, a.sector_count, 77);
	}
	return n;
}

static void *fake_target(void *arg)
{
	struct fake *f = arg;
	static uint8_t req[9100], replies[64][9100];
	static size_t rlen[64];
	unsigned pending = 0;

	for (;;) {
		struct pollfd p = { .fd = f->fd, .events = POLLIN };
		int r = poll(&p, 1, f->hold ? 2 : 1000);
		if (r == 0 || (pending && pending >= f->hold)) {
			for (unsigned i = 0; i < pending; i++) {
				send(f->fd, replies[i], rlen[i], 0);
				if (f->duplicate)
					send(f->fd, replies[i], rlen[i], 0);
			}
			pending = 0;
			if (r == 0)
				continue;
		}
		ssize_t n = recv(f->fd, req, sizeof(req), 0);
		if (n <= 0)
			return NULL; /* the test closed its end */
		f->received++;
		if (f->silent)
			continue;
		struct aoe_hdr h;
		if (aoe_decode_hdr(req, (size_t)n, &h))
			continue;
		if (f->drop_every && f->received % f->drop_every == 0 &&
		    !seen_drop(f, h.tag) && f->ndropped < 4096) {
			f->dropped[f->ndropped++] = h.tag;
			continue;
		}
		rlen[pending] = fake_reply(f, req, (size_t)n, replies[pending],
					   sizeof(replies[0]));
		if (!rlen[pending])
			continue;
		pending++;
		if (pending > f->max_pending)
			f->max_pending = pending;
		if (!f->hold || pending == 64) {
			for (unsigned i = 0; i < pending; i++) {
				send(f->fd, replies[i], rlen[i], 0);
				if (f->duplicate)
					send(f->fd, replies[i], rlen[i], 0);
			}
			pending = 0;
			if (f->delay_first_ms && f->received == 1)
				usleep(f->delay_first_ms * 1000);
		}
	}
}

struct job_ctx {
	uint64_t next, end;
	unsigned per;
	bool write;
	uint8_t done[4096];       /* completions per sector */
	unsigned stall_ms;        /* the first completion takes this long */
	int bad;
};

static int job_next(void *c, struct ini_req *req, uint8_t *data)
{
	struct job_ctx *j = c;

	if (j->next >= j->end)
		return 0;
	req->lba = j->next;
	req->nsect = (uint8_t)(j->end - j->next < j->per ? j->end - j->next : j->per);
	req->write = j->write;
	if (j->write)
		pattern_fill(data, req->lba, req->nsect, 1);
	j->next += req->nsect;
	return 1;
}

static int job_done(void *c, const struct ini_req *req, const uint8_t *data)
{
	struct job_ctx *j = c;

	if (j->stall_ms) {
		usleep(j->stall_ms * 1000);
		j->stall_ms = 0;
	}
	for (unsigned i = 0; i < req->nsect; i++)
		j->done[req->lba + i]++;
	if (!req->write && pattern_check(data, req->lba, req->nsect, 77) >= 0)
		j->bad++;
	return 0;
}

static int run_fake(struct fake *f, struct job_ctx *j, unsigned window,
		    struct ini *ini, struct ini_job_stats *st)
{
	int sv[2];
	pthread_t th;
	struct ini_target t = { .shelf = 1, .slot = 1, .scnt = 17, .bufcnt = 64 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	memcpy(t.mac, NULLT, 6);
	memset(ini, 0, sizeof(*ini));
	ini->fd = sv[0];
	ini->mtu = 9000;
	memcpy(ini->mac, CLIENT, 6);
	ini->timeout_ms = f->timeout_ms ? f->timeout_ms : 20;
	ini->retries = 4;
	f->fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, fake_target, f), 0);
	struct ini_job job = { .next = job_next, .done = job_done, .ctx = j,
			       .window = window };
	int err = ini_run(ini, &t, &job, st);
	shutdown(sv[0], SHUT_RDWR);
	close(sv[0]);
	/* The fake sees end-of-file only once both directions are gone. */
	shutdown(sv[1], SHUT_RD);
	pthread_join(th, NULL);
	close(sv[1]);
	return err;
}

static void check_each_once(struct job_ctx *j, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (j->done[i] != 1)
			fail_msg("sector %llu completed %u times",
				 (unsigned long long)i, j->done[i]);
}

static void test_engine_clean(void **state)
{
	static struct fake f;
	static struct job_ctx j;
	struct ini ini;
	struct ini_job_stats st;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.hold = 64;           /* answer only when the window is full */
	f.timeout_ms = 2000;   /* no retransmit even on a loaded machine */
	j.next = 10; j.end = 2010; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 8, &ini, &st), 0);
	check_each_once(&j, 10, 2010);
	assert_int_equal(j.bad, 0);
	assert_int_equal(st.requests, (2000 + 16) / 17);
	assert_int_equal(st.bytes, 2000 * 512);
	assert_int_equal(st.retransmits, 0);
	/* Never more than the window outstanding at the target. */
	assert_true(f.max_pending <= 8);
	assert_true(f.max_pending >= 2);
}

static void test_engine_drops_and_duplicates(void **state)
{
	static struct fake f;
	static struct job_ctx j;
	struct ini ini;
	struct ini_job_stats st;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.drop_every = 5;
	f.duplicate = true;
	j.next = 0; j.end = 3000; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 16, &ini, &st), 0);
	check_each_once(&j, 0, 3000);   /* duplicates never complete twice */
	assert_int_equal(j.bad, 0);
	assert_true(st.retransmits >= f.ndropped);
	assert_true(f.ndropped > 0);

	/* Writes too. */
	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.drop_every = 3;
	j.end = 500; j.per = 17; j.write = true;
	assert_int_equal(run_fake(&f, &j, 4, &ini, &st), 0);
	check_each_once(&j, 0, 500);
	assert_true(st.retransmits > 0);
}

static void test_engine_errors(void **state)
{
	static struct fake f;
	static struct job_ctx j;
	struct ini ini;
	struct ini_job_stats st;
	(void)state;

	/* ATA error on one request: -EIO naming its LBA. */
	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.ata_error_lba = 170;
	j.end = 1000; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 4, &ini, &st), -EIO);
	assert_int_equal(ini.last.lba, 170);
	assert_int_equal(ini.last.nsect, 17);
	assert_int_equal(ini.last.ata_err, ATA_ERR_IDNF);
	assert_true(ini.last.tag & INI_TAG_USER);

	/* AoE error: -EPROTO with the code. */
	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.aoe_error = AOE_ERR_RESERVED;
	j.end = 100; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 4, &ini, &st), -EPROTO);
	assert_int_equal(ini.last.aoe_error, AOE_ERR_RESERVED);

	/* Silence: -ETIMEDOUT after 1 + retries sends of the first request. */
	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.silent = true;
	j.end = 17; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 4, &ini, &st), -ETIMEDOUT);
	assert_int_equal(f.received, 5);
	assert_int_equal(ini.last.lba, 0);
}

/* The initiator stalls (here: its first completion takes longer than the
 * timeout) while the rest of the window's replies arrive: they are read
 * before anything is judged late, so nothing is sent twice. */
static void test_engine_stall_no_false_timeout(void **state)
{
	static struct fake f;
	static struct job_ctx j;
	struct ini ini;
	struct ini_job_stats st;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	f.timeout_ms = 100;
	f.delay_first_ms = 10; /* the first reply comes alone */
	j.stall_ms = 300;      /* ... and its completion stalls the client */
	j.end = 8 * 17; j.per = 17;
	assert_int_equal(run_fake(&f, &j, 8, &ini, &st), 0);
	check_each_once(&j, 0, 8 * 17);
	assert_int_equal(st.retransmits, 0);
	assert_int_equal(f.received, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_roundtrip),
		cmocka_unit_test(test_pattern_detects_one_byte),
		cmocka_unit_test(test_pattern_sectors_differ),
		cmocka_unit_test(test_pattern_is_zero),
		cmocka_unit_test(test_pattern_percent),
		cmocka_unit_test(test_args_size),
		cmocka_unit_test(test_args_u64),
		cmocka_unit_test(test_args_target),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_identity_decode),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_reflect_reply),
		cmocka_unit_test(test_engine_clean),
		cmocka_unit_test(test_engine_drops_and_duplicates),
		cmocka_unit_test(test_engine_errors),
		cmocka_unit_test(test_engine_stall_no_false_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
