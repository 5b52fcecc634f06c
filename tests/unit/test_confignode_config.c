/* confignode/config.c: nimbusd's configuration parser, from text (no I/O):
 * a full good file, then one bad line at a time; every error names the
 * line and the bad value. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../confignode/config.h"

static const char good[] =
	"# nimbusd\n"
	"subnet 10.77.0.0/24\n"
	"address 10.77.0.1     # next-server\n"
	"pool 10.77.0.10 10.77.0.99\n"
	"\tdynamic-range 10.77.0.100 10.77.0.199\n"
	"listen-report 10.77.0.1:8081\n"
	"socket /run/nimbus/test.sock\n"
	"socket-mode 0600\n"
	"database /var/lib/nimbus/test.db\n"
	"tftp-root /srv/tftp\n"
	"dhcpd-conf /etc/dhcp/dhcpd.conf\n"
	"dhcpd /usr/sbin/dhcpd\n"
	"omapi-port 7911\n"
	"omapi-key omapi_key HMAC-MD5 c2VjcmV0IGtleQ==\n"
	"dhcp-hook /usr/local/bin/nimbus\n"
	"discovery-kernel nimbus/discovery/vmlinuz\n"
	"discovery-initrd /srv/tftp/nimbus/discovery/initrd.gz\n"
	"discovery-cmdline console=ttyS0  quiet   \n"
	"lost-after 90\n"
	"\n";

static void test_good(void **state)
{
	struct nimbusd_config c;
	char err[256] = "";
	char a[16];

	(void)state;
	config_defaults(&c);
	if (config_parse(good, &c, err, sizeof(err)) != 0)
		fail_msg("good config refused: %s", err);
	assert_int_equal(c.prefix, 24);
	ipv4_format(c.prov.subnet, a);
	assert_string_equal(a, "10.77.0.0");
	ipv4_format(c.prov.netmask, a);
	assert_string_equal(a, "255.255.255.0");
	ipv4_format(c.prov.address, a);
	assert_string_equal(a, "10.77.0.1");
	ipv4_format(c.prov.pool_start, a);
	assert_string_equal(a, "10.77.0.100");
	ipv4_format(c.prov.pool_end, a);
	assert_string_equal(a, "10.77.0.199");
	assert_int_equal(c.node_pool_start, 0x0a4d000a);
	assert_int_equal(c.node_pool_end, 0x0a4d0063);
	assert_int_equal(c.prov.report_port, 8081);
	assert_string_equal(c.socket, "/run/nimbus/test.sock");
	assert_string_equal(c.prov.admin_socket, "/run/nimbus/test.sock");
	assert_int_equal(c.socket_mode, 0600);
	assert_string_equal(c.database, "/var/lib/nimbus/test.db");
	assert_string_equal(c.prov.tftp_root, "/srv/tftp");
	assert_int_equal(c.prov.omapi_port, 7911);
	assert_string_equal(c.prov.omapi_key_name, "omapi_key");
	assert_string_equal(c.prov.omapi_algorithm, "HMAC-MD5");
	assert_string_equal(c.prov.omapi_secret, "c2VjcmV0IGtleQ==");
	assert_string_equal(c.prov.dhcp_hook, "/usr/local/bin/nimbus");
	assert_string_equal(c.prov.discovery.kernel, "nimbus/discovery/vmlinuz");
	assert_string_equal(c.prov.discovery.initrd, "/srv/tftp/nimbus/discovery/initrd.gz");
	/* inner spaces kept, trailing ones trimmed */
	assert_string_equal(c.prov.discovery.cmdline, "console=ttyS0  quiet");
	assert_int_equal(c.lost_after, 90);
	assert_string_equal(c.prov.bios_loader, "pxelinux.0");
}

static void test_defaults(void **state)
{
	struct nimbusd_config c;
	char err[256] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse("subnet 10.9.0.0/16\naddress 10.9.0.1\n"
				      "pool 10.9.1.1 10.9.1.250\n"
				      "dynamic-range 10.9.2.1 10.9.2.250\nomapi-port 0\n",
				      &c, err, sizeof(err)), 0);
	assert_int_equal(c.prov.report_port, 8080);
	/* listen-report defaults to the config node's address */
	assert_int_equal(c.report_ip, c.prov.address);
	assert_string_equal(c.socket, "/run/nimbus/nimbusd.sock");
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.lost_after, 120);
	assert_string_equal(c.prov.dhcpd_bin, "/usr/sbin/dhcpd");
	assert_int_equal(c.repl_net, 0x0a4e0000);
	assert_int_equal(c.repl_prefix, 24);
	assert_int_equal(c.shelf_min, 10);
	assert_int_equal(c.shelf_max, 99);
	assert_int_equal(c.drbd_port_base, 7789);
}

struct bad_case {
	const char *find;     /* line of good to replace ... */
	const char *replace;  /* ... with this ("" deletes it) */
	const char *message;  /* expected in the error */
};

static const struct bad_case bad[] = {
	{ "lost-after 90\n", "frobnicate 1\n", "line 19: unknown key 'frobnicate'" },
	{ "subnet 10.77.0.0/24\n", "subnet 10.77.0.1/24\n", "'10.77.0.1/24'" },
	{ "subnet 10.77.0.0/24\n", "subnet 10.77.0.0/31\n", "'10.77.0.0/31'" },
	{ "subnet 10.77.0.0/24\n", "subnet 10.77.0.0/24 extra\n", "'subnet' takes 1 value, got 2" },
	{ "subnet 10.77.0.0/24\n", "", "missing required key 'subnet'" },
	{ "address 10.77.0.1     # next-server\n", "address 10.77.0.300\n", "'10.77.0.300'" },
	{ "address 10.77.0.1     # next-server\n", "address 10.78.0.1\n",
	  "address 10.78.0.1 is not inside subnet" },
	{ "address 10.77.0.1     # next-server\n", "address 10.77.0.50\n",
	  "address 10.77.0.50 is inside pool" },
	{ "pool 10.77.0.10 10.77.0.99\n", "pool 10.77.0.99 10.77.0.10\n",
	  "start 10.77.0.99 is after end 10.77.0.10" },
	{ "pool 10.77.0.10 10.77.0.99\n", "pool 10.77.0.10 10.78.0.99\n", "not inside subnet" },
	{ "pool 10.77.0.10 10.77.0.99\n", "pool 10.77.0.10\n", "'pool' takes 2 values, got 1" },
	{ "pool 10.77.0.10 10.77.0.99\n", "", "missing required key 'pool'" },
	{ "\tdynamic-range 10.77.0.100 10.77.0.199\n", "dynamic-range 10.77.0.90 10.77.0.199\n",
	  "overlaps pool" },
	{ "listen-report 10.77.0.1:8081\n", "listen-report 10.77.0.1\n", "'10.77.0.1'" },
	{ "listen-report 10.77.0.1:8081\n", "listen-report 10.77.0.1:70000\n", "'10.77.0.1:70000'" },
	{ "socket /run/nimbus/test.sock\n", "socket run/x.sock\n", "'run/x.sock'" },
	{ "socket-mode 0600\n", "socket-mode 0999\n", "'0999'" },
	{ "database /var/lib/nimbus/test.db\n", "database /var/lib/../x.db\n", "'/var/lib/../x.db'" },
	{ "tftp-root /srv/tftp\n", "tftp-root /srv/tftp;rm\n", "'/srv/tftp;rm'" },
	{ "omapi-port 7911\n", "omapi-port seven\n", "'seven'" },
	{ "omapi-key omapi_key HMAC-MD5 c2VjcmV0IGtleQ==\n", "omapi-key k HMAC-MD4 abc=\n",
	  "'HMAC-MD4'" },
	{ "omapi-key omapi_key HMAC-MD5 c2VjcmV0IGtleQ==\n", "omapi-key k HMAC-MD5 a\"b\n",
	  "not base64" },
	{ "omapi-key omapi_key HMAC-MD5 c2VjcmV0IGtleQ==\n", "", "needs an omapi-key" },
	{ "discovery-kernel nimbus/discovery/vmlinuz\n", "discovery-kernel ../vmlinuz\n",
	  "'../vmlinuz'" },
	{ "discovery-cmdline console=ttyS0  quiet   \n", "discovery-cmdline a\"; b\n", "'a\"; b'" },
	{ "discovery-cmdline console=ttyS0  quiet   \n", "discovery-cmdline a --- b\n", "'a --- b'" },
	{ "lost-after 90\n", "lost-after 0\n", "'0'" },
	{ "lost-after 90\n", "lost-after -5\n", "'-5'" },
	{ "lost-after 90\n", "lost-after 5\x01\n", "control character" },
	{ "lost-after 90\n", "admin-group Wheel\n", "admin-group: bad name 'Wheel'" },
	{ "lost-after 90\n", "admin-group 99999999999\n", "admin-group: bad name '99999999999'" },
	{ "lost-after 90\n", "admin-user a;b\n", "admin-user: bad name 'a;b'" },
	{ "lost-after 90\n", "admin-user a b\n", "'admin-user' takes 1 value, got 2" },
	{ "lost-after 90\n", "tftpd-pidfile run/tftpd.pid\n", "'run/tftpd.pid'" },
	{ "lost-after 90\n", "replication-network 10.78.0.1/24\n",
	  "replication-network: bad network '10.78.0.1/24'" },
	{ "lost-after 90\n", "replication-network 10.77.0.0/16\n",
	  "replication-network overlaps subnet" },
	{ "lost-after 90\n", "volume-shelves 20-10\n", "volume-shelves: bad range '20-10'" },
	{ "lost-after 90\n", "volume-shelves 10\n", "volume-shelves: bad range '10'" },
	{ "lost-after 90\n", "volume-shelves 1-65535\n", "volume-shelves: bad range '1-65535'" },
	{ "lost-after 90\n", "drbd-port-base 80\n", "drbd-port-base: bad port '80'" },
	{ "lost-after 90\n", "aoe-interface a/b\n", "aoe-interface: bad interface name 'a/b'" },
	{ "lost-after 90\n", "aoe-interface abcdefghijklmnop\n",
	  "bad interface name 'abcdefghijklmnop' (1..15 characters" },
	{ "lost-after 90\n", "aoe-bench bin/aoe-bench\n", "'bin/aoe-bench'" },
};

/* What SIGHUP may change: one key at a time, each reported as changed at
 * run time or as needing a restart; config_keep_startup keeps the latter. */
static void test_diff(void **state)
{
	static const struct {
		const char *find, *replace;
		const char *changed, *restart;
	} t[] = {
		{ "lost-after 90\n", "lost-after 91\n", "lost-after", "" },
		{ "lost-after 90\n", "lost-after 90\nadmin-group wheel\n", "admin-group", "" },
		{ "lost-after 90\n", "lost-after 90\nadmin-user 1000\n", "admin-user", "" },
		{ "lost-after 90\n", "lost-after 90\ntftpd-pidfile /run/tftpd.pid\n", "tftpd-pidfile", "" },
		{ "socket-mode 0600\n", "socket-mode 0660\n", "socket-mode", "" },
		{ "tftp-root /srv/tftp\n", "tftp-root /srv/tftp2\n", "tftp-root", "" },
		{ "pool 10.77.0.10 10.77.0.99\n", "pool 10.77.0.10 10.77.0.98\n", "pool", "" },
		{ "omapi-key omapi_key HMAC-MD5 c2VjcmV0IGtleQ==\n",
		  "omapi-key omapi_key HMAC-MD5 b3RoZXI=\n", "omapi-key", "" },
		{ "discovery-cmdline console=ttyS0  quiet   \n", "discovery-cmdline quiet\n",
		  "discovery-cmdline", "" },
		{ "socket /run/nimbus/test.sock\n", "socket /run/nimbus/other.sock\n", "", "socket" },
		{ "database /var/lib/nimbus/test.db\n", "database /var/lib/nimbus/x.db\n", "",
		  "database" },
		{ "listen-report 10.77.0.1:8081\n", "listen-report 10.77.0.1:8082\n", "",
		  "listen-report" },
		{ "subnet 10.77.0.0/24\naddress 10.77.0.1     # next-server\n",
		  "subnet 10.77.0.0/16\naddress 10.77.0.2\n", "subnet address", "" },
		{ "lost-after 90\n", "lost-after 90\nvolume-shelves 5-6\n", "volume-shelves", "" },
		{ "lost-after 90\n", "lost-after 90\nreplication-network 10.79.0.0/24\n",
		  "replication-network", "" },
		{ "lost-after 90\n", "lost-after 90\ndrbd-port-base 7000\n", "drbd-port-base", "" },
		{ "lost-after 90\n", "lost-after 90\naoe-interface eth1\n", "aoe-interface", "" },
		{ "lost-after 90\n", "lost-after 90\n", "", "" },
	};
	struct nimbusd_config cur, next;
	char err[256];

	(void)state;
	config_defaults(&cur);
	assert_int_equal(config_parse(good, &cur, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char text[2048], changed[256], restart[64];
		const char *at = strstr(good, t[i].find);
		int n;

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, t[i].replace,
			 at + strlen(t[i].find));
		config_defaults(&next);
		if (config_parse(text, &next, err, sizeof(err)) < 0)
			fail_msg("case %zu: %s", i, err);
		n = config_diff(&cur, &next, changed, sizeof(changed), restart, sizeof(restart));
		if (strcmp(changed, t[i].changed) || strcmp(restart, t[i].restart))
			fail_msg("case %zu: changed '%s' restart '%s', want '%s' '%s'", i, changed,
				 restart, t[i].changed, t[i].restart);
		assert_int_equal(n, (changed[0] ? 1 : 0) + (restart[0] ? 1 : 0) +
				    (strchr(changed, ' ') ? 1 : 0));
		/* after keeping the start-up settings nothing needs a restart */
		config_keep_startup(&next, &cur);
		config_diff(&cur, &next, changed, sizeof(changed), restart, sizeof(restart));
		assert_string_equal(restart, "");
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[2048], err[256] = "";
		const char *at = strstr(good, bad[i].find);
		struct nimbusd_config c;
		int rc;

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, bad[i].replace,
			 at + strlen(bad[i].find));
		config_defaults(&c);
		rc = config_parse(text, &c, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("bad case %zu (%s): rc %d", i, bad[i].replace, rc);
		if (!strstr(err, bad[i].message))
			fail_msg("bad case %zu: error '%s' lacks '%s'", i, err, bad[i].message);
	}
}

static void test_long_line(void **state)
{
	char text[4000], err[256];
	struct nimbusd_config c;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	config_defaults(&c);
	assert_int_equal(config_parse(text, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1: line longer than"));
}

static void test_load_missing(void **state)
{
	struct nimbusd_config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/nimbusd.conf", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/nimbusd.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
