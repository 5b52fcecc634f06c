/* /v1/volumes: replicated volumes, snapshots and clones, for operators.
 * Every change bumps the generation of the pair's nodes, which must apply
 * it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_storage.h"
#include "db_instance.h"
#include "log.h"
#include "size_units.h"

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

/* Imported volumes are sized in whole MiB (LVM rounds up to its extents
 * anyway). */
#define IMPORT_SIZE_UNIT (1024 * 1024ULL)

/* "import": FILE, an absolute path nimbusd can read, a regular file; the
 * volume's size is FILE's rounded up to IMPORT_SIZE_UNIT, or "size" when
 * given (refused if smaller than FILE). Fills v->size and v->import. */
static int get_import(struct api_ctx *ctx, json_t *obj, const char *file, struct db_volume *v,
		      struct api_response *resp)
{
	char a[SIZE_STR_MAX], b[SIZE_STR_MAX];
	struct stat st;
	uint64_t fsize;

	if (!ctx->cfg->aoe_interface[0])
		return api_error(resp, 409, "volume import needs aoe-interface in nimbusd's"
				 " configuration (the interface on the storage network it writes through)");
	if (file[0] != '/' || strlen(file) >= sizeof(v->import.file))
		return api_error(resp, 400, "import: bad file '%.200s' (an absolute path on the config"
				 " node, shorter than %zu)", file, sizeof(v->import.file));
	if (stat(file, &st) < 0)
		return api_error(resp, 400, "cannot import %s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return api_error(resp, 400, "cannot import %s: not a regular file", file);
	if (access(file, R_OK) < 0)
		return api_error(resp, 400, "cannot import %s: nimbusd cannot read it: %s", file,
				 strerror(errno));
	fsize = (uint64_t)st.st_size;
	if (json_object_get(obj, "size")) {
		if (get_size(obj, &v->size, resp) < 0)
			return -1;
		if (v->size < fsize)
			return api_error(resp, 400, "cannot import %s into %s: the file is %s (%llu bytes),"
					 " larger than the size asked, %s", file, v->name,
					 size_format(fsize, a), (unsigned long long)fsize,
					 size_format(v->size, b));
	} else {
		v->size = (fsize + IMPORT_SIZE_UNIT - 1) / IMPORT_SIZE_UNIT * IMPORT_SIZE_UNIT;
		if (v->size == 0)
			v->size = IMPORT_SIZE_UNIT;
	}
	v->import.state = DB_IMPORT_RUNNING;
	snprintf(v->import.file, sizeof(v->import.file), "%s", file);
	v->import.total = fsize;
	return 0;
}

int api_root_check(struct api_ctx *ctx, const char *image, const char *cmdline,
		   struct api_response *resp)
{
	struct db_volume *all;
	struct sl_addr a;
	size_t n;
	int rc = 0;

	if (sl_cmdline_root(cmdline, &a) < 0 || db_volume_list(ctx->db, NULL, &all, &n) < 0)
		return 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct db_import *im = &all[i].import;

		if (all[i].shelf != a.shelf || all[i].slot != a.slot ||
		    (im->state != DB_IMPORT_RUNNING && im->state != DB_IMPORT_FAILED))
			continue;
		rc = api_error(resp, 409, "image %s cannot name volume %s (nimbus.root=e%u.%u) as its"
			       " root: %s", image, all[i].name, a.shelf, a.slot,
			       im->state == DB_IMPORT_RUNNING ? "it is being imported (wait for the"
			       " import to be done)" : "its import failed (delete it and import again)");
	}
	free(all);
	return rc;
}

/* "clone_of": the clone v (its name, and its size if sized) of origin o
 * goes on o's pair, loaded into pv: refused unless o is a replicated
 * volume (not a snapshot), its import done if it had one, v at least as
 * large as o, o in sync on both nodes (sl_clone_ready), and the pair has
 * room for v as for a new volume. Fills v's kind, origin and size. */
static int clone_check(struct api_ctx *ctx, const struct db_volume *o, bool sized,
		       struct db_volume *v, struct pair_view *pv, struct api_response *resp)
{
	const struct smsg_have_volume *h[2];
	const char *nodes[2];
	char a[SIZE_STR_MAX], b[SIZE_STR_MAX], why[160];

	if (o->kind == SMSG_VOLUME_SNAPSHOT)
		return api_error(resp, 409, "%s is a snapshot (of %s): clone the volume itself",
				 o->name, o->origin);
	if (o->import.state == DB_IMPORT_RUNNING || o->import.state == DB_IMPORT_FAILED)
		return api_error(resp, 409, "volume %s %s: it cannot be cloned%s", o->name,
				 o->import.state == DB_IMPORT_RUNNING ? "is being imported" :
				 "is a failed import", o->import.state == DB_IMPORT_RUNNING ?
				 " until the import is done" : " (delete it and import again)");
	if (!sized)
		v->size = o->size;
	if (v->size < o->size)
		return api_error(resp, 400, "a clone of %s is at least its size, %s (asked %s)",
				 o->name, size_format(o->size, a), size_format(v->size, b));
	if (pair_view_load(ctx, o->pair, pv) < 0)
		return api_error(resp, 500, "cannot read pair %s", o->pair);
	pair_view_have(pv, o->name, h);
	nodes[0] = pv->p.node[0];
	nodes[1] = pv->p.node[1];
	if (sl_clone_ready(nodes, h, why, sizeof(why)) < 0) {
		api_error(resp, 409, "volume %s cannot be cloned now: %s (a clone needs it Connected"
			  " and UpToDate/UpToDate on both nodes of pair %s)", o->name, why, o->pair);
		pair_view_free(pv);
		return -1;
	}
	if (pair_free(pv) < v->size) {
		api_error(resp, 507, "pair %s has %s free, %s asked", o->pair,
			  size_format(pair_free(pv), a), size_format(v->size, b));
		pair_view_free(pv);
		return -1;
	}
	v->kind = SMSG_VOLUME_CLONE;
	snprintf(v->origin, sizeof(v->origin), "%s", o->name);
	return 0;
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
			  const char *sub API_UNUSED, struct api_response *resp)
{
	static const char *const keys[] = { "name", "size", "pair", "origin", "clone_of", "import",
					    NULL };
	struct db_volume v = { 0 }, o;
	struct pair_view pv;
	const char *name, *pair, *origin, *clone_of, *import;
	char s[SIZE_STR_MAX];
	json_t *obj = api_parse_object(req, resp);
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "pair", false, &pair, resp) < 0 ||
	    api_get_str(obj, "origin", false, &origin, resp) < 0 ||
	    api_get_str(obj, "clone_of", false, &clone_of, resp) < 0 ||
	    api_get_str(obj, "import", false, &import, resp) < 0)
		goto out;
	if (!smsg_name_ok(name)) {
		api_error(resp, 400, "bad volume name '%.70s' (a-z 0-9 -, at most 63)", name);
		goto out;
	}
	if (origin && clone_of) {
		api_error(resp, 400, "give 'origin' (a snapshot) or 'clone_of' (a clone), not both");
		goto out;
	}
	if (origin && (pair || json_object_get(obj, "size"))) {
		api_error(resp, 400, "a snapshot takes its origin's pair and size: no 'pair' or 'size'");
		goto out;
	}
	if (origin && import) {
		api_error(resp, 400, "a snapshot is its origin's copy: no 'import'");
		goto out;
	}
	if (clone_of && pair) {
		api_error(resp, 400, "a clone goes on its origin's pair: no 'pair'");
		goto out;
	}
	if (clone_of && import) {
		api_error(resp, 400, "a clone is its origin's copy: no 'import'");
		goto out;
	}
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (import && get_import(ctx, obj, import, &v, resp) < 0)
		goto out;
	if (clone_of && json_object_get(obj, "size") && get_size(obj, &v.size, resp) < 0)
		goto out;
	if (!origin && !clone_of && !import && get_size(obj, &v.size, resp) < 0)
		goto out;
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		goto out;
	}
	if (db_volume_get(ctx->db, name, &o) == 0) {
		api_error(resp, 409, "volume %s already exists (a %s on pair %s)", name,
			  smsg_volume_kind_name(o.kind), o.pair);
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
		if (o.import.state == DB_IMPORT_RUNNING || o.import.state == DB_IMPORT_FAILED) {
			api_error(resp, 409, "volume %s %s: it cannot be snapshotted%s", origin,
				  o.import.state == DB_IMPORT_RUNNING ? "is being imported" :
				  "is a failed import", o.import.state == DB_IMPORT_RUNNING ?
				  " until the import is done" : " (delete it and import again)");
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
	} else if (clone_of) {
		rc = db_volume_get(ctx->db, clone_of, &o);
		if (rc < 0) {
			api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
				  "volume %s does not exist" : "cannot read volume %s", clone_of);
			goto rollback;
		}
		if (clone_check(ctx, &o, json_object_get(obj, "size") != NULL, &v, &pv, resp) < 0)
			goto rollback;
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
	log_info("%s %s created on pair %s: %s, aoe e%u.%u, drbd minor %u port %u%s%s%s%s",
		 smsg_volume_kind_name(v.kind), v.name, v.pair, size_format(v.size, s), v.shelf,
		 v.slot, v.minor, v.port, v.origin[0] ? " of " : "", v.origin,
		 import ? ", to import " : "", import ? import : "");
	reply_volume(ctx, 201, v.name, resp);
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void add_volumes(const struct pair_view *pv, json_t *arr)
{
	for (size_t k = 0; k < pv->n_vols; k++)
		json_array_append_new(arr, volume_json(pv, &pv->vols[k]));
}

static void volume_list(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			const char *sub API_UNUSED, struct api_response *resp)
{
	api_list_pairs(ctx, "volumes", add_volumes, resp);
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

static void volume_show(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			const char *name, struct api_response *resp)
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

static void append(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *out, size_t len, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, len - used, fmt, ap);
	va_end(ap);
}

/* What holds v (their origin is v), by kind: "snapshot s1", "clones c1,
 * c2 and snapshot s1" (", ..." when the names do not fit in len). */
static void dependents(struct api_ctx *ctx, const struct db_volume *v, char *out, size_t len)
{
	static const enum smsg_volume_kind kinds[] = { SMSG_VOLUME_CLONE, SMSG_VOLUME_SNAPSHOT };
	struct db_volume *all;
	size_t n;
	int groups = 0;

	out[0] = '\0';
	if (db_volume_list(ctx->db, v->pair, &all, &n) < 0) {
		snprintf(out, len, "its snapshots or clones");
		return;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t count = 0, shown = 0;

		for (size_t i = 0; i < n; i++)
			count += all[i].kind == kinds[k] && strcmp(all[i].origin, v->name) == 0;
		if (!count)
			continue;
		append(out, len, "%s%s%s ", groups++ ? " and " : "", smsg_volume_kind_name(kinds[k]),
		       count == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			if (all[i].kind != kinds[k] || strcmp(all[i].origin, v->name) != 0)
				continue;
			if (strlen(out) + strlen(all[i].name) + 2 + 6 >= len) {
				append(out, len, ", ...");
				break;
			}
			append(out, len, "%s%s", shown++ ? ", " : "", all[i].name);
		}
	}
	free(all);
}

static void volume_delete(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			  const char *name, struct api_response *resp)
{
	struct db_volume v;
	char names[192];
	int rc;

	if (begin_with_volume(ctx, name, &v, resp) < 0)
		return;
	{
		struct db_instance in;
		struct db_template t;

		if (db_instance_by_volume(ctx->db, name, &in) == 0) {
			api_error(resp, 409, "volume %s is in use: it is instance %s's disk (nimbus"
				  " instance delete %s)", name, in.name, in.name);
			goto rollback;
		}
		if (db_template_by_volume(ctx->db, name, &t) == 0) {
			api_error(resp, 409, "volume %s is in use: it holds template %s (nimbus template"
				  " remove %s)", name, t.name, t.name);
			goto rollback;
		}
	}
	/* its snapshots and clones: their origin is this volume */
	rc = db_volume_snapshots(ctx->db, name, NULL, 0);
	if (rc > 0) {
		dependents(ctx, &v, names, sizeof(names));
		api_error(resp, 409, "volume %s is in use by %s: delete %s first", name, names,
			  rc == 1 ? "it" : "them");
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
	static const struct api_route routes[] = {
		{ false, "GET", volume_list }, { false, "POST", volume_create },
		{ true, "GET", volume_show }, { true, "PATCH", volume_grow },
		{ true, "DELETE", volume_delete },
	};

	api_route(ctx, req, sub, routes, sizeof(routes) / sizeof(routes[0]),
		  "GET, POST on /v1/volumes; GET, PATCH, DELETE on /v1/volumes/NAME", resp);
}
