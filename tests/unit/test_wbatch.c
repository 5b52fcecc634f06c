/* Unit tests of aoetd's gathered page-cache writes
 * (storagenode/aoe-target/wbatch.c) on a real temporary file: which writes
 * are gathered, that one pwritev puts them where they belong, and which
 * writes a failure reaches. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../storagenode/aoe-target/wbatch.h"

#define BLK 4096
#define BUF (17 * 512) /* a frame's data at MTU 9000 */

struct fixture {
	struct wbatch w;
	int fd;
	char path[64];
	uint8_t buf[WBATCH_MAX + 1][BUF];
	int64_t results[WBATCH_MAX + 1];
	uintptr_t order[WBATCH_MAX + 1];
	unsigned ndone;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/nimbus-test-wbatch-XXXXXX");
	f->fd = mkstemp(f->path);
	if (f->fd < 0)
		return -1;
	for (int k = 0; k <= WBATCH_MAX; k++)
		memset(f->buf[k], 'a' + k % 26, BUF);
	wbatch_init(&f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

static void done(void *ctx, void *ud, int64_t res)
{
	struct fixture *f = ctx;

	f->order[f->ndone++] = (uintptr_t)ud;
	f->results[(uintptr_t)ud] = res;
}

static void assert_block(struct fixture *f, off_t off, size_t len, int k)
{
	uint8_t got[BUF];

	assert_int_equal(pread(f->fd, got, len, off), (ssize_t)len);
	assert_memory_equal(got, f->buf[k], len);
}

/* Writes that continue each other are gathered and land in order. */
static void test_neighbours_gathered(void **state)
{
	struct fixture *f = *state;

	/* Odd lengths (17 sectors, as at MTU 9000) and a start not on 0. */
	assert_true(wbatch_add(&f->w, f->fd, 512, f->buf[0], 17 * 512, (void *)0));
	assert_true(wbatch_add(&f->w, f->fd, 512 + 17 * 512, f->buf[1], 1024,
			       (void *)1));
	assert_true(wbatch_add(&f->w, f->fd, 512 + 19 * 512, f->buf[2], BLK,
			       (void *)2));
	assert_int_equal(f->w.n, 3);
	wbatch_flush(&f->w, done, f);
	assert_int_equal(f->ndone, 3);
	for (uintptr_t k = 0; k < 3; k++)
		assert_int_equal(f->order[k], k);
	assert_int_equal(f->results[0], 17 * 512);
	assert_int_equal(f->results[1], 1024);
	assert_int_equal(f->results[2], BLK);
	assert_block(f, 512, 17 * 512, 0);
	assert_block(f, 512 + 17 * 512, 1024, 1);
	assert_block(f, 512 + 19 * 512, BLK, 2);
	assert_int_equal(f->w.n, 0); /* empty again */
}

/* A gap, a write backwards, another file or a full batch is refused. */
static void test_non_neighbours_refused(void **state)
{
	struct fixture *f = *state;
	int other = dup(f->fd);

	assert_true(wbatch_add(&f->w, f->fd, BLK, f->buf[0], BLK, (void *)0));
	assert_false(wbatch_add(&f->w, f->fd, 3 * BLK, f->buf[1], BLK, (void *)1));
	assert_false(wbatch_add(&f->w, f->fd, 0, f->buf[1], BLK, (void *)1));
	assert_false(wbatch_add(&f->w, f->fd, BLK, f->buf[1], BLK, (void *)1));
	assert_false(wbatch_add(&f->w, other, 2 * BLK, f->buf[1], BLK, (void *)1));
	for (uintptr_t k = 1; k < WBATCH_MAX; k++)
		assert_true(wbatch_add(&f->w, f->fd, (1 + k) * BLK, f->buf[k],
				       BLK, (void *)k));
	assert_false(wbatch_add(&f->w, f->fd, (1 + WBATCH_MAX) * BLK,
				f->buf[WBATCH_MAX], BLK, (void *)WBATCH_MAX));
	wbatch_flush(&f->w, done, f);
	assert_int_equal(f->ndone, WBATCH_MAX);
	for (int k = 0; k < WBATCH_MAX; k++) {
		assert_int_equal(f->results[k], BLK);
		assert_block(f, (off_t)(1 + k) * BLK, BLK, k);
	}
	/* After the flush the refused write starts a new batch. */
	assert_true(wbatch_add(&f->w, other, 0, f->buf[0], BLK, (void *)0));
	wbatch_flush(&f->w, done, f);
	close(other);
}

/* The file takes part of the batch (a file size limit, like a full disk):
 * the writes before the limit succeed, the one it cuts and the rest get
 * the error. */
static void test_failure_reaches_the_rest(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 2 * BLK + 100;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (uintptr_t k = 0; k < 4; k++)
		assert_true(wbatch_add(&f->w, f->fd, k * BLK, f->buf[k], BLK,
				       (void *)k));
	wbatch_flush(&f->w, done, f);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(f->ndone, 4);
	assert_int_equal(f->results[0], BLK);
	assert_int_equal(f->results[1], BLK);
	assert_int_equal(f->results[2], -EFBIG);
	assert_int_equal(f->results[3], -EFBIG);
	assert_block(f, 0, BLK, 0);
	assert_block(f, BLK, BLK, 1);
}

/* A descriptor that cannot write fails every gathered write. */
static void test_unwritable_fd(void **state)
{
	struct fixture *f = *state;
	int ro = open(f->path, O_RDONLY);

	assert_true(ro >= 0);
	assert_true(wbatch_add(&f->w, ro, 0, f->buf[0], BLK, (void *)0));
	assert_true(wbatch_add(&f->w, ro, BLK, f->buf[1], BLK, (void *)1));
	wbatch_flush(&f->w, done, f);
	assert_int_equal(f->ndone, 2);
	assert_int_equal(f->results[0], -EBADF);
	assert_int_equal(f->results[1], -EBADF);
	close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_neighbours_gathered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_neighbours_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_reaches_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_fd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
