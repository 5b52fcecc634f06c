#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "validate.h"

#define MAX_ARGS 4

void config_defaults(struct nimbusd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->prov.report_port = 8080;
	cfg->prov.omapi_port = 7911;
	snprintf(cfg->socket, sizeof(cfg->socket), "/run/nimbus/nimbusd.sock");
	cfg->socket_mode = 0660;
	snprintf(cfg->database, sizeof(cfg->database), "/var/lib/nimbus/nimbus.db");
	snprintf(cfg->prov.tftp_root, sizeof(cfg->prov.tftp_root), "/srv/tftp");
	snprintf(cfg->prov.dhcpd_conf, sizeof(cfg->prov.dhcpd_conf),
		 "/etc/dhcp/dhcpd.conf");
	snprintf(cfg->prov.dhcpd_bin, sizeof(cfg->prov.dhcpd_bin), "/usr/sbin/dhcpd");
	snprintf(cfg->prov.bios_loader, sizeof(cfg->prov.bios_loader), "pxelinux.0");
	cfg->lost_after = 120;
	cfg->repl_net = 0x0a4e0000;  /* replication-network 10.78.0.0/24 */
	cfg->repl_prefix = 24;
	cfg->shelf_min = 10;         /* volume-shelves 10-99 */
	cfg->shelf_max = 99;
	cfg->drbd_port_base = 7789;  /* DRBD's customary first port */
	snprintf(cfg->aoe_bench, sizeof(cfg->aoe_bench), "/usr/local/bin/aoe-bench");
}

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (line)
		n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Copies an absolute path after checking it. */
static int set_abs_path(char *dst, size_t dstlen, const char *v)
{
	if (validate_abs_path(v) < 0 || strlen(v) >= dstlen)
		return -EINVAL;
	snprintf(dst, dstlen, "%s", v);
	return 0;
}

/* TFTP-root-relative path, or an absolute one (provisioning's
 * prov_tftp_relative() makes it relative). */
static int set_boot_path(char *dst, size_t dstlen, const char *v)
{
	if (v[0] == '/')
		return set_abs_path(dst, dstlen, v);
	if (validate_tftp_path(v) < 0 || strlen(v) >= dstlen)
		return -EINVAL;
	snprintf(dst, dstlen, "%s", v);
	return 0;
}

enum key_kind { K_IP, K_PATH, K_BOOT_PATH, K_OTHER };

struct seen {
	int subnet, address, pool, range;
};

/* One "key args..." line; rest is the text after the key (for command
 * lines, which keep their spaces). */
static int parse_line(struct nimbusd_config *cfg, struct seen *seen,
		      unsigned line, char **argv, int argc, const char *rest,
		      char *err, size_t errlen)
{
	const char *k = argv[0];
	struct prov_config *p = &cfg->prov;
	unsigned long v;
	uint32_t a, b;

#define NEED(n) do { if (argc != (n) + 1) return fail(err, errlen, line, \
	"'%s' takes %d value%s, got %d", k, (n), (n) == 1 ? "" : "s", argc - 1); } while (0)
#define PATHKEY(name, dst, setter) if (strcmp(k, name) == 0) { NEED(1); \
	if (setter(dst, sizeof(dst), argv[1]) < 0) return fail(err, errlen, line, \
	"%s: bad path '%s' (allowed: A-Z a-z 0-9 . _ + / -, no '..')", k, argv[1]); \
	return 0; }

	if (strcmp(k, "subnet") == 0) {
		NEED(1);
		if (cidr_parse(argv[1], &a, &cfg->prefix) < 0 || cfg->prefix < 8 ||
		    cfg->prefix > 30)
			return fail(err, errlen, line,
				    "subnet: bad network '%s' (want A.B.C.D/8..30 with no host bits)",
				    argv[1]);
		p->subnet = a;
		p->netmask = prefix_mask(cfg->prefix);
		seen->subnet = 1;
		return 0;
	}
	if (strcmp(k, "address") == 0) {
		NEED(1);
		if (ipv4_parse(argv[1], &p->address) < 0)
			return fail(err, errlen, line, "address: bad IPv4 address '%s'", argv[1]);
		seen->address = 1;
		return 0;
	}
	if (strcmp(k, "pool") == 0 || strcmp(k, "dynamic-range") == 0) {
		NEED(2);
		for (int i = 1; i <= 2; i++)
			if (ipv4_parse(argv[i], i == 1 ? &a : &b) < 0)
				return fail(err, errlen, line, "%s: bad IPv4 address '%s'",
					    k, argv[i]);
		if (a > b)
			return fail(err, errlen, line, "%s: start %s is after end %s",
				    k, argv[1], argv[2]);
		if (k[0] == 'p') {
			cfg->node_pool_start = a;
			cfg->node_pool_end = b;
			seen->pool = line;
		} else {
			p->pool_start = a;
			p->pool_end = b;
			seen->range = line;
		}
		return 0;
	}
	if (strcmp(k, "listen-report") == 0) {
		char host[32];
		const char *colon;

		NEED(1);
		colon = strrchr(argv[1], ':');
		if (!colon || (size_t)(colon - argv[1]) >= sizeof(host))
			return fail(err, errlen, line, "listen-report: bad address '%s' (want IP:PORT)",
				    argv[1]);
		memcpy(host, argv[1], (size_t)(colon - argv[1]));
		host[colon - argv[1]] = '\0';
		if (ipv4_parse(host, &cfg->report_ip) < 0 ||
		    parse_ulong(colon + 1, 65535, &v) < 0 || v == 0)
			return fail(err, errlen, line, "listen-report: bad address '%s' (want IP:PORT)",
				    argv[1]);
		p->report_port = (uint16_t)v;
		return 0;
	}
	PATHKEY("socket", cfg->socket, set_abs_path)
	PATHKEY("database", cfg->database, set_abs_path)
	PATHKEY("tftp-root", p->tftp_root, set_abs_path)
	PATHKEY("dhcpd-conf", p->dhcpd_conf, set_abs_path)
	PATHKEY("dhcpd", p->dhcpd_bin, set_abs_path)
	PATHKEY("dhcpd-include", p->dhcpd_include, set_abs_path)
	PATHKEY("dhcp-hook", p->dhcp_hook, set_abs_path)
	PATHKEY("tftpd-pidfile", cfg->tftpd_pidfile, set_abs_path)
	PATHKEY("aoe-bench", cfg->aoe_bench, set_abs_path)
	PATHKEY("ca-dir", cfg->ca_dir, set_abs_path)
	if (strcmp(k, "admin-user") == 0 || strcmp(k, "admin-group") == 0) {
		NEED(1);
		if (validate_account_name(argv[1]) < 0)
			return fail(err, errlen, line,
				    "%s: bad name '%s' (a number, or a-z 0-9 _ . - starting with a letter or _)",
				    k, argv[1]);
		snprintf(k[6] == 'u' ? cfg->admin_user : cfg->admin_group, ADMIN_NAME_MAX, "%s",
			 argv[1]);
		return 0;
	}
	PATHKEY("bios-loader", p->bios_loader, set_boot_path)
	PATHKEY("uefi-loader", p->uefi_loader, set_boot_path)
	PATHKEY("discovery-kernel", p->discovery.kernel, set_boot_path)
	PATHKEY("discovery-initrd", p->discovery.initrd, set_boot_path)
	if (strcmp(k, "discovery-cmdline") == 0) {
		if (validate_cmdline(rest) < 0 || strlen(rest) >= sizeof(p->discovery.cmdline))
			return fail(err, errlen, line,
				    "discovery-cmdline: bad command line '%s' (printable, no quotes ; { } # $ ` \\, at most %d bytes)",
				    rest, CMDLINE_MAX_LEN);
		memcpy(p->discovery.cmdline, rest, strlen(rest) + 1);
		return 0;
	}
	if (strcmp(k, "socket-mode") == 0) {
		char *end;

		NEED(1);
		errno = 0;
		v = strtoul(argv[1], &end, 8);
		if (errno || *end || !argv[1][0] || v > 0777)
			return fail(err, errlen, line, "socket-mode: bad octal mode '%s'", argv[1]);
		cfg->socket_mode = (mode_t)v;
		return 0;
	}
	if (strcmp(k, "omapi-port") == 0) {
		NEED(1);
		if (parse_ulong(argv[1], 65535, &v) < 0)
			return fail(err, errlen, line, "omapi-port: bad port '%s' (0 disables OMAPI)",
				    argv[1]);
		p->omapi_port = (uint16_t)v;
		return 0;
	}
	if (strcmp(k, "omapi-key") == 0) {
		NEED(3);
		if (validate_omapi_key_name(argv[1]) < 0 || strlen(argv[1]) >= sizeof(p->omapi_key_name))
			return fail(err, errlen, line,
				    "omapi-key: bad key name '%s' (a letter, then letters, digits, _ . -)",
				    argv[1]);
		if (validate_omapi_algorithm(argv[2]) < 0)
			return fail(err, errlen, line,
				    "omapi-key: unsupported algorithm '%s' (dhcpd's OMAPI takes HMAC-MD5)",
				    argv[2]);
		if (validate_omapi_secret(argv[3]) < 0 || strlen(argv[3]) >= sizeof(p->omapi_secret))
			return fail(err, errlen, line, "omapi-key: secret is not base64 (at most %zu characters)",
				    sizeof(p->omapi_secret) - 1);
		snprintf(p->omapi_key_name, sizeof(p->omapi_key_name), "%s", argv[1]);
		snprintf(p->omapi_algorithm, sizeof(p->omapi_algorithm), "%s", argv[2]);
		snprintf(p->omapi_secret, sizeof(p->omapi_secret), "%s", argv[3]);
		return 0;
	}
	if (strcmp(k, "lost-after") == 0) {
		NEED(1);
		if (parse_ulong(argv[1], 86400 * 30, &v) < 0 || v < 1)
			return fail(err, errlen, line,
				    "lost-after: bad number of seconds '%s' (1..2592000)", argv[1]);
		cfg->lost_after = (unsigned)v;
		return 0;
	}
	if (strcmp(k, "replication-network") == 0) {
		NEED(1);
		if (cidr_parse(argv[1], &cfg->repl_net, &cfg->repl_prefix) < 0 ||
		    cfg->repl_prefix < 8 || cfg->repl_prefix > 30)
			return fail(err, errlen, line,
				    "replication-network: bad network '%s' (want A.B.C.D/8..30 with no host bits)",
				    argv[1]);
		return 0;
	}
	if (strcmp(k, "volume-shelves") == 0) {
		unsigned long lo, hi;
		char *dash;

		NEED(1);
		dash = strchr(argv[1], '-');
		if (dash)
			*dash = '\0';
		if (!dash || parse_ulong(argv[1], 65534, &lo) < 0 ||
		    parse_ulong(dash + 1, 65534, &hi) < 0 || lo > hi) {
			if (dash)
				*dash = '-';
			return fail(err, errlen, line,
				    "volume-shelves: bad range '%s' (want FIRST-LAST within 0..65534)",
				    argv[1]);
		}
		cfg->shelf_min = (uint16_t)lo;
		cfg->shelf_max = (uint16_t)hi;
		return 0;
	}
	if (strcmp(k, "drbd-port-base") == 0) {
		NEED(1);
		if (parse_ulong(argv[1], 65535 - 255, &v) < 0 || v < 1024)
			return fail(err, errlen, line,
				    "drbd-port-base: bad port '%s' (1024..65280)", argv[1]);
		cfg->drbd_port_base = (uint16_t)v;
		return 0;
	}
	if (strcmp(k, "aoe-interface") == 0) {
		size_t n;

		NEED(1);
		n = strlen(argv[1]);
		if (n == 0 || n >= sizeof(cfg->aoe_interface) || strchr(argv[1], '/') ||
		    strcmp(argv[1], ".") == 0 || strcmp(argv[1], "..") == 0)
			return fail(err, errlen, line,
				    "aoe-interface: bad interface name '%s' (1..15 characters, no '/')",
				    argv[1]);
		memcpy(cfg->aoe_interface, argv[1], n + 1);
		return 0;
	}
	return fail(err, errlen, line, "unknown key '%s'", k);
#undef NEED
#undef PATHKEY
}

static int check_whole(struct nimbusd_config *cfg, const struct seen *seen,
		       char *err, size_t errlen)
{
	struct prov_config *p = &cfg->prov;
	uint32_t net = p->subnet, addr = p->address;
	uint32_t rs = p->pool_start, re = p->pool_end;
	char a[16], b[16];

	if (!seen->subnet)
		return fail(err, errlen, 0, "missing required key 'subnet'");
	if (!seen->address)
		return fail(err, errlen, 0, "missing required key 'address'");
	if (!seen->pool)
		return fail(err, errlen, 0, "missing required key 'pool' (addresses for nodes)");
	if (!seen->range)
		return fail(err, errlen, 0,
			    "missing required key 'dynamic-range' (addresses for unknown machines)");
	if (!ipv4_in_subnet(addr, net, cfg->prefix)) {
		ipv4_format(addr, a);
		return fail(err, errlen, 0, "address %s is not inside subnet", a);
	}
	if (!ipv4_in_subnet(cfg->node_pool_start, net, cfg->prefix) ||
	    !ipv4_in_subnet(cfg->node_pool_end, net, cfg->prefix)) {
		ipv4_format(cfg->node_pool_start, a);
		ipv4_format(cfg->node_pool_end, b);
		return fail(err, errlen, seen->pool, "pool %s %s is not inside subnet", a, b);
	}
	if (!ipv4_in_subnet(rs, net, cfg->prefix) || !ipv4_in_subnet(re, net, cfg->prefix)) {
		ipv4_format(rs, a);
		ipv4_format(re, b);
		return fail(err, errlen, seen->range, "dynamic-range %s %s is not inside subnet", a, b);
	}
	if (!(cfg->node_pool_end < rs || re < cfg->node_pool_start))
		return fail(err, errlen, seen->range,
			    "dynamic-range overlaps pool: dhcpd would lease node addresses to unknown machines");
	if ((addr >= cfg->node_pool_start && addr <= cfg->node_pool_end) ||
	    (addr >= rs && addr <= re)) {
		ipv4_format(addr, a);
		return fail(err, errlen, 0, "address %s is inside pool or dynamic-range", a);
	}
	if (p->omapi_port && !p->omapi_key_name[0])
		return fail(err, errlen, 0, "omapi-port %u needs an omapi-key (or omapi-port 0)",
			    p->omapi_port);
	{
		/* The replication links are their own network: an address there
		 * must never also be a provisioning address. */
		uint32_t m = prefix_mask(cfg->repl_prefix < cfg->prefix ? cfg->repl_prefix :
					 cfg->prefix);

		if ((cfg->repl_net & m) == (net & m))
			return fail(err, errlen, 0, "replication-network overlaps subnet");
	}
	if (!cfg->report_ip)
		cfg->report_ip = p->address;
	snprintf(p->admin_socket, sizeof(p->admin_socket), "%s", cfg->socket);
	return 0;
}

int config_parse(const char *text, struct nimbusd_config *cfg, char *err,
		 size_t errlen)
{
	struct seen seen = { 0 };
	unsigned line = 0;
	const char *p = text;
	char buf[2048];

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *argv[MAX_ARGS + 1] = { 0 }, *hash, *s, restbuf[sizeof(buf)];
		int argc = 0, rc;

		line++;
		if (len >= sizeof(buf))
			return fail(err, errlen, line, "line longer than %zu bytes", sizeof(buf) - 1);
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (eol ? 1 : 0);
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
				return fail(err, errlen, line, "control character in line");
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		/* Trim trailing blanks so "rest" (command lines) has none. */
		for (size_t n = strlen(buf); n && (buf[n - 1] == ' ' || buf[n - 1] == '\t');)
			buf[--n] = '\0';
		s = buf + strspn(buf, " \t");
		if (!*s)
			continue;
		/* The text after the key, verbatim (command lines keep their
		 * spaces), before strtok cuts the line into tokens. */
		{
			char *after = s + strcspn(s, " \t");

			snprintf(restbuf, sizeof(restbuf), "%s", after + strspn(after, " \t"));
		}
		for (char *tok = strtok(s, " \t"); tok; tok = strtok(NULL, " \t")) {
			if (argc == MAX_ARGS + 1)
				return fail(err, errlen, line, "too many values for '%s'", argv[0]);
			argv[argc++] = tok;
		}
		rc = parse_line(cfg, &seen, line, argv, argc, restbuf, err, errlen);
		if (rc < 0)
			return rc;
	}
	return check_whole(cfg, &seen, err, errlen);
}

int config_load(const char *path, struct nimbusd_config *cfg, char *err,
		size_t errlen)
{
	char *text = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	text = malloc(CONFIG_MAX_BYTES + 1);
	if (!text) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while ((n = read(fd, text + got, CONFIG_MAX_BYTES + 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: read: %s", path, strerror(-rc));
		goto out;
	}
	if (got > CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		goto out;
	}
	text[got] = '\0';
	if (strlen(text) != got) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	{
		char inner[512];

		rc = config_parse(text, cfg, inner, sizeof(inner));
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path, inner);
	}
out:
	free(text);
	close(fd);
	return rc;
}

static void add_key(char *buf, size_t len, const char *key)
{
	size_t o = strlen(buf);

	if (o + strlen(key) + 2 < len)
		snprintf(buf + o, len - o, "%s%s", o ? " " : "", key);
}

int config_diff(const struct nimbusd_config *cur, const struct nimbusd_config *next,
		char *changed, size_t changed_len, char *restart, size_t restart_len)
{
	const struct prov_config *a = &cur->prov, *b = &next->prov;
	int n = 0;

#define DIFF(key, cond, is_restart) do { if (cond) { n++; \
	add_key((is_restart) ? restart : changed, (is_restart) ? restart_len : changed_len, key); \
	} } while (0)
#define MEM(x) (memcmp(&a->x, &b->x, sizeof(a->x)) != 0)
#define STR(x) (strcmp(a->x, b->x) != 0)
#define CSTR(x) (strcmp(cur->x, next->x) != 0)
	changed[0] = restart[0] = '\0';
	DIFF("subnet", MEM(subnet) || MEM(netmask), 0);
	DIFF("address", MEM(address), 0);
	DIFF("pool", cur->node_pool_start != next->node_pool_start ||
	     cur->node_pool_end != next->node_pool_end, 0);
	DIFF("dynamic-range", MEM(pool_start) || MEM(pool_end), 0);
	DIFF("listen-report", cur->report_ip != next->report_ip ||
	     a->report_port != b->report_port, 1);
	DIFF("socket", CSTR(socket), 1);
	DIFF("socket-mode", cur->socket_mode != next->socket_mode, 0);
	DIFF("admin-user", CSTR(admin_user), 0);
	DIFF("admin-group", CSTR(admin_group), 0);
	DIFF("database", CSTR(database), 1);
	DIFF("tftp-root", STR(tftp_root), 0);
	DIFF("tftpd-pidfile", CSTR(tftpd_pidfile), 0);
	DIFF("dhcpd-conf", STR(dhcpd_conf), 0);
	DIFF("dhcpd", STR(dhcpd_bin), 0);
	DIFF("dhcpd-include", STR(dhcpd_include), 0);
	DIFF("dhcp-hook", STR(dhcp_hook), 0);
	DIFF("omapi-port", a->omapi_port != b->omapi_port, 0);
	DIFF("omapi-key", STR(omapi_key_name) || STR(omapi_algorithm) || STR(omapi_secret), 0);
	DIFF("bios-loader", STR(bios_loader), 0);
	DIFF("uefi-loader", STR(uefi_loader), 0);
	DIFF("discovery-kernel", STR(discovery.kernel), 0);
	DIFF("discovery-initrd", STR(discovery.initrd), 0);
	DIFF("discovery-cmdline", STR(discovery.cmdline), 0);
	DIFF("lost-after", cur->lost_after != next->lost_after, 0);
	DIFF("replication-network", cur->repl_net != next->repl_net ||
	     cur->repl_prefix != next->repl_prefix, 0);
	DIFF("volume-shelves", cur->shelf_min != next->shelf_min ||
	     cur->shelf_max != next->shelf_max, 0);
	DIFF("drbd-port-base", cur->drbd_port_base != next->drbd_port_base, 0);
	DIFF("aoe-interface", CSTR(aoe_interface), 0);
	DIFF("aoe-bench", CSTR(aoe_bench), 0);
	DIFF("ca-dir", CSTR(ca_dir), 1);
#undef DIFF
#undef MEM
#undef STR
#undef CSTR
	return n;
}

void config_keep_startup(struct nimbusd_config *next, const struct nimbusd_config *cur)
{
	next->report_ip = cur->report_ip;
	next->prov.report_port = cur->prov.report_port;
	memcpy(next->socket, cur->socket, sizeof(next->socket));
	memcpy(next->prov.admin_socket, cur->prov.admin_socket, sizeof(next->prov.admin_socket));
	memcpy(next->database, cur->database, sizeof(next->database));
}
