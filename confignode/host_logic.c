/* nimbusd's decisions for hardware nodes (host_logic.h). */
#include "host_logic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_domain.h"

int hl_domain_xml(const struct db_instance *in, uint16_t shelf, uint8_t slot, char **xml)
{
	struct gen_domain d;

	gen_domain_defaults(&d);
	snprintf(d.name, sizeof(d.name), "%s", in->name);
	memcpy(d.uuid, in->uuid, sizeof(d.uuid));
	d.memory_mib = in->memory_mib;
	d.vcpus = in->vcpus;
	snprintf(d.disk, sizeof(d.disk), "/dev/etherd/e%u.%u", shelf, slot);
	memcpy(d.mac, in->mac, sizeof(d.mac));
	d.addr = in->ip;
	d.prefix = in->prefix;
	d.gw = in->gw;
	return gen_domain_xml(&d, xml);
}

static int want_from(const struct hl_inst *hi, const char *node, struct hmsg_want_instance *w,
		     char err[HMSG_ERR_MAX])
{
	const struct db_instance *in = hi->in;
	bool source = hi->mig && strcmp(hi->mig->src, node) == 0;
	bool target = hi->mig && strcmp(hi->mig->dst, node) == 0 && !source;
	char *xml = NULL;
	int rc;

	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", in->name);
	w->stop = in->stop;
	w->stop_timeout_s = in->stop_timeout_s ? in->stop_timeout_s : 60;
	w->reboot_seq = in->reboot_seq;
	w->memory_mib = in->memory_mib;
	w->vcpus = in->vcpus;
	w->shelf = hi->shelf;
	w->slot = hi->slot;
	if (target) {
		w->state = HMSG_WANT_INCOMING;
		return 0;
	}
	if (in->desired == DB_INST_DELETING) {
		w->state = HMSG_WANT_ABSENT;
		return 0;
	}
	w->state = in->desired == DB_INST_RUNNING ? HMSG_WANT_RUNNING : HMSG_WANT_STOPPED;
	rc = hl_domain_xml(in, hi->shelf, hi->slot, &xml);
	if (rc < 0) {
		snprintf(err, HMSG_ERR_MAX, "instance %s: its domain XML cannot be made (%s)",
			 in->name, strerror(-rc));
		return rc;
	}
	if (strlen(xml) >= sizeof(w->domain_xml)) {
		free(xml);
		snprintf(err, HMSG_ERR_MAX, "instance %s: domain XML too long", in->name);
		return -EINVAL;
	}
	memcpy(w->domain_xml, xml, strlen(xml) + 1);
	free(xml);
	if (source) {
		w->migrate.id = hi->mig->id;
		snprintf(w->migrate.to, sizeof(w->migrate.to), "%s", hi->mig->dst);
		w->migrate.to_addr.s_addr = htonl(hi->mig_to_addr);
	}
	return 0;
}

int hl_build_desired(const char *node, uint64_t gen, const struct hl_inst *insts, size_t n,
		     struct hmsg_desired *out, char err[HMSG_ERR_MAX])
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	snprintf(out->node, sizeof(out->node), "%s", node);
	out->generation = gen;
	out->instances = calloc(n ? n : 1, sizeof(*out->instances));
	if (!out->instances)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct hl_inst *hi = &insts[i];
		bool here = strcmp(hi->in->node, node) == 0;
		bool target = hi->mig && strcmp(hi->mig->dst, node) == 0;

		if (!here && !target)
			continue;
		/* A disk not exported yet cannot be attached: the instance
		 * waits in nimbusd (pending), not in a failing libvirt. An
		 * instance being deleted goes out either way. */
		if (!hi->volume_ready && hi->in->desired != DB_INST_DELETING)
			continue;
		if (out->n_instances >= HMSG_MAX_INSTANCES) {
			snprintf(err, HMSG_ERR_MAX, "node %s: more than %d instances", node,
				 HMSG_MAX_INSTANCES);
			rc = -EINVAL;
			break;
		}
		rc = want_from(hi, node, &out->instances[out->n_instances], err);
		if (rc == 0)
			out->n_instances++;
	}
	if (rc < 0)
		hmsg_desired_free(out);
	return rc;
}

int hl_place(const struct hl_host *hosts, size_t n, uint64_t need_mib, size_t *idx,
	     uint64_t *largest, size_t *largest_idx)
{
	bool any = false, found = false;

	*largest = 0;
	*largest_idx = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hl_host *h = &hosts[i];

		if (!h->usable || h->drained || !h->sees_volume)
			continue;
		if (!any || h->free_mib > *largest) {
			*largest = h->free_mib;
			*largest_idx = i;
		}
		any = true;
		if (h->free_mib >= need_mib && (!found || h->free_mib > hosts[*idx].free_mib)) {
			*idx = i;
			found = true;
		}
	}
	if (!any)
		return -ENOENT;
	return found ? 0 : -ENOSPC;
}

const struct hmsg_have_instance *hl_find(const struct hmsg_observed *o, const char *name)
{
	for (size_t i = 0; o && i < o->n_instances; i++) {
		const struct hmsg_have_instance *h = &o->instances[i];

		if (strcmp(h->name, name) != 0)
			continue;
		if (!h->persistent && h->state == HMSG_DOM_SHUTOFF)
			return NULL;
		return h;
	}
	return NULL;
}

bool hl_active(const struct hmsg_have_instance *h)
{
	return h && (h->state == HMSG_DOM_RUNNING || h->state == HMSG_DOM_BLOCKED ||
		     h->state == HMSG_DOM_PAUSED || h->state == HMSG_DOM_SHUTDOWN);
}

bool hl_xen_compatible(uint32_t src_major, uint32_t src_minor, uint32_t dst_major,
		       uint32_t dst_minor)
{
	return src_major == dst_major && (dst_minor == src_minor || dst_minor == src_minor + 1);
}

const struct hmsg_target *hl_target(const struct hmsg_observed *o, uint16_t shelf, uint8_t slot)
{
	for (size_t i = 0; o && i < o->n_targets; i++)
		if (o->targets[i].shelf == shelf && o->targets[i].slot == slot)
			return &o->targets[i];
	return NULL;
}
