/* Unit tests of aoetd's disk I/O engine (storagenode/aoe-target/ioeng.c)
 * on a real io_uring and a temporary file: when queued operations go to the
 * kernel, and that what they read and write is right. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../storagenode/aoe-target/ioeng.h"

#define BLK 4096

struct fixture {
	struct ioeng e;
	int fd, fd2;
	char path[64], path2[64];
	uint8_t buf[8][BLK];
	int results[8];
	unsigned ndone;
};

static int tmpfile_of(char *path, size_t n)
{
	uint8_t block[BLK];
	int fd;

	snprintf(path, n, "/tmp/nimbus-test-ioeng-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	/* Block k is filled with the byte k, so a read shows where it read. */
	for (int k = 0; k < 64; k++) {
		memset(block, k, sizeof(block));
		if (pwrite(fd, block, sizeof(block), (off_t)k * BLK) != BLK)
			return -1;
	}
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->fd = tmpfile_of(f->path, sizeof(f->path));
	f->fd2 = tmpfile_of(f->path2, sizeof(f->path2));
	if (f->fd < 0 || f->fd2 < 0)
		return -1;
	if (ioeng_init(&f->e, 64) < 0) {
		/* No io_uring here (seccomp, old kernel): aoetd falls back to
		 * blocking I/O, and there is nothing to test. */
		f->e.efd = -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ioeng_exit(&f->e);
	close(f->fd);
	close(f->fd2);
	unlink(f->path);
	unlink(f->path2);
	free(f);
	return 0;
}

static void done(void *ctx, void *ud, int res)
{
	struct fixture *f = ctx;

	f->results[(uintptr_t)ud] = res;
	f->ndone++;
}

/* Submits what is queued and collects every completion. */
static void drain(struct fixture *f)
{
	assert_int_equal(ioeng_submit(&f->e), 0);
	while (f->e.inflight) {
		struct io_uring_cqe *cqe;

		assert_int_equal(io_uring_wait_cqe(&f->e.ring, &cqe), 0);
		ioeng_reap(&f->e, done, f);
	}
}

#define NEED_URING(f) do { if ((f)->e.efd < 0) skip(); } while (0)

/* Neighbouring reads stay queued for the block layer to merge. */
static void test_sequential_reads_wait(void **state)
{
	struct fixture *f = *state;

	NEED_URING(f);
	for (uintptr_t k = 0; k < 4; k++) {
		assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[k], BLK,
					    (10 + k) * BLK, (void *)k), 0);
		assert_int_equal(f->e.queued, k + 1);
		assert_int_equal(f->e.inflight, 0);
	}
	drain(f);
	assert_int_equal(f->ndone, 4);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(f->results[k], BLK);
		assert_int_equal(f->buf[k][0], 10 + k);
		assert_int_equal(f->buf[k][BLK - 1], 10 + k);
	}
}

/* A read elsewhere sends the queued ones to the disk at once and waits
 * itself for the next request or the end of the round. */
static void test_scattered_reads_go_at_once(void **state)
{
	struct fixture *f = *state;
	static const unsigned blocks[] = { 40, 3, 17, 18, 60 };

	NEED_URING(f);
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[0], BLK, 40 * BLK,
				    (void *)0), 0);
	assert_int_equal(f->e.queued, 1);
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[1], BLK, 3 * BLK,
				    (void *)1), 0);
	assert_int_equal(f->e.queued, 1);
	assert_int_equal(f->e.inflight, 1);
	/* 17 then 18: the second continues the first and waits with it. */
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[2], BLK, 17 * BLK,
				    (void *)2), 0);
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[3], BLK, 18 * BLK,
				    (void *)3), 0);
	assert_int_equal(f->e.queued, 2);
	assert_int_equal(f->e.inflight + f->ndone, 2);
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[4], BLK, 60 * BLK,
				    (void *)4), 0);
	assert_int_equal(f->e.queued, 1);
	drain(f);
	assert_int_equal(f->ndone, 5);
	for (int k = 0; k < 5; k++) {
		assert_int_equal(f->results[k], BLK);
		assert_int_equal(f->buf[k][0], blocks[k]);
	}
}

/* The same offsets on another file, or the other direction, or after a
 * sync, do not count as a continuation. */
static void test_what_breaks_a_run(void **state)
{
	struct fixture *f = *state;
	uint8_t check[BLK];

	NEED_URING(f);
	memset(f->buf[0], 0xab, BLK);
	assert_int_equal(ioeng_read(&f->e, f->fd, f->buf[1], BLK, 0, (void *)1), 0);
	assert_int_equal(ioeng_read(&f->e, f->fd2, f->buf[2], BLK, BLK, (void *)2), 0);
	assert_int_equal(f->e.queued, 1);   /* other file */
	assert_int_equal(ioeng_write(&f->e, f->fd2, f->buf[0], BLK, 2 * BLK,
				     (void *)0), 0);
	assert_int_equal(f->e.queued, 1);   /* other direction */
	assert_int_equal(ioeng_fdatasync(&f->e, f->fd2, (void *)3), 0);
	assert_int_equal(f->e.queued, 2);   /* a sync just joins the queue */
	drain(f);
	assert_int_equal(ioeng_read(&f->e, f->fd2, f->buf[4], BLK, 3 * BLK,
				    (void *)4), 0);
	assert_int_equal(f->e.queued, 1);   /* nothing left to continue */
	drain(f);
	assert_int_equal(f->ndone, 5);
	assert_int_equal(f->results[0], BLK);
	assert_int_equal(f->results[3], 0);
	assert_int_equal(f->buf[1][0], 0);
	assert_int_equal(f->buf[2][0], 1);
	assert_int_equal(f->buf[4][0], 3);
	assert_int_equal(pread(f->fd2, check, BLK, 2 * BLK), BLK);
	assert_memory_equal(check, f->buf[0], BLK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sequential_reads_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scattered_reads_go_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_breaks_a_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
