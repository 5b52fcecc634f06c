#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mac.h"

struct mac_case {
	const char *in;
	int rc;
	const char *norm;
};

static const struct mac_case cases[] = {
	{ "52:54:00:aa:00:01", 0, "52:54:00:aa:00:01" },
	{ "52:54:00:AA:00:01", 0, "52:54:00:aa:00:01" },
	{ "52-54-00-AA-00-01", 0, "52:54:00:aa:00:01" },
	{ "5254.00aa.0001", 0, "52:54:00:aa:00:01" },
	{ "525400aa0001", 0, "52:54:00:aa:00:01" },
	{ "52:54:00:aa:00", -EINVAL, NULL },
	{ "52:54:00:aa:00:01:", -EINVAL, NULL },
	{ "52:54:00-aa:00:01", -EINVAL, NULL },
	{ "52:54:00:aa:00:0g", -EINVAL, NULL },
	{ "5254.00aa.00011", -EINVAL, NULL },
	{ "52540.0aa.0001", -EINVAL, NULL },
	{ "525:400:aa0:001", -EINVAL, NULL },
	{ "", -EINVAL, NULL },
	{ "52::54:00:aa:00:01", -EINVAL, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t mac[MAC_LEN];
		char out[MAC_STR_LEN];
		int rc = mac_parse(cases[i].in, mac);

		if (rc != cases[i].rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, cases[i].in,
				 rc, cases[i].rc);
		if (rc == 0) {
			mac_format(mac, out);
			assert_string_equal(out, cases[i].norm);
		}
	}
}

static void test_classes(void **state)
{
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_int_equal(mac_parse("ff:ff:ff:ff:ff:ff", mac), 0);
	assert_true(mac_is_multicast(mac));
	assert_false(mac_is_unicast(mac));
	assert_int_equal(mac_parse("01:00:5e:00:00:01", mac), 0);
	assert_false(mac_is_unicast(mac));
	assert_int_equal(mac_parse("00:00:00:00:00:00", mac), 0);
	assert_true(mac_is_zero(mac));
	assert_false(mac_is_unicast(mac));
	assert_int_equal(mac_parse("02:00:00:00:00:01", mac), 0);
	assert_true(mac_is_unicast(mac));
}

static void test_list(void **state)
{
	uint8_t macs[4][MAC_LEN];
	const char *bad = NULL;

	(void)state;
	assert_int_equal(mac_parse_list("02:00:00:00:00:01,0200.0000.0002",
					 macs, 4, &bad), 2);
	assert_int_equal(macs[1][5], 2);
	assert_int_equal(mac_parse_list("02:00:00:00:00:01,zz", macs, 4, &bad),
			 -EINVAL);
	assert_string_equal(bad, "zz");
	assert_int_equal(mac_parse_list("02:00:00:00:00:01,", macs, 4, &bad),
			 -EINVAL);
	assert_int_equal(mac_parse_list("020000000001,020000000002", macs, 1,
					&bad), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests_name("mac", tests, NULL, NULL);
}
