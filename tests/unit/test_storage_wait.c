/* Unit tests of the long-poll list (confignode/storage_wait.c): who is
 * answered when a generation grows, when a deadline passes, in which
 * order, and what a full list does. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "storage_wait.h"

/* Generations of sn1 and sn2; any other node is unknown (-ENOENT). */
static uint64_t gens[2];

static int gen_of(void *arg, const char *node, uint64_t *gen)
{
	(void)arg;
	if (strcmp(node, "sn1") == 0)
		*gen = gens[0];
	else if (strcmp(node, "sn2") == 0)
		*gen = gens[1];
	else
		return -ENOENT;
	return 0;
}

static struct storage_wait w;

static void test_wake_on_bump(void **state)
{
	struct swait_entry out[4];
	int r1, r2, r3;

	(void)state;
	memset(&w, 0, sizeof(w));
	gens[0] = 5;
	gens[1] = 7;
	assert_int_equal(swait_add(&w, "sn1", 5, 25000, &r1), 0);
	assert_int_equal(swait_add(&w, "sn2", 7, 26000, &r2), 0);
	assert_int_equal(swait_add(&w, "sn1", 5, 27000, &r3), 0);
	/* nothing changed, nothing due */
	assert_int_equal(swait_due(&w, 1000, gen_of, NULL, out, 4), 0);
	assert_int_equal(swait_timeout_ms(&w, 1000), 24000);
	/* sn1 bumped: both of its waiters, oldest first; sn2 stays */
	gens[0] = 6;
	assert_int_equal(swait_due(&w, 1000, gen_of, NULL, out, 4), 2);
	assert_ptr_equal(out[0].req, &r1);
	assert_ptr_equal(out[1].req, &r3);
	assert_int_equal(w.n, 1);
	assert_int_equal(swait_timeout_ms(&w, 1000), 25000);
	/* sn2's deadline */
	assert_int_equal(swait_due(&w, 25999, gen_of, NULL, out, 4), 0);
	assert_int_equal(swait_due(&w, 26000, gen_of, NULL, out, 4), 1);
	assert_ptr_equal(out[0].req, &r2);
	assert_int_equal(swait_timeout_ms(&w, 26000), -1);
}

static void test_already_newer_and_unknown(void **state)
{
	struct swait_entry out[4];
	int r1, r2;

	(void)state;
	memset(&w, 0, sizeof(w));
	gens[0] = 9;
	/* an agent behind (gen 3 < 9) is answered at once; a node that
	 * vanished (removed meanwhile) too */
	assert_int_equal(swait_add(&w, "sn1", 3, 25000, &r1), 0);
	assert_int_equal(swait_add(&w, "gone", 1, 25000, &r2), 0);
	assert_int_equal(swait_due(&w, 0, gen_of, NULL, out, 4), 2);
	assert_int_equal(w.n, 0);
}

static void test_full_and_max(void **state)
{
	struct swait_entry out[SWAIT_MAX];
	int r;

	(void)state;
	memset(&w, 0, sizeof(w));
	gens[0] = 1;
	for (int i = 0; i < SWAIT_MAX; i++)
		assert_int_equal(swait_add(&w, "sn1", 1, 1000 + i, &r), 0);
	assert_int_equal(swait_add(&w, "sn1", 1, 1000, &r), -ENOSPC);
	/* out holds 2: two now, the other due ones on the next call */
	assert_int_equal(swait_due(&w, 1002, gen_of, NULL, out, 2), 2);
	assert_int_equal(out[0].deadline_ms, 1000);
	assert_int_equal(swait_due(&w, 1002, gen_of, NULL, out, 2), 1);
	assert_int_equal(out[0].deadline_ms, 1002);
	assert_int_equal(swait_take_all(&w, out, SWAIT_MAX), SWAIT_MAX - 3);
	assert_int_equal(w.n, 0);
	assert_int_equal(swait_timeout_ms(&w, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_on_bump),
		cmocka_unit_test(test_already_newer_and_unknown),
		cmocka_unit_test(test_full_and_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
