/* pxelinux configuration files from provisioning structs. Pure: text in
 * memory, no file I/O; provision.c installs it. */
#ifndef NIMBUS_GEN_PXE_H
#define NIMBUS_GEN_PXE_H

#include "provision.h"

/* pxelinux.cfg/01-<mac> for a node: its image, booted directly (KERNEL /
 * INITRD / APPEND) or, for a Xen image, through mboot.c32
 * (APPEND xen XENARGS --- kernel ARGS --- initrd). The kernel command line
 * gets "nimbus.report=ADDRESS:PORT nimbus.node=NAME" appended.
 * *text is malloc()ed, NUL-terminated; the caller frees it.
 * Returns 0, -EINVAL (node or config fails validation), -ENOMEM. */
int gen_pxe_node(const struct prov_config *cfg, const struct prov_node *node,
		 char **text);

/* pxelinux.cfg/default: boots the discovery image of cfg for every MAC
 * without its own file. */
int gen_pxe_default(const struct prov_config *cfg, char **text);

#endif
