/* fuzz_aoe_frame.c - libFuzzer harness for the AoE frame decoders and
 * aoetd's request handling (target_handle / target_complete).
 *
 * Input: one option byte, then either one frame or (bit 7 set) frames each
 * preceded by a 2-byte big-endian length and a result byte for the disk
 * operation. The option byte picks read-only (bit 0), the interface MTU
 * (bits 1-2; it also sizes the reply buffer, as the daemon does) and the
 * export size (bits 3-4: tiny exports put the last sector where mutated
 * LBAs land). All frames of an input go to one export, so sequences of
 * mask, reservation and config commands reach states one frame cannot.
 * Every frame and reply buffer is its own exact-size allocation so
 * AddressSanitizer sees any access outside it; the invariants the daemon
 * relies on (I/O inside the export, replies padded and inside the buffer,
 * no write to a read-only export) abort() when broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aoe/aoe_proto.h"
#include "target.h"

static const uint8_t OUR_MAC[6] = { 0x02, 0xaa, 0, 0, 0, 0x01 };
static const unsigned MTUS[4] = { 1500, 9000, 576, 60 };
/* The big one is just past the LBA28 limit. */
static const uint64_t SIZES[4] = { 8, (1ULL << 28) + 16, 1000, 1 };

static void check(int cond)
{
	if (!cond)
		abort();
}

static void decode_all(const uint8_t *f, size_t len)
{
	struct aoe_hdr h;
	struct aoe_ata a;
	struct aoe_cfg c;
	struct aoe_mask m;
	struct aoe_resv r;

	if (aoe_decode_hdr(f, len, &h) == 0)
		check(len >= AOE_HDR_LEN);
	if (aoe_decode_ata(f, len, &a) == 0)
		check(a.data + a.data_len == f + len);
	if (aoe_decode_cfg(f, len, &c) == 0)
		check(c.str + c.cslen <= f + len);
	if (aoe_decode_mask(f, len, &m) == 0) {
		struct aoe_mask_dir d;

		for (unsigned i = 0; i < m.dcnt; i++)
			aoe_mask_dir_get(&m, i, &d);
	}
	if (aoe_decode_resv(f, len, &r) == 0)
		check(r.macs + (size_t)r.nmacs * 6 <= f + len);
}

static void handle_one(struct target_export *ex, const uint8_t *data,
		       size_t len, unsigned mtu, int64_t result_hint)
{
	size_t cap = mtu + 14;
	uint8_t *f = malloc(len ? len : 1);
	uint8_t *reply = malloc(cap);
	uint64_t size = ex->sectors * AOE_SECTOR_SIZE;
	struct target_io io;
	size_t n;

	if (!f || !reply)
		goto out;
	memcpy(f, data, len);
	decode_all(f, len);
	check(target_handle(ex, f, len, OUR_MAC, mtu, reply, cap, &io) == 0);
	switch (io.action) {
	case TARGET_DROP:
		break;
	case TARGET_REPLY:
		check(io.reply_len >= AOE_MIN_FRAME && io.reply_len <= cap);
		check(memcmp(reply + 6, OUR_MAC, 6) == 0);
		check(reply[14] & AOE_FLAG_RESP);
		break;
	case TARGET_READ:
	case TARGET_WRITE:
		check(io.len > 0 && io.len % AOE_SECTOR_SIZE == 0);
		check(io.offset % AOE_SECTOR_SIZE == 0);
		check(io.offset <= size && io.len <= size - io.offset);
		check(AOE_ATA_HDR_LEN + io.len <= cap);
		if (io.action == TARGET_WRITE) {
			check(!ex->read_only);
			check(io.data >= f && io.data + io.len <= f + len);
		} else {
			memset(reply + AOE_ATA_HDR_LEN, 0x5a, io.len);
		}
		/* full success, a short transfer or an error */
		n = target_complete(ex, &io,
				    result_hint == 0 ? (int64_t)io.len
						     : result_hint, reply);
		check(n >= AOE_MIN_FRAME && n <= cap);
		break;
	case TARGET_FLUSH:
		n = target_complete(ex, &io, result_hint, reply);
		check(n == AOE_MIN_FRAME);
		break;
	default:
		abort();
	}
out:
	free(f);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct target_export ex;
	uint8_t opt;

	if (size < 1)
		return 0;
	opt = data[0];
	target_export_init(&ex, 7, 3, SIZES[(opt >> 3) & 3]);
	ex.read_only = opt & 0x01;
	data++;
	size--;
	{
		uint8_t ann[AOE_CFG_HDR_LEN + AOE_CFG_STR_MAX];
		size_t n = target_announce(&ex, OUR_MAC, MTUS[(opt >> 1) & 3],
					   ann, sizeof(ann));

		check(n == AOE_MIN_FRAME);	/* the string is still empty */
	}
	/* A single frame without framing too, so plain frames found by the
	 * fuzzer (or given as seeds) are useful as they are. */
	if (!(opt & 0x80)) {
		handle_one(&ex, data, size, MTUS[(opt >> 1) & 3], 0);
		return 0;
	}
	while (size >= 3) {
		size_t len = (size_t)data[0] << 8 | data[1];
		int64_t hint = (data[2] & 0x03) == 0 ? 0 :
			       (data[2] & 0x03) == 1 ? -5 /* -EIO */ : 512;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		handle_one(&ex, data, len, MTUS[(opt >> 1) & 3], hint);
		data += len;
		size -= len;
	}
	return 0;
}
