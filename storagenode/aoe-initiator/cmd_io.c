/* cmd_io.c - aoe-bench's data subcommands: identify, flush, read, write,
 * verify, and the throughput runs seq-read, seq-write, rand-read. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pattern.h"

int cmd_identify(struct ini *ini, struct opts *o)
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

int cmd_flush(struct ini *ini, struct opts *o)
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
	bool sparse, progress;
	uint64_t seed;
	uint64_t done, skipped;  /* sectors completed / not sent (all zero) */
	unsigned shown;          /* last percent printed, +1 (0: none yet) */
	int in_fd, out_fd;
	uint64_t bad_lba;
	int io_err;
};

/* --progress: one line per whole percent, flushed so a parent reading
 * the pipe sees it at once. */
static void xfer_progress(struct xfer *x)
{
	uint64_t total = x->end - x->base;
	unsigned pct = pattern_percent(x->done + x->skipped, total);

	if (!x->progress || pct + 1 <= x->shown)
		return;
	x->shown = pct + 1;
	printf("progress %" PRIu64 " %" PRIu64 "\n", (x->done + x->skipped) * AOE_SECTOR_SIZE,
	       total * AOE_SECTOR_SIZE);
	fflush(stdout);
}

static int xfer_next(void *ctx, struct ini_req *req, uint8_t *data)
{
	struct xfer *x = ctx;

	/* --sparse: all-zero chunks are skipped, so loop to the next one */
	while (x->next < x->end) {
		uint64_t n = x->end - x->next;
		req->lba = x->next;
		req->nsect = (uint8_t)(n < x->per ? n : x->per);
		req->write = x->write;
		x->next += req->nsect;
		if (!x->write)
			return 1;
		size_t len = (size_t)req->nsect * AOE_SECTOR_SIZE;
		if (x->in_fd < 0) {
			pattern_fill(data, req->lba, req->nsect, x->seed);
			return 1;
		}
		ssize_t r = pread(x->in_fd, data, len,
				  (off_t)((req->lba - x->base) * AOE_SECTOR_SIZE));
		if (r < 0) {
			x->io_err = errno;
			return -errno;
		}
		if ((size_t)r < len)
			memset(data + r, 0, len - (size_t)r);
		if (!x->sparse || !pattern_is_zero(data, len))
			return 1;
		x->skipped += req->nsect;
		xfer_progress(x);
	}
	return 0;
}

static int xfer_done(void *ctx, const struct ini_req *req, const uint8_t *data)
{
	struct xfer *x = ctx;
	size_t len = (size_t)req->nsect * AOE_SECTOR_SIZE;

	x->done += req->nsect;
	xfer_progress(x);
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

/* Connects to the target and resolves the range: 0, or the exit status
 * (usage for a bad range, else the reported failure). */
static int open_range(struct ini *ini, const struct opts *o,
		      struct ini_target *t, uint64_t *count)
{
	int err = connect_target(ini, o, t);

	if (!err)
		err = resolve_range(ini, o, t, count);
	if (err == -ERANGE || err == -EINVAL)
		return EX_USAGE;
	return err ? report(ini, o, err) : 0;
}

/* ", N zero sectors skipped" for write --sparse (static buffer). */
static const char *skipped_str(uint64_t n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), ", %" PRIu64 " zero sectors skipped", n);
	return buf;
}

int cmd_xfer(struct ini *ini, struct opts *o, const char *op)
{
	struct ini_target t;
	struct xfer x = { .in_fd = -1, .out_fd = -1, .seed = o->seed };
	struct ini_job_stats st;
	uint64_t count;
	int err, rc;

	x.write = !strcmp(op, "write");
	x.verify = !strcmp(op, "verify");
	x.sparse = o->sparse;
	x.progress = o->progress;
	if (o->sparse && !(x.write && o->input)) {
		usage_error("%s: --sparse is for write --input FILE", op);
		return EX_USAGE;
	}
	rc = open_range(ini, o, &t, &count);
	if (rc)
		return rc;
	if (x.write && o->input) {
		struct stat sb;

		x.in_fd = open(o->input, O_RDONLY);
		if (x.in_fd < 0 || fstat(x.in_fd, &sb) < 0) {
			fprintf(stderr, "aoe-bench: --input %s: %s\n", o->input,
				strerror(errno));
			if (x.in_fd >= 0)
				close(x.in_fd);
			return EX_FAIL;
		}
		/* The file's size is the range unless --count says otherwise;
		 * a file longer than what is left of the export is refused
		 * rather than cut. */
		uint64_t fsect = ((uint64_t)sb.st_size + AOE_SECTOR_SIZE - 1) / AOE_SECTOR_SIZE;
		if (!o->have_count && fsect > count) {
			fprintf(stderr, "aoe-bench: --input %s: %" PRIu64 " sectors, %s has %"
				PRIu64 " from --offset %" PRIu64 "\n", o->input, fsect, tname(o),
				count, o->offset);
			close(x.in_fd);
			return EX_USAGE;
		}
		if (!o->have_count)
			count = fsect;
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
		       "(%" PRIu64 " requests, %" PRIu64 " retransmits%s)\n", op,
		       tname(o), count, o->offset, st.requests, st.retransmits,
		       o->sparse ? skipped_str(x.skipped) : "");
	return rc;
}

/* --- throughput runs ------------------------------------------------------- */

struct bench {
	uint64_t base, span;    /* sectors */
	uint64_t pos;
	unsigned per;
	bool write, random, once;
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
	if (b->pos + b->per > b->span) {
		if (b->once)
			return 0;
		b->pos = 0;
	}
	req->lba = b->base + b->pos;
	b->pos += b->per;
	return 1;
}

int cmd_bench(struct ini *ini, struct opts *o, const char *op)
{
	struct ini_target t;
	struct bench b = { .rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid() };
	struct ini_job_stats st;
	uint64_t count;
	int err, rc;

	b.write = !strcmp(op, "seq-write");
	b.random = !strcmp(op, "rand-read");
	b.once = o->once;
	rc = open_range(ini, o, &t, &count);
	if (rc)
		return rc;
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
