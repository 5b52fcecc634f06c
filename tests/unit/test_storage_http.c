/* Unit tests of the agent's small parsers: HTTP responses from nimbusd
 * (storagenode/agent/http.c) and lvs output (storagenode/agent/lvs.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"
#include "lvs.h"

static void test_http(void **state)
{
	static const struct {
		const char *what, *text;
		int eof, want, status;
		const char *body;
	} cases[] = {
		{ "complete with length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, 1, 200, "{}" },
		{ "length not reached yet", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", 0, 0, 0, NULL },
		{ "length not reached at eof", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", 1, -EPROTO, 0, NULL },
		{ "extra bytes past the length", "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nab", 0, 1, 200, "a" },
		{ "no length: to eof", "HTTP/1.0 403 Forbidden\r\nX: y\r\n\r\n{\"error\":1}", 1, 1, 403, "{\"error\":1}" },
		{ "no length, not eof", "HTTP/1.0 200 OK\r\n\r\n{", 0, 0, 0, NULL },
		{ "headers not ended", "HTTP/1.0 200 OK\r\n", 0, 0, 0, NULL },
		{ "headers not ended at eof", "HTTP/1.0 200 OK\r\n", 1, -EPROTO, 0, NULL },
		{ "partial start", "HTT", 0, 0, 0, NULL },
		{ "not HTTP", "SSH-2.0-x\r\n\r\n", 0, -EPROTO, 0, NULL },
		{ "bad status", "HTTP/1.0 2x0 OK\r\n\r\n", 1, -EPROTO, 0, NULL },
		{ "bad length", "HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n", 1, -EPROTO, 0, NULL },
		{ "huge length", "HTTP/1.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 1, -EPROTO, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *body = NULL;
		size_t blen = 0;
		int st = 0;
		int r = http_parse_response(cases[i].text, strlen(cases[i].text), cases[i].eof, &st,
					    &body, &blen);

		if (r != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].what, r, cases[i].want);
		if (r == 1 && (st != cases[i].status || blen != strlen(cases[i].body) ||
			       memcmp(body, cases[i].body, blen) != 0))
			fail_msg("%s: status %d body '%.*s'", cases[i].what, st, (int)blen, body);
	}
}

static void test_lvs(void **state)
{
	static struct lvs_out o;
	static const char text[] =
		"  pool|60397977600|68715282432|3435134976|0.52|\n"
		"  vol1|67108864|68715282432|3435134976|0.00|\n"
		"  snap1|67108864|68715282432|3435134976|0.00|vol1\n"
		"\n";
	const struct lvs_lv *l;

	(void)state;
	assert_int_equal(lvs_parse(text, strlen(text), &o), 0);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.vg_size, 68715282432ULL);
	assert_int_equal(o.vg_free, 3435134976ULL);
	l = lvs_find(&o, "pool");
	assert_non_null(l);
	assert_true(l->data_pct > 0.51 && l->data_pct < 0.53);
	l = lvs_find(&o, "snap1");
	assert_non_null(l);
	assert_string_equal(l->origin, "vol1");
	assert_int_equal(l->size, 67108864);
	assert_null(lvs_find(&o, "vol2"));
	assert_int_equal(lvs_parse("", 0, &o), 0);
	assert_int_equal(o.n, 0);
	assert_int_equal(lvs_parse("  a|1|2\n", 8, &o), -EINVAL);
	assert_int_equal(lvs_parse("  a|x|2|3|0|\n", 13, &o), -EINVAL);
	assert_int_equal(lvs_parse("  a|1|2|3|0||\n", 14, &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_lvs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
