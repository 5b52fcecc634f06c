/* Provisioning generators: dhcpd.conf, pxelinux files and omshell scripts
 * against expected files in tests/unit/data/, the validators that guard
 * them (malformed names, paths, command lines, addresses), the pxelinux
 * file names, and omshell's answers as the real omshell 4.4.3 prints them.
 *
 * After a deliberate change of a generator, NIMBUS_UPDATE_EXPECTED=1 makes
 * this test rewrite the expected files; review the diff before keeping it. */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../confignode/dhcp_omapi.h"
#include "../../confignode/gen_dhcp.h"
#include "../../confignode/gen_drbd.h"
#include "../../confignode/gen_pxe.h"
#include "../../confignode/prov_validate.h"
#include "../../confignode/provision.h"
#include "fixtures_prov.h"
#include "log.h"

static char data_dir[PATH_MAX];

static void find_data_dir(void)
{
	const char *top = getenv("NIMBUS_TOP");
	char exe[PATH_MAX];
	ssize_t n;

	if (top) {
		snprintf(data_dir, sizeof(data_dir), "%s/tests/unit/data", top);
		return;
	}
	/* build/tests/unit_gen -> ../../tests/unit/data */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(data_dir, sizeof(data_dir), "%s/../../tests/unit/data", dirname(exe));
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void expect_file(const char *name, const char *got)
{
	char path[PATH_MAX + 64];
	char *want;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	if (getenv("NIMBUS_UPDATE_EXPECTED")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = read_file(path);
	if (!want)
		fail_msg("cannot read expected file %s", path);
	if (strcmp(want, got) != 0) {
		print_error("--- %s\n%s\n--- generated\n%s\n", path, want, got);
		fail_msg("generated text differs from %s", path);
	}
	free(want);
}

static void storage_node(struct prov_node *n)
{
	static const uint8_t mac[MAC_LEN] = { 0x52, 0x54, 0x00, 0xaa, 0x00, 0x01 };

	memset(n, 0, sizeof(*n));
	strcpy(n->name, "st1");
	memcpy(n->mac, mac, MAC_LEN);
	n->ip = fixture_ip("10.77.0.10");
	n->role = ROLE_STORAGE;
	strcpy(n->image.name, "storage-test");
	strcpy(n->image.kernel, "images/storage/vmlinuz");
	strcpy(n->image.initrd, "images/storage/initrd.gz");
	strcpy(n->image.cmdline, "console=ttyS0 panic=5");
}

static void hw_node(struct prov_node *n)
{
	static const uint8_t mac[MAC_LEN] = { 0x52, 0x54, 0x00, 0xaa, 0x00, 0x02 };

	memset(n, 0, sizeof(*n));
	strcpy(n->name, "hw1");
	memcpy(n->mac, mac, MAC_LEN);
	n->ip = fixture_ip("10.77.0.20");
	n->role = ROLE_HW;
	strcpy(n->image.name, "xen-dom0");
	strcpy(n->image.xen, "images/hw/xen.gz");
	strcpy(n->image.xen_cmdline, "console=com1 dom0_mem=512M");
	strcpy(n->image.kernel, "images/hw/vmlinuz");
	strcpy(n->image.initrd, "images/hw/initrd.gz");
	strcpy(n->image.cmdline, "console=hvc0 net.ifnames=0");
}

/* --- expected files -------------------------------------------------------- */

static void test_dhcpd_conf_full(void **state)
{
	struct prov_config c;
	struct prov_node n[2];
	char *t = NULL;

	(void)state;
	fixture_prov_config(&c);
	storage_node(&n[0]);
	hw_node(&n[1]);
	assert_int_equal(gen_dhcpd_conf(&c, n, 2, true, &t), 0);
	expect_file("dhcpd-full.conf.expected", t);
	free(t);
}

static void test_dhcpd_conf_minimal(void **state)
{
	struct prov_config c;
	char *t = NULL;

	(void)state;
	fixture_prov_config(&c);
	c.omapi_port = 0;
	c.dhcp_hook[0] = '\0';
	c.dhcpd_include[0] = '\0';
	c.bios_loader[0] = '\0'; /* defaults to pxelinux.0 */
	/* a UEFI loader that is not installed is not offered */
	assert_int_equal(gen_dhcpd_conf(&c, NULL, 0, false, &t), 0);
	expect_file("dhcpd-minimal.conf.expected", t);
	free(t);
}

/* One node's pxelinux file, generated from the lab configuration. */
static void expect_pxe_node(void (*make_node)(struct prov_node *), const char *expected)
{
	struct prov_config c;
	struct prov_node n;
	char *t = NULL;

	fixture_prov_config(&c);
	make_node(&n);
	assert_int_equal(gen_pxe_node(&c, &n, &t), 0);
	expect_file(expected, t);
	free(t);
}

static void test_pxe_storage(void **state)
{
	(void)state;
	expect_pxe_node(storage_node, "pxe-storage.expected");
}

static void test_pxe_hw(void **state)
{
	(void)state;
	expect_pxe_node(hw_node, "pxe-hw.expected");
}

static void test_pxe_default(void **state)
{
	struct prov_config c;
	char *t = NULL;

	(void)state;
	fixture_prov_config(&c);
	assert_int_equal(gen_pxe_default(&c, &t), 0);
	expect_file("pxe-default.expected", t);
	free(t);
}

static void test_omapi_scripts(void **state)
{
	struct prov_config c;
	struct prov_node n;
	char *t = NULL;

	(void)state;
	fixture_prov_config(&c);
	storage_node(&n);
	assert_int_equal(omapi_script(&c, &n, OMAPI_CREATE, &t), 0);
	expect_file("omapi-create.expected", t);
	free(t);
	assert_int_equal(omapi_script(&c, &n, OMAPI_REMOVE, &t), 0);
	expect_file("omapi-remove.expected", t);
	free(t);
	c.omapi_port = 0;
	assert_int_equal(omapi_script(&c, &n, OMAPI_CREATE, &t), -EINVAL);
	assert_null(t);
}

/* --- malformed input: every generator refuses, nothing is produced ---------- */

enum field { F_NAME, F_KERNEL, F_INITRD, F_XEN, F_CMDLINE, F_XEN_CMDLINE, F_IP, F_MAC, F_IMAGE };

static const struct bad_node {
	enum field field;
	const char *value;
	const char *why;
} bad_nodes[] = {
	{ F_NAME, "", "empty name" },
	{ F_NAME, "st\"1", "quote in name" },
	{ F_NAME, "st1;", "semicolon in name" },
	{ F_NAME, "st 1", "space in name" },
	{ F_NAME, "st1\n}", "newline in name" },
	{ F_NAME, "-st1", "leading hyphen" },
	{ F_NAME, "st1-", "trailing hyphen" },
	{ F_NAME, NULL, "unterminated 64-byte name" },
	{ F_KERNEL, "", "no kernel" },
	{ F_KERNEL, "/etc/shadow", "absolute kernel path" },
	{ F_KERNEL, "../etc/shadow", "dot-dot kernel path" },
	{ F_KERNEL, "images/../../x", "dot-dot inside path" },
	{ F_KERNEL, "images//x", "empty component" },
	{ F_KERNEL, "images/x/", "trailing slash" },
	{ F_KERNEL, "images/vm linuz", "space in path" },
	{ F_KERNEL, "images/\"x", "quote in path" },
	{ F_INITRD, "initrd\nLABEL evil", "newline in initrd" },
	{ F_XEN, "./xen.gz", "dot component" },
	{ F_CMDLINE, "console=ttyS0\nLABEL evil", "newline in cmdline" },
	{ F_CMDLINE, "a --- b", "mboot separator in cmdline" },
	{ F_CMDLINE, "tab\there", "control character in cmdline" },
	{ F_CMDLINE, "caf\xc3\xa9", "non-ASCII cmdline" },
	{ F_XEN_CMDLINE, "x\r", "CR in Xen cmdline" },
	{ F_IP, "10.77.1.10", "address outside the subnet" },
	{ F_IP, "10.77.0.0", "network address" },
	{ F_IP, "10.77.0.255", "broadcast address" },
	{ F_IP, "10.77.0.1", "the config node's address" },
	{ F_IP, "10.77.0.150", "inside the dynamic pool" },
	{ F_MAC, "ff:ff:ff:ff:ff:ff", "broadcast MAC" },
	{ F_MAC, "01:00:5e:00:00:01", "multicast MAC" },
	{ F_MAC, "00:00:00:00:00:00", "zero MAC" },
	{ F_IMAGE, "bad name", "image name with a space" },
};

static void apply_bad(struct prov_node *n, const struct bad_node *b)
{
	switch (b->field) {
	case F_NAME:
		if (b->value)
			snprintf(n->name, sizeof(n->name), "%s", b->value);
		else
			memset(n->name, 'a', sizeof(n->name));
		break;
	case F_KERNEL: snprintf(n->image.kernel, sizeof(n->image.kernel), "%s", b->value); break;
	case F_INITRD: snprintf(n->image.initrd, sizeof(n->image.initrd), "%s", b->value); break;
	case F_XEN: snprintf(n->image.xen, sizeof(n->image.xen), "%s", b->value); break;
	case F_CMDLINE: snprintf(n->image.cmdline, sizeof(n->image.cmdline), "%s", b->value); break;
	case F_XEN_CMDLINE:
		snprintf(n->image.xen_cmdline, sizeof(n->image.xen_cmdline), "%s", b->value);
		break;
	case F_IP: n->ip = fixture_ip(b->value); break;
	case F_MAC: assert_int_equal(mac_parse(b->value, n->mac), 0); break;
	case F_IMAGE: snprintf(n->image.name, sizeof(n->image.name), "%s", b->value); break;
	}
}

static void test_bad_nodes_refused(void **state)
{
	struct prov_config c;

	(void)state;
	fixture_prov_config(&c);
	for (size_t i = 0; i < sizeof(bad_nodes) / sizeof(bad_nodes[0]); i++) {
		struct prov_node n[2];
		char *t = (char *)1;

		storage_node(&n[0]);
		hw_node(&n[1]);
		apply_bad(&n[1], &bad_nodes[i]);
		if (prov_node_validate(&c, &n[1]) != -EINVAL)
			fail_msg("case %zu (%s): node accepted", i, bad_nodes[i].why);
		if (gen_dhcpd_conf(&c, n, 2, false, &t) != -EINVAL || t)
			fail_msg("case %zu (%s): dhcpd.conf generated", i, bad_nodes[i].why);
		t = (char *)1;
		if (gen_pxe_node(&c, &n[1], &t) != -EINVAL || t)
			fail_msg("case %zu (%s): pxelinux file generated", i, bad_nodes[i].why);
	}
}

static void test_hw_needs_xen(void **state)
{
	struct prov_config c;
	struct prov_node n;
	char *t = NULL;

	(void)state;
	fixture_prov_config(&c);
	hw_node(&n);
	n.image.xen[0] = '\0';
	assert_int_equal(gen_pxe_node(&c, &n, &t), -EINVAL);
	assert_null(t);
}

static void test_duplicates_refused(void **state)
{
	static const struct {
		enum field field;
		const char *value;
	} dups[] = {
		{ F_NAME, "st1" },
		/* "ST1" is no duplicate to find: node names are lower case
		 * (validate.h), test_api_and_provisioning_agree refuses it */
		{ F_MAC, "52:54:00:aa:00:01" },
		{ F_IP, "10.77.0.10" },
	};
	struct prov_config c;

	(void)state;
	fixture_prov_config(&c);
	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		struct bad_node b = { dups[i].field, dups[i].value, "" };
		struct prov_node n[2];
		char *t = (char *)1;

		storage_node(&n[0]);
		hw_node(&n[1]);
		apply_bad(&n[1], &b);
		if (gen_dhcpd_conf(&c, n, 2, false, &t) != -EEXIST || t)
			fail_msg("duplicate %zu (%s) accepted", i, dups[i].value);
	}
}

static const char *const bad_configs[] = {
	"non-contiguous netmask", "host bits in subnet", "address outside subnet",
	"address in pool", "pool reversed", "pool outside subnet", "report port 0",
	"relative tftp root", "dhcpd.conf with quote", "include with dot-dot",
	"secret not base64", "empty secret", "key name with brace",
	"unknown algorithm", "hook with quote", "socket relative",
	"uefi loader absolute", "bios loader dot-dot",
	"discovery kernel outside root", "discovery cmdline newline",
	"dhcpd binary relative",
};

static void apply_bad_config(struct prov_config *c, size_t i)
{
	switch (i) {
	case 0: c->netmask = fixture_ip("255.0.255.0"); break;
	case 1: c->subnet = fixture_ip("10.77.0.5"); break;
	case 2: c->address = fixture_ip("10.78.0.1"); break;
	case 3: c->address = fixture_ip("10.77.0.100"); break;
	case 4: c->pool_end = fixture_ip("10.77.0.99"); break;
	case 5: c->pool_end = fixture_ip("10.77.1.5"); break;
	case 6: c->report_port = 0; break;
	case 7: strcpy(c->tftp_root, "srv/tftp"); break;
	case 8: strcpy(c->dhcpd_conf, "/etc/dhcp/x\".conf"); break;
	case 9: strcpy(c->dhcpd_include, "/etc/../x"); break;
	case 10: strcpy(c->omapi_secret, "abc\";}"); break;
	case 11: c->omapi_secret[0] = '\0'; break;
	case 12: strcpy(c->omapi_key_name, "k{"); break;
	case 13: strcpy(c->omapi_algorithm, "ROT13"); break;
	case 14: strcpy(c->dhcp_hook, "/usr/bin/nim\"bus"); break;
	case 15: strcpy(c->admin_socket, "nimbusd.sock"); break;
	case 16: strcpy(c->uefi_loader, "/efi/x.efi"); break;
	case 17: strcpy(c->bios_loader, "../pxelinux.0"); break;
	case 18: strcpy(c->discovery.kernel, "/boot/vmlinuz"); break;
	case 19: strcpy(c->discovery.cmdline, "a\nb"); break;
	case 20: strcpy(c->dhcpd_bin, "dhcpd"); break;
	default: fail_msg("no config case %zu", i);
	}
}

static void test_bad_configs_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		struct prov_config c;
		char *t = (char *)1;

		fixture_prov_config(&c);
		apply_bad_config(&c, i);
		if (prov_config_validate(&c) != -EINVAL)
			fail_msg("config case '%s' accepted", bad_configs[i]);
		if (gen_dhcpd_conf(&c, NULL, 0, false, &t) != -EINVAL || t)
			fail_msg("config case '%s': dhcpd.conf generated", bad_configs[i]);
		t = (char *)1;
		if (gen_pxe_default(&c, &t) != -EINVAL || t)
			fail_msg("config case '%s': default generated", bad_configs[i]);
	}
}

/* --- pxelinux file names ---------------------------------------------------- */

static void test_pxe_names(void **state)
{
	static const struct {
		const char *name;
		int rc;
		const char *mac;
	} cases[] = {
		{ "01-52-54-00-aa-00-01", 0, "52:54:00:aa:00:01" },
		{ "01-00-00-00-00-00-ff", 0, "00:00:00:00:00:ff" },
		{ "default", -EINVAL, NULL },
		{ "01-52-54-00-AA-00-01", -EINVAL, NULL }, /* pxelinux asks lower case */
		{ "01-52-54-00-aa-00-0", -EINVAL, NULL },
		{ "01-52-54-00-aa-00-011", -EINVAL, NULL },
		{ "02-52-54-00-aa-00-01", -EINVAL, NULL },
		{ ".01-52-54-00-aa-00-01.tmp", -EINVAL, NULL },
		{ "01:52:54:00:aa:00:01", -EINVAL, NULL },
		{ "", -EINVAL, NULL },
		{ "0A4D000A", -EINVAL, NULL }, /* pxelinux's by-address names */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t mac[MAC_LEN], want[MAC_LEN];
		char back[PROV_PXE_NAME_LEN];

		if (provision_pxe_name_parse(cases[i].name, mac) != cases[i].rc)
			fail_msg("'%s': wrong result", cases[i].name);
		if (cases[i].rc)
			continue;
		assert_int_equal(mac_parse(cases[i].mac, want), 0);
		assert_memory_equal(mac, want, MAC_LEN);
		provision_pxe_name(mac, back);
		assert_string_equal(back, cases[i].name);
	}
}

/* --- omshell answers (captured from omshell 4.4.3 against dhcpd 4.4.3) ------ */

static void test_omapi_answers(void **state)
{
	static const struct {
		const char *out;
		int rc;
	} cases[] = {
		{ "> > > > obj: <null>\n> obj: host\n> obj: host\nname = \"st9\"\n"
		  "> obj: host\nname = \"st9\"\nhardware-address = 52:54:00:aa:00:09\n"
		  "hardware-type = 00:00:00:01\nip-address = 0a:4d:00:13\n> ", 0 },
		{ "> > > > obj: <null>\n> obj: host\n> obj: host\nname = \"st9\"\n"
		  "> can't open object: already exists\nobj: host\nname = \"st9\"\n> ", -EEXIST },
		{ "> > > > obj: <null>\n> obj: host\n> can't open object: key conflict\n"
		  "obj: host\n> ", -EEXIST },
		{ "> > > > obj: <null>\n> obj: host\n> obj: host\nname = \"nosuch\"\n"
		  "> can't open object: not found\nobj: host\nname = \"nosuch\"\n"
		  "> can't destroy object: not found\nobj: host\n> ", -ENOENT },
		{ "> > > > obj: <null>\n> obj: host\n> obj: host\nname = \"st9\"\n"
		  "> can't open object: connection reset by peer\nobj: host\n> ", -EACCES },
		{ "> > > > > > dhcpctl_connect: no more\n", -ECONNREFUSED },
		{ "> > > > obj: <null>\n> obj: host\n> can't open object: something new\n", -EIO },
		{ "", -EIO },
		{ "> > > ", -EIO },
		{ "garbage\nmore garbage", -EIO },
		{ "> can't ", -EIO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		size_t why_len = 0;
		int rc = omapi_parse_output(cases[i].out, &why, &why_len);

		if (rc != cases[i].rc)
			fail_msg("answer %zu: got %d, want %d", i, rc, cases[i].rc);
		if (rc && rc != -EIO && !why)
			fail_msg("answer %zu: no reason given", i);
	}
}

/* One rule set: every name the API's validators take (validate.h) is one
 * provisioning takes when it writes the files, and every name they refuse
 * provisioning refuses too. Once `debian-12.1_hw` was stored by the API
 * and then refused by provisioning, failing every later write. */
static void test_api_and_provisioning_agree(void **state)
{
	static const char *const image_names[] = {
		"debian-12.1_hw", "st1", "1x", "a.b_c-d", "St1", ".x", "-x", "a/b", "a b", "a\"b",
	};
	static const char *const node_names[] = {
		"web1", "a", "storage-01", "Web1", "web_1", "web.1", "-web", "web-", "web;1",
	};
	static const char *const paths[] = {
		"images/st1/vmlinuz", "a+b/C_d.gz", "-x", "a/../b", "/abs", "a//b", "a/", "a\"b",
	};
	static const char *const cmdlines[] = {
		"console=ttyS0", "", "root=\"/dev/x\"", "a;b", "x --- y", "a -- b", "a$b",
	};
	struct prov_config cfg;
	struct prov_node n;

	(void)state;
	fixture_prov_config(&cfg);
	for (size_t i = 0; i < sizeof(image_names) / sizeof(image_names[0]); i++) {
		storage_node(&n);
		snprintf(n.image.name, sizeof(n.image.name), "%s", image_names[i]);
		if ((validate_image_name(image_names[i]) == 0) != (prov_node_validate(&cfg, &n) == 0))
			fail_msg("image name '%s': the API and provisioning disagree", image_names[i]);
	}
	for (size_t i = 0; i < sizeof(node_names) / sizeof(node_names[0]); i++) {
		storage_node(&n);
		snprintf(n.name, sizeof(n.name), "%s", node_names[i]);
		if ((validate_node_name(node_names[i]) == 0) != (prov_node_validate(&cfg, &n) == 0))
			fail_msg("node name '%s': the API and provisioning disagree", node_names[i]);
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		storage_node(&n);
		snprintf(n.image.kernel, sizeof(n.image.kernel), "%s", paths[i]);
		if ((validate_tftp_path(paths[i]) == 0) != (prov_node_validate(&cfg, &n) == 0))
			fail_msg("kernel path '%s': the API and provisioning disagree", paths[i]);
	}
	for (size_t i = 0; i < sizeof(cmdlines) / sizeof(cmdlines[0]); i++) {
		storage_node(&n);
		snprintf(n.image.cmdline, sizeof(n.image.cmdline), "%s", cmdlines[i]);
		if ((validate_cmdline(cmdlines[i]) == 0) != (prov_node_validate(&cfg, &n) == 0))
			fail_msg("command line '%s': the API and provisioning disagree", cmdlines[i]);
	}
	/* and the one that started it is good for both */
	storage_node(&n);
	strcpy(n.image.name, "debian-12.1_hw");
	assert_int_equal(prov_node_validate(&cfg, &n), 0);
}

/* --- installing: provision_write_files with the real `dhcpd -t` ------------ */

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int setup_dir(void **state)
{
	char path[128];

	(void)state;
	strcpy(tmpdir, "/tmp/nimbus-test-gen.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/tftp", tmpdir);
	return mkdir(path, 0755);
}

static int teardown_dir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void dir_config(struct prov_config *c)
{
	fixture_prov_config(c);
	snprintf(c->tftp_root, sizeof(c->tftp_root), "%s/tftp", tmpdir);
	snprintf(c->dhcpd_conf, sizeof(c->dhcpd_conf), "%s/dhcpd.conf", tmpdir);
	snprintf(c->dhcpd_include, sizeof(c->dhcpd_include), "%s/site.conf", tmpdir);
	snprintf(c->discovery.kernel, sizeof(c->discovery.kernel), "%s/tftp/d/vmlinuz",
		 tmpdir);
}

static char *pathf(const char *fmt, const char *arg)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/", tmpdir);
	snprintf(buf[i] + strlen(buf[i]), sizeof(buf[i]) - strlen(buf[i]), fmt, arg);
	return buf[i];
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count_tmp(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp") != NULL;
	closedir(d);
	return n;
}

static void test_write_files(void **state)
{
	const char *f1 = "tftp/pxelinux.cfg/01-52-54-00-aa-00-01";
	const char *f2 = "tftp/pxelinux.cfg/01-52-54-00-aa-00-02";
	struct prov_config c;
	struct prov_node n[2];
	struct stat st1, st1b;
	char *want, *got, *before;

	(void)state;
	dir_config(&c);
	storage_node(&n[0]);
	hw_node(&n[1]);
	write_text(pathf("%s", "site.conf"), "# site\n");

	/* everything installed; the UEFI loader is not: not offered */
	assert_int_equal(provision_write_files(&c, n, 2), 0);
	assert_int_equal(gen_dhcpd_conf(&c, n, 2, false, &want), 0);
	got = read_file(c.dhcpd_conf);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
	free(got);
	assert_true(exists(pathf("%s", f1)) && exists(pathf("%s", f2)));
	assert_true(exists(pathf("%s", "tftp/pxelinux.cfg/default")));
	assert_int_equal(gen_pxe_node(&c, &n[1], &want), 0);
	got = read_file(pathf("%s", f2));
	assert_string_equal(got, want);
	free(want);
	free(got);
	assert_int_equal(count_tmp(), 0);

	/* unchanged files are not rewritten (no inotify noise for nimbusd) */
	assert_int_equal(stat(pathf("%s", f1), &st1), 0);
	assert_int_equal(provision_write_files(&c, n, 2), 0);
	assert_int_equal(stat(pathf("%s", f1), &st1b), 0);
	assert_int_equal(st1.st_ino, st1b.st_ino);

	/* the UEFI loader once it is installed */
	assert_int_equal(mkdir(pathf("%s", "tftp/efi64"), 0755), 0);
	write_text(pathf("%s", "tftp/efi64/syslinux.efi"), "x");
	assert_int_equal(provision_write_files(&c, n, 2), 0);
	got = read_file(c.dhcpd_conf);
	assert_non_null(strstr(got, "filename \"efi64/syslinux.efi\""));
	free(got);

	/* stale node files and temporary files go; other files stay */
	write_text(pathf("%s", "tftp/pxelinux.cfg/01-52-54-00-aa-00-99"), "old");
	write_text(pathf("%s", "tftp/pxelinux.cfg/.01-52-54-00-aa-00-01.tmp"), "half");
	write_text(pathf("%s", "tftp/pxelinux.cfg/README"), "mine");
	assert_int_equal(provision_write_files(&c, n, 1), 0);
	assert_true(exists(pathf("%s", f1)));
	assert_false(exists(pathf("%s", f2)));
	assert_false(exists(pathf("%s", "tftp/pxelinux.cfg/01-52-54-00-aa-00-99")));
	assert_false(exists(pathf("%s", "tftp/pxelinux.cfg/.01-52-54-00-aa-00-01.tmp")));
	assert_true(exists(pathf("%s", "tftp/pxelinux.cfg/README")));

	/* dhcpd -t refuses the file (broken include): nothing is installed */
	before = read_file(c.dhcpd_conf);
	write_text(pathf("%s", "site.conf"), "this is not dhcpd syntax\n");
	assert_int_equal(provision_write_files(&c, n, 2), -EINVAL);
	got = read_file(c.dhcpd_conf);
	assert_string_equal(got, before);
	free(got);
	free(before);
	assert_false(exists(pathf("%s", f2)));
	assert_int_equal(count_tmp(), 0);

	/* an invalid node: refused before anything is generated */
	write_text(pathf("%s", "site.conf"), "");
	strcpy(n[1].name, "hw1\"; }");
	assert_int_equal(provision_write_files(&c, n, 2), -EINVAL);
	assert_false(exists(pathf("%s", f2)));
}

/* --- DRBD resources (gen_drbd.c) ----------------------------------------- */

static void drbd_res(struct gen_drbd_res *r)
{
	gen_drbd_defaults(r);
	strcpy(r->name, "vol1");
	r->minor = 3;
	r->port = 7792;
	strcpy(r->host[0].name, "sn1");
	r->host[0].addr = 0x0a4e0001;
	strcpy(r->host[1].name, "sn2");
	r->host[1].addr = 0x0a4e0002;
}

static void test_drbd_resource(void **state)
{
	static const char *const bad[] = {
		"upper-case name", "name with a brace", "empty host", "same host twice",
		"same address twice", "no address", "port 0", "rate with a blank",
		"relative handler", "handler with a quote",
	};
	struct gen_drbd_res r;
	char *t;

	(void)state;
	drbd_res(&r);
	assert_int_equal(gen_drbd_resource(&r, &t), 0);
	expect_file("drbd-vol1.res.expected", t);
	free(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		drbd_res(&r);
		switch (i) {
		case 0: strcpy(r.name, "Vol1"); break;
		case 1: strcpy(r.name, "v{1"); break;
		case 2: r.host[1].name[0] = '\0'; break;
		case 3: strcpy(r.host[1].name, "sn1"); break;
		case 4: r.host[1].addr = r.host[0].addr; break;
		case 5: r.host[0].addr = 0; break;
		case 6: r.port = 0; break;
		case 7: strcpy(r.resync_rate, "1 M"); break;
		case 8: strcpy(r.fence_peer, "fence-peer"); break;
		case 9: strcpy(r.after_resync_target, "/x\"y"); break;
		}
		t = (char *)1;
		if (gen_drbd_resource(&r, &t) != -EINVAL || t != NULL)
			fail_msg("%s: accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_and_provisioning_agree),
		cmocka_unit_test(test_dhcpd_conf_full),
		cmocka_unit_test(test_dhcpd_conf_minimal),
		cmocka_unit_test(test_pxe_storage),
		cmocka_unit_test(test_pxe_hw),
		cmocka_unit_test(test_pxe_default),
		cmocka_unit_test(test_omapi_scripts),
		cmocka_unit_test(test_bad_nodes_refused),
		cmocka_unit_test(test_hw_needs_xen),
		cmocka_unit_test(test_duplicates_refused),
		cmocka_unit_test(test_bad_configs_refused),
		cmocka_unit_test(test_pxe_names),
		cmocka_unit_test(test_omapi_answers),
		cmocka_unit_test_setup_teardown(test_write_files, setup_dir, teardown_dir),
		cmocka_unit_test(test_drbd_resource),
	};

	log_init("test_gen", LOG_LVL_ERR, 0);
	find_data_dir();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
