/* Unit tests of nimbus-hostd's parsers (hwnode/agent/host_probe.c): virsh's
 * two lists in one output, xl list, xl info, AoE sysfs names and debugfs,
 * a failed command's error line, the server address; and garbage of every
 * kind into each of them (they read other programs' output). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host_probe.h"

/* libvirt 9.0's virsh -c xen:///system 'list --all; echo MARK; list --all
 * --persistent --name' on a dom0 with Domain-0, instances in several
 * states, one transient, and one an operator made with another name. */
static const char VIRSH_OK[] =
	" Id   Name         State\n"
	"-----------------------------\n"
	" 0    Domain-0     running\n"
	" 3    inst1        running\n"
	" 4    inst2        idle\n"
	" 5    web-3        paused\n"
	" 6    stopping     in shutdown\n"
	" 7    transient1   running\n"
	" -    inst9        shut off\n"
	" -    Test_VM      shut off\n"
	" -    crashy       crashed\n"
	"\n"
	HOST_VIRSH_MARK "\n"
	"inst1\n"
	"inst2\n"
	"web-3\n"
	"stopping\n"
	"inst9\n"
	"Test_VM\n"
	"crashy\n"
	"\n";

static void test_virsh_list(void **state)
{
	struct host_dom d[16];
	size_t skipped = 99;
	int n;

	(void)state;
	n = host_virsh_list_parse(VIRSH_OK, d, 16, &skipped);
	assert_int_equal(n, 7);
	assert_int_equal(skipped, 1);   /* Test_VM; Domain-0 is not counted */
	assert_string_equal(d[0].name, "inst1");
	assert_int_equal(d[0].id, 3);
	assert_int_equal(d[0].state, HMSG_DOM_RUNNING);
	assert_true(d[0].persistent);
	assert_int_equal(d[1].state, HMSG_DOM_BLOCKED);
	assert_int_equal(d[2].state, HMSG_DOM_PAUSED);
	assert_int_equal(d[3].state, HMSG_DOM_SHUTDOWN);
	assert_string_equal(d[4].name, "transient1");
	assert_false(d[4].persistent);
	assert_string_equal(d[5].name, "inst9");
	assert_int_equal(d[5].id, -1);
	assert_int_equal(d[5].state, HMSG_DOM_SHUTOFF);
	assert_true(d[5].persistent);
	assert_int_equal(d[6].state, HMSG_DOM_CRASHED);
	assert_int_equal(d[6].memory_mib, 0);   /* xl's job */
	assert_true(d[6].persistent);
	assert_string_equal(d[6].name, "crashy");
	/* max: the first ones, the rest counted as skipped */
	n = host_virsh_list_parse(VIRSH_OK, d, 2, &skipped);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 6);
	/* only Domain-0 */
	n = host_virsh_list_parse(" Id   Name       State\n-----\n 0    Domain-0   running\n\n"
				  HOST_VIRSH_MARK "\n\n", d, 16, &skipped);
	assert_int_equal(n, 0);
	assert_int_equal(skipped, 0);
	/* CRLF, tabs, warnings before the table */
	n = host_virsh_list_parse("warning: something odd\r\n Id\tName\tState\r\n---\r\n 12\tvm-a\trunning\r\n"
				  HOST_VIRSH_MARK "\r\nvm-a\r\n", d, 16, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].id, 12);
	assert_true(d[0].persistent);
}

struct bad_case {
	const char *what;
	const char *text;
	int want;         /* -EINVAL, or the count */
};

static void test_virsh_list_bad(void **state)
{
	static const struct bad_case cases[] = {
		{ "empty", "", -EINVAL },
		{ "virsh cannot connect",
		  "error: failed to connect to the hypervisor\n"
		  "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n"
		  HOST_VIRSH_MARK "\n"
		  "error: failed to connect to the hypervisor\n", -EINVAL },
		{ "no mark (the echo never ran)", " Id Name State\n---\n 1 a running\n", -EINVAL },
		{ "mark before the table", HOST_VIRSH_MARK "\n Id Name State\n 1 a running\n", -EINVAL },
		{ "header words in another order", " Name Id State\n" HOST_VIRSH_MARK "\n", -EINVAL },
		{ "rows of garbage skipped",
		  " Id Name State\n---\n x\n 1 2\n 12abc inst running\n 1 inst dancing\n 99999999999 big running\n"
		  " 2 ok-one running extra\n 3 ok-two running\n" HOST_VIRSH_MARK "\n", 1 },
		{ "a name too long for a nimbus name",
		  " Id Name State\n 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa running\n"
		  HOST_VIRSH_MARK "\n", 0 },
		{ "names with odd characters",
		  " Id Name State\n 1 -lead running\n 2 trail- running\n 3 ut\xc3\xa9 running\n 4 a;b running\n"
		  HOST_VIRSH_MARK "\n", 0 },
		{ "the same name twice", " Id Name State\n 1 dup running\n - dup shut off\n" HOST_VIRSH_MARK "\n", 1 },
		{ "no newline at the end", " Id Name State\n 1 last running\n" HOST_VIRSH_MARK, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host_dom d[8];
		int n = host_virsh_list_parse(cases[i].text, d, 8, NULL);

		if (n != cases[i].want)
			fail_msg("case '%s': %d, want %d", cases[i].what, n, cases[i].want);
	}
}

static void test_dom_state_words(void **state)
{
	static const struct {
		const char *word;
		int rc;
		enum hmsg_dom_state st;
	} words[] = {
		{ "running", 0, HMSG_DOM_RUNNING }, { "idle", 0, HMSG_DOM_BLOCKED },
		{ "blocked", 0, HMSG_DOM_BLOCKED }, { "paused", 0, HMSG_DOM_PAUSED },
		{ "in shutdown", 0, HMSG_DOM_SHUTDOWN }, { "shut off", 0, HMSG_DOM_SHUTOFF },
		{ "shutoff", 0, HMSG_DOM_SHUTOFF }, { "crashed", 0, HMSG_DOM_CRASHED },
		{ "pmsuspended", 0, HMSG_DOM_PMSUSPENDED }, { "no state", 0, HMSG_DOM_NOSTATE },
		{ "Running", -EINVAL, 0 }, { "shut  off", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		enum hmsg_dom_state st = HMSG_DOM_NOSTATE;

		assert_int_equal(host_dom_state_parse(words[i].word, &st), words[i].rc);
		if (words[i].rc == 0)
			assert_int_equal(st, words[i].st);
	}
}

static const char XL_LIST[] =
	"Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
	"Domain-0                                     0   512     1     r-----     123.4\n"
	"inst1                                        3   256     1     -b----       5.2\n"
	"inst2                                        4  1024     2     r-----      10.0\n"
	"odd name                                     5   128     1     -b----       1.0\n"
	"big                                          6 99999999999 1   -b----       1.0\n";

static void test_xl_list(void **state)
{
	struct host_xl_row r[8];
	struct host_dom d[3] = {
		{ .name = "inst1", .id = 3 }, { .name = "inst2", .id = 4 },
		{ .name = "inst9", .id = -1, .memory_mib = 77 },
	};
	int n;

	(void)state;
	n = host_xl_list_parse(XL_LIST, r, 8);
	assert_int_equal(n, 3);   /* Domain-0, inst1, inst2 */
	assert_string_equal(r[1].name, "inst1");
	assert_int_equal(r[1].memory_mib, 256);
	assert_int_equal(r[2].vcpus, 2);
	assert_int_equal(host_xl_apply(d, 3, r, (size_t)n), 2);
	assert_int_equal(d[0].memory_mib, 256);
	assert_int_equal(d[1].memory_mib, 1024);
	assert_int_equal(d[1].vcpus, 2);
	assert_int_equal(d[2].memory_mib, 0);   /* not running */
	assert_int_equal(host_xl_list_parse(XL_LIST, r, 1), 1);
	assert_int_equal(host_xl_list_parse("", r, 8), -EINVAL);
	assert_int_equal(host_xl_list_parse("libxl: error: cannot open libxc handle\n", r, 8), -EINVAL);
	assert_int_equal(host_xl_list_parse("Name ID Mem VCPUs State Time(s)\n", r, 8), 0);
}

static const char XL_INFO[] =
	"host                   : hwnode\n"
	"release                : 6.1.0-56-amd64\n"
	"nr_cpus                : 2\n"
	"total_memory           : 1023\n"
	"free_memory            : 479\n"
	"xen_major              : 4\n"
	"xen_minor              : 17\n"
	"xen_extra              : .5-pre\n"
	"xen_version            : 4.17.5-pre\n"
	"xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64\n";

static void test_xl_info(void **state)
{
	struct host_xen x;

	(void)state;
	assert_int_equal(host_xl_info_parse(XL_INFO, &x), 0);
	assert_string_equal(x.version, "4.17.5-pre");
	assert_int_equal(x.major, 4);
	assert_int_equal(x.minor, 17);
	assert_int_equal(x.cpus, 2);
	assert_int_equal(x.total_mib, 1023);
	assert_int_equal(x.free_mib, 479);
	/* no major/minor lines: from the version */
	assert_int_equal(host_xl_info_parse("xen_version : 4.18.1\nnr_cpus : 8\nfree_memory : 100\n"
					    "total_memory : 200\n", &x), 0);
	assert_int_equal(x.major, 4);
	assert_int_equal(x.minor, 18);
	/* a version longer than the message allows: truncated */
	assert_int_equal(host_xl_info_parse("xen_version : 4.17.5-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
					    "nr_cpus : 1\nfree_memory : 1\n", &x), 0);
	assert_int_equal(strlen(x.version), HMSG_VERSION_MAX - 1);
	assert_int_equal(host_xl_info_parse("", &x), -EINVAL);
	assert_int_equal(host_xl_info_parse("xencall: error: Could not obtain handle\n", &x), -EINVAL);
}

static void test_aoe(void **state)
{
	static const struct {
		const char *name;
		int rc;
		uint16_t shelf;
		uint8_t slot;
	} names[] = {
		{ "etherd!e1.0", 0, 1, 0 }, { "e7.9", 0, 7, 9 }, { "etherd!e65534.254", 0, 65534, 254 },
		{ "etherd!e65535.0", -EINVAL, 0, 0 }, { "etherd!e1.255", -EINVAL, 0, 0 },
		{ "etherd!e1", -EINVAL, 0, 0 }, { "etherd!e1.0x", -EINVAL, 0, 0 },
		{ "etherd!e.1", -EINVAL, 0, 0 }, { "etherd!e1.", -EINVAL, 0, 0 },
		{ "eth0", -EINVAL, 0, 0 }, { "etherd!", -EINVAL, 0, 0 }, { "", -EINVAL, 0, 0 },
		{ "etherd!e-1.0", -EINVAL, 0, 0 }, { "etherd!e1.0.0", -EINVAL, 0, 0 },
		{ "etherd!e99999999999999999999.0", -EINVAL, 0, 0 },
	};
	static const char DEBUGFS[] =
		"rttavg: 2500 rttdev: 1250\n"
		"525400AA0001:0:16:16\n\tssthresh:8\n\teth0\n"
		"525400aa0002:1:16:16\n\tssthresh:8\n\teth0,eth1\n";

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint16_t sh = 0;
		uint8_t sl = 0;

		if (host_aoe_dev_parse(names[i].name, &sh, &sl) != names[i].rc ||
		    (names[i].rc == 0 && (sh != names[i].shelf || sl != names[i].slot)))
			fail_msg("aoe name '%s'", names[i].name);
	}
	assert_int_equal(host_aoe_paths(DEBUGFS), 2);
	assert_int_equal(host_aoe_paths(""), 0);
	assert_int_equal(host_aoe_paths("525400AA0001:x:y\n"), 0);   /* malformed: 0, not -EINVAL */
	{
		/* more targets than a message carries: HMSG_MAX_PATHS */
		char big[4096] = "";

		for (int i = 0; i < 20; i++)
			snprintf(big + strlen(big), sizeof(big) - strlen(big),
				 "5254000000%02x:0:16:16\n\teth0\n", i);
		assert_int_equal(host_aoe_paths(big), HMSG_MAX_PATHS);
	}
}

static void test_last_line(void **state)
{
	static const struct {
		const char *what, *out, *want;
		size_t cap;
	} cases[] = {
		{ "virsh's two error lines", "error: Failed to start domain 'inst1'\n"
		  "error: internal error: libxenlight failed to create new domain 'inst1'\n\n",
		  "internal error: libxenlight failed to create new domain 'inst1'", 256 },
		{ "no newline", "oops", "oops", 256 },
		{ "blank lines and spaces after", "first\nsecond  \n \n\n", "second", 256 },
		{ "control characters and UTF-8", "bad\x1b[31m t\xc3\xa9xt\ttab\n", "bad [31m t  xt tab", 256 },
		{ "empty", "", "", 256 },
		{ "only blanks", "\n\n  \n", "", 256 },
		{ "truncated", "0123456789", "0123", 5 },
		{ "just 'error: '", "error: ", "error:", 256 },
		{ "leading blanks", "   error: x\n", "x", 256 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dst[256];

		memset(dst, 'Z', sizeof(dst));
		host_last_line(cases[i].out, strlen(cases[i].out), dst, cases[i].cap);
		if (strcmp(dst, cases[i].want) != 0)
			fail_msg("case '%s': '%s', want '%s'", cases[i].what, dst, cases[i].want);
	}
	{
		/* a NUL in the middle ends the text; NULL output is "" */
		char dst[32];
		static const char out[] = "one\ntwo\0three\n";

		host_last_line(out, sizeof(out) - 1, dst, sizeof(dst));
		assert_string_equal(dst, "two");
		host_last_line(NULL, 5, dst, sizeof(dst));
		assert_string_equal(dst, "");
	}
}

static void test_parse_server(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t ip;
		uint16_t port;
	} cases[] = {
		{ "10.0.0.1:8080", 0, 0x0a000001, 8080 }, { "255.255.255.255:65535", 0, 0xffffffff, 65535 },
		{ "10.0.0.1", -EINVAL, 0, 0 }, { "10.0.0.1:0", -EINVAL, 0, 0 },
		{ "10.0.0.1:65536", -EINVAL, 0, 0 }, { "10.0.0.256:80", -EINVAL, 0, 0 },
		{ "10.0.0.1:80x", -EINVAL, 0, 0 }, { " 10.0.0.1:80", -EINVAL, 0, 0 },
		{ "10.0.0.1: 80", -EINVAL, 0, 0 }, { "host:80", -EINVAL, 0, 0 }, { "", -EINVAL, 0, 0 },
		{ "http://10.0.0.1:80", -EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ip = 0;
		uint16_t port = 0;

		if (host_parse_server(cases[i].s, &ip, &port) != cases[i].rc ||
		    (cases[i].rc == 0 && (ip != cases[i].ip || port != cases[i].port)))
			fail_msg("server '%s'", cases[i].s);
	}
}

/* Random bytes, and random mixes of the real outputs' lines, into every
 * parser: no crash, no write past the output (ASan in make check-asan),
 * names always nimbus names. */
static void test_garbage(void **state)
{
	static const char *const pieces[] = {
		" Id Name State\n", "-----\n", " 1 inst1 running\n", " - inst2 shut off\n",
		HOST_VIRSH_MARK "\n", "inst1\n", "\n", "Name ID Mem VCPUs State Time(s)\n",
		"inst1 3 256 1 -b---- 5.2\n", "xen_version : 4.17.0\n", "nr_cpus : 2\n",
		"free_memory : 7\n", "525400aa0001:0:16:16\n", "\teth0\n", "error: x\n",
		" 4294967296 huge running\n", ":::::\n", "\t\t\t\n",
	};
	uint32_t seed = 12345;
	char text[2048];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct host_dom d[4];
		struct host_xl_row r[4];
		struct host_xen x;
		char line[64];
		uint16_t sh;
		uint8_t sl;
		size_t len = 0;
		int n;

		seed = seed * 1103515245 + 12345;
		if (round % 2) {
			size_t target = (seed >> 16) % (sizeof(text) - 1);

			for (len = 0; len < target; len++) {
				seed = seed * 1103515245 + 12345;
				text[len] = (char)((seed >> 16) & 0xff);
				if (!text[len])
					text[len] = '\n';
			}
		} else {
			int k = (int)((seed >> 16) % 24);

			for (int i = 0; i < k; i++) {
				const char *p;

				seed = seed * 1103515245 + 12345;
				p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
				if (len + strlen(p) >= sizeof(text))
					break;
				memcpy(text + len, p, strlen(p));
				len += strlen(p);
			}
		}
		text[len] = '\0';
		n = host_virsh_list_parse(text, d, 4, NULL);
		assert_true(n == -EINVAL || (n >= 0 && n <= 4));
		for (int i = 0; i < n; i++)
			assert_true(smsg_name_ok(d[i].name));
		n = host_xl_list_parse(text, r, 4);
		assert_true(n == -EINVAL || (n >= 0 && n <= 4));
		if (host_xl_info_parse(text, &x) == 0)
			assert_true(strlen(x.version) < sizeof(x.version));
		assert_true(host_aoe_paths(text) <= HMSG_MAX_PATHS);
		host_last_line(text, len, line, sizeof(line));
		assert_true(strlen(line) < sizeof(line));
		for (const char *c = line; *c; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
		host_aoe_dev_parse(text, &sh, &sl);
		host_parse_server(text, (uint32_t *)&n, &sh);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virsh_list),
		cmocka_unit_test(test_virsh_list_bad),
		cmocka_unit_test(test_dom_state_words),
		cmocka_unit_test(test_xl_list),
		cmocka_unit_test(test_xl_info),
		cmocka_unit_test(test_aoe),
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_parse_server),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
