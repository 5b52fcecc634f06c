/* Unit tests of aoetd's configuration parser (storagenode/aoe-target/config.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../storagenode/aoe-target/config.h"

struct bad_case {
	const char *text;
	const char *msg;   /* expected error message (exact) */
};

/* Every malformed file gives exactly one line naming file, line and value. */
static const struct bad_case bad[] = {
	{ "export 65535.0 /a iface=eth0\n",
	  "t.conf:1: shelf '65535' out of range 0..65534" },
	{ "export 1.255 /a iface=eth0\n",
	  "t.conf:1: slot '255' out of range 0..254" },
	{ "export 1.0 /a iface=eth0\n\n# c\nexport 1.0 /b iface=eth0\n",
	  "t.conf:4: duplicate export 1.0 (first at line 1)" },
	{ "export x.0 /a iface=eth0\n",
	  "t.conf:1: bad shelf 'x' (want a number 0..65534)" },
	{ "export 1 /a iface=eth0\n",
	  "t.conf:1: bad export name '1' (want SHELF.SLOT, e.g. 1.0)" },
	{ "export 1.0.0 /a iface=eth0\n",
	  "t.conf:1: bad export name '1.0.0' (want SHELF.SLOT, e.g. 1.0)" },
	{ "export -1.0 /a iface=eth0\n",
	  "t.conf:1: bad shelf '-1' (want a number 0..65534)" },
	{ "export 1.0\n", "t.conf:1: 'export' needs SHELF.SLOT and PATH" },
	{ "export 1.0 /a\n",
	  "t.conf:1: export 1.0 has no interface (add iface=IF or a global "
	  "'iface IF' line)" },
	{ "export 1.0 /a iface=eth0 fast\n",
	  "t.conf:1: unknown export option 'fast'" },
	{ "export 1.0 /a iface=eth0 colour=red\n",
	  "t.conf:1: unknown export option 'colour'" },
	{ "export 1.0 /a iface=eth0 offset=12x\n",
	  "t.conf:1: bad offset '12x' (want a number of 512-byte sectors)" },
	{ "export 1.0 /a iface=eth0 offset\n",
	  "t.conf:1: option 'offset' needs a value (offset=...)" },
	{ "export 1.0 /a iface=eth0 length=0\n",
	  "t.conf:1: length '0' must be at least 1 sector" },
	{ "export 1.0 /a iface=eth0 length=281474976710657\n",
	  "t.conf:1: length '281474976710657' out of range (at most 2^48 sectors)" },
	{ "export 1.0 /a iface=eth0 mac=52:54:00:aa:00:01,zz\n",
	  "t.conf:1: bad MAC address 'zz'" },
	{ "export 1.0 /a iface=eth0 mac=ff:ff:ff:ff:ff:ff\n",
	  "t.conf:1: MAC address 'ff:ff:ff:ff:ff:ff' is not unicast" },
	{ "export 1.0 /a iface=eth0 bufcnt=1\n",
	  "t.conf:1: buffer count '1' out of range 2..16384" },
	{ "bufcnt 70000\n", "t.conf:1: buffer count '70000' out of range 2..16384" },
	{ "export 1.0 /a iface=eth0,eth0\n",
	  "t.conf:1: interface 'eth0' listed twice" },
	{ "export 1.0 /a iface=eth0,,eth1\n",
	  "t.conf:1: bad interface name '' in 'eth0,,eth1'" },
	{ "export 1.0 /a iface=averyveryverylongname\n",
	  "t.conf:1: bad interface name 'averyveryverylongname' in "
	  "'averyveryverylongname'" },
	{ "export 1.0 /a iface=eth0 config=\"abc\n",
	  "t.conf:1: unterminated quote" },
	{ "frobnicate yes\n",
	  "t.conf:1: unknown keyword 'frobnicate' (want export, control, bufcnt "
	  "or iface)" },
	{ "control\n", "t.conf:1: 'control' takes exactly one value" },
	{ "iface eth0 eth1\n", "t.conf:1: 'iface' takes exactly one value" },
	{ "\n\n\nexport 1.0 /a iface=eth0 ro direct sync bogus\n",
	  "t.conf:4: unknown export option 'bogus'" },
};

static void test_bad_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aoetd_config c;
		char err[512] = "";
		int rc;

		config_init(&c);
		rc = config_parse(&c, "t.conf", bad[i].text, strlen(bad[i].text),
				  err, sizeof(err));
		if (rc >= 0)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		if (strcmp(err, bad[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err,
				 bad[i].msg);
		config_free(&c);
	}
}

static void test_full_file(void **state)
{
	static const char text[] =
		"# storage node\n"
		"control /tmp/x.sock   # trailing comment\n"
		"bufcnt 32\n"
		"iface eth0,eth1\n"
		"\n"
		"export 1.0 /dev/drbd0 direct\n"
		"export 1.1 /dev/drbd1 iface eth1 sync ro offset=2048 length=4096 "
		"mac=52:54:00:aa:00:01,5254.00aa.0002 bufcnt=16\n"
		"\texport 65534.254 \"/srv/with space.img\" config=\"a \\\"b\\\" # c\"\n"
		"export 2.0 /x config=\n";
	struct aoetd_config c;
	char err[256] = "";
	const struct export_cfg *e;

	(void)state;
	config_init(&c);
	assert_int_equal(config_parse(&c, "t.conf", text, strlen(text), err,
				      sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.control, "/tmp/x.sock");
	assert_int_equal(c.nexports, 4);

	e = config_find(&c, 1, 0);
	assert_non_null(e);
	assert_string_equal(e->path, "/dev/drbd0");
	assert_true(e->direct);
	assert_false(e->sync);
	assert_false(e->read_only);
	assert_int_equal(e->bufcnt, 32);
	assert_int_equal(e->nifaces, 2);
	assert_string_equal(e->ifaces[0], "eth0");
	assert_string_equal(e->ifaces[1], "eth1");
	assert_int_equal(e->line, 6);

	e = config_find(&c, 1, 1);
	assert_non_null(e);
	assert_true(e->sync);
	assert_true(e->read_only);
	assert_int_equal(e->offset, 2048);
	assert_int_equal(e->length, 4096);
	assert_int_equal(e->bufcnt, 16);
	assert_int_equal(e->nifaces, 1);
	assert_string_equal(e->ifaces[0], "eth1");
	assert_int_equal(e->nmacs, 2);
	assert_int_equal(e->macs[1][5], 2);

	e = config_find(&c, 65534, 254);
	assert_non_null(e);
	assert_string_equal(e->path, "/srv/with space.img");
	assert_true(e->has_cfg);
	assert_int_equal(e->cfg_len, 9);
	assert_memory_equal(e->cfg, "a \"b\" # c", 9);

	e = config_find(&c, 2, 0);
	assert_non_null(e);
	assert_true(e->has_cfg);
	assert_int_equal(e->cfg_len, 0);
	assert_null(config_find(&c, 3, 0));
	config_free(&c);
}

static void test_defaults_and_none(void **state)
{
	static const char text[] = "control none\r\nexport 0.0 /a iface=lo\r\n";
	struct aoetd_config c;
	char err[256] = "";

	(void)state;
	config_init(&c);
	assert_string_equal(c.control, AOETD_DEFAULT_SOCKET);
	assert_int_equal(config_parse(&c, "t", text, strlen(text), err,
				      sizeof(err)), 0);
	assert_string_equal(c.control, "");
	assert_int_equal(c.exports[0].bufcnt, AOETD_DEFAULT_BUFCNT);
	config_free(&c);

	/* An empty file is valid: exports can come later with SIGHUP. */
	config_init(&c);
	assert_int_equal(config_parse(&c, "t", "", 0, err, sizeof(err)), 0);
	assert_int_equal(c.nexports, 0);
	config_free(&c);
}

static void test_config_string_limit(void **state)
{
	char text[2200];
	struct aoetd_config c;
	char err[256] = "";
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "export 1.0 /a iface=e config=");
	memset(text + n, 'x', 1024);
	text[n + 1024] = '\n';
	config_init(&c);
	assert_int_equal(config_parse(&c, "t", text, (size_t)n + 1025, err,
				      sizeof(err)), 0);
	assert_int_equal(c.exports[0].cfg_len, 1024);
	config_free(&c);

	memset(text + n, 'x', 1025);
	text[n + 1025] = '\n';
	config_init(&c);
	assert_int_equal(config_parse(&c, "t", text, (size_t)n + 1026, err,
				      sizeof(err)), -E2BIG);
	assert_string_equal(err, "t:1: config string of 1025 bytes is too "
			    "long (at most 1024)");
	config_free(&c);
}

/* Not NUL-terminated input and embedded NULs must not be read past. */
static void test_unterminated_and_nul(void **state)
{
	struct aoetd_config c;
	char err[256] = "";
	char *buf = malloc(26);

	(void)state;
	memcpy(buf, "export 1.0 /a iface=eth0 ", 25);
	buf[25] = 'r';
	config_init(&c);
	assert_int_equal(config_parse(&c, "t", buf, 26, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t:1: unknown export option 'r'");
	config_free(&c);
	free(buf);

	config_init(&c);
	assert_int_equal(config_parse(&c, "t", "export 1.0 /a\0b iface=e\n", 24,
				      err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t:1: NUL byte in line");
	config_free(&c);
}

static void test_equal(void **state)
{
	static const char a[] = "export 1.0 /a iface=e0 mac=525400aa0001\n"
				"export 1.1 /a iface=e0\n";
	static const char b[] = "export 1.0 /a iface=e0 mac=52:54:00:aa:00:01\n"
				"\nexport 1.1 /a iface=e0 ro\n";
	struct aoetd_config ca, cb;
	char err[256];

	(void)state;
	config_init(&ca);
	config_init(&cb);
	assert_int_equal(config_parse(&ca, "a", a, strlen(a), err, 256), 0);
	assert_int_equal(config_parse(&cb, "b", b, strlen(b), err, 256), 0);
	/* Same meaning on another line is still equal. */
	assert_true(export_cfg_equal(&ca.exports[0], &cb.exports[0]));
	assert_false(export_cfg_equal(&ca.exports[1], &cb.exports[1]));
	config_free(&ca);
	config_free(&cb);
}

static void test_value_parsers(void **state)
{
	uint16_t shelf, b;
	uint8_t slot;
	char err[128];

	(void)state;
	assert_int_equal(config_parse_shelf("0", &shelf, err, 128), 0);
	assert_int_equal(config_parse_shelf("65534", &shelf, err, 128), 0);
	assert_int_equal(shelf, 65534);
	assert_int_equal(config_parse_shelf("", &shelf, err, 128), -EINVAL);
	assert_int_equal(config_parse_shelf("+1", &shelf, err, 128), -EINVAL);
	assert_int_equal(config_parse_shelf("99999999999999999999999", &shelf,
					    err, 128), -ERANGE);
	assert_int_equal(config_parse_slot("254", &slot, err, 128), 0);
	assert_int_equal(slot, 254);
	assert_int_equal(config_parse_slot("0x1", &slot, err, 128), -EINVAL);
	assert_int_equal(config_parse_bufcnt("2", &b, err, 128), 0);
	assert_int_equal(config_parse_bufcnt("16384", &b, err, 128), 0);
	assert_int_equal(config_parse_bufcnt("16385", &b, err, 128), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults_and_none),
		cmocka_unit_test(test_config_string_limit),
		cmocka_unit_test(test_unterminated_and_nul),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_value_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
