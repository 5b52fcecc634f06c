/* Validation of everything provisioning writes into dhcpd.conf, pxelinux
 * files and omshell scripts, field by field with validate.h's rules. Pure:
 * the generators refuse to run on anything these functions reject, so no
 * generated file ever carries a quote, a newline, a ".." or a separator an
 * operator slipped into a name. */
#include <stdio.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prov_validate.h"

/* A validate.h rule as the yes/no these struct checks need. */
static bool ok(int (*rule)(const char *), const char *s)
{
	return rule(s) == 0;
}

static bool in_subnet(const struct prov_config *cfg, uint32_t x)
{
	uint32_t mask = cfg->netmask, net = cfg->subnet;

	/* neither the network address nor the broadcast address */
	return (x & mask) == net && x != net && x != (net | ~mask);
}

static bool in_pool(const struct prov_config *cfg, uint32_t a)
{
	return a >= cfg->pool_start && a <= cfg->pool_end;
}

static const char *ip_str(uint32_t a, char buf[16])
{
	ipv4_format(a, buf);
	return buf;
}

/* Image paths: empty allowed only where noted; discovery images may be given
 * as absolute paths inside the TFTP root and are checked after
 * prov_tftp_relative() made them relative. */
static int image_validate(const char *what, const struct prov_image *img,
			  bool need_xen)
{
	if (!ok(validate_tftp_path, img->kernel)) {
		log_err("%s: bad kernel path '%s' (relative to the TFTP root, "
			"[A-Za-z0-9._+/-], no '..')", what, img->kernel);
		return -EINVAL;
	}
	if (img->initrd[0] && !ok(validate_tftp_path, img->initrd)) {
		log_err("%s: bad initrd path '%s'", what, img->initrd);
		return -EINVAL;
	}
	if (need_xen && !img->xen[0]) {
		log_err("%s: the hw role needs a Xen image (--xen)", what);
		return -EINVAL;
	}
	if (img->xen[0] && !ok(validate_tftp_path, img->xen)) {
		log_err("%s: bad xen path '%s'", what, img->xen);
		return -EINVAL;
	}
	if (!ok(validate_cmdline, img->cmdline)) {
		log_err("%s: bad command line '%.80s' (printable ASCII without quotes, "
			"'\\', ';', '{', '}', '#', '$', '`' or '---', at most %d bytes)", what,
			img->cmdline, CMDLINE_MAX_LEN);
		return -EINVAL;
	}
	if (!ok(validate_cmdline, img->xen_cmdline)) {
		log_err("%s: bad Xen command line '%.80s'", what, img->xen_cmdline);
		return -EINVAL;
	}
	return 0;
}

int prov_text_finish(FILE *f, char **text)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

const char *prov_tftp_relative(const struct prov_config *cfg, const char *path)
{
	size_t n = strlen(cfg->tftp_root);

	while (n > 1 && cfg->tftp_root[n - 1] == '/')
		n--;
	if (path[0] == '/' && strncmp(path, cfg->tftp_root, n) == 0 &&
	    path[n] == '/')
		return path + n + 1;
	return path;
}

int prov_config_validate(const struct prov_config *cfg)
{
	char a[16], b[16];
	uint32_t mask = cfg->netmask;
	struct prov_image disc = cfg->discovery;

	if (mask == 0 || (~mask & (~mask + 1)) != 0) {
		log_err("config: netmask %s is not contiguous", ip_str(cfg->netmask, a));
		return -EINVAL;
	}
	if ((cfg->subnet & ~mask) != 0) {
		log_err("config: subnet %s has host bits set for netmask %s",
			ip_str(cfg->subnet, a), ip_str(cfg->netmask, b));
		return -EINVAL;
	}
	if (!in_subnet(cfg, cfg->address)) {
		log_err("config: address %s is not a host of subnet %s",
			ip_str(cfg->address, a), ip_str(cfg->subnet, b));
		return -EINVAL;
	}
	if (!in_subnet(cfg, cfg->pool_start) || !in_subnet(cfg, cfg->pool_end) ||
	    cfg->pool_start > cfg->pool_end) {
		log_err("config: pool %s - %s is not an ascending range inside the subnet",
			ip_str(cfg->pool_start, a), ip_str(cfg->pool_end, b));
		return -EINVAL;
	}
	if (in_pool(cfg, cfg->address)) {
		log_err("config: address %s lies inside the pool", ip_str(cfg->address, a));
		return -EINVAL;
	}
	if (cfg->report_port == 0) {
		log_err("config: report port 0");
		return -EINVAL;
	}
	if (!ok(validate_abs_path, cfg->tftp_root) || !ok(validate_abs_path, cfg->dhcpd_conf) ||
	    !ok(validate_abs_path, cfg->dhcpd_bin)) {
		log_err("config: tftp-root '%s', dhcpd-conf '%s' and dhcpd '%s' must be "
			"plain absolute paths", cfg->tftp_root, cfg->dhcpd_conf,
			cfg->dhcpd_bin);
		return -EINVAL;
	}
	if (cfg->dhcpd_include[0] && !ok(validate_abs_path, cfg->dhcpd_include)) {
		log_err("config: bad dhcpd-include path '%s'", cfg->dhcpd_include);
		return -EINVAL;
	}
	if (cfg->omapi_port) {
		if (!ok(validate_omapi_key_name, cfg->omapi_key_name)) {
			log_err("config: bad OMAPI key name '%s'", cfg->omapi_key_name);
			return -EINVAL;
		}
		if (!ok(validate_omapi_algorithm, cfg->omapi_algorithm)) {
			log_err("config: unknown OMAPI key algorithm '%s'", cfg->omapi_algorithm);
			return -EINVAL;
		}
		if (!ok(validate_omapi_secret, cfg->omapi_secret)) {
			log_err("config: OMAPI secret of key '%s' is not base64",
				cfg->omapi_key_name);
			return -EINVAL;
		}
	}
	if (cfg->dhcp_hook[0] && (!ok(validate_abs_path, cfg->dhcp_hook) ||
				  !ok(validate_abs_path, cfg->admin_socket))) {
		log_err("config: dhcp hook '%s' and admin socket '%s' must be plain "
			"absolute paths", cfg->dhcp_hook, cfg->admin_socket);
		return -EINVAL;
	}
	if (cfg->bios_loader[0] && !ok(validate_tftp_path, cfg->bios_loader)) {
		log_err("config: bad BIOS loader path '%s'", cfg->bios_loader);
		return -EINVAL;
	}
	if (cfg->uefi_loader[0] && !ok(validate_tftp_path, cfg->uefi_loader)) {
		log_err("config: bad UEFI loader path '%s'", cfg->uefi_loader);
		return -EINVAL;
	}
	memmove(disc.kernel, prov_tftp_relative(cfg, cfg->discovery.kernel),
		strlen(prov_tftp_relative(cfg, cfg->discovery.kernel)) + 1);
	memmove(disc.initrd, prov_tftp_relative(cfg, cfg->discovery.initrd),
		strlen(prov_tftp_relative(cfg, cfg->discovery.initrd)) + 1);
	return image_validate("discovery image", &disc, false);
}

int prov_node_validate(const struct prov_config *cfg, const struct prov_node *node)
{
	char a[16], m[MAC_STR_LEN], what[PROV_NAME_MAX + 16];

	if (!ok(validate_node_name, node->name)) {
		log_err("node '%.*s': name is not a DNS label", PROV_NAME_MAX - 1,
			node->name);
		return -EINVAL;
	}
	if (!mac_is_unicast(node->mac)) {
		mac_format(node->mac, m);
		log_err("node %s: MAC %s is not a unicast address", node->name, m);
		return -EINVAL;
	}
	if (!in_subnet(cfg, node->ip) || node->ip == cfg->address ||
	    in_pool(cfg, node->ip)) {
		log_err("node %s: address %s is not a free fixed address of the subnet "
			"(outside the pool, not the config node's)", node->name,
			ip_str(node->ip, a));
		return -EINVAL;
	}
	if (node->role != ROLE_STORAGE && node->role != ROLE_HW) {
		log_err("node %s: unknown role %d", node->name, (int)node->role);
		return -EINVAL;
	}
	if (node->image.name[0] && !ok(validate_image_name, node->image.name)) {
		log_err("node %s: bad image name '%.*s' (a-z 0-9 . _ -)", node->name,
			PROV_NAME_MAX - 1, node->image.name);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "node %s", node->name);
	return image_validate(what, &node->image, node->role == ROLE_HW);
}
