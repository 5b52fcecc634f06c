/* dhcpd.conf (isc-dhcp-server 4.4) from provisioning structs. Pure: text
 * in memory, no file I/O; provision.c checks it with `dhcpd -t` and
 * installs it. */
#ifndef NIMBUS_GEN_DHCP_H
#define NIMBUS_GEN_DHCP_H

#include <stdbool.h>

#include "provision.h"

/* The whole dhcpd.conf: global options, OMAPI listener and key, the
 * provisioning subnet with its discovery pool, next-server and boot file by
 * client architecture (option 93: 7 or 9 get cfg->uefi_loader when
 * with_uefi, everyone else the BIOS loader), the `on commit` hook, one host
 * per node, and the operator's include file last.
 * *text is malloc()ed; the caller frees it. Returns 0, -EINVAL (config or a
 * node fails validation; duplicate name, MAC or address: -EEXIST), -ENOMEM. */
int gen_dhcpd_conf(const struct prov_config *cfg, const struct prov_node *nodes,
		   size_t n, bool with_uefi, char **text);

/* Checks nodes[] for duplicate names, MACs and addresses (logs the pair). */
int gen_check_unique(const struct prov_node *nodes, size_t n);

#endif
