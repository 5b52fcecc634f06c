/* Unit tests of the hardware-node report client's pure parts: `xl info`
 * and aoe debugfs parsing, boot.env lookup, MAC formatting, JSON body. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../hwnode/report/report.h"

static const char XL_INFO_417[] =
	"host                   : hwnode\n"
	"release                : 6.1.0-56-amd64\n"
	"version                : #1 SMP PREEMPT_DYNAMIC Debian 6.1.140-1 (2025-05-22)\n"
	"machine                : x86_64\n"
	"nr_cpus                : 2\n"
	"max_cpu_id             : 1\n"
	"cpu_mhz                : 2495.998\n"
	"virt_caps              : pv hvm hap\n"
	"total_memory           : 1023\n"
	"free_memory            : 479\n"
	"xen_major              : 4\n"
	"xen_minor              : 17\n"
	"xen_extra              : .7\n"
	"xen_version            : 4.17.7\n"
	"xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64\n"
	"xen_commandline        : console=com1 dom0_mem=512M\n"
	"xend_config_format     : 4\n";

struct xl_case {
	const char *name;
	const char *text;
	int ret;
	const char *version;
	long cpus, total, free;
};

static const struct xl_case xl_cases[] = {
	{ "4.17 full", XL_INFO_417, 0, "4.17.7", 2, 1023, 479 },
	{ "no xen_version: from major/minor/extra",
	  "xen_major : 4\nxen_minor : 17\nxen_extra : .2\nnr_cpus : 1\nfree_memory : 10\n",
	  0, "4.17.2", 1, 0, 10 },
	{ "no trailing newline", "xen_version:4.17.0\nnr_cpus:1\nfree_memory:  5", 0, "4.17.0", 1, 0, 5 },
	{ "empty", "", -EINVAL, "", 0, 0, 0 },
	{ "xl error text",
	  "xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n"
	  "libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n",
	  -EINVAL, "", 0, 0, 0 },
	{ "no free_memory", "xen_version : 4.17.7\nnr_cpus : 2\n", -EINVAL, "4.17.7", 2, 0, 0 },
	{ "negative cpus", "xen_version : 4.17.7\nnr_cpus : -2\nfree_memory : 1\n", -EINVAL, "4.17.7", 0, 0, 1 },
	{ "garbage cpus", "xen_version : 4.17.7\nnr_cpus : two\nfree_memory : 1\n", -EINVAL, "4.17.7", 0, 0, 1 },
	{ "no colon lines only", "hello\nworld\n", -EINVAL, "", 0, 0, 0 },
};

static void test_xl_info_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(xl_cases) / sizeof(xl_cases[0]); i++) {
		const struct xl_case *c = &xl_cases[i];
		struct xl_info x;
		int ret = xl_info_parse(c->text, &x);

		if (ret != c->ret)
			fail_msg("case '%s': returned %d, want %d", c->name, ret, c->ret);
		if (strcmp(x.xen_version, c->version))
			fail_msg("case '%s': version '%s', want '%s'", c->name, x.xen_version, c->version);
		if (x.nr_cpus != c->cpus || x.total_memory_mb != c->total || x.free_memory_mb != c->free)
			fail_msg("case '%s': cpus %ld total %ld free %ld", c->name,
				 x.nr_cpus, x.total_memory_mb, x.free_memory_mb);
	}
}

static const char DEBUGFS_TWO_TARGETS[] =
	"rttavg: 2500 rttdev: 1250\n"
	"nskbpool: 0\n"
	"kicked: 3\n"
	"maxbcnt: 1024\n"
	"ref: 1\n"
	"falloc: 10\n"
	"ffree: 000000009b7d2f1c\n"
	"525400AA0001:0:16:16\n"
	"\tssthresh:8\n"
	"\ttaint:0\n"
	"\tr:120\n"
	"\tw:0\n"
	"\teth0\n"
	"falloc: 4\n"
	"ffree: 0000000000000000\n"
	"525400aa0002:1:16:16\n"
	"\tssthresh:8\n"
	"\ttaint:0\n"
	"\tr:80\n"
	"\tw:0\n"
	"\teth0,eth1\n";

struct dfs_case {
	const char *name;
	const char *text;
	size_t max;
	int ret;
	const char *target[2];
	const char *ifaces[2];
};

static const struct dfs_case dfs_cases[] = {
	{ "two targets", DEBUGFS_TWO_TARGETS, 16, 2,
	  { "52:54:00:aa:00:01", "52:54:00:aa:00:02" }, { "eth0", "eth0,eth1" } },
	{ "room for one", DEBUGFS_TWO_TARGETS, 1, 1, { "52:54:00:aa:00:01", NULL }, { "eth0", NULL } },
	{ "no targets", "rttavg: 1 rttdev: 1\nref: 0\n", 16, 0, { NULL, NULL }, { NULL, NULL } },
	{ "empty", "", 16, 0, { NULL, NULL }, { NULL, NULL } },
	{ "target without interfaces", "020000000001:0:2:2\n\tssthresh:1\n", 16, 1,
	  { "02:00:00:00:00:01", NULL }, { "", NULL } },
	{ "malformed counters", "525400aa0001:x:16\n", 16, -EINVAL, { NULL, NULL }, { NULL, NULL } },
	{ "short mac is not a target", "525400aa00:0:16:16\n\teth0\n", 16, 0,
	  { NULL, NULL }, { NULL, NULL } },
};

static void test_aoe_debugfs_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dfs_cases) / sizeof(dfs_cases[0]); i++) {
		const struct dfs_case *c = &dfs_cases[i];
		struct aoe_path p[16];
		int ret = aoe_debugfs_parse(c->text, p, c->max);

		if (ret != c->ret)
			fail_msg("case '%s': returned %d, want %d", c->name, ret, c->ret);
		for (int j = 0; j < ret && j < 2; j++) {
			if (strcmp(p[j].target, c->target[j]) || strcmp(p[j].ifaces, c->ifaces[j]))
				fail_msg("case '%s': path %d is %s via '%s'", c->name, j,
					 p[j].target, p[j].ifaces);
		}
	}
}

static void test_mac_from_hex12(void **state)
{
	char out[18];

	(void)state;
	assert_int_equal(mac_from_hex12("525400ABCDEF", out), 0);
	assert_string_equal(out, "52:54:00:ab:cd:ef");
	assert_int_equal(mac_from_hex12("52540zabcdef", out), -EINVAL);
	assert_int_equal(mac_from_hex12("5254", out), -EINVAL);
}

static const char BOOT_ENV[] =
	"# written by the nimbus initramfs\n"
	"NIMBUS_ROOT=e1.0\n"
	"NIMBUS_REPORT=10.0.0.1:8080\n"
	"NIMBUS_IP=\n"
	"NIMBUS_NICS=\"eth0 eth1\"\n"
	"NIMBUS_ROOTX=wrong\n";

struct env_case {
	const char *key;
	size_t outlen;
	int ret;
	const char *value;
};

static const struct env_case env_cases[] = {
	{ "NIMBUS_ROOT", 64, 0, "e1.0" },
	{ "NIMBUS_REPORT", 64, 0, "10.0.0.1:8080" },
	{ "NIMBUS_IP", 64, 0, "" },
	{ "NIMBUS_NICS", 64, 0, "eth0 eth1" },
	{ "NIMBUS_NICS", 9, -ENAMETOOLONG, NULL },
	{ "NIMBUS_NODE", 64, -ENOENT, NULL },
	{ "NIMBUS", 64, -ENOENT, NULL },
	{ "# written by the nimbus initramfs", 64, -ENOENT, NULL },
};

static void test_env_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *c = &env_cases[i];
		char out[64];
		int ret = env_lookup(BOOT_ENV, c->key, out, c->outlen);

		if (ret != c->ret)
			fail_msg("key '%s': returned %d, want %d", c->key, ret, c->ret);
		if (c->value && strcmp(out, c->value))
			fail_msg("key '%s': '%s', want '%s'", c->key, out, c->value);
	}
}

static void test_report_json(void **state)
{
	struct hw_report r = {
		.state = "booted", .mac = "52:54:00:aa:00:01", .node = "hw1",
		.cpus = 2, .memory_mb = 479, .n_nics = 2,
		.nics = { { "eth0", "52:54:00:aa:00:01" }, { "eth1", "52:54:00:aa:00:02" } },
		.xl_ok = 1, .xl = { "4.17.7", 2, 1023, 479, "xen-3.0-x86_64" },
		.root = "e1.0", .n_paths = 2,
		.paths = { { "02:00:00:00:00:01", "eth0" }, { "02:00:00:00:00:02", "eth0,eth1" } },
		.kernel = "6.1.0-56-amd64", .uptime_s = 42,
	};
	json_error_t err;
	json_t *j, *info;
	char *text;

	(void)state;
	assert_int_equal(report_json(&r, &text), 0);
	j = json_loads(text, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "mac")), "52:54:00:aa:00:01");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "booted");
	assert_int_equal(json_integer_value(json_object_get(j, "cpus")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "memory_mb")), 479);
	assert_int_equal(json_array_size(json_object_get(j, "nics")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "nics"), 1)),
			    "52:54:00:aa:00:02");
	info = json_object_get(j, "info");
	assert_string_equal(json_string_value(json_object_get(info, "xen_version")), "4.17.7");
	assert_string_equal(json_string_value(json_object_get(info, "xl_info")), "ok");
	assert_string_equal(json_string_value(json_object_get(info, "node")), "hw1");
	assert_string_equal(json_string_value(json_object_get(info, "aoe_paths")),
			    "02:00:00:00:00:01 via eth0; 02:00:00:00:00:02 via eth0,eth1");
	assert_string_equal(json_string_value(json_object_get(info, "aoe_path_count")), "2");
	assert_string_equal(json_string_value(json_object_get(info, "total_memory_mb")), "1023");
	/* nimbusd's rule: info holds strings only. */
	{
		const char *k;
		json_t *v;

		json_object_foreach(info, k, v)
			if (!json_is_string(v))
				fail_msg("info '%s' is not a string", k);
	}
	json_decref(j);
	free(text);

	/* xl failed: the error is reported, no Xen fields; quotes escaped. */
	r.xl_ok = 0;
	strcpy(r.xl_error, "xl info exit status 1: \"no xenstored\"");
	r.node[0] = '\0';
	assert_int_equal(report_json(&r, &text), 0);
	j = json_loads(text, 0, &err);
	assert_non_null(j);
	info = json_object_get(j, "info");
	assert_string_equal(json_string_value(json_object_get(info, "xl_info")), "failed");
	assert_null(json_object_get(info, "xen_version"));
	assert_null(json_object_get(info, "node"));
	assert_string_equal(json_string_value(json_object_get(info, "aoe_path_count")), "2");
	assert_string_equal(json_string_value(json_object_get(info, "xl_error")),
			    "xl info exit status 1: \"no xenstored\"");
	json_decref(j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xl_info_parse),
		cmocka_unit_test(test_aoe_debugfs_parse),
		cmocka_unit_test(test_mac_from_hex12),
		cmocka_unit_test(test_env_lookup),
		cmocka_unit_test(test_report_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
