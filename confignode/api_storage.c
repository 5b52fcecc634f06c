/* /v1/pairs and /v1/volumes: storage pairs and the replicated volumes on
 * them, for operators. Every change bumps the generation of the nodes that
 * must apply it; the nodes fetch their desired state (api_storage_node.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_storage.h"
#include "log.h"
#include "size_units.h"

/* --- the pair view ------------------------------------------------------ */

int pair_view_load(struct api_ctx *ctx, const char *name, struct pair_view *pv)
{
	int rc;

	memset(pv, 0, sizeof(*pv));
	rc = db_pair_get(ctx->db, name, &pv->p);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 2; i++) {
		char *text, err[SMSG_ERR_MAX];

		rc = db_storage_get(ctx->db, pv->p.node[i], &pv->gen[i], &text, &pv->at[i]);
		if (rc < 0)
			goto err;
		/* What was stored was decoded and re-encoded by nimbusd itself:
		 * a failure here is a damaged database, logged and ignored. */
		if (text[0] && smsg_observed_decode(text, strlen(text), &pv->obs[i], err) < 0)
			log_err("node %s: stored observed state unreadable: %s", pv->p.node[i], err);
		else if (text[0])
			pv->fresh[i] = ctx->now() - pv->at[i] <= (int64_t)ctx->cfg->lost_after;
		free(text);
	}
	rc = db_volume_list(ctx->db, name, &pv->vols, &pv->n_vols);
	if (rc == 0)
		rc = db_fence_list(ctx->db, name, &pv->fences, &pv->n_fences);
	if (rc == 0)
		rc = api_image_roots(ctx, &pv->roots, &pv->n_roots);
	if (rc == 0)
		return 0;
err:
	pair_view_free(pv);
	return rc;
}

void pair_view_free(struct pair_view *pv)
{
	for (int i = 0; i < 2; i++)
		smsg_observed_free(&pv->obs[i]);
	free(pv->vols);
	free(pv->fences);
	free(pv->roots);
	memset(pv, 0, sizeof(*pv));
}

void pair_view_have(const struct pair_view *pv, const char *name,
		    const struct smsg_have_volume *h[2])
{
	for (int i = 0; i < 2; i++)
		h[i] = pv->fresh[i] ? sl_find_have(&pv->obs[i], name) : NULL;
}

/* The nodes booting image (their override, or their role's default). */
static int image_nodes(struct api_ctx *ctx, const char *image, const struct db_node *nodes,
		       size_t n, char *out, size_t len)
{
	size_t used = 0;
	int count = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char boot[PROV_NAME_MAX];

		if (nodes[i].image[0])
			snprintf(boot, sizeof(boot), "%s", nodes[i].image);
		else if (db_role_get(ctx->db, nodes[i].role, boot) < 0)
			return -EIO;
		if (strcmp(boot, image) != 0)
			continue;
		if (used + strlen(nodes[i].name) + 8 < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", count ? ", " : "",
						 nodes[i].name);
		else if (!strstr(out, "..."))
			used += (size_t)snprintf(out + used, len - used, ", ...");
		count++;
	}
	return count;
}

int api_image_roots(struct api_ctx *ctx, struct image_root **out, size_t *n)
{
	struct prov_image *imgs = NULL;
	struct db_node *nodes = NULL;
	struct image_root *r = NULL;
	size_t ni = 0, nn = 0, k = 0;
	int rc;

	rc = db_image_list(ctx->db, &imgs, &ni);
	if (rc == 0)
		rc = db_node_list(ctx->db, &nodes, &nn);
	if (rc == 0 && !(r = calloc(ni + 1, sizeof(*r))))
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < ni; i++) {
		if (sl_cmdline_root(imgs[i].cmdline, &r[k].at) < 0)
			continue;
		snprintf(r[k].image, sizeof(r[k].image), "%s", imgs[i].name);
		rc = image_nodes(ctx, imgs[i].name, nodes, nn, r[k].nodes, sizeof(r[k].nodes));
		if (rc >= 0) {
			rc = 0;
			k++;
		}
	}
	free(imgs);
	free(nodes);
	if (rc < 0) {
		free(r);
		return rc;
	}
	*out = r;
	*n = k;
	return 0;
}

/* The image naming v as its root, or NULL. */
static const struct image_root *root_of(const struct pair_view *pv, const struct db_volume *v)
{
	for (size_t i = 0; i < pv->n_roots; i++)
		if (pv->roots[i].at.shelf == v->shelf && pv->roots[i].at.slot == v->slot)
			return &pv->roots[i];
	return NULL;
}

static uint64_t node_free(const struct pair_view *pv, int i)
{
	return pv->fresh[i] ? sl_node_free(&pv->obs[i], pv->vols, pv->n_vols) : 0;
}

static uint64_t pair_free(const struct pair_view *pv)
{
	uint64_t a = node_free(pv, 0), b = node_free(pv, 1);

	return a < b ? a : b;
}

static json_t *size_json(json_t *obj, const char *key, uint64_t v)
{
	char k[48], s[SIZE_STR_MAX];

	snprintf(k, sizeof(k), "%s_h", key);
	json_object_set_new(obj, key, json_integer((json_int_t)v));
	json_object_set_new(obj, k, json_string(size_format(v, s)));
	return obj;
}

/* --- JSON --------------------------------------------------------------- */

static json_t *have_json(const char *node, const struct smsg_have_volume *h, bool serving)
{
	json_t *o;

	if (!h)
		return json_pack("{s:s, s:b, s:b, s:b, s:b}", "node", node, "reported", 0,
				 "lv", 0, "exported", 0, "serving", 0);
	o = json_pack("{s:s, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:b, s:s}",
		      "node", node, "reported", 1, "lv", h->lv, "drbd", h->drbd,
		      "exported", h->exported, "role", smsg_role_name(h->role),
		      "disk", smsg_dsk_name(h->disk), "peer_disk", smsg_dsk_name(h->peer_disk),
		      "peer_role", smsg_role_name(h->peer_role), "conn", smsg_conn_name(h->conn),
		      "sync_percent", h->sync_percent, "sync_eta_s", (json_int_t)h->sync_eta_s,
		      "serving", serving, "error", h->error);
	return o ? size_json(o, "lv_size", h->size_bytes) : NULL;
}

/* Who depends on a volume: its snapshots, and the image naming it as its
 * root with the nodes booting that image (instances' disks come with
 * instances). */
static json_t *used_by(const struct pair_view *pv, const struct db_volume *v)
{
	const struct image_root *root = root_of(pv, v);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < pv->n_vols; i++)
		if (strcmp(pv->vols[i].origin, v->name) == 0)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "kind", "snapshot",
							     "name", pv->vols[i].name));
	if (arr && root)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "kind", "image-root",
						     "name", root->image, "nodes", root->nodes));
	return arr;
}

static json_t *volume_json(const struct pair_view *pv, const struct db_volume *v)
{
	const struct smsg_have_volume *h[2];
	const struct db_fence *fence = NULL;
	struct sl_state st;
	char aoe[24];
	json_t *o, *nodes;

	pair_view_have(pv, v->name, h);
	sl_volume_state(v, h, &st);
	for (size_t i = 0; i < pv->n_fences; i++)
		if (strcmp(pv->fences[i].volume, v->name) == 0)
			fence = &pv->fences[i];
	snprintf(aoe, sizeof(aoe), "e%u.%u", v->shelf, v->slot);
	nodes = json_array();
	for (int i = 0; nodes && i < 2; i++)
		json_array_append_new(nodes, have_json(pv->p.node[i], h[i], st.serving[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:I, s:i, s:s, s:f, s:I, s:I, s:I,"
		      " s:o, s:o, s:o}",
		      "name", v->name, "pair", v->pair,
		      "kind", v->kind == SMSG_VOLUME_SNAPSHOT ? "snapshot" : "volume",
		      "origin", v->origin, "shelf", v->shelf, "slot", v->slot, "aoe", aoe,
		      "minor", (json_int_t)v->minor, "port", v->port,
		      "state", sl_vstate_name(st.state), "sync_percent", st.percent,
		      "sync_eta_s", (json_int_t)st.eta_s, "created", (json_int_t)v->created,
		      "ready_at", (json_int_t)v->ready_at,
		      "fence", fence ? json_pack("{s:s, s:I}", "node", fence->node,
						 "at", (json_int_t)fence->at) : json_null(),
		      "used_by", used_by(pv, v), "nodes", nodes);
	return o ? size_json(o, "size", v->size) : NULL;
}

static json_t *pair_json(const struct pair_view *pv, bool full)
{
	json_t *o, *nodes = json_array(), *vols = json_array();

	for (int i = 0; nodes && i < 2; i++) {
		char ip[16];
		json_t *n = json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:b}",
				      "name", pv->p.node[i],
				      "replication_address", api_ip_str(pv->p.repl_ip[i], ip),
				      "observed_at", (json_int_t)pv->at[i],
				      "generation", (json_int_t)pv->gen[i],
				      "applied_generation", (json_int_t)pv->obs[i].generation,
				      "reporting", pv->fresh[i], "vg", pv->obs[i].vg);

		if (n) {
			size_json(n, "pool_size", pv->obs[i].pool_size);
			size_json(n, "pool_used", pv->obs[i].pool_used);
			size_json(n, "free", node_free(pv, i));
		}
		json_array_append_new(nodes, n);
	}
	for (size_t i = 0; vols && i < pv->n_vols; i++)
		json_array_append_new(vols, full ? volume_json(pv, &pv->vols[i]) :
					   json_string(pv->vols[i].name));
	o = json_pack("{s:s, s:I, s:o, s:o}", "name", pv->p.name, "created",
		      (json_int_t)pv->p.created, "nodes", nodes, "volumes", vols);
	return o ? size_json(o, "free", pair_free(pv)) : NULL;
}

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
		     struct api_response *resp)
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

static void pair_list(struct api_ctx *ctx, struct api_response *resp)
{
	struct db_pair *all;
	size_t n;
	json_t *arr;

	if (db_pair_list(ctx->db, &all, &n) < 0) {
		api_error(resp, 500, "cannot list pairs");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct pair_view pv;

		if (pair_view_load(ctx, all[i].name, &pv) < 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_array_append_new(arr, pair_json(&pv, false));
		pair_view_free(&pv);
	}
	free(all);
	if (!arr)
		api_error(resp, 500, "cannot read pairs");
	else
		api_reply(resp, 200, json_pack("{s:o}", "pairs", arr));
}

static void pair_show(struct api_ctx *ctx, const char *name, struct api_response *resp)
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

static void pair_remove(struct api_ctx *ctx, const char *name, struct api_response *resp)
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
	const char *m = req->method;

	if (!*sub && strcmp(m, "GET") == 0)
		pair_list(ctx, resp);
	else if (!*sub && strcmp(m, "POST") == 0)
		pair_add(ctx, req, resp);
	else if (*sub && strcmp(m, "GET") == 0)
		pair_show(ctx, sub, resp);
	else if (*sub && strcmp(m, "DELETE") == 0)
		pair_remove(ctx, sub, resp);
	else
		api_error(resp, 405, "method %.20s not allowed on %.100s (GET, POST on /v1/pairs;"
			  " GET, DELETE on /v1/pairs/NAME)", m, req->path);
}

/* --- /v1/volumes -------------------------------------------------------- */

/* A "size" member: a positive JSON integer of bytes, a multiple of 512. */
static int get_size(json_t *obj, uint64_t *out, struct api_response *resp)
{
	json_t *v = json_object_get(obj, "size");

	if (!v)
		return api_error(resp, 400, "missing field 'size' (bytes)");
	if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) % 512)
		return api_error(resp, 400, "bad size %lld: a positive number of bytes, a multiple of 512",
				 json_is_integer(v) ? (long long)json_integer_value(v) : -1LL);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* The pair to put a new volume on: the one asked for, or the one with most
 * free space; either must fit size. Leaves its view in pv. */
static int choose_pair(struct api_ctx *ctx, const char *want, uint64_t size,
		       struct pair_view *pv, struct api_response *resp)
{
	struct db_pair *all = NULL;
	struct sl_pair_free *fr = NULL;
	char a[SIZE_STR_MAX], b[SIZE_STR_MAX];
	uint64_t largest = 0;
	size_t n = 0, idx = 0;
	int rc;

	if (want) {
		rc = pair_view_load(ctx, want, pv);
		if (rc < 0)
			return api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
					 "pair %s does not exist" : "cannot read pair %s", want);
		if (pair_free(pv) < size) {
			api_error(resp, 507, "pair %s has %s free, %s asked", want,
				  size_format(pair_free(pv), a), size_format(size, b));
			pair_view_free(pv);
			return -1;
		}
		return 0;
	}
	if (db_pair_list(ctx->db, &all, &n) < 0)
		return api_error(resp, 500, "cannot list pairs");
	fr = calloc(n + 1, sizeof(*fr));
	rc = fr ? 0 : api_error(resp, 500, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (pair_view_load(ctx, all[i].name, pv) < 0) {
			rc = api_error(resp, 500, "cannot read pair %s", all[i].name);
			break;
		}
		fr[i].name = all[i].name;
		fr[i].free = pair_free(pv);
		pair_view_free(pv);
	}
	if (rc == 0) {
		rc = sl_place(fr, n, size, &idx, &largest);
		if (rc == -ENOENT)
			rc = api_error(resp, 409, "there is no storage pair (add one: nimbus pair add)");
		else if (rc == -ENOSPC)
			rc = api_error(resp, 507, "no pair has %s free: the most is %s, on pair %s",
				       size_format(size, a), size_format(largest, b),
				       fr[idx].name);
	}
	if (rc == 0 && pair_view_load(ctx, all[idx].name, pv) < 0)
		rc = api_error(resp, 500, "cannot read pair %s", all[idx].name);
	free(fr);
	free(all);
	return rc;
}

/* shelf.slot unique in the cloud, minor and port unique on the pair. */
static int alloc_volume(struct api_ctx *ctx, const struct pair_view *pv, struct db_volume *v,
			struct api_response *resp)
{
	struct db_volume *all;
	struct sl_addr *addrs, a;
	uint32_t *minors;
	size_t n;
	int rc;

	if (db_volume_list(ctx->db, NULL, &all, &n) < 0)
		return api_error(resp, 500, "cannot list volumes");
	/* What images name as their roots is taken too: those may be exports
	 * nimbusd did not make. */
	addrs = calloc(n + pv->n_roots + 1, sizeof(*addrs));
	minors = calloc(pv->n_vols + 1, sizeof(*minors));
	rc = addrs && minors ? 0 : api_error(resp, 500, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++)
		addrs[i] = (struct sl_addr){ all[i].shelf, all[i].slot };
	for (size_t i = 0; rc == 0 && i < pv->n_roots; i++)
		addrs[n + i] = pv->roots[i].at;
	n += pv->n_roots;
	for (size_t i = 0; rc == 0 && i < pv->n_vols; i++)
		minors[i] = pv->vols[i].minor;
	if (rc == 0 && pv->n_vols >= SMSG_MAX_VOLUMES)
		rc = api_error(resp, 507, "pair %s holds %d volumes, the most a pair can",
			       pv->p.name, SMSG_MAX_VOLUMES);
	if (rc == 0) {
		rc = sl_alloc_addr(ctx->cfg->shelf_min, ctx->cfg->shelf_max, addrs, n, &a);
		if (rc == -ENOSPC)
			rc = api_error(resp, 507, "volume-shelves %u-%u are full", ctx->cfg->shelf_min,
				       ctx->cfg->shelf_max);
		else if (rc < 0)
			rc = api_error(resp, 500, "out of memory");
	}
	if (rc == 0 && sl_alloc_minor(minors, pv->n_vols, ctx->cfg->drbd_port_base, &v->minor,
				      &v->port) < 0)
		rc = api_error(resp, 507, "pair %s has no DRBD minor and port left", pv->p.name);
	v->shelf = a.shelf;
	v->slot = a.slot;
	free(addrs);
	free(minors);
	free(all);
	return rc;
}

static int reply_volume(struct api_ctx *ctx, int status, const char *name,
			struct api_response *resp)
{
	struct db_volume v;
	struct pair_view pv;

	if (db_volume_get(ctx->db, name, &v) < 0 || pair_view_load(ctx, v.pair, &pv) < 0)
		return api_error(resp, 500, "cannot read volume %s", name);
	for (size_t i = 0; i < pv.n_vols; i++)
		if (strcmp(pv.vols[i].name, name) == 0)
			api_reply(resp, status, volume_json(&pv, &pv.vols[i]));
	pair_view_free(&pv);
	return 0;
}

static void volume_create(struct api_ctx *ctx, const struct api_request *req,
			  struct api_response *resp)
{
	static const char *const keys[] = { "name", "size", "pair", "origin", NULL };
	struct db_volume v = { 0 }, o;
	struct pair_view pv;
	const char *name, *pair, *origin;
	char s[SIZE_STR_MAX];
	json_t *obj = api_parse_object(req, resp);
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "pair", false, &pair, resp) < 0 ||
	    api_get_str(obj, "origin", false, &origin, resp) < 0)
		goto out;
	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad volume name '%.70s' (a-z 0-9 -, at most 63)", name);
		goto out;
	}
	if (origin && (pair || json_object_get(obj, "size"))) {
		api_error(resp, 400, "a snapshot takes its origin's pair and size: no 'pair' or 'size'");
		goto out;
	}
	if (!origin && get_size(obj, &v.size, resp) < 0)
		goto out;
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		goto out;
	}
	if (db_volume_get(ctx->db, name, &o) == 0) {
		api_error(resp, 409, "volume %s already exists (a %s on pair %s)", name,
			  o.kind == SMSG_VOLUME_SNAPSHOT ? "snapshot" : "volume", o.pair);
		goto rollback;
	}
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (origin) {
		rc = db_volume_get(ctx->db, origin, &o);
		if (rc < 0) {
			api_error(resp, rc == -ENOENT ? 404 : 500, "volume %s does not exist", origin);
			goto rollback;
		}
		if (o.kind == SMSG_VOLUME_SNAPSHOT) {
			api_error(resp, 409, "%s is a snapshot (of %s): snapshot the volume itself",
				  origin, o.origin);
			goto rollback;
		}
		v.kind = SMSG_VOLUME_SNAPSHOT;
		v.size = o.size;
		snprintf(v.origin, sizeof(v.origin), "%s", origin);
		pair = o.pair;
		if (pair_view_load(ctx, pair, &pv) < 0) {
			api_error(resp, 500, "cannot read pair %s", pair);
			goto rollback;
		}
	} else if (choose_pair(ctx, pair, v.size, &pv, resp) < 0) {
		goto rollback;
	}
	snprintf(v.pair, sizeof(v.pair), "%s", pv.p.name);
	rc = alloc_volume(ctx, &pv, &v, resp);
	pair_view_free(&pv);
	if (rc < 0)
		goto rollback;
	v.created = ctx->now();
	rc = db_volume_insert(ctx->db, &v);
	if (rc == 0)
		rc = db_storage_bump_pair(ctx->db, v.pair);
	if (rc == 0)
		rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "cannot create volume %s: %s", name, strerror(-rc));
		goto rollback;
	}
	log_info("%s %s created on pair %s: %s, aoe e%u.%u, drbd minor %u port %u%s%s",
		 origin ? "snapshot" : "volume", v.name, v.pair, size_format(v.size, s), v.shelf,
		 v.slot, v.minor, v.port, origin ? " of " : "", origin ? origin : "");
	reply_volume(ctx, 201, v.name, resp);
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void volume_list(struct api_ctx *ctx, struct api_response *resp)
{
	struct db_pair *all;
	size_t n;
	json_t *arr = json_array();

	if (db_pair_list(ctx->db, &all, &n) < 0) {
		json_decref(arr);
		api_error(resp, 500, "cannot list pairs");
		return;
	}
	for (size_t i = 0; arr && i < n; i++) {
		struct pair_view pv;

		if (pair_view_load(ctx, all[i].name, &pv) < 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		for (size_t k = 0; k < pv.n_vols; k++)
			json_array_append_new(arr, volume_json(&pv, &pv.vols[k]));
		pair_view_free(&pv);
	}
	free(all);
	if (!arr)
		api_error(resp, 500, "cannot read volumes");
	else
		api_reply(resp, 200, json_pack("{s:o}", "volumes", arr));
}

static int begin_with_volume(struct api_ctx *ctx, const char *name, struct db_volume *v,
			     struct api_response *resp)
{
	int rc;

	if (!smsg_name_ok(name))
		return api_error(resp, 400, "bad volume name '%.70s'", name);
	if (db_begin(ctx->db) < 0)
		return api_error(resp, 500, "database busy");
	rc = db_volume_get(ctx->db, name, v);
	if (rc < 0) {
		db_rollback(ctx->db);
		return api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
				 "volume %s does not exist" : "cannot read volume %s", name);
	}
	return 0;
}

static void volume_show(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct db_volume v;
	int rc;

	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad volume name '%.70s'", name);
		return;
	}
	rc = db_volume_get(ctx->db, name, &v);
	if (rc < 0)
		api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
			  "volume %s does not exist" : "cannot read volume %s", name);
	else
		reply_volume(ctx, 200, name, resp);
}

static void volume_grow(struct api_ctx *ctx, const struct api_request *req, const char *name,
			struct api_response *resp)
{
	static const char *const keys[] = { "size", NULL };
	struct db_volume v;
	struct pair_view pv;
	char a[SIZE_STR_MAX], b[SIZE_STR_MAX], c[SIZE_STR_MAX];
	uint64_t size;
	json_t *obj = api_parse_object(req, resp);
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || get_size(obj, &size, resp) < 0 ||
	    begin_with_volume(ctx, name, &v, resp) < 0)
		goto out;
	if (v.kind == SMSG_VOLUME_SNAPSHOT) {
		api_error(resp, 409, "%s is a snapshot (read-only, frozen): it cannot grow", name);
		goto rollback;
	}
	if (size <= v.size) {
		api_error(resp, 409, "volume %s is %s: it can only grow (asked %s)", name,
			  size_format(v.size, a), size_format(size, b));
		goto rollback;
	}
	if (pair_view_load(ctx, v.pair, &pv) < 0) {
		api_error(resp, 500, "cannot read pair %s", v.pair);
		goto rollback;
	}
	rc = pair_free(&pv) < size - v.size ? -ENOSPC : 0;
	if (rc < 0)
		api_error(resp, 507, "pair %s has %s free, growing %s to %s needs %s more", v.pair,
			  size_format(pair_free(&pv), a), name, size_format(size, b),
			  size_format(size - v.size, c));
	pair_view_free(&pv);
	if (rc < 0)
		goto rollback;
	rc = db_volume_set_size(ctx->db, name, size);
	if (rc == 0)
		rc = db_storage_bump_pair(ctx->db, v.pair);
	if (rc == 0)
		rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "cannot grow volume %s: %s", name, strerror(-rc));
		goto rollback;
	}
	log_info("volume %s grows from %s to %s", name, size_format(v.size, a),
		 size_format(size, b));
	reply_volume(ctx, 200, name, resp);
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void volume_delete(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct db_volume v;
	char names[128];
	int rc;

	if (begin_with_volume(ctx, name, &v, resp) < 0)
		return;
	rc = db_volume_snapshots(ctx->db, name, names, sizeof(names));
	if (rc > 0) {
		api_error(resp, 409, "volume %s is in use by snapshot%s %s: delete %s first", name,
			  rc == 1 ? "" : "s", names, rc == 1 ? "it" : "them");
		goto rollback;
	}
	if (rc == 0) {
		struct image_root *roots;
		size_t nr;

		rc = api_image_roots(ctx, &roots, &nr);
		for (size_t i = 0; rc == 0 && i < nr; i++) {
			if (roots[i].at.shelf != v.shelf || roots[i].at.slot != v.slot)
				continue;
			api_error(resp, 409, "volume %s is in use: image %s names it as its root"
				  " (nimbus.root=e%u.%u)%s%s", name, roots[i].image, v.shelf, v.slot,
				  roots[i].nodes[0] ? ", booted by: " : "", roots[i].nodes);
			rc = -EBUSY;
		}
		if (rc == 0)
			free(roots);
		else if (rc == -EBUSY) {
			free(roots);
			goto rollback;
		}
	}
	if (rc == 0)
		rc = db_storage_bump_pair(ctx->db, v.pair);
	if (rc == 0)
		rc = db_volume_delete(ctx->db, name);
	if (rc == 0)
		rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "cannot delete volume %s: %s", name, strerror(-rc));
		goto rollback;
	}
	log_info("volume %s deleted from pair %s", name, v.pair);
	api_reply(resp, 200, json_pack("{s:s, s:s}", "deleted", name, "pair", v.pair));
	return;
rollback:
	db_rollback(ctx->db);
}

void api_volumes(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		 struct api_response *resp)
{
	const char *m = req->method;

	if (!*sub && strcmp(m, "GET") == 0)
		volume_list(ctx, resp);
	else if (!*sub && strcmp(m, "POST") == 0)
		volume_create(ctx, req, resp);
	else if (*sub && strcmp(m, "GET") == 0)
		volume_show(ctx, sub, resp);
	else if (*sub && strcmp(m, "PATCH") == 0)
		volume_grow(ctx, req, sub, resp);
	else if (*sub && strcmp(m, "DELETE") == 0)
		volume_delete(ctx, sub, resp);
	else
		api_error(resp, 405, "method %.20s not allowed on %.100s (GET, POST on /v1/volumes;"
			  " GET, PATCH, DELETE on /v1/volumes/NAME)", m, req->path);
}
