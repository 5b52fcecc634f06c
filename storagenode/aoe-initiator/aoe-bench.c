/* aoe-bench - a userspace AoE initiator for tests and benchmarks: discovery,
 * IDENTIFY, read/write/verify with a deterministic pattern, the raw Query
 * Config / Mac Mask / Reserve commands, throughput runs and a raw frame
 * blaster/counter for the link's ceiling. One subcommand per function,
 * dispatched from a table.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "initiator.h"
#include "log.h"
#include "mac.h"
#include "pattern.h"
#include "reflect.h"

/* Exit statuses, so tests can tell "refused" from "silent". */
enum {
	EX_OK = 0,
	EX_FAIL = 1,      /* local failure: socket, file, bad reply */
	EX_USAGE = 2,
	EX_AOE = 3,       /* the target answered with an AoE error */
	EX_ATA = 4,       /* the target answered with an ATA error */
	EX_NOANSWER = 5,  /* no answer after every retry */
	EX_VERIFY = 6,    /* data read back differs from the pattern */
};

struct opts {
	const char *iface;
	bool have_target;
	uint16_t shelf;
	uint8_t slot;
	bool have_mac;
	uint8_t mac[6];
	uint64_t offset;
	bool have_count;
	uint64_t count;
	uint64_t seed;
	const char *input;
	const char *output;
	uint64_t seconds;
	uint64_t qd;
	uint64_t size;
	uint64_t timeout_ms;
	uint64_t retries;
	uint64_t wait_ms;
	bool lba28;
	bool quiet;
	int argc;          /* positional arguments after the subcommand */
	char **argv;
};

static const char usage_text[] =
"usage: aoe-bench COMMAND [OPTIONS] [ARGS]\n"
"\n"
"A userspace ATA-over-Ethernet initiator for tests and benchmarks.\n"
"\n"
"Commands:\n"
"  discover                 broadcast Query Config; one line per target\n"
"  identify                 ATA IDENTIFY: size, LBA48, model, serial\n"
"  read                     read sectors (to --output FILE if given)\n"
"  write                    write the pattern (or --input FILE)\n"
"  verify                   read and compare with the pattern\n"
"  flush                    ATA FLUSH CACHE EXT\n"
"  seq-read, seq-write      throughput for --seconds, wrapping over the range\n"
"  rand-read                random --size reads over the range\n"
"  config read|test|prefix|set|force [STRING]\n"
"                           Query Config subcommands 0..4\n"
"  mask read|add|del [MAC...]   Mac Mask List\n"
"  reserve read|set|force|release [MAC...]   Reserve/Release\n"
"  raw-send                 blast AoE-typed frames for --seconds (ceiling)\n"
"  raw-count                count frames received for --seconds (ceiling)\n"
"  reflect                  be a null target on IFACE until killed: answer\n"
"                           every request at once, no disk (ceiling)\n"
"\n"
"Options:\n"
"  -i, --iface IFACE        network interface (required)\n"
"  -t, --target SHELF.SLOT  target address (e1.2 or 1.2)\n"
"      --mac MAC            target's MAC: skip the Query Config lookup\n"
"      --offset SECTORS     first sector (default 0)\n"
"      --count SECTORS      sectors to transfer (default: to the end)\n"
"      --pattern SEED       pattern seed for write/verify (default 0)\n"
"      --input FILE         write: data from FILE instead of the pattern\n"
"      --output FILE        read: store the data in FILE\n"
"      --seconds N          duration of throughput and raw runs (default 5)\n"
"      --qd N               outstanding requests (default and maximum:\n"
"                           the target's buffer count; raise with care)\n"
"      --size BYTES         bytes per request (default: a full frame;\n"
"                           rand-read 4k); suffixes k, m, g\n"
"      --timeout MS         first retransmit timeout (default 200, doubles)\n"
"      --retries N          retransmits before giving up (default 5)\n"
"      --wait MS            discover: how long to collect answers (1000)\n"
"      --lba28              use 28-bit READ/WRITE where they reach\n"
"  -q, --quiet              no output on success\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 ok, 1 local failure, 2 usage, 3 AoE error reply, 4 ATA\n"
"error reply, 5 no answer, 6 verify mismatch. Failures print one line\n"
"naming the tag, the LBA and the error.\n";

static void usage_error(const char *fmt, const char *val)
{
	fprintf(stderr, "aoe-bench: ");
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\ntry 'aoe-bench --help'\n");
}

static int exit_for(int err)
{
	switch (err) {
	case 0: return EX_OK;
	case -EPROTO: return EX_AOE;
	case -EIO: return EX_ATA;
	case -ETIMEDOUT: return EX_NOANSWER;
	case -EILSEQ: return EX_VERIFY;
	default: return EX_FAIL;
	}
}

static char tname_buf[16];
static const char *tname(const struct opts *o)
{
	snprintf(tname_buf, sizeof(tname_buf), "e%u.%u", o->shelf, o->slot);
	return tname_buf;
}

static int report(struct ini *ini, const struct opts *o, int err)
{
	char line[256];

	if (!err)
		return EX_OK;
	ini_describe(ini, err, line, sizeof(line));
	fprintf(stderr, "aoe-bench: %s on %s: %s\n",
		o->have_target ? tname(o) : "target", o->iface, line);
	return exit_for(err);
}

/* Open the socket and find the target (unless its MAC was given). */
static int connect_target(struct ini *ini, const struct opts *o,
			  struct ini_target *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->shelf = o->shelf;
	t->slot = o->slot;
	if (o->have_mac) {
		memcpy(t->mac, o->mac, 6);
		t->scnt = (uint8_t)aoe_sectors_per_frame(ini->mtu);
		t->bufcnt = 16;
		/* Still ask, to learn the real window and frame size; a
		 * silent target keeps the defaults above. */
		struct ini_target q = *t;
		unsigned r = ini->retries;
		ini->retries = 0;
		if (!ini_config(ini, &q, AOE_CCMD_READ, NULL, 0))
			*t = q;
		ini->retries = r;
		return 0;
	}
	err = ini_find(ini, o->shelf, o->slot, t);
	if (err)
		return err;
	if (t->scnt > aoe_sectors_per_frame(ini->mtu))
		t->scnt = (uint8_t)aoe_sectors_per_frame(ini->mtu);
	return 0;
}

/* --- discover / identify ------------------------------------------------- */

static void print_target(const struct ini_target *t)
{
	char mac[MAC_STR_LEN];

	mac_format(t->mac, mac);
	printf("e%u.%u mac=%s bufcnt=%u scnt=%u fwver=0x%04x aoever=%u cfg='%s'\n",
	       t->shelf, t->slot, mac, t->bufcnt, t->scnt, t->fwver, t->aoever,
	       t->cfg);
}

static int cmd_discover(struct ini *ini, struct opts *o)
{
	struct ini_target ts[256];
	uint16_t shelf = o->have_target ? o->shelf : AOE_MAJOR_ANY;
	uint8_t slot = o->have_target ? o->slot : AOE_MINOR_ANY;
	int n = ini_discover(ini, shelf, slot, (unsigned)o->wait_ms, ts, 256);

	if (n < 0) {
		fprintf(stderr, "aoe-bench: discover on %s: %s\n", o->iface,
			strerror(-n));
		return EX_FAIL;
	}
	if (n == 0) {
		fprintf(stderr, "aoe-bench: discover on %s: no target answered "
			"within %" PRIu64 " ms\n", o->iface, o->wait_ms);
		return EX_NOANSWER;
	}
	for (int i = 0; i < n; i++)
		if (!o->quiet)
			print_target(&ts[i]);
	return EX_OK;
}

static int cmd_identify(struct ini *ini, struct opts *o)
{
	struct ini_target t;
	struct ini_identity id;
	int err = connect_target(ini, o, &t);

	if (!err)
		err = ini_identify(ini, &t, &id);
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		printf("%s sectors=%" PRIu64 " bytes=%" PRIu64 " lba48=%d "
		       "model='%s' serial='%s' firmware='%s' bufcnt=%u scnt=%u\n",
		       tname(o), id.sectors, id.sectors * AOE_SECTOR_SIZE,
		       id.lba48, id.model, id.serial, id.firmware, t.bufcnt,
		       t.scnt);
	return EX_OK;
}

static int cmd_flush(struct ini *ini, struct opts *o)
{
	struct ini_target t;
	int err = connect_target(ini, o, &t);

	if (!err)
		err = ini_ata_simple(ini, &t, ATA_CMD_FLUSH_EXT, NULL, 0, NULL);
	return report(ini, o, err);
}

/* --- read / write / verify ------------------------------------------------ */

struct xfer {
	uint64_t base, next, end;
	unsigned per;           /* sectors per request */
	bool write, verify;
	uint64_t seed;
	int in_fd, out_fd;
	uint64_t bad_lba;
	int io_err;
};

static int xfer_next(void *ctx, struct ini_req *req, uint8_t *data)
{
	struct xfer *x = ctx;

	if (x->next >= x->end)
		return 0;
	uint64_t n = x->end - x->next;
	req->lba = x->next;
	req->nsect = (uint8_t)(n < x->per ? n : x->per);
	req->write = x->write;
	x->next += req->nsect;
	if (!x->write)
		return 1;
	size_t len = (size_t)req->nsect * AOE_SECTOR_SIZE;
	if (x->in_fd >= 0) {
		ssize_t r = pread(x->in_fd, data, len,
				  (off_t)((req->lba - x->base) * AOE_SECTOR_SIZE));
		if (r < 0) {
			x->io_err = errno;
			return -errno;
		}
		if ((size_t)r < len)
			memset(data + r, 0, len - (size_t)r);
	} else {
		pattern_fill(data, req->lba, req->nsect, x->seed);
	}
	return 1;
}

static int xfer_done(void *ctx, const struct ini_req *req, const uint8_t *data)
{
	struct xfer *x = ctx;
	size_t len = (size_t)req->nsect * AOE_SECTOR_SIZE;

	if (req->write)
		return 0;
	if (x->verify) {
		int bad = pattern_check(data, req->lba, req->nsect, x->seed);
		if (bad >= 0) {
			x->bad_lba = req->lba + (unsigned)bad;
			return -EILSEQ;
		}
	}
	if (x->out_fd >= 0) {
		ssize_t r = pwrite(x->out_fd, data, len,
				   (off_t)((req->lba - x->base) * AOE_SECTOR_SIZE));
		if (r < 0 || (size_t)r != len) {
			x->io_err = r < 0 ? errno : EIO;
			return -x->io_err;
		}
	}
	return 0;
}

static unsigned window_for(const struct opts *o, const struct ini_target *t)
{
	uint64_t w = o->qd ? o->qd : (t->bufcnt ? t->bufcnt : 1);

	return w > INI_MAX_WINDOW ? INI_MAX_WINDOW : (unsigned)w;
}

/* The range [offset, offset + count); count defaults to the rest of the
 * export as IDENTIFY reports it. */
static int resolve_range(struct ini *ini, const struct opts *o,
			 const struct ini_target *t, uint64_t *count)
{
	struct ini_identity id;
	int err;

	if (o->have_count) {
		*count = o->count;
		return 0;
	}
	err = ini_identify(ini, t, &id);
	if (err)
		return err;
	if (o->offset >= id.sectors) {
		fprintf(stderr, "aoe-bench: --offset %" PRIu64 " is past the end "
			"of %s (%" PRIu64 " sectors)\n", o->offset, tname(o),
			id.sectors);
		return -ERANGE;
	}
	*count = id.sectors - o->offset;
	return 0;
}

static int cmd_xfer(struct ini *ini, struct opts *o, const char *op)
{
	struct ini_target t;
	struct xfer x = { .in_fd = -1, .out_fd = -1, .seed = o->seed };
	struct ini_job_stats st;
	uint64_t count;
	int err, rc;

	x.write = !strcmp(op, "write");
	x.verify = !strcmp(op, "verify");
	err = connect_target(ini, o, &t);
	if (!err)
		err = resolve_range(ini, o, &t, &count);
	if (err == -ERANGE || err == -EINVAL)
		return EX_USAGE;
	if (err)
		return report(ini, o, err);
	if (x.write && o->input) {
		x.in_fd = open(o->input, O_RDONLY);
		if (x.in_fd < 0) {
			fprintf(stderr, "aoe-bench: --input %s: %s\n", o->input,
				strerror(errno));
			return EX_FAIL;
		}
	}
	if (!x.write && o->output) {
		x.out_fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (x.out_fd < 0) {
			fprintf(stderr, "aoe-bench: --output %s: %s\n", o->output,
				strerror(errno));
			if (x.in_fd >= 0)
				close(x.in_fd);
			return EX_FAIL;
		}
	}
	x.base = x.next = o->offset;
	x.end = o->offset + count;
	x.per = t.scnt;
	if (o->size) {
		uint64_t s = o->size / AOE_SECTOR_SIZE;
		if (s >= 1 && s < x.per)
			x.per = (unsigned)s;
	}
	struct ini_job job = { .next = xfer_next, .done = xfer_done, .ctx = &x,
			       .window = window_for(o, &t) };
	err = ini_run(ini, &t, &job, &st);
	if (x.in_fd >= 0)
		close(x.in_fd);
	if (x.out_fd >= 0 && close(x.out_fd) && !err)
		err = -errno;
	if (err == -EILSEQ) {
		fprintf(stderr, "aoe-bench: verify %s on %s: LBA %" PRIu64
			" differs from pattern seed %" PRIu64 " (tag 0x%08x)\n",
			tname(o), o->iface, x.bad_lba, o->seed, ini->last.tag);
		return EX_VERIFY;
	}
	if (err && x.io_err) {
		fprintf(stderr, "aoe-bench: %s %s: local file: %s\n", op,
			tname(o), strerror(x.io_err));
		return EX_FAIL;
	}
	rc = report(ini, o, err);
	if (!rc && !o->quiet)
		printf("%s %s: %" PRIu64 " sectors from %" PRIu64 " ok "
		       "(%" PRIu64 " requests, %" PRIu64 " retransmits)\n", op,
		       tname(o), count, o->offset, st.requests, st.retransmits);
	return rc;
}

/* --- throughput runs ------------------------------------------------------- */

struct bench {
	uint64_t base, span;    /* sectors */
	uint64_t pos;
	unsigned per;
	bool write, random;
	uint64_t rng;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int bench_next(void *ctx, struct ini_req *req, uint8_t *data)
{
	struct bench *b = ctx;

	(void)data; /* benchmark writes carry whatever the slot holds */
	req->nsect = (uint8_t)b->per;
	req->write = b->write;
	if (b->random) {
		uint64_t slots = b->span / b->per;
		req->lba = b->base + (xorshift(&b->rng) % slots) * b->per;
		return 1;
	}
	if (b->pos + b->per > b->span)
		b->pos = 0;
	req->lba = b->base + b->pos;
	b->pos += b->per;
	return 1;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmd_bench(struct ini *ini, struct opts *o, const char *op)
{
	struct ini_target t;
	struct bench b = { .rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid() };
	struct ini_job_stats st;
	uint64_t count;
	int err;

	b.write = !strcmp(op, "seq-write");
	b.random = !strcmp(op, "rand-read");
	err = connect_target(ini, o, &t);
	if (!err)
		err = resolve_range(ini, o, &t, &count);
	if (err == -ERANGE || err == -EINVAL)
		return EX_USAGE;
	if (err)
		return report(ini, o, err);
	uint64_t size = o->size ? o->size
				: (b.random ? 4096 : (uint64_t)t.scnt * AOE_SECTOR_SIZE);
	if (size % AOE_SECTOR_SIZE || size == 0 ||
	    size / AOE_SECTOR_SIZE > t.scnt) {
		fprintf(stderr, "aoe-bench: --size %" PRIu64 " must be a multiple "
			"of 512 up to %u bytes (the %s frame limit at MTU %u)\n",
			size, t.scnt * AOE_SECTOR_SIZE, tname(o), ini->mtu);
		return EX_USAGE;
	}
	b.per = (unsigned)(size / AOE_SECTOR_SIZE);
	b.base = o->offset;
	b.span = count;
	if (b.span < b.per) {
		fprintf(stderr, "aoe-bench: range of %" PRIu64 " sectors is "
			"smaller than one request\n", count);
		return EX_USAGE;
	}
	struct ini_job job = {
		.next = bench_next, .ctx = &b, .window = window_for(o, &t),
		.deadline_ns = ini_now_ns() + o->seconds * 1000000000ull,
	};
	double cpu0 = cpu_seconds();
	err = ini_run(ini, &t, &job, &st);
	double cpu = cpu_seconds() - cpu0;
	if (err)
		return report(ini, o, err);
	double secs = (double)st.ns / 1e9;
	printf("%s %s: %.1f MB/s %.0f req/s | op=%s mbps=%.1f reqps=%.0f "
	       "secs=%.2f cpu=%.2f bytes=%" PRIu64 " reqs=%" PRIu64
	       " retrans=%" PRIu64 " window=%u size=%" PRIu64 "\n",
	       op, tname(o), st.bytes / secs / 1e6, st.requests / secs, op,
	       st.bytes / secs / 1e6, st.requests / secs, secs, cpu, st.bytes,
	       st.requests, st.retransmits, job.window, size);
	return EX_OK;
}

/* --- raw frame ceiling --------------------------------------------------- */

static int cmd_raw_send(struct ini *ini, struct opts *o)
{
	enum { BATCH = 64 };
	uint64_t size = o->size ? o->size : ini->mtu + AOE_ETH_HDR_LEN;
	uint8_t *frame;
	struct aoe_hdr h;
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	uint64_t sent = 0, end;

	if (size < AOE_MIN_FRAME || size > ini->mtu + AOE_ETH_HDR_LEN) {
		fprintf(stderr, "aoe-bench: --size %" PRIu64 " outside %u..%u "
			"(frame bytes at MTU %u)\n", size, AOE_MIN_FRAME,
			ini->mtu + AOE_ETH_HDR_LEN, ini->mtu);
		return EX_USAGE;
	}
	frame = calloc(1, size);
	if (!frame)
		return EX_FAIL;
	/* A response to a shelf nobody has: targets ignore it, and the
	 * counter's response-only filter passes it. */
	memset(&h, 0, sizeof(h));
	memset(h.dst, 0xff, 6);
	if (o->have_mac)
		memcpy(h.dst, o->mac, 6);
	memcpy(h.src, ini->mac, 6);
	h.flags = AOE_FLAG_RESP;
	h.major = 0xFFFE;
	h.minor = 0xFE;
	h.cmd = AOE_CMD_ATA;
	h.tag = INI_TAG_USER;
	aoe_encode_hdr(frame, size, &h);
	iov.iov_base = frame;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	double cpu0 = cpu_seconds();
	uint64_t start = ini_now_ns();
	end = start + o->seconds * 1000000000ull;
	while (ini_now_ns() < end) {
		int n = sendmmsg(ini->fd, msgs, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != EINTR) {
			fprintf(stderr, "aoe-bench: raw-send on %s: %s\n",
				o->iface, strerror(errno));
			free(frame);
			return EX_FAIL;
		}
		if (n > 0)
			sent += (uint64_t)n;
	}
	double secs = (double)(ini_now_ns() - start) / 1e9;
	if (!o->quiet)
		printf("raw-send %s: frames=%" PRIu64 " size=%" PRIu64
		       " fps=%.0f mbps=%.1f secs=%.2f cpu=%.2f\n", o->iface, sent,
		       size, sent / secs, sent * size / secs / 1e6, secs,
		       cpu_seconds() - cpu0);
	free(frame);
	return EX_OK;
}

static int cmd_raw_count(struct ini *ini, struct opts *o)
{
	enum { BATCH = 64 };
	size_t cap = ini->mtu + 64;
	uint8_t *buf = malloc(cap * BATCH);
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t frames = 0, bytes = 0, first = 0, last = 0;
	uint64_t stop = ini_now_ns() + (o->seconds + 30) * 1000000000ull;

	if (!buf)
		return EX_FAIL;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf + (size_t)i * cap;
		iov[i].iov_len = cap;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Count from the first frame for --seconds, or until the sender
	 * has been quiet for 1 s; wait up to 30 s for it to start. */
	for (;;) {
		struct timespec tmo = { 0, 100000000 };
		int n = recvmmsg(ini->fd, msgs, BATCH, MSG_WAITFORONE, &tmo);
		uint64_t now = ini_now_ns();
		if (n > 0) {
			if (!first)
				first = now;
			last = now;
			frames += (uint64_t)n;
			for (int i = 0; i < n; i++)
				bytes += msgs[i].msg_len;
		}
		if (first && now - first >= o->seconds * 1000000000ull)
			break;
		if (first && now - last > 1000000000ull)
			break;
		if (!first && now > stop)
			break;
	}
	free(buf);
	if (!frames) {
		fprintf(stderr, "aoe-bench: raw-count on %s: no frames\n", o->iface);
		return EX_NOANSWER;
	}
	double secs = (double)(last - first) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("raw-count %s: frames=%" PRIu64 " bytes=%" PRIu64 " fps=%.0f "
	       "mbps=%.1f secs=%.2f\n", o->iface, frames, bytes, frames / secs,
	       bytes / secs / 1e6, secs);
	return EX_OK;
}

static int cmd_reflect(struct ini *ini, struct opts *o)
{
	int err = reflect_run(ini);

	fprintf(stderr, "aoe-bench: reflect on %s: %s\n", o->iface,
		strerror(-err));
	return EX_FAIL;
}

/* --- config / mask / reserve --------------------------------------------- */

static int cmd_config(struct ini *ini, struct opts *o)
{
	static const char *const sub[] = { "read", "test", "prefix", "set",
					   "force" };
	struct ini_target t;
	const char *str = o->argc > 1 ? o->argv[1] : "";
	int ccmd = -1, err;

	if (o->argc < 1) {
		usage_error("config needs a subcommand: %s",
			    "read, test, prefix, set or force");
		return EX_USAGE;
	}
	for (int i = 0; i < 5; i++)
		if (!strcmp(o->argv[0], sub[i]))
			ccmd = i;
	if (ccmd < 0) {
		usage_error("unknown config subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (ccmd != AOE_CCMD_READ && o->argc < 2) {
		usage_error("config %s needs a STRING", o->argv[0]);
		return EX_USAGE;
	}
	if (strlen(str) > AOE_CFG_STR_MAX) {
		usage_error("config string longer than 1024 bytes: '%.40s...'",
			    str);
		return EX_USAGE;
	}
	memset(&t, 0, sizeof(t));
	t.shelf = o->shelf;
	t.slot = o->slot;
	if (o->have_mac)
		memcpy(t.mac, o->mac, 6);
	err = ini_config(ini, &t, (uint8_t)ccmd, str, strlen(str));
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_target(&t);
	return EX_OK;
}

static int parse_macs(struct opts *o, int first, uint8_t (*macs)[6],
		      unsigned *n)
{
	*n = 0;
	for (int i = first; i < o->argc; i++) {
		if (*n >= AOE_MASK_MAX || mac_parse(o->argv[i], macs[*n])) {
			usage_error("bad MAC '%s'", o->argv[i]);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static void print_macs(const char *what, const struct opts *o,
		       uint8_t (*macs)[6], unsigned n)
{
	char m[MAC_STR_LEN];

	printf("%s %s count=%u", what, tname(o), n);
	for (unsigned i = 0; i < n; i++) {
		mac_format(macs[i], m);
		printf(" %s", m);
	}
	printf("\n");
}

static int cmd_mask(struct ini *ini, struct opts *o)
{
	static uint8_t macs[AOE_MASK_MAX][6], out[AOE_MASK_MAX][6];
	struct aoe_mask_dir dirs[AOE_MASK_MAX];
	struct ini_target t;
	unsigned n, nout;
	uint8_t dcmd;
	int err;

	if (o->argc < 1) {
		usage_error("mask needs a subcommand: %s", "read, add or del");
		return EX_USAGE;
	}
	if (!strcmp(o->argv[0], "read"))
		dcmd = AOE_DCMD_NONE;
	else if (!strcmp(o->argv[0], "add"))
		dcmd = AOE_DCMD_ADD;
	else if (!strcmp(o->argv[0], "del"))
		dcmd = AOE_DCMD_DEL;
	else {
		usage_error("unknown mask subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (parse_macs(o, 1, macs, &n))
		return EX_USAGE;
	if (dcmd != AOE_DCMD_NONE && n == 0) {
		usage_error("mask %s needs at least one MAC", o->argv[0]);
		return EX_USAGE;
	}
	for (unsigned i = 0; i < n; i++) {
		dirs[i].dcmd = dcmd;
		memcpy(dirs[i].mac, macs[i], 6);
	}
	err = connect_target(ini, o, &t);
	if (!err)
		err = ini_mask(ini, &t, dcmd == AOE_DCMD_NONE ? AOE_MCMD_READ
							    : AOE_MCMD_EDIT,
			       dirs, n, out, &nout);
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_macs("mask", o, out, nout);
	return EX_OK;
}

static int cmd_reserve(struct ini *ini, struct opts *o)
{
	static uint8_t macs[AOE_RESV_MAX][6], out[AOE_RESV_MAX][6];
	struct ini_target t;
	unsigned n, nout;
	uint8_t rcmd;
	int err;

	if (o->argc < 1) {
		usage_error("reserve needs a subcommand: %s",
			    "read, set, force or release");
		return EX_USAGE;
	}
	if (!strcmp(o->argv[0], "read"))
		rcmd = AOE_RCMD_READ;
	else if (!strcmp(o->argv[0], "set") || !strcmp(o->argv[0], "release"))
		rcmd = AOE_RCMD_SET;
	else if (!strcmp(o->argv[0], "force"))
		rcmd = AOE_RCMD_FORCE;
	else {
		usage_error("unknown reserve subcommand '%s'", o->argv[0]);
		return EX_USAGE;
	}
	if (parse_macs(o, 1, macs, &n))
		return EX_USAGE;
	if (!strcmp(o->argv[0], "release") && n) {
		usage_error("reserve release takes no MACs (got '%s')",
			    o->argv[1]);
		return EX_USAGE;
	}
	err = connect_target(ini, o, &t);
	if (!err)
		err = ini_reserve(ini, &t, rcmd, (const uint8_t (*)[6])macs, n,
				  out, &nout);
	if (err)
		return report(ini, o, err);
	if (!o->quiet)
		print_macs("reserve", o, out, nout);
	return EX_OK;
}

/* --- dispatch -------------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(struct ini *ini, struct opts *o);
	int (*fn_op)(struct ini *ini, struct opts *o, const char *op);
	bool needs_target;
	bool takes_args;
};

static const struct command commands[] = {
	{ "discover", cmd_discover, NULL, false, false },
	{ "identify", cmd_identify, NULL, true, false },
	{ "flush", cmd_flush, NULL, true, false },
	{ "read", NULL, cmd_xfer, true, false },
	{ "write", NULL, cmd_xfer, true, false },
	{ "verify", NULL, cmd_xfer, true, false },
	{ "seq-read", NULL, cmd_bench, true, false },
	{ "seq-write", NULL, cmd_bench, true, false },
	{ "rand-read", NULL, cmd_bench, true, false },
	{ "config", cmd_config, NULL, true, true },
	{ "mask", cmd_mask, NULL, true, true },
	{ "reserve", cmd_reserve, NULL, true, true },
	{ "raw-send", cmd_raw_send, NULL, false, false },
	{ "raw-count", cmd_raw_count, NULL, false, false },
	{ "reflect", cmd_reflect, NULL, false, false },
};

enum {
	OPT_MAC = 256, OPT_OFFSET, OPT_COUNT, OPT_PATTERN, OPT_INPUT,
	OPT_OUTPUT, OPT_SECONDS, OPT_QD, OPT_SIZE, OPT_TIMEOUT, OPT_RETRIES,
	OPT_WAIT, OPT_LBA28,
};

static int num_opt(const char *name, const char *val, uint64_t max,
		   uint64_t *out)
{
	if (args_u64(val, max, out)) {
		fprintf(stderr, "aoe-bench: %s '%s': not a number in 0..%" PRIu64
			"\ntry 'aoe-bench --help'\n", name, val, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "target", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "pattern", required_argument, NULL, OPT_PATTERN },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "qd", required_argument, NULL, OPT_QD },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "lba28", no_argument, NULL, OPT_LBA28 },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	o->seconds = 5;
	o->timeout_ms = 200;
	o->retries = 5;
	o->wait_ms = 1000;
	while ((c = getopt_long(argc, argv, "i:t:qh", longopts, NULL)) != -1) {
		int err = 0;
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 't':
			if (args_target(optarg, &o->shelf, &o->slot)) {
				usage_error("bad target '%s': want SHELF.SLOT with "
					    "shelf 0..65534, slot 0..254", optarg);
				return -EINVAL;
			}
			o->have_target = true;
			break;
		case OPT_MAC:
			if (mac_parse(optarg, o->mac) || !mac_is_unicast(o->mac)) {
				usage_error("bad --mac '%s'", optarg);
				return -EINVAL;
			}
			o->have_mac = true;
			break;
		case OPT_OFFSET:
			err = num_opt("--offset", optarg, ATA_LBA48_MAX, &o->offset);
			break;
		case OPT_COUNT:
			err = num_opt("--count", optarg, ATA_LBA48_MAX, &o->count);
			o->have_count = true;
			break;
		case OPT_PATTERN:
			err = num_opt("--pattern", optarg, UINT64_MAX, &o->seed);
			break;
		case OPT_INPUT: o->input = optarg; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_SECONDS:
			err = num_opt("--seconds", optarg, 86400, &o->seconds);
			break;
		case OPT_QD:
			err = num_opt("--qd", optarg, INI_MAX_WINDOW, &o->qd);
			break;
		case OPT_SIZE:
			if (args_size(optarg, &o->size) ||
			    o->size > 255 * AOE_SECTOR_SIZE + AOE_ATA_HDR_LEN) {
				usage_error("bad --size '%s'", optarg);
				return -EINVAL;
			}
			break;
		case OPT_TIMEOUT:
			err = num_opt("--timeout", optarg, 600000, &o->timeout_ms);
			if (!err && o->timeout_ms == 0) {
				usage_error("--timeout '%s' must be at least 1 ms",
					    optarg);
				return -EINVAL;
			}
			break;
		case OPT_RETRIES:
			err = num_opt("--retries", optarg, 1000, &o->retries);
			break;
		case OPT_WAIT:
			err = num_opt("--wait", optarg, 600000, &o->wait_ms);
			break;
		case OPT_LBA28: o->lba28 = true; break;
		case 'q': o->quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		default:
			fprintf(stderr, "try 'aoe-bench --help'\n");
			return -EINVAL;
		}
		if (err)
			return err;
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct opts o;
	struct ini ini;
	int r;

	log_init("aoe-bench", LOG_LVL_WARN, 0);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		usage_error("unknown command '%s'", argv[1]);
		return EX_USAGE;
	}
	memset(&o, 0, sizeof(o));
	r = parse_opts(argc - 1, argv + 1, &o);
	if (r)
		return r > 0 ? EX_OK : EX_USAGE;
	if (!o.iface) {
		usage_error("%s needs -i IFACE", argv[1]);
		return EX_USAGE;
	}
	if (o.argc && !cmd->takes_args) {
		usage_error("unexpected argument '%s'", o.argv[0]);
		return EX_USAGE;
	}
	if (cmd->needs_target && !o.have_target) {
		usage_error("%s needs -t SHELF.SLOT", argv[1]);
		return EX_USAGE;
	}
	if (ini_open_raw(&ini, o.iface, cmd->fn == cmd_reflect))
		return EX_FAIL;
	ini.timeout_ms = (unsigned)o.timeout_ms;
	ini.retries = (unsigned)o.retries;
	ini.lba28 = o.lba28;
	r = cmd->fn ? cmd->fn(&ini, &o) : cmd->fn_op(&ini, &o, cmd->name);
	ini_close(&ini);
	return r;
}
