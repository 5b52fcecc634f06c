/* Unit tests of the volume import's progress parser
 * (confignode/import_progress.c): lines in any pieces, malformed lines,
 * the message kept for a failure, percentages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "import_progress.h"

static void test_line_table(void **state)
{
	static const struct { const char *in; int rc; uint64_t d, t; } cases[] = {
		{ "progress 0 4096", 0, 0, 4096 },
		{ "progress 4096 4096", 0, 4096, 4096 },
		{ "progress 18446744073709551615 18446744073709551615", 0,
		  UINT64_MAX, UINT64_MAX },
		{ "progress 18446744073709551616 18446744073709551616", -EINVAL, 0, 0 },
		{ "progress 5 4", -EINVAL, 0, 0 },
		{ "progress 0 0", -EINVAL, 0, 0 },
		{ "progress 1", -EINVAL, 0, 0 },
		{ "progress 1 2 ", -EINVAL, 0, 0 },
		{ "progress  1 2", -EINVAL, 0, 0 },
		{ "progress -1 2", -EINVAL, 0, 0 },
		{ "progress +1 2", -EINVAL, 0, 0 },
		{ "progress 1 2x", -EINVAL, 0, 0 },
		{ "Progress 1 2", -EINVAL, 0, 0 },
		{ "progress", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t d = 7, t = 7;
		int rc = import_progress_line(cases[i].in, strlen(cases[i].in), &d, &t);

		if (rc != cases[i].rc)
			fail_msg("'%s': %d, want %d", cases[i].in, rc, cases[i].rc);
		if (rc == 0 && (d != cases[i].d || t != cases[i].t))
			fail_msg("'%s': %llu %llu", cases[i].in, (unsigned long long)d,
				 (unsigned long long)t);
	}
}

/* The same output fed whole, byte by byte, and in odd pieces. */
static void test_pieces(void **state)
{
	static const char out[] = "progress 0 1000\nprogress 500 1000\r\n"
				  "progress 1000 1000\n";
	(void)state;
	for (size_t step = 1; step <= sizeof(out); step++) {
		struct import_progress p;
		unsigned got = 0;

		import_progress_init(&p);
		for (size_t i = 0; i < sizeof(out) - 1; i += step) {
			size_t n = sizeof(out) - 1 - i < step ? sizeof(out) - 1 - i : step;

			got += import_progress_feed(&p, out + i, n);
		}
		assert_int_equal(got, 3);
		assert_int_equal(p.lines, 3);
		assert_int_equal(p.done, 1000);
		assert_int_equal(p.total, 1000);
		assert_string_equal(p.msg, "");
	}
}

static void test_messages_and_bad_lines(void **state)
{
	struct import_progress p;
	static const char out[] = "progress 100 1000\n"
				  "progress 50 1000\n"         /* goes back: a message */
				  "progress 200 2000\n"        /* total changed: a message */
				  "\n"
				  "aoe-bench: \x01target e1.2 not found";

	(void)state;
	import_progress_init(&p);
	assert_int_equal(import_progress_feed(&p, out, sizeof(out) - 1), 1);
	assert_string_equal(p.msg, "progress 200 2000");
	assert_int_equal(import_progress_finish(&p), 0);
	assert_string_equal(p.msg, "aoe-bench: ?target e1.2 not found");
	assert_int_equal(p.done, 100);
	assert_int_equal(p.total, 1000);
	assert_int_equal(import_progress_finish(&p), 0);
}

static void test_long_line_cut(void **state)
{
	struct import_progress p;
	char big[IMPORT_LINE_MAX * 3];

	(void)state;
	import_progress_init(&p);
	memset(big, 'a', sizeof(big));
	memcpy(big, "progress 1 2", 12); /* cut: never a progress line */
	import_progress_feed(&p, big, sizeof(big));
	assert_int_equal(import_progress_feed(&p, "\n", 1), 0);
	assert_int_equal(strlen(p.msg), IMPORT_LINE_MAX - 1);
	assert_int_equal(p.lines, 0);
	assert_int_equal(import_progress_feed(&p, "progress 1 2\n", 13), 1);
}

static void test_percent(void **state)
{
	(void)state;
	assert_int_equal(import_progress_percent(0, 0), 0);
	assert_int_equal(import_progress_percent(0, 10), 0);
	assert_int_equal(import_progress_percent(9, 10), 90);
	assert_int_equal(import_progress_percent(999, 1000), 99);
	assert_int_equal(import_progress_percent(10, 10), 100);
	assert_int_equal(import_progress_percent(UINT64_MAX - 1, UINT64_MAX), 99);
	assert_int_equal(import_progress_percent(UINT64_MAX / 2, UINT64_MAX), 49);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_table),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_messages_and_bad_lines),
		cmocka_unit_test(test_long_line_cut),
		cmocka_unit_test(test_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
