/* Unit tests of the resource-file check's text (storagenode/agent/
 * res_check.c): the drbdadm configuration that includes the installed
 * resources and the candidate, paths drbdadm could not read back refused,
 * a short buffer refused, and the reason line taken from drbdadm's
 * output (the output drbdadm-84 printed for these cases here). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "res_check.h"

static void test_conf(void **state)
{
	const char *inst[] = { "/etc/drbd.d/vol1.res", "/etc/drbd.d/vol3.res" };
	char out[512];
	ssize_t n;

	(void)state;
	n = res_check_conf(out, sizeof(out), inst, 2, "/run/nimbus/drbd-check/vol2.res");
	assert_int_equal(n, (ssize_t)strlen(out));
	assert_string_equal(out,
		"# nimbus-storaged: the check of /run/nimbus/drbd-check/vol2.res (docs/storage.md)\n"
		"global { usage-count no; }\n"
		"include \"/etc/drbd.d/vol1.res\";\n"
		"include \"/etc/drbd.d/vol3.res\";\n"
		"include \"/run/nimbus/drbd-check/vol2.res\";\n");

	/* nothing installed yet: the candidate alone */
	n = res_check_conf(out, sizeof(out), NULL, 0, "/c/v.res");
	assert_true(n > 0);
	assert_non_null(strstr(out, "global { usage-count no; }\ninclude \"/c/v.res\";\n"));
	assert_null(strstr(out, "/etc/drbd.d"));
}

static void test_conf_refused(void **state)
{
	const char *quote[] = { "/etc/drbd.d/a\".res" };
	const char *nl[] = { "/etc/drbd.d/a\n.res" };
	const char *rel[] = { "vol1.res" };
	const char *ok[] = { "/etc/drbd.d/vol1.res" };
	char out[512], tiny[40];

	(void)state;
	assert_int_equal(res_check_conf(out, sizeof(out), quote, 1, "/c/v.res"), -EINVAL);
	assert_int_equal(res_check_conf(out, sizeof(out), nl, 1, "/c/v.res"), -EINVAL);
	assert_int_equal(res_check_conf(out, sizeof(out), rel, 1, "/c/v.res"), -EINVAL);
	assert_int_equal(res_check_conf(out, sizeof(out), ok, 1, "/c/v\\.res"), -EINVAL);
	assert_int_equal(res_check_conf(out, sizeof(out), ok, 1, NULL), -EINVAL);
	assert_int_equal(res_check_conf(tiny, sizeof(tiny), ok, 1, "/c/v.res"), -ENOSPC);
	assert_int_equal(res_check_conf(out, 0, ok, 1, "/c/v.res"), -ENOSPC);
	/* exactly the size needed, and one byte less */
	ssize_t n = res_check_conf(out, sizeof(out), ok, 1, "/c/v.res");
	char exact[512];
	assert_int_equal(res_check_conf(exact, (size_t)n + 1, ok, 1, "/c/v.res"), n);
	assert_int_equal(res_check_conf(exact, (size_t)n, ok, 1, "/c/v.res"), -ENOSPC);
}

static void test_reason(void **state)
{
	static const struct { const char *out, *want; size_t cap; } cases[] = {
		{ "/run/nimbus/drbd-check/vol2.res:5: conflicting use of device-minor 'device-minor:sn1:0' ...\n"
		  "/etc/drbd.d/vol1.res:5: device-minor 'device-minor:sn1:0' first used here.\n",
		  "/run/nimbus/drbd-check/vol2.res:5: conflicting use of device-minor 'device-minor:sn1:0' ...", 200 },
		{ "\n\n  \t/c/v.res:1: Parse error: 'protocol | on' expected,\n\tbut got 'bogus' (TK 282)\n",
		  "/c/v.res:1: Parse error: 'protocol | on' expected,", 200 },
		{ "", "", 200 },
		{ "\n \n", "", 200 },
		{ "no line end", "no line end", 200 },
		{ "cut short here", "cut s", 6 },
		{ "ctl\001chars\r\n", "ctl chars", 200 },
	};
	char out[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		res_check_reason(cases[i].out, strlen(cases[i].out), out, cases[i].cap);
		assert_string_equal(out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_conf_refused),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
