#include "gen_domain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

void gen_domain_defaults(struct gen_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->memory_mib = 256;
	d->vcpus = 1;
	snprintf(d->kernel, sizeof(d->kernel), "/usr/lib/nimbus/guest/vmlinuz");
	snprintf(d->initrd, sizeof(d->initrd), "/usr/lib/nimbus/guest/initrd.gz");
	snprintf(d->bridge, sizeof(d->bridge), "instbr0");
	snprintf(d->vif_script, sizeof(d->vif_script), "vif-nimbus");
}

/* /dev/etherd/eSHELF.SLOT, SHELF 0..65534 and SLOT 0..254 (AoE's ranges),
 * without leading zeros: the names the aoe driver gives its devices. */
static bool aoe_dev_ok(const char *s)
{
	static const char pfx[] = "/dev/etherd/e";
	unsigned long shelf, slot;
	char *end;

	if (strncmp(s, pfx, sizeof(pfx) - 1) != 0)
		return false;
	s += sizeof(pfx) - 1;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '.'))
		return false;
	shelf = strtoul(s, &end, 10);
	if (*end != '.' || shelf > 65534)
		return false;
	s = end + 1;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return false;
	slot = strtoul(s, &end, 10);
	return *end == '\0' && slot <= 254;
}

/* Instance bridges are instbr*, names the kernel accepts (1..15 bytes,
 * [a-z0-9]). vif-nimbus in dom0 refuses any other bridge as well. */
static bool bridge_ok(const char *s)
{
	size_t n = strlen(s);

	return strncmp(s, "instbr", 6) == 0 && n <= 15 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == n;
}

static bool script_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[0] != '-' && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool mac_ok(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

static int check(const struct gen_domain *d)
{
	if (validate_node_name(d->name) < 0)
		return -EINVAL;
	if (d->memory_mib < GEN_DOMAIN_MEMORY_MIN_MIB || d->memory_mib > GEN_DOMAIN_MEMORY_MAX_MIB ||
	    d->vcpus < 1 || d->vcpus > GEN_DOMAIN_VCPUS_MAX)
		return -EINVAL;
	if (validate_abs_path(d->kernel) < 0 || validate_abs_path(d->initrd) < 0 ||
	    !aoe_dev_ok(d->disk))
		return -EINVAL;
	if (!mac_ok(d->mac) || !bridge_ok(d->bridge) || !script_ok(d->vif_script))
		return -EINVAL;
	if (d->addr ? (d->prefix < 1 || d->prefix > 32) : (d->gw != 0 || d->prefix != 0))
		return -EINVAL;
	return 0;
}

static bool uuid_set(const uint8_t u[16])
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return true;
	return false;
}

/* Every value is checked to hold nothing XML would need escaped, so the
 * text is plain concatenation. */
int gen_domain_xml(const struct gen_domain *d, char **text)
{
	char *buf = NULL, uuid[64] = "", cmdline[256], ip[16], gw[16];
	size_t len = 0;
	FILE *f;
	int rc;

	*text = NULL;
	rc = check(d);
	if (rc < 0)
		return rc;
	if (uuid_set(d->uuid)) {
		const uint8_t *u = d->uuid;

		snprintf(uuid, sizeof(uuid),
			 "  <uuid>%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			 "%02x%02x%02x%02x%02x%02x</uuid>\n",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			 u[12], u[13], u[14], u[15]);
	}
	/* The instance initramfs's arguments (docs/instances.md); 256 bytes
	 * hold the longest (a 63-byte name, both addresses). */
	rc = snprintf(cmdline, sizeof(cmdline), "console=hvc0 root=/dev/xvda nimbus.hostname=%s",
		      d->name);
	if (d->addr) {
		ipv4_format(d->addr, ip);
		rc += snprintf(cmdline + rc, sizeof(cmdline) - rc, " nimbus.ip=%s/%u", ip, d->prefix);
		if (d->gw) {
			ipv4_format(d->gw, gw);
			rc += snprintf(cmdline + rc, sizeof(cmdline) - rc, " nimbus.gw=%s", gw);
		}
	}

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f,
		"<domain type='xen'>\n"
		"  <name>%s</name>\n"
		"%s"
		"  <memory unit='MiB'>%u</memory>\n"
		"  <vcpu>%u</vcpu>\n"
		"  <os>\n"
		"    <type arch='x86_64' machine='xenpvh'>xenpvh</type>\n"
		"    <kernel>%s</kernel>\n"
		"    <initrd>%s</initrd>\n"
		"    <cmdline>%s</cmdline>\n"
		"  </os>\n"
		"  <on_poweroff>destroy</on_poweroff>\n"
		"  <on_reboot>restart</on_reboot>\n"
		"  <on_crash>destroy</on_crash>\n"
		"  <devices>\n"
		"    <disk type='block' device='disk'>\n"
		"      <driver name='phy'/>\n"
		"      <source dev='%s'/>\n"
		"      <target dev='xvda' bus='xen'/>\n"
		"    </disk>\n"
		"    <interface type='bridge'>\n"
		"      <source bridge='%s'/>\n"
		"      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n"
		"      <script path='%s'/>\n"
		"    </interface>\n"
		"    <console type='pty'>\n"
		"      <target type='xen' port='0'/>\n"
		"    </console>\n"
		"  </devices>\n"
		"</domain>\n",
		d->name, uuid, d->memory_mib, d->vcpus, d->kernel, d->initrd, cmdline, d->disk,
		d->bridge, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5],
		d->vif_script);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*text = buf;
	return 0;
}
