/* Test fixtures for confignode's provisioning, shared by the unit tests
 * (tests/unit/test_gen.c) and the fuzz harness (tests/fuzz/fuzz_provision.c)
 * so that both run against the same valid configuration. Header only: each
 * includer gets its own copy, no build rule needed. */
#ifndef NIMBUS_TESTS_FIXTURES_PROV_H
#define NIMBUS_TESTS_FIXTURES_PROV_H

#include <stdint.h>
#include <string.h>

#include "../../confignode/provision.h"

/* A dotted quad in host byte order (the provisioning structs' order). */
static inline uint32_t fixture_ip(const char *s)
{
	uint32_t ip = 0;

	ipv4_parse(s, &ip);
	return ip;
}

/* The lab's configuration: what tests/vm/provision.sh runs with. */
static inline void fixture_prov_config(struct prov_config *c)
{
	memset(c, 0, sizeof(*c));
	c->subnet = fixture_ip("10.77.0.0");
	c->netmask = fixture_ip("255.255.255.0");
	c->address = fixture_ip("10.77.0.1");
	c->report_port = 8080;
	c->pool_start = fixture_ip("10.77.0.100");
	c->pool_end = fixture_ip("10.77.0.199");
	strcpy(c->tftp_root, "/srv/tftp");
	strcpy(c->dhcpd_conf, "/etc/dhcp/dhcpd.conf");
	strcpy(c->dhcpd_bin, "/usr/sbin/dhcpd");
	c->omapi_port = 7911;
	strcpy(c->omapi_key_name, "omapi_key");
	strcpy(c->omapi_algorithm, "HMAC-MD5");
	strcpy(c->omapi_secret, "bmltYnVzLXRlc3Qtc2VjcmV0IQ==");
	strcpy(c->dhcp_hook, "/usr/bin/nimbus");
	strcpy(c->admin_socket, "/run/nimbus/nimbusd.sock");
	strcpy(c->bios_loader, "pxelinux.0");
	strcpy(c->uefi_loader, "efi64/syslinux.efi");
	strcpy(c->dhcpd_include, "/etc/dhcp/nimbus-site.conf");
	/* absolute inside the TFTP root: made relative */
	strcpy(c->discovery.kernel, "/srv/tftp/nimbus/discovery/vmlinuz");
	strcpy(c->discovery.initrd, "nimbus/discovery/initrd.gz");
	strcpy(c->discovery.cmdline, "console=ttyS0 quiet");
}

#endif
