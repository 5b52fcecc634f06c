/* The hardware nodes' endpoints on the report listener: GET
 * /v1/host/desired/MAC[/GEN] (held like the storage agents' while the
 * node's generation is still GEN) and POST /v1/host/observed
 * (docs/host-agent.md). Only the hardware node whose MAC and source
 * address both match is answered. An observed state finishes what only the
 * node can tell is over: a migration (done or failed), a deletion (the
 * domain is gone), and records the agent's events in instance histories. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_host.h"
#include "log.h"
#include "tls_ca.h"

/* --- views ------------------------------------------------------------- */

int host_view_load(struct api_ctx *ctx, const struct db_node *n, struct host_view *hv)
{
	char *text = NULL, err[HMSG_ERR_MAX];
	int rc;

	memset(hv, 0, sizeof(*hv));
	hv->n = *n;
	rc = db_storage_get(ctx->db, n->name, &hv->gen, &text, &hv->at);
	if (rc < 0)
		return rc;
	if (text && text[0]) {
		if (hmsg_observed_decode(text, strlen(text), &hv->obs, err) == 0)
			hv->have_obs = true;
		else
			hmsg_observed_free(&hv->obs);
	}
	free(text);
	hv->fresh = hv->have_obs && ctx->now() - hv->at <= (int64_t)ctx->cfg->lost_after;
	return 0;
}

void host_view_free(struct host_view *hv)
{
	if (hv->have_obs)
		hmsg_observed_free(&hv->obs);
	hv->have_obs = false;
}

int host_views_all(struct api_ctx *ctx, struct host_view **out, size_t *n)
{
	struct db_node *nodes;
	struct host_view *hv;
	size_t nn, k = 0;
	int rc = db_node_list(ctx->db, &nodes, &nn);

	if (rc < 0)
		return rc;
	hv = calloc(nn + 1, sizeof(*hv));
	if (!hv) {
		free(nodes);
		return -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		if (nodes[i].role != ROLE_HW)
			continue;
		rc = host_view_load(ctx, &nodes[i], &hv[k]);
		if (rc == 0)
			k++;
	}
	free(nodes);
	if (rc < 0) {
		host_views_free(hv, k);
		return rc;
	}
	*out = hv;
	*n = k;
	return 0;
}

void host_views_free(struct host_view *hv, size_t n)
{
	for (size_t i = 0; hv && i < n; i++)
		host_view_free(&hv[i]);
	free(hv);
}

bool host_usable(const struct host_view *hv, const char **why)
{
	const char *w = NULL;

	if (hv->n.state != NODE_BOOTED)
		w = "not booted";
	else if (!hv->fresh)
		w = hv->have_obs ? "its agent stopped reporting" : "its agent never reported";
	else if (!hv->obs.libvirt)
		w = "libvirt does not answer there";
	else if (!hv->obs.instance_bridge)
		w = "it has no instance bridge (instbr0)";
	if (why)
		*why = w;
	return w == NULL;
}

json_t *api_host_json(struct api_ctx *ctx, const struct db_node *n)
{
	struct host_view hv;
	json_t *o, *doms;
	const char *why = NULL;

	if (host_view_load(ctx, n, &hv) < 0)
		return json_null();
	host_usable(&hv, &why);
	o = json_pack("{s:b, s:I, s:I, s:I, s:s}", "reporting", hv.fresh,
		      "observed_at", (json_int_t)hv.at, "generation", (json_int_t)hv.gen,
		      "applied_generation", (json_int_t)(hv.have_obs ? hv.obs.generation : 0),
		      "can_run_instances", why ? why : "yes");
	if (o && hv.have_obs) {
		const struct hmsg_observed *ob = &hv.obs;

		json_object_set_new(o, "libvirt", json_boolean(ob->libvirt));
		json_object_set_new(o, "libvirt_error", json_string(ob->libvirt_error));
		json_object_set_new(o, "xen_version", json_string(ob->xen_version));
		json_object_set_new(o, "memory_total_mib", json_integer((json_int_t)ob->memory_total_mib));
		json_object_set_new(o, "memory_free_mib", json_integer((json_int_t)ob->memory_free_mib));
		json_object_set_new(o, "instance_bridge", json_boolean(ob->instance_bridge));
		json_object_set_new(o, "aoe_devices", json_integer((json_int_t)ob->n_targets));
		doms = json_array();
		for (size_t i = 0; doms && i < ob->n_instances; i++)
			if (hl_find(ob, ob->instances[i].name))
				json_array_append_new(doms, json_pack("{s:s, s:s, s:I, s:s}", "name",
					ob->instances[i].name, "state",
					hmsg_dom_state_name(ob->instances[i].state), "memory_mib",
					(json_int_t)ob->instances[i].memory_mib, "error",
					ob->instances[i].error));
		json_object_set_new(o, "domains", doms);
	}
	host_view_free(&hv);
	return o;
}

/* --- desired state ------------------------------------------------------ */

/* Every instance, its volume's address and readiness, its running
 * migration and the target's address: what hl_build_desired takes. */
int host_insts_load(struct api_ctx *ctx, struct host_insts *hi)
{
	int rc;

	memset(hi, 0, sizeof(*hi));
	rc = db_instance_list(ctx->db, NULL, &hi->insts, &hi->n);
	if (rc == 0)
		rc = db_migration_list_running(ctx->db, &hi->migs, &hi->n_migs);
	if (rc == 0) {
		hi->hl = calloc(hi->n + 1, sizeof(*hi->hl));
		rc = hi->hl ? 0 : -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < hi->n; i++) {
		struct hl_inst *h = &hi->hl[i];
		struct db_volume v;

		h->in = &hi->insts[i];
		if (db_volume_get(ctx->db, h->in->volume, &v) == 0) {
			h->shelf = v.shelf;
			h->slot = v.slot;
			h->volume_ready = v.ready_at != 0;
		}
		for (size_t k = 0; k < hi->n_migs; k++) {
			struct db_node dst;

			if (strcmp(hi->migs[k].instance, h->in->name) != 0)
				continue;
			h->mig = &hi->migs[k];
			if (db_node_get(ctx->db, h->mig->dst, &dst) == 0)
				h->mig_to_addr = dst.ip;
		}
	}
	if (rc < 0)
		host_insts_free(hi);
	return rc;
}

void host_insts_free(struct host_insts *hi)
{
	free(hi->insts);
	free(hi->migs);
	free(hi->hl);
	memset(hi, 0, sizeof(*hi));
}

void api_host_reply_desired(struct api_ctx *ctx, const struct db_node *n,
			    struct api_response *resp)
{
	struct host_insts hi;
	struct hmsg_desired d;
	char err[HMSG_ERR_MAX], *text = NULL;
	json_error_t jerr;
	uint64_t gen;
	int rc;

	rc = db_storage_get(ctx->db, n->name, &gen, NULL, NULL);
	if (rc == 0)
		rc = host_insts_load(ctx, &hi);
	if (rc < 0) {
		api_error(resp, 500, "cannot read the instances of node %s", n->name);
		return;
	}
	rc = hl_build_desired(n->name, gen, hi.hl, hi.n, &d, err);
	host_insts_free(&hi);
	if (rc == 0) {
		rc = hmsg_desired_encode(&d, &text);
		hmsg_desired_free(&d);
		if (rc < 0)
			snprintf(err, sizeof(err), "%s", strerror(-rc));
	}
	if (rc < 0) {
		log_err("node %s: cannot build its desired state: %s", n->name, err);
		api_error(resp, 500, "cannot build the desired state of node %s: %s", n->name, err);
		return;
	}
	api_reply(resp, 200, json_loads(text, 0, &jerr));
	free(text);
}

/* --- observed state ----------------------------------------------------- */

static bool instance_touches(struct api_ctx *ctx, const struct db_instance *in, const char *node)
{
	struct db_migration *m = NULL;
	size_t n = 0;
	bool yes;

	if (strcmp(in->node, node) == 0)
		return true;
	/* its last migration, running or just over (the source's word on it
	 * may come in the report after the one that finished it) */
	yes = db_migration_history(ctx->db, in->name, 1, &m, &n) == 0 && n == 1 &&
	      (strcmp(m[0].src, node) == 0 || strcmp(m[0].dst, node) == 0);
	free(m);
	return yes;
}

static void record_events(struct api_ctx *ctx, const char *node, const struct hmsg_observed *o)
{
	int64_t started;
	uint64_t seq, last = 0;

	if (db_host_seen_get(ctx->db, node, &started, &seq) < 0)
		return;
	if (started != o->started_ms)
		seq = 0;
	for (size_t i = 0; i < o->n_events; i++) {
		const struct hmsg_event *e = &o->events[i];
		struct db_instance in;

		if (e->seq <= seq)
			continue;
		last = e->seq > last ? e->seq : last;
		/* Only about an instance placed on this node (or migrating
		 * through it): a node writes no other instance's history. */
		if (!e->instance[0] || db_instance_get(ctx->db, e->instance, &in) < 0 ||
		    !instance_touches(ctx, &in, node)) {
			log_info("node %s: %s%s%s", node, e->instance, e->instance[0] ? ": " : "",
				 e->text);
			continue;
		}
		log_info("instance %s on %s: %s", e->instance, node, e->text);
		db_inst_event_add(ctx->db, e->instance, node, e->text, e->at_ms / 1000);
	}
	if (last > seq || started != o->started_ms)
		db_host_seen_set(ctx->db, node, o->started_ms, last > seq ? last : seq);
}

/* The source's word on a running migration: over once it says done or
 * failed. Done: the instance belongs to the target from now on. */
static int finish_migrations(struct api_ctx *ctx, const char *node, const struct hmsg_observed *o,
			     int64_t now)
{
	struct db_migration *migs;
	size_t n;
	int rc = db_migration_list_running(ctx->db, &migs, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct db_migration *m = &migs[i];
		const struct hmsg_have_migration *hm = NULL;
		char text[HMSG_DETAIL_MAX + 256];

		if (strcmp(m->src, node) != 0)
			continue;
		for (size_t k = 0; k < o->n_instances; k++)
			if (o->instances[k].migration.id == m->id &&
			    strcmp(o->instances[k].name, m->instance) == 0)
				hm = &o->instances[k].migration;
		if (!hm || (hm->phase != HMSG_MIG_DONE && hm->phase != HMSG_MIG_FAILED))
			continue;
		if (hm->phase == HMSG_MIG_DONE) {
			rc = db_migration_finish(ctx->db, m->id, DB_MIG_DONE, now, hm->elapsed_ms, "");
			if (rc == 0)
				rc = db_instance_set_node(ctx->db, m->instance, m->dst);
			snprintf(text, sizeof(text), "migrated from %s to %s in %.1f s", m->src, m->dst,
				 hm->elapsed_ms / 1000.0);
		} else {
			rc = db_migration_finish(ctx->db, m->id, DB_MIG_FAILED, now, hm->elapsed_ms,
						 hm->error);
			snprintf(text, sizeof(text), "migration to %s failed after %.1f s, still on %s:"
				 " %.150s", m->dst, hm->elapsed_ms / 1000.0, m->src, hm->error);
		}
		/* The history has the source agent's own event for it. */
		if (rc == 0)
			rc = db_storage_bump(ctx->db, m->src);
		if (rc == 0)
			rc = db_storage_bump(ctx->db, m->dst);
		if (rc == 0)
			log_info("instance %s: %s (migration %llu)", m->instance, text,
				 (unsigned long long)m->id);
	}
	free(migs);
	return rc;
}

/* Instances being deleted on node whose domain is gone there: the row
 * goes, and the volume too unless asked to keep it. */
static int finish_deletions(struct api_ctx *ctx, const char *node, const struct hmsg_observed *o)
{
	struct db_instance *insts;
	size_t n;
	int rc;

	/* Without libvirt the agent sees no domain at all: that is not
	 * "gone". */
	if (!o->libvirt)
		return 0;
	rc = db_instance_list(ctx->db, node, &insts, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct db_instance *in = &insts[i];
		struct db_volume v;

		if (in->desired != DB_INST_DELETING || hl_find(o, in->name))
			continue;
		rc = db_instance_delete(ctx->db, in->name);
		if (rc == 0 && !in->keep_disk && db_volume_get(ctx->db, in->volume, &v) == 0) {
			rc = db_storage_bump_pair(ctx->db, v.pair);
			if (rc == 0)
				rc = db_volume_delete(ctx->db, in->volume);
			/* A snapshot or clone of it (made since) holds it: the
			 * volume stays, this report is taken all the same. */
			if (rc == -EBUSY) {
				log_warn("instance %s: its volume %s is kept: a snapshot or clone"
					 " of it holds it", in->name, in->volume);
				rc = 0;
			}
		}
		if (rc == 0)
			rc = db_storage_bump(ctx->db, node);
		if (rc == 0)
			log_info("instance %s deleted (gone from %s)%s%s", in->name, node,
				 in->keep_disk ? ", its volume kept: " : ", its volume too: ",
				 in->volume);
	}
	free(insts);
	return rc;
}

/* What a hardware node's report settles: its events, migrations it was the
 * source of, deletions it finished. */
static int host_after(struct api_ctx *ctx, const char *node, int64_t now, void *arg)
{
	const struct hmsg_observed *o = arg;
	int rc;

	record_events(ctx, node, o);
	rc = finish_migrations(ctx, node, o, now);
	return rc < 0 ? rc : finish_deletions(ctx, node, o);
}

static void post_observed(struct api_ctx *ctx, const struct api_request *req,
			  struct api_response *resp)
{
	struct hmsg_observed o;
	struct db_node n;
	char err[HMSG_ERR_MAX], *text = NULL;
	int rc;

	if (hmsg_observed_decode(req->body ? req->body : "", req->body_len, &o, err) < 0) {
		api_error(resp, 400, "bad observed state: %s", err);
		goto out;
	}
	if (api_agent_auth(ctx, req, o.mac, ROLE_HW, &n, resp) < 0)
		goto out;
	if (api_agent_same_node(&n, o.node, resp) < 0)
		goto out;
	rc = hmsg_observed_encode(&o, &text);
	if (rc < 0) {
		api_error(resp, 500, "observed state of node %s not recorded: %s", n.name,
			  strerror(-rc));
		goto out;
	}
	api_agent_record(ctx, n.name, text, o.generation, host_after, &o, resp);
out:
	free(text);
	hmsg_observed_free(&o);
}

/* A dom0's libvirt certificate, for the name and address nimbusd has for
 * it (the CSR gives only the public key). */
static void post_certificate(struct api_ctx *ctx, const struct api_request *req,
			     struct api_response *resp)
{
	struct hmsg_cert_req *r = calloc(1, sizeof(*r));
	struct hmsg_cert_reply *rep = calloc(1, sizeof(*rep));
	char err[TLS_CA_ERR_MAX], derr[HMSG_ERR_MAX], ip[16], *cert = NULL, *text = NULL;
	json_error_t jerr;
	struct db_node n;
	int64_t not_after = 0;
	int rc;

	if (!r || !rep) {
		api_error(resp, 500, "out of memory");
		goto out;
	}
	if (hmsg_cert_req_decode(req->body ? req->body : "", req->body_len, r, derr) < 0) {
		api_error(resp, 400, "bad certificate request: %s", derr);
		goto out;
	}
	if (api_agent_auth(ctx, req, r->mac, ROLE_HW, &n, resp) < 0)
		goto out;
	if (strcmp(n.name, r->node) != 0) {
		api_error(resp, 403, "node %s cannot ask for node %s's certificate", n.name, r->node);
		goto out;
	}
	if (!ctx->ca) {
		api_error(resp, 503, "nimbusd has no certificate authority: %s",
			  ctx->ca_error ? ctx->ca_error : "none configured");
		goto out;
	}
	rc = tls_ca_sign(ctx->ca, r->csr, n.name, n.ip, TLS_CA_CERT_DAYS, ctx->now(), &cert,
			 &not_after, err);
	if (rc < 0) {
		log_warn("node %s: certificate request refused: %s", n.name, err);
		api_error(resp, rc == -EINVAL ? 400 : 500, "certificate for node %s not signed: %s",
			  n.name, err);
		goto out;
	}
	snprintf(rep->ca, sizeof(rep->ca), "%s", tls_ca_pem(ctx->ca));
	snprintf(rep->cert, sizeof(rep->cert), "%s", cert);
	rep->not_after = not_after;
	if (hmsg_cert_reply_encode(rep, &text) < 0) {
		api_error(resp, 500, "certificate for node %s does not fit a reply", n.name);
		goto out;
	}
	log_info("node %s: libvirt certificate signed for %s (IP %s), valid %d days", n.name, n.name,
		 api_ip_str(n.ip, ip), TLS_CA_CERT_DAYS);
	api_reply(resp, 200, json_loads(text, 0, &jerr));
out:
	free(text);
	free(cert);
	free(r);
	free(rep);
}

void api_host_node(struct api_ctx *ctx, const struct api_request *req,
		   struct api_response *resp)
{
	const char *p = req->path + strlen("/v1/host/");
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (strncmp(p, "desired/", 8) == 0 &&
	    (!strchr(p + 8, '/') || !strchr(strchr(p + 8, '/') + 1, '/')))
		get ? api_agent_get_desired(ctx, req, p + 8, ROLE_HW, api_host_reply_desired, resp) :
		      (void)api_error(resp, 405, "GET only on /v1/host/desired");
	else if (strcmp(p, "observed") == 0)
		post ? post_observed(ctx, req, resp) :
		       (void)api_error(resp, 405, "POST only on /v1/host/observed");
	else if (strcmp(p, "certificate") == 0)
		post ? post_certificate(ctx, req, resp) :
		       (void)api_error(resp, 405, "POST only on /v1/host/certificate");
	else
		api_error(resp, 404, "no such endpoint '%.100s' (GET /v1/host/desired/MAC,"
			  " POST /v1/host/observed, POST /v1/host/certificate)", req->path);
}
