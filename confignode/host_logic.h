/* What nimbusd decides for hardware nodes, as pure functions: the desired
 * state of one node from the instances placed on it and the migrations
 * that touch it, where a new instance goes, and what a node's observed
 * state says about one instance. No database, no I/O: api_host.c and
 * api_instances.c load the rows and act on the answers;
 * tests/unit/test_host_logic.c drives these directly. */
#ifndef NIMBUS_HOST_LOGIC_H
#define NIMBUS_HOST_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/host_msg.h"
#include "db_instance.h"

/* One instance as the desired-state builder needs it. */
struct hl_inst {
	const struct db_instance *in;
	uint16_t shelf;                /* its volume's AoE address */
	uint8_t slot;
	bool volume_ready;             /* both storage nodes have exported it once */
	const struct db_migration *mig;  /* the running migration, or NULL */
	uint32_t mig_to_addr;          /* the target's management address (host order) */
};

/* The desired state of node (generation gen): every instance placed on it
 * (running, stopped, or absent while being deleted; one whose volume is
 * not ready yet is left out: it is pending), a running migration's
 * target told to expect it (incoming), the source told to start it
 * (migrate). out->instances malloc()ed (hmsg_desired_free). 0, -EINVAL
 * when an instance's domain cannot be generated (the message in err),
 * -ENOMEM. */
int hl_build_desired(const char *node, uint64_t gen, const struct hl_inst *insts, size_t n,
		     struct hmsg_desired *out, char err[HMSG_ERR_MAX]);

/* The libvirt domain XML of an instance whose disk is eSHELF.SLOT. */
int hl_domain_xml(const struct db_instance *in, uint16_t shelf, uint8_t slot, char **xml);

/* A hardware node as placement sees it. */
struct hl_host {
	const char *name;
	bool usable;                   /* booted, reporting, libvirt answers, instance bridge up */
	bool drained;
	bool sees_volume;              /* the disk's storage nodes all answer there */
	uint64_t free_mib;             /* Xen's free memory less what is placed there and not running */
	const char *why_not;           /* when !usable: why (for the refusal) */
};

/* The usable, undrained host that sees the volume with the most free
 * memory, at least need_mib: its index. -ENOENT: no usable host at all;
 * -ENOSPC: none has need_mib (*largest the most free memory among the
 * others, *largest_idx where). */
int hl_place(const struct hl_host *hosts, size_t n, uint64_t need_mib, size_t *idx,
	     uint64_t *largest, size_t *largest_idx);

/* The host's observation of instance name: NULL when it has no such
 * domain (a pseudo-entry of a finished migration, persistent false and
 * shut off, counts as none). */
const struct hmsg_have_instance *hl_find(const struct hmsg_observed *o, const char *name);
/* Whether the domain runs (running, blocked, paused or shutting down). */
bool hl_active(const struct hmsg_have_instance *h);

/* Xen versions a live migration may cross: the same major, the target's
 * minor equal or one more. */
bool hl_xen_compatible(uint32_t src_major, uint32_t src_minor, uint32_t dst_major,
		       uint32_t dst_minor);

/* The AoE device shelf.slot as the host sees it, NULL if not at all. */
const struct hmsg_target *hl_target(const struct hmsg_observed *o, uint16_t shelf, uint8_t slot);

#endif
