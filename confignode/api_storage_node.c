/* The storage nodes' endpoints on the report listener: GET
 * /v1/storage/desired/MAC (or ?mac=MAC; /MAC/GEN waits until the node's
 * generation is newer than GEN, at most SWAIT_HOLD_MS), POST /v1/storage/observed, POST
 * /v1/storage/fence (docs/storage-agent.md). As with reports, only the node
 * whose MAC and source address both match gets its state or may speak;
 * nimbusd is the arbiter of fencing: one node per volume goes on alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_storage.h"
#include "db_instance.h"
#include "log.h"
#include "storage_wait.h"

/* A GET /v1/storage/desired held until a change (storage_wait.h). */
struct held {
	void (*reply_later)(void *arg, struct api_response *resp);
	void *reply_arg;
	struct db_node n;
};

/* The node of role with this MAC, sending from its own address. */
int api_agent_auth(struct api_ctx *ctx, const struct api_request *req, const uint8_t mac[MAC_LEN],
		   enum node_role role, struct db_node *n, struct api_response *resp)
{
	const char *who = role == ROLE_HW ? "host" : "storage";
	char m[MAC_STR_LEN], ip[16], peer[16];
	int rc;

	mac_format(mac, m);
	api_ip_str(req->peer_ip, peer);
	rc = db_node_by_mac(ctx->db, mac, n);
	if (rc == -ENOENT) {
		log_warn("%s: %s %s from unknown mac %s at %s refused", who, req->method, req->path,
			 m, peer);
		return api_error(resp, 404, "mac %s is not a node", m);
	}
	if (rc < 0)
		return api_error(resp, 500, "database error");
	if (n->ip != req->peer_ip) {
		log_warn("%s: mac %s (node %s, ip %s) claimed from %s: refused", who, m, n->name,
			 api_ip_str(n->ip, ip), peer);
		return api_error(resp, 403, "mac %s belongs to node %s at %s, not %s", m, n->name,
				 ip, peer);
	}
	if (n->role != role)
		return api_error(resp, 403, "node %s has role %s, not %s", n->name,
				 role_name(n->role), role_name(role));
	return 0;
}

static int node_auth(struct api_ctx *ctx, const struct api_request *req,
		     const uint8_t mac[MAC_LEN], struct db_node *n, struct api_response *resp)
{
	return api_agent_auth(ctx, req, mac, ROLE_STORAGE, n, resp);
}

int api_agent_same_node(const struct db_node *n, const char *claimed, struct api_response *resp)
{
	if (strcmp(n->name, claimed) != 0)
		return api_error(resp, 403, "node %s cannot speak for node %s", n->name, claimed);
	return 0;
}

/* Reads and decodes the desired state of node n into a JSON reply. */
static void reply_desired(struct api_ctx *ctx, const struct db_node *n,
			  struct api_response *resp)
{
	struct sl_desired_in in = { .node = n->name };
	struct smsg_desired d;
	struct pair_view pv;
	struct gen_drbd_res tmpl;
	bool have_pair = false;
	json_error_t jerr;
	char *text = NULL;
	int rc, idx;

	gen_drbd_defaults(&tmpl);
	in.tmpl = &tmpl;
	rc = db_storage_get(ctx->db, n->name, &in.generation, NULL, NULL);
	if (rc == 0) {
		struct db_pair p;

		rc = db_pair_of_node(ctx->db, n->name, &p, &idx);
		if (rc == 0) {
			rc = pair_view_load(ctx, p.name, &pv);
			have_pair = rc == 0;
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot read the storage state of node %s", n->name);
		return;
	}
	if (have_pair) {
		in.pair = &pv.p;
		in.vols = pv.vols;
		in.n_vols = pv.n_vols;
		in.fences = pv.fences;
		in.n_fences = pv.n_fences;
	}
	rc = sl_build_desired(&in, &d);
	if (rc == 0) {
		rc = smsg_desired_encode(&d, &text);
		smsg_desired_free(&d);
	}
	if (have_pair)
		pair_view_free(&pv);
	if (rc < 0) {
		log_err("node %s: cannot build its desired state: %s", n->name, strerror(-rc));
		api_error(resp, 500, "cannot build the desired state of node %s: %s", n->name,
			  strerror(-rc));
		return;
	}
	api_reply(resp, 200, json_loads(text, 0, &jerr));
	free(text);
}

void api_agent_get_desired(struct api_ctx *ctx, const struct api_request *req, const char *arg,
			   enum node_role role, api_desired_fn reply, struct api_response *resp)
{
	uint8_t mac[MAC_LEN];
	char m[MAC_STR_LEN + 8];
	const char *slash = strchr(arg, '/');
	unsigned long long have = 0;
	struct db_node n;
	uint64_t gen;

	snprintf(m, sizeof(m), "%.*s", slash ? (int)(slash - arg) : (int)strlen(arg), arg);
	if (mac_parse(m, mac) < 0 || !mac_is_unicast(mac)) {
		api_error(resp, 400, "bad mac '%.40s'", m);
		return;
	}
	if (slash) {
		char *end;

		errno = 0;
		have = strtoull(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || slash[1] == '-') {
			api_error(resp, 400, "bad generation '%.30s' (want /v1/%s/desired/MAC/GEN)",
				  slash + 1, role == ROLE_HW ? "host" : "storage");
			return;
		}
	}
	if (api_agent_auth(ctx, req, mac, role, &n, resp) < 0)
		return;
	/* Hold it while the agent is current; answer at once otherwise, or
	 * when long-polls are off or too many are held. */
	if (!slash || db_storage_get(ctx->db, n.name, &gen, NULL, NULL) < 0 || gen > have ||
	    api_agent_hold(ctx, req, &n, have, resp) < 0)
		reply(ctx, &n, resp);
}

static void get_desired(struct api_ctx *ctx, const struct api_request *req, const char *arg,
			struct api_response *resp)
{
	api_agent_get_desired(ctx, req, arg, ROLE_STORAGE, reply_desired, resp);
}

int api_agent_hold(struct api_ctx *ctx, const struct api_request *req, const struct db_node *n,
		   uint64_t have, struct api_response *resp)
{
	struct held *hd;

	if (!ctx->swait || !ctx->now_ms || !req->reply_later)
		return -EAGAIN;
	hd = calloc(1, sizeof(*hd));
	if (!hd || swait_add(ctx->swait, n->name, have, ctx->now_ms() + SWAIT_HOLD_MS, hd) < 0) {
		free(hd);
		return -EAGAIN;
	}
	hd->reply_later = req->reply_later;
	hd->reply_arg = req->reply_arg;
	hd->n = *n;
	resp->status = API_PENDING;
	resp->body = NULL;
	return 0;
}

static int gen_of(void *arg, const char *node, uint64_t *gen)
{
	return db_storage_get(((struct api_ctx *)arg)->db, node, gen, NULL, NULL);
}

int api_storage_wait_run(struct api_ctx *ctx, bool flush)
{
	struct swait_entry due[16];
	size_t n;
	int total = 0;

	if (!ctx->swait)
		return 0;
	do {
		n = flush ? swait_take_all(ctx->swait, due, 16) :
			    swait_due(ctx->swait, ctx->now_ms(), gen_of, ctx, due, 16);
		for (size_t i = 0; i < n; i++) {
			struct held *hd = due[i].req;
			struct api_response r = { 0 };

			/* Storage and hardware nodes share the list (and the
			 * generations in storage_state): the role says which
			 * desired state to send. */
			if (hd->n.role == ROLE_HW)
				api_host_reply_desired(ctx, &hd->n, &r);
			else
				reply_desired(ctx, &hd->n, &r);
			hd->reply_later(hd->reply_arg, &r);
			free(hd);
		}
		total += (int)n;
	} while (n == 16);
	return total;
}

int api_storage_wait_timeout_ms(struct api_ctx *ctx)
{
	return ctx->swait && ctx->now_ms ? swait_timeout_ms(ctx->swait, ctx->now_ms()) : -1;
}

/* The hardware node an instance whose disk is volume is placed on. */
static int bump_instance_node(struct api_ctx *ctx, const char *volume)
{
	struct db_instance in;
	int rc = db_instance_by_volume(ctx->db, volume, &in);

	if (rc == -ENOENT || (rc == 0 && !in.node[0]))
		return 0;
	if (rc == 0)
		rc = db_instance_bump_nodes(ctx->db, in.name);
	return rc;
}

/* After a node's report: a volume both nodes now serve is ready (from then
 * on, none serving means failed, not creating); a fence whose loser has
 * resynced is released, and both nodes export again. */
static int after_observed(struct api_ctx *ctx, const char *pair, int64_t now)
{
	struct pair_view pv;
	bool bump = false;
	bool conv[2] = { false, false };
	int rc = pair_view_load(ctx, pair, &pv);

	/* Each node's report is newer than its last desired-state bump (a
	 * fence's grant among them) only once it says it converged to it. */
	for (int n = 0; rc == 0 && n < 2; n++)
		conv[n] = pv.fresh[n] && pv.obs[n].generation >= pv.gen[n];
	for (size_t i = 0; rc == 0 && i < pv.n_vols; i++) {
		const struct db_volume *v = &pv.vols[i];
		const struct smsg_have_volume *h[2];
		struct sl_state st;

		pair_view_have(&pv, v->name, h);
		sl_volume_state(v, h, &st);
		if (st.state == SL_READY && !v->ready_at) {
			rc = db_volume_set_ready(ctx->db, v->name, now);
			log_info("volume %s ready: both %s and %s export it (%lld s after create)",
				 v->name, pv.p.node[0], pv.p.node[1], (long long)(now - v->created));
			/* An instance waiting for its disk goes to its node now. */
			if (rc == 0)
				rc = bump_instance_node(ctx, v->name);
		}
		for (size_t k = 0; rc == 0 && k < pv.n_fences; k++) {
			if (strcmp(pv.fences[k].volume, v->name) != 0 || !sl_fence_release(h, conv))
				continue;
			rc = db_fence_clear(ctx->db, v->name);
			log_info("volume %s: fence of %s released, both nodes UpToDate and connected",
				 v->name, pv.fences[k].node);
			bump = true;
		}
	}
	if (rc == 0 && bump)
		rc = db_storage_bump_pair(ctx->db, pair);
	if (rc != -ENOENT)
		pair_view_free(&pv);
	return rc;
}

/* What a storage node's report settles: its pair's volumes and fences. */
static int storage_after(struct api_ctx *ctx, const char *node, int64_t now, void *arg)
{
	struct db_pair p;
	int rc = db_pair_of_node(ctx->db, node, &p, NULL);

	(void)arg;
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : after_observed(ctx, p.name, now);
}

void api_agent_record(struct api_ctx *ctx, const char *node, const char *text, uint64_t applied,
		      api_after_fn after, void *arg, struct api_response *resp)
{
	int64_t now = ctx->now();
	uint64_t gen = 0;
	int rc = db_begin(ctx->db);

	if (rc == 0) {
		rc = db_storage_set_observed(ctx->db, node, text, now);
		if (rc == 0)
			rc = after(ctx, node, now, arg);
		if (rc == 0)
			rc = db_storage_get(ctx->db, node, &gen, NULL, NULL);
		if (rc == 0)
			rc = db_commit(ctx->db);
		else
			db_rollback(ctx->db);
	}
	if (rc < 0) {
		api_error(resp, 500, "observed state of node %s not recorded: %s", node,
			  strerror(-rc));
		return;
	}
	/* The node learns whether it is behind without another request. */
	api_reply(resp, 200, json_pack("{s:s, s:I, s:I}", "node", node, "generation",
				       (json_int_t)gen, "applied_generation", (json_int_t)applied));
}

static void post_observed(struct api_ctx *ctx, const struct api_request *req,
			  struct api_response *resp)
{
	struct smsg_observed o;
	struct db_node n;
	char err[SMSG_ERR_MAX], *text = NULL;
	int rc;

	if (smsg_observed_decode(req->body ? req->body : "", req->body_len, &o, err) < 0) {
		api_error(resp, 400, "bad observed state: %s", err);
		goto out;
	}
	if (node_auth(ctx, req, o.mac, &n, resp) < 0 || api_agent_same_node(&n, o.node, resp) < 0)
		goto out;
	rc = smsg_observed_encode(&o, &text);
	if (rc < 0) {
		api_error(resp, 500, "observed state of node %s not recorded: %s", n.name,
			  strerror(-rc));
		goto out;
	}
	api_agent_record(ctx, n.name, text, o.generation, storage_after, NULL, resp);
out:
	free(text);
	smsg_observed_free(&o);
}

static void post_fence(struct api_ctx *ctx, const struct api_request *req,
		       struct api_response *resp)
{
	struct smsg_fence_req fr;
	struct smsg_fence_reply rep = { 0 };
	struct db_node n;
	struct db_volume v;
	struct db_fence holder;
	struct pair_view pv;
	const struct smsg_have_volume *h[2] = { NULL, NULL }, *mine;
	char err[SMSG_ERR_MAX], *text = NULL;
	json_error_t jerr;
	int rc, self = 0;
	bool held;

	if (smsg_fence_req_decode(req->body ? req->body : "", req->body_len, &fr, err) < 0) {
		api_error(resp, 400, "bad fence request: %s", err);
		return;
	}
	if (node_auth(ctx, req, fr.mac, &n, resp) < 0 || api_agent_same_node(&n, fr.node, resp) < 0)
		return;
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		return;
	}
	rc = db_volume_get(ctx->db, fr.volume, &v);
	if (rc == 0)
		rc = pair_view_load(ctx, v.pair, &pv);
	if (rc < 0) {
		api_error(resp, rc == -ENOENT ? 404 : 500, "volume %s does not exist", fr.volume);
		goto rollback;
	}
	if (strcmp(pv.p.node[0], n.name) != 0 && strcmp(pv.p.node[1], n.name) != 0) {
		api_error(resp, 403, "volume %s is on pair %s, not node %s's", fr.volume, pv.p.name,
			  n.name);
		pair_view_free(&pv);
		goto rollback;
	}
	self = strcmp(pv.p.node[1], n.name) == 0;
	/* The asker's last report, stale or not: it lost its link, maybe
	 * before it could report again. */
	for (int i = 0; i < 2; i++)
		h[i] = sl_find_have(&pv.obs[i], fr.volume);
	mine = h[self];
	held = db_fence_get(ctx->db, fr.volume, &holder) == 0;
	rep.granted = sl_fence_decide(n.name, fr.volume, mine, held ? &holder : NULL, rep.reason);
	rc = 0;
	if (rep.granted && !held) {
		/* Both generations grow: the loser's desired state now has
		 * export=false for this volume. */
		rc = db_fence_set(ctx->db, fr.volume, n.name, ctx->now());
		if (rc == 0)
			rc = db_storage_bump_pair(ctx->db, pv.p.name);
	}
	pair_view_free(&pv);
	if (rc == 0)
		rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "fence of volume %s not recorded: %s", fr.volume, strerror(-rc));
		goto rollback;
	}
	if (rep.granted)
		log_warn("fence: volume %s granted to %s (%s)", fr.volume, n.name, rep.reason);
	else
		log_warn("fence: volume %s refused to %s: %s", fr.volume, n.name, rep.reason);
	if (smsg_fence_reply_encode(&rep, &text) < 0) {
		api_error(resp, 500, "out of memory");
		return;
	}
	api_reply(resp, 200, json_loads(text, 0, &jerr));
	free(text);
	return;
rollback:
	db_rollback(ctx->db);
}

void api_storage_node(struct api_ctx *ctx, const struct api_request *req,
		      struct api_response *resp)
{
	const char *p = req->path + strlen("/v1/storage/");
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (strncmp(p, "desired/", 8) == 0 &&
	    (!strchr(p + 8, '/') || !strchr(strchr(p + 8, '/') + 1, '/')))
		get ? get_desired(ctx, req, p + 8, resp) :
		      (void)api_error(resp, 405, "GET only on /v1/storage/desired");
	else if (strncmp(p, "desired?mac=", 12) == 0)
		get ? get_desired(ctx, req, p + 12, resp) :
		      (void)api_error(resp, 405, "GET only on /v1/storage/desired");
	else if (strcmp(p, "observed") == 0)
		post ? post_observed(ctx, req, resp) :
		       (void)api_error(resp, 405, "POST only on /v1/storage/observed");
	else if (strcmp(p, "fence") == 0)
		post ? post_fence(ctx, req, resp) :
		       (void)api_error(resp, 405, "POST only on /v1/storage/fence");
	else
		api_error(resp, 404, "no such endpoint '%.100s' (GET /v1/storage/desired/MAC,"
			  " POST /v1/storage/observed, POST /v1/storage/fence)", req->path);
}
