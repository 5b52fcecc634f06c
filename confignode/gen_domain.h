/* libvirt domain XML for an instance: a Xen PVH guest (libvirt's libxl
 * driver, machine xenpvh) that boots the instances' kernel and initramfs
 * from dom0, with its disk on an AoE device and its vif on an instance
 * bridge. Pure: a struct in, text in memory out. The hardware node's dom0
 * hands the text to libvirt (virsh create / define), which checks it. */
#ifndef NIMBUS_GEN_DOMAIN_H
#define NIMBUS_GEN_DOMAIN_H

#include <stdint.h>

#define GEN_DOMAIN_NAME_MAX 64
#define GEN_DOMAIN_PATH_MAX 128
/* Debian's kernel alone takes 58 MiB of a PVH guest at build time (libxl
 * refuses 64 MiB: "segment kernel too large"). */
#define GEN_DOMAIN_MEMORY_MIN_MIB 128u
#define GEN_DOMAIN_MEMORY_MAX_MIB (1024u * 1024u)
#define GEN_DOMAIN_VCPUS_MAX 64u

struct gen_domain {
	char name[GEN_DOMAIN_NAME_MAX];   /* the instance: a lower-case DNS label */
	uint8_t uuid[16];                 /* libvirt's identity; all zero: none given */
	uint32_t memory_mib;
	uint32_t vcpus;
	char kernel[GEN_DOMAIN_PATH_MAX]; /* absolute paths in dom0 */
	char initrd[GEN_DOMAIN_PATH_MAX];
	char disk[GEN_DOMAIN_PATH_MAX];   /* /dev/etherd/eSHELF.SLOT */
	uint8_t mac[6];
	char bridge[16];                  /* an instance bridge: instbr* */
	char vif_script[GEN_DOMAIN_NAME_MAX]; /* hotplug script in /etc/xen/scripts */
	uint32_t addr;                    /* the guest's IPv4 address (host order); 0: none */
	uint8_t prefix;                   /* its prefix length, 1..32 */
	uint32_t gw;                      /* default route (host order); 0: none */
};

/* The hardware-node image's layout: kernel and initramfs in
 * /usr/lib/nimbus/guest, bridge instbr0, vif-nimbus; 256 MiB, 1 vCPU. */
void gen_domain_defaults(struct gen_domain *d);

/* *text malloc()ed. 0; -EINVAL for a name that is not a lower-case DNS
 * label, memory or vCPUs out of range, a path that is not absolute or has
 * characters beyond [A-Za-z0-9/._-], a disk that is not an AoE device, a
 * multicast or zero MAC, a bridge that is not an instance bridge (the same
 * rule as the dom0's vif-nimbus: anything else is the storage network), a
 * prefix out of range or a gateway without an address; -ENOMEM. */
int gen_domain_xml(const struct gen_domain *d, char **text);

#endif
