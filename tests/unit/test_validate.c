/* confignode/validate.c: every input nimbusd stores or writes into a
 * generated file, as tables of good and bad values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../confignode/validate.h"

struct str_case {
	const char *in;
	int rc;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void run_table(const char *what, int (*fn)(const char *), const struct str_case *c,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = fn(c[i].in);

		if (rc != c[i].rc)
			fail_msg("%s case %zu '%s': rc %d, want %d", what, i,
				 c[i].in ? c[i].in : "(null)", rc, c[i].rc);
	}
}

static char long63[64], long64[65];

static void test_node_name(void **state)
{
	static struct str_case cases[] = {
		{ "web1", 0 }, { "a", 0 }, { "0", 0 }, { "storage-01", 0 }, { "a-b-c", 0 },
		{ long63, 0 }, { long64, -ENAMETOOLONG },
		{ "", -EINVAL }, { NULL, -EINVAL }, { "-web", -EINVAL }, { "web-", -EINVAL },
		{ "Web1", -EINVAL }, { "web_1", -EINVAL }, { "web.1", -EINVAL },
		{ "web 1", -EINVAL }, { "web\n", -EINVAL }, { "wéb", -EINVAL },
		{ "web;rm", -EINVAL }, { "web\"x", -EINVAL }, { "web/1", -EINVAL },
	};

	(void)state;
	memset(long63, 'a', 63);
	memset(long64, 'a', 64);
	run_table("node name", validate_node_name, cases, N(cases));
}

static void test_image_name(void **state)
{
	static const struct str_case cases[] = {
		{ "st1", 0 }, { "debian-12.1_hw", 0 }, { "1x", 0 },
		{ "", -EINVAL }, { ".hidden", -EINVAL }, { "-x", -EINVAL }, { "St1", -EINVAL },
		{ "a/b", -EINVAL }, { "a b", -EINVAL }, { "a\"b", -EINVAL }, { NULL, -EINVAL },
	};

	(void)state;
	run_table("image name", validate_image_name, cases, N(cases));
}

static void test_tftp_path(void **state)
{
	static char longp[300];
	static struct str_case cases[] = {
		{ "vmlinuz", 0 }, { "images/st1/vmlinuz-6.1.0", 0 }, { "efi64/syslinux.efi", 0 },
		{ "a+b/C_d.gz", 0 }, { "..a/b", 0 }, { "a..b", 0 },
		{ "", -EINVAL }, { "/etc/passwd", -EINVAL }, { "../etc/passwd", -EINVAL },
		{ "a/../b", -EINVAL }, { "a/./b", -EINVAL }, { "a//b", -EINVAL }, { "a/", -EINVAL },
		{ ".", -EINVAL }, { "..", -EINVAL }, { "a b", -EINVAL }, { "a\"b", -EINVAL },
		{ "a;b", -EINVAL }, { "a\nb", -EINVAL }, { "a{b}", -EINVAL }, { "a$b", -EINVAL },
		{ "-x", -EINVAL }, { "a/-x", 0 }, { "a/...", 0 },
		{ longp, -ENAMETOOLONG }, { NULL, -EINVAL },
	};

	(void)state;
	memset(longp, 'a', sizeof(longp) - 1);
	run_table("tftp path", validate_tftp_path, cases, N(cases));
}

static void test_abs_path(void **state)
{
	static const struct str_case cases[] = {
		{ "/srv/tftp", 0 }, { "/etc/dhcp/dhcpd.conf", 0 }, { "/run/nimbus/nimbusd.sock", 0 },
		{ "/", -EINVAL }, { "srv/tftp", -EINVAL }, { "/srv/../etc", -EINVAL },
		{ "/srv//tftp", -EINVAL }, { "/srv/tftp/", -EINVAL }, { "/a b", -EINVAL },
		{ "", -EINVAL }, { NULL, -EINVAL },
	};

	(void)state;
	run_table("abs path", validate_abs_path, cases, N(cases));
}

static void test_cmdline(void **state)
{
	static char longc[1100], max_ok[1025];
	static struct str_case cases[] = {
		{ "", 0 }, { "console=ttyS0,115200n8 quiet", 0 },
		{ "root=aoe:e1.1 ip=dhcp nimbus.report=10.77.0.1:8080", 0 },
		{ "a-b --c", 0 }, { max_ok, 0 },
		{ "a\"b", -EINVAL }, { "a'b", -EINVAL }, { "a\\b", -EINVAL }, { "a;b", -EINVAL },
		{ "a{b", -EINVAL }, { "a}b", -EINVAL }, { "a#b", -EINVAL }, { "a$b", -EINVAL },
		{ "a`b", -EINVAL }, { "a\nb", -EINVAL }, { "a\tb", -EINVAL }, { "a\x7f", -EINVAL },
		{ "xen --- vmlinuz", -EINVAL }, { longc, -ENAMETOOLONG }, { NULL, -EINVAL },
	};

	(void)state;
	memset(longc, 'a', sizeof(longc) - 1);
	memset(max_ok, 'a', sizeof(max_ok) - 1);
	run_table("cmdline", validate_cmdline, cases, N(cases));
}

static void test_omapi_key(void **state)
{
	static const struct str_case names[] = {
		{ "omapi_key", 0 }, { "Key-1.a", 0 }, { "1key", -EINVAL }, { "_k", -EINVAL },
		{ "k y", -EINVAL }, { "k;", -EINVAL }, { "", -EINVAL }, { NULL, -EINVAL },
	};
	static const struct str_case algs[] = {
		{ "HMAC-MD5", 0 }, { "hmac-md5", 0 },
		{ "HMAC-SHA256", -EINVAL }, { "HMAC-MD4", -EINVAL }, { "", -EINVAL }, { NULL, -EINVAL },
	};
	static const struct str_case secrets[] = {
		{ "YWJj+/==", 0 }, { "c2VjcmV0", 0 }, { "YWJj\n", -EINVAL }, { "a b", -EINVAL },
		{ "a\"", -EINVAL }, { "", -EINVAL }, { NULL, -EINVAL },
	};

	(void)state;
	run_table("omapi key name", validate_omapi_key_name, names, N(names));
	run_table("omapi algorithm", validate_omapi_algorithm, algs, N(algs));
	run_table("omapi secret", validate_omapi_secret, secrets, N(secrets));
}

static void test_printable(void **state)
{
	(void)state;
	assert_int_equal(validate_printable("QEMU Standard PC", 64), 0);
	assert_int_equal(validate_printable("", 64), 0);
	assert_int_equal(validate_printable("abc", 2), -ENAMETOOLONG);
	assert_int_equal(validate_printable("a\x01", 64), -EINVAL);
	assert_int_equal(validate_printable("\xc3\xa9", 64), -EINVAL);
	assert_int_equal(validate_printable(NULL, 64), -EINVAL);
}

static void test_role(void **state)
{
	enum node_role r;

	(void)state;
	assert_int_equal(role_parse("storage", &r), 0);
	assert_int_equal(r, ROLE_STORAGE);
	assert_int_equal(role_parse("hw", &r), 0);
	assert_int_equal(r, ROLE_HW);
	assert_string_equal(role_name(ROLE_HW), "hw");
	assert_string_equal(role_name((enum node_role)7), "?");
	assert_int_equal(role_parse("HW", &r), -EINVAL);
	assert_int_equal(role_parse("", &r), -EINVAL);
	assert_int_equal(role_parse("storage ", &r), -EINVAL);
	assert_int_equal(role_parse(NULL, &r), -EINVAL);
}

struct ip_case {
	const char *in;
	int rc;
	uint32_t ip;
};

static void test_ipv4(void **state)
{
	static const struct ip_case cases[] = {
		{ "10.77.0.1", 0, 0x0a4d0001 }, { "0.0.0.0", 0, 0 },
		{ "255.255.255.255", 0, 0xffffffff }, { "192.168.100.200", 0, 0xc0a864c8 },
		{ "10.77.0", -EINVAL, 0 }, { "10.77.0.1.2", -EINVAL, 0 }, { "10.77.0.256", -EINVAL, 0 },
		{ "10.77.0.01", -EINVAL, 0 }, { "010.77.0.1", -EINVAL, 0 }, { "10.77..1", -EINVAL, 0 },
		{ "10.77.0.1 ", -EINVAL, 0 }, { " 10.77.0.1", -EINVAL, 0 }, { "a.b.c.d", -EINVAL, 0 },
		{ "10.77.0.-1", -EINVAL, 0 }, { "10.77.0.1000", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "1.2.3.4/24", -EINVAL, 0 }, { "0x0a.0.0.1", -EINVAL, 0 }, { NULL, -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		uint32_t ip = 0;
		int rc = ipv4_parse(cases[i].in, &ip);

		if (rc != cases[i].rc || (rc == 0 && ip != cases[i].ip))
			fail_msg("ipv4 case %zu '%s': rc %d ip %08x", i, cases[i].in ? cases[i].in : "",
				 rc, ip);
	}
	{
		char out[16];

		ipv4_format(0x0a4d00fe, out);
		assert_string_equal(out, "10.77.0.254");
	}
}

static void test_cidr_subnet(void **state)
{
	uint32_t net, ip;
	unsigned pl;

	(void)state;
	assert_int_equal(cidr_parse("10.77.0.0/24", &net, &pl), 0);
	assert_int_equal(net, 0x0a4d0000);
	assert_int_equal(pl, 24);
	assert_int_equal(cidr_parse("10.0.0.0/8", &net, &pl), 0);
	assert_int_equal(cidr_parse("10.77.0.1/24", &net, &pl), -EINVAL); /* host bits */
	assert_int_equal(cidr_parse("10.77.0.0/33", &net, &pl), -EINVAL);
	assert_int_equal(cidr_parse("10.77.0.0/", &net, &pl), -EINVAL);
	assert_int_equal(cidr_parse("10.77.0.0/024", &net, &pl), -EINVAL);
	assert_int_equal(cidr_parse("10.77.0.0", &net, &pl), -EINVAL);
	assert_int_equal(cidr_parse("10.77.0.0/24x", &net, &pl), -EINVAL);
	assert_int_equal(prefix_mask(24), 0xffffff00);
	assert_int_equal(prefix_mask(0), 0);
	assert_int_equal(prefix_mask(32), 0xffffffff);

	ipv4_parse("10.77.0.10", &ip);
	assert_true(ipv4_in_subnet(ip, 0x0a4d0000, 24));
	assert_false(ipv4_in_subnet(0x0a4d0000, 0x0a4d0000, 24)); /* network */
	assert_false(ipv4_in_subnet(0x0a4d00ff, 0x0a4d0000, 24)); /* broadcast */
	assert_false(ipv4_in_subnet(0x0a4e000a, 0x0a4d0000, 24)); /* other net */
	assert_true(ipv4_in_subnet(0x0a4d00fe, 0x0a4d0000, 24));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_name),
		cmocka_unit_test(test_image_name),
		cmocka_unit_test(test_tftp_path),
		cmocka_unit_test(test_abs_path),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_omapi_key),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_cidr_subnet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
