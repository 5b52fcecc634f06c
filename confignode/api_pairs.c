/* /v1/pairs: storage pairs, for operators. Adding or removing one bumps
 * both members' generations; they fetch their desired state
 * (api_storage_node.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_storage.h"
#include "log.h"

/* --- /v1/pairs ---------------------------------------------------------- */

static int check_member(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct db_node n;
	struct db_pair p;
	int rc;

	if (!smsg_name_ok(name))
		return api_error(resp, 400, "bad node name '%.70s'", name);
	rc = db_node_get(ctx->db, name, &n);
	if (rc == -ENOENT)
		return api_error(resp, 404, "node %s does not exist", name);
	if (rc < 0)
		return api_error(resp, 500, "cannot read node %s", name);
	if (n.role != ROLE_STORAGE)
		return api_error(resp, 409, "node %s has role %s, not storage", name,
				 role_name(n.role));
	rc = db_pair_of_node(ctx->db, name, &p, NULL);
	if (rc == 0)
		return api_error(resp, 409, "node %s is already in pair %s", name, p.name);
	if (rc != -ENOENT)
		return api_error(resp, 500, "cannot read pairs");
	return 0;
}

/* Two replication addresses no pair uses. */
static int alloc_repl(struct api_ctx *ctx, uint32_t out[2], struct api_response *resp)
{
	struct db_pair *all;
	uint32_t *used;
	size_t n;
	int rc = 0;

	if (db_pair_list(ctx->db, &all, &n) < 0)
		return api_error(resp, 500, "cannot list pairs");
	used = calloc(2 * n + 2, sizeof(*used));
	if (!used) {
		free(all);
		return api_error(resp, 500, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		used[2 * i] = all[i].repl_ip[0];
		used[2 * i + 1] = all[i].repl_ip[1];
	}
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (sl_alloc_ip(ctx->cfg->repl_net, ctx->cfg->repl_prefix, used, 2 * n + (size_t)i,
				&out[i]) < 0)
			rc = api_error(resp, 507, "replication-network has no free address left");
		used[2 * n + (size_t)i] = out[i];
	}
	free(used);
	free(all);
	return rc;
}

static void pair_add(struct api_ctx *ctx, const struct api_request *req,
		     const char *sub API_UNUSED, struct api_response *resp)
{
	static const char *const keys[] = { "name", "nodes", NULL };
	struct db_pair p = { 0 };
	struct pair_view pv;
	const char *name;
	json_t *obj = api_parse_object(req, resp), *nodes;
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "name", true, &name, resp) < 0)
		goto out;
	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad pair name '%.70s' (a-z 0-9 -, at most 63)", name);
		goto out;
	}
	nodes = json_object_get(obj, "nodes");
	if (!json_is_array(nodes) || json_array_size(nodes) != 2 ||
	    !json_is_string(json_array_get(nodes, 0)) || !json_is_string(json_array_get(nodes, 1))) {
		api_error(resp, 400, "field 'nodes' must be an array of two node names");
		goto out;
	}
	snprintf(p.name, sizeof(p.name), "%s", name);
	for (int i = 0; i < 2; i++)
		snprintf(p.node[i], sizeof(p.node[i]), "%.63s",
			 json_string_value(json_array_get(nodes, (size_t)i)));
	if (strcmp(p.node[0], p.node[1]) == 0) {
		api_error(resp, 400, "pair %s: node %s given twice (a pair is two nodes)", name,
			  p.node[0]);
		goto out;
	}
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		goto out;
	}
	if (db_pair_get(ctx->db, name, &pv.p) == 0) {
		api_error(resp, 409, "pair %s already exists", name);
		goto rollback;
	}
	if (check_member(ctx, p.node[0], resp) < 0 || check_member(ctx, p.node[1], resp) < 0 ||
	    alloc_repl(ctx, p.repl_ip, resp) < 0)
		goto rollback;
	p.created = ctx->now();
	rc = db_pair_insert(ctx->db, &p);
	if (rc == 0)
		rc = db_storage_bump_pair(ctx->db, p.name);
	if (rc < 0) {
		api_error(resp, 500, "cannot add pair %s: %s", name, strerror(-rc));
		goto rollback;
	}
	if (db_commit(ctx->db) < 0) {
		api_error(resp, 500, "cannot add pair %s: commit failed", name);
		goto out;
	}
	log_info("pair %s added: %s and %s", p.name, p.node[0], p.node[1]);
	if (pair_view_load(ctx, p.name, &pv) == 0) {
		api_reply(resp, 201, pair_json(&pv, true));
		pair_view_free(&pv);
	} else {
		api_error(resp, 500, "pair %s added but cannot be read back", p.name);
	}
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void add_pair(const struct pair_view *pv, json_t *arr)
{
	json_array_append_new(arr, pair_json(pv, false));
}

static void pair_list(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
		      const char *sub API_UNUSED, struct api_response *resp)
{
	api_list_pairs(ctx, "pairs", add_pair, resp);
}

static void pair_show(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
		      const char *name, struct api_response *resp)
{
	struct pair_view pv;
	int rc;

	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad pair name '%.70s'", name);
		return;
	}
	rc = pair_view_load(ctx, name, &pv);
	if (rc == -ENOENT) {
		api_error(resp, 404, "pair %s does not exist", name);
		return;
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot read pair %s", name);
		return;
	}
	api_reply(resp, 200, pair_json(&pv, true));
	pair_view_free(&pv);
}

static void pair_remove(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			const char *name, struct api_response *resp)
{
	struct pair_view pv;
	int rc;

	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad pair name '%.70s'", name);
		return;
	}
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		return;
	}
	rc = pair_view_load(ctx, name, &pv);
	if (rc < 0) {
		api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
			  "pair %s does not exist" : "cannot read pair %s", name);
		goto rollback;
	}
	if (pv.n_vols) {
		char names[160] = "";
		size_t used = 0;

		for (size_t i = 0; i < pv.n_vols && used + 70 < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", pv.vols[i].name);
		api_error(resp, 409, "pair %s holds %zu volume%s (%s%s): delete them first", name,
			  pv.n_vols, pv.n_vols == 1 ? "" : "s", names,
			  used + 70 >= sizeof(names) ? ", ..." : "");
		pair_view_free(&pv);
		goto rollback;
	}
	/* The members' next desired state says: no pair. */
	rc = db_storage_bump_pair(ctx->db, name);
	if (rc == 0)
		rc = db_pair_delete(ctx->db, name);
	if (rc == 0)
		rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "cannot remove pair %s: %s", name, strerror(-rc));
		pair_view_free(&pv);
		goto rollback;
	}
	log_info("pair %s removed (%s and %s are free)", name, pv.p.node[0], pv.p.node[1]);
	api_reply(resp, 200, json_pack("{s:s, s:[s,s]}", "removed", name, "nodes",
				       pv.p.node[0], pv.p.node[1]));
	pair_view_free(&pv);
	return;
rollback:
	db_rollback(ctx->db);
}

void api_pairs(struct api_ctx *ctx, const struct api_request *req, const char *sub,
	       struct api_response *resp)
{
	static const struct api_route routes[] = {
		{ false, "GET", pair_list }, { false, "POST", pair_add },
		{ true, "GET", pair_show }, { true, "DELETE", pair_remove },
	};

	api_route(ctx, req, sub, routes, sizeof(routes) / sizeof(routes[0]),
		  "GET, POST on /v1/pairs; GET, DELETE on /v1/pairs/NAME", resp);
}
