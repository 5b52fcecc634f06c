/* What the storage resources share: a pair's view (members, their last
 * observed state, volumes, fences, image roots) and its JSON. The resources
 * are api_pairs.c and api_volumes.c (operators) and api_storage_node.c (the
 * storage nodes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_storage.h"
#include "import_progress.h"
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

uint64_t pair_free(const struct pair_view *pv)
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

/* observed_at: when the node's report holding h arrived (0: never). */
static json_t *have_json(const char *node, const struct smsg_have_volume *h, bool serving,
			 int64_t observed_at)
{
	json_t *o;

	if (!h)
		return json_pack("{s:s, s:b, s:b, s:b, s:b, s:I}", "node", node, "reported", 0,
				 "lv", 0, "exported", 0, "serving", 0, "observed_at",
				 (json_int_t)observed_at);
	o = json_pack("{s:s, s:I, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:b, s:s}",
		      "node", node, "observed_at", (json_int_t)observed_at, "reported", 1, "lv",
		      h->lv, "drbd", h->drbd,
		      "exported", h->exported, "role", smsg_role_name(h->role),
		      "disk", smsg_dsk_name(h->disk), "peer_disk", smsg_dsk_name(h->peer_disk),
		      "peer_role", smsg_role_name(h->peer_role), "conn", smsg_conn_name(h->conn),
		      "sync_percent", h->sync_percent, "sync_eta_s", (json_int_t)h->sync_eta_s,
		      "serving", serving, "error", h->error);
	return o ? size_json(o, "lv_size", h->size_bytes) : NULL;
}

/* Who depends on a volume: its snapshots and clones, and the image naming
 * it as its root with the nodes booting that image (instances' disks come
 * with instances). */
static json_t *used_by(const struct pair_view *pv, const struct db_volume *v)
{
	const struct image_root *root = root_of(pv, v);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < pv->n_vols; i++)
		if (strcmp(pv->vols[i].origin, v->name) == 0)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "kind",
							     smsg_volume_kind_name(pv->vols[i].kind),
							     "name", pv->vols[i].name));
	if (arr && root)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "kind", "image-root",
						     "name", root->image, "nodes", root->nodes));
	return arr;
}

json_t *volume_json(const struct pair_view *pv, const struct db_volume *v)
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
		json_array_append_new(nodes, have_json(pv->p.node[i], h[i], st.serving[i], pv->at[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:I, s:i, s:s, s:f, s:I, s:I, s:I,"
		      " s:o, s:o, s:o}",
		      "name", v->name, "pair", v->pair,
		      "kind", smsg_volume_kind_name(v->kind),
		      "origin", v->origin, "shelf", v->shelf, "slot", v->slot, "aoe", aoe,
		      "minor", (json_int_t)v->minor, "port", v->port,
		      "state", v->import.state == DB_IMPORT_RUNNING ? "importing" :
			       v->import.state == DB_IMPORT_FAILED ? "import-failed" :
			       sl_vstate_name(st.state), "sync_percent", st.percent,
		      "sync_eta_s", (json_int_t)st.eta_s, "created", (json_int_t)v->created,
		      "ready_at", (json_int_t)v->ready_at,
		      "fence", fence ? json_pack("{s:s, s:I}", "node", fence->node,
						 "at", (json_int_t)fence->at) : json_null(),
		      "used_by", used_by(pv, v), "nodes", nodes);
	if (o && v->import.state != DB_IMPORT_NONE)
		json_object_set_new(o, "import", json_pack(
			"{s:s, s:s, s:I, s:I, s:i, s:s}", "state", db_import_state_name(v->import.state),
			"file", v->import.file, "done", (json_int_t)v->import.done,
			"total", (json_int_t)v->import.total,
			"percent", (int)import_progress_percent(v->import.done, v->import.total),
			"error", v->import.error));
	else if (o)
		json_object_set_new(o, "import", json_null());
	return o ? size_json(o, "size", v->size) : NULL;
}

json_t *pair_json(const struct pair_view *pv, bool full)
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
			json_t *disks = json_array();

			for (size_t k = 0; disks && k < pv->obs[i].n_disks; k++) {
				const struct smsg_disk *d = &pv->obs[i].disks[k];
				json_t *dj = json_pack("{s:s, s:s, s:s}", "dev", d->dev, "state",
						       smsg_disk_state_name(d->state), "detail", d->detail);

				json_array_append_new(disks, dj ? size_json(dj, "size", d->size_bytes) : NULL);
			}
			json_object_set_new(n, "disks", disks ? disks : json_null());
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

void api_route(struct api_ctx *ctx, const struct api_request *req, const char *sub,
	       const struct api_route *routes, size_t n, const char *allowed,
	       struct api_response *resp)
{
	for (size_t i = 0; i < n; i++)
		if (routes[i].item == (*sub != '\0') && strcmp(routes[i].method, req->method) == 0) {
			routes[i].fn(ctx, req, sub, resp);
			return;
		}
	api_error(resp, 405, "method %.20s not allowed on %.100s (%s)", req->method, req->path,
		  allowed);
}

void api_list_pairs(struct api_ctx *ctx, const char *key,
		    void (*add)(const struct pair_view *pv, json_t *arr), struct api_response *resp)
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
		add(&pv, arr);
		pair_view_free(&pv);
	}
	free(all);
	if (!arr)
		api_error(resp, 500, "cannot read pairs");
	else
		api_reply(resp, 200, json_pack("{s:o}", key, arr));
}
