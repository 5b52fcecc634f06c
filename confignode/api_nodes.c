/* /v1/nodes: add, list, show, set, remove. Every change is one database
 * transaction that also covers provisioning: files are regenerated and the
 * running dhcpd told through OMAPI before the commit, and a failing step
 * rolls everything back, so nothing is ever half-done. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "log.h"

/* OMAPI off (omapi-port 0): nothing to tell a running dhcpd; it reads the
 * regenerated file when it starts. */
static int omapi_call(struct api_ctx *ctx, const struct prov_node *pn,
		      int (*op)(const struct prov_config *, const struct prov_node *))
{
	int rc;

	if (!ctx->cfg->prov.omapi_port)
		return 0;
	rc = op(&ctx->cfg->prov, pn);
	return rc == -ENOTCONN ? 0 : rc;
}

int api_omapi_add(struct api_ctx *ctx, const struct prov_node *pn)
{
	return omapi_call(ctx, pn, ctx->prov->omapi_add);
}

int api_omapi_remove(struct api_ctx *ctx, const struct prov_node *pn)
{
	return omapi_call(ctx, pn, ctx->prov->omapi_remove);
}

/* The image a node boots: its override, else its role's default. */
static int resolve_image(struct api_ctx *ctx, enum node_role role, const char *override,
			 struct prov_image *img, struct api_response *resp)
{
	char name[PROV_NAME_MAX];
	int rc;

	if (override && override[0]) {
		snprintf(name, sizeof(name), "%s", override);
	} else {
		rc = db_role_get(ctx->db, role, name);
		if (rc < 0)
			return api_error(resp, 500, "cannot read role %s: %s", role_name(role),
					 strerror(-rc));
		if (!name[0])
			return api_error(resp, 409,
					 "role %s has no default image: set one with 'nimbus role set-image %s IMAGE' or give --image",
					 role_name(role), role_name(role));
	}
	rc = db_image_get(ctx->db, name, img);
	if (rc == -ENOENT)
		return api_error(resp, 404, "image %s does not exist", name);
	if (rc < 0)
		return api_error(resp, 500, "cannot read image %s: %s", name, strerror(-rc));
	return api_image_fits_role(role, img, resp);
}

int api_image_fits_role(enum node_role role, const struct prov_image *img,
			struct api_response *resp)
{
	/* hw nodes boot Xen (mboot.c32): an image without it cannot run them. */
	if (role == ROLE_HW && !img->xen[0])
		return api_error(resp, 409, "image %s has no Xen (--xen): role hw boots Xen",
				 img->name);
	return 0;
}

int api_node_to_prov(struct api_ctx *ctx, const struct db_node *n,
		     struct prov_node *out, struct api_response *resp)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", n->name);
	memcpy(out->mac, n->mac, MAC_LEN);
	out->ip.s_addr = htonl(n->ip);
	out->role = n->role == ROLE_HW ? PROV_ROLE_HW : PROV_ROLE_STORAGE;
	return resolve_image(ctx, n->role, n->image, &out->image, resp);
}

int api_write_all(struct api_ctx *ctx, struct api_response *resp)
{
	struct db_node *nodes = NULL;
	struct prov_node *pn = NULL;
	size_t n = 0;
	int rc;

	rc = db_node_list(ctx->db, &nodes, &n);
	if (rc < 0)
		return api_error(resp, 500, "cannot list nodes: %s", strerror(-rc));
	pn = calloc(n ? n : 1, sizeof(*pn));
	if (!pn) {
		rc = api_error(resp, 500, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = api_node_to_prov(ctx, &nodes[i], &pn[i], resp);
		if (rc < 0)
			goto out;
	}
	if (ctx->around_write)
		ctx->around_write(ctx->around_arg, true);
	rc = ctx->prov->write_files(&ctx->cfg->prov, pn, n);
	if (ctx->around_write)
		ctx->around_write(ctx->around_arg, false);
	if (rc < 0)
		rc = api_error(resp, 500, "writing dhcpd.conf and pxelinux.cfg failed: %s (see nimbusd's log)",
			       strerror(-rc));
out:
	free(pn);
	free(nodes);
	return rc;
}

/* api_write_all() outside a request: a failure is logged, after what. */
static int write_all_logged(struct api_ctx *ctx, const char *what)
{
	struct api_response resp = { 0 };
	int rc = api_write_all(ctx, &resp);

	if (rc < 0)
		log_err("%s: %s", what, json_string_value(json_object_get(resp.body, "error")));
	json_decref(resp.body);
	return rc < 0 ? -EIO : 0;
}

int api_provision_all(struct api_ctx *ctx)
{
	return write_all_logged(ctx, "provisioning files not regenerated");
}

json_t *api_node_json(struct api_ctx *ctx, const struct db_node *n)
{
	char mac[MAC_STR_LEN], ip[16], boot[PROV_NAME_MAX] = "";

	mac_format(n->mac, mac);
	if (n->image[0])
		snprintf(boot, sizeof(boot), "%s", n->image);
	else if (db_role_get(ctx->db, n->role, boot) < 0)
		boot[0] = '\0';
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:I, s:I, s:I}",
			 "name", n->name, "mac", mac, "ip", api_ip_str(n->ip, ip),
			 "role", role_name(n->role),
			 "image", n->image[0] ? n->image : NULL,
			 "boot_image", boot[0] ? boot : NULL,
			 "state", node_state_name(n->state),
			 "state_at", (json_int_t)n->state_at,
			 "seen_at", (json_int_t)n->seen_at,
			 "created", (json_int_t)n->created);
}

/* Refuses a name, MAC or IP another node holds, naming the holder. */
static int check_unique(struct api_ctx *ctx, const struct db_node *n, const char *self,
			struct api_response *resp)
{
	struct db_node other;
	char mac[MAC_STR_LEN], ip[16];

	if ((!self || strcmp(self, n->name) != 0) &&
	    db_node_get(ctx->db, n->name, &other) == 0)
		return api_error(resp, 409, "node %s already exists (mac %s)", n->name,
				 (mac_format(other.mac, mac), mac));
	if (db_node_by_mac(ctx->db, n->mac, &other) == 0 &&
	    (!self || strcmp(other.name, self) != 0)) {
		mac_format(n->mac, mac);
		return api_error(resp, 409, "mac %s is already used by node %s", mac, other.name);
	}
	if (db_node_by_ip(ctx->db, n->ip, &other) == 0 &&
	    (!self || strcmp(other.name, self) != 0))
		return api_error(resp, 409, "ip %s is already used by node %s",
				 api_ip_str(n->ip, ip), other.name);
	return 0;
}

static int parse_mac(const char *field, const char *s, uint8_t mac[MAC_LEN],
		     struct api_response *resp)
{
	if (mac_parse(s, mac) < 0)
		return api_error(resp, 400,
				 "bad %s '%.40s' (want aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff)",
				 field, s);
	if (!mac_is_unicast(mac))
		return api_error(resp, 400,
				 "bad %s '%.40s': %s is not a single machine's address",
				 field, s, mac_is_zero(mac) ? "all-zero" : "multicast/broadcast");
	return 0;
}

/* An address the operator asks for: inside the subnet, not the config
 * node's, not in the range dhcpd hands to unknown machines. */
static int parse_ip(struct api_ctx *ctx, const char *s, uint32_t *ip,
		    struct api_response *resp)
{
	const struct prov_config *p = &ctx->cfg->prov;
	char net[16];

	if (ipv4_parse(s, ip) < 0)
		return api_error(resp, 400, "bad ip '%.40s' (want A.B.C.D)", s);
	if (!ipv4_in_subnet(*ip, ntohl(p->subnet.s_addr), ctx->cfg->prefix))
		return api_error(resp, 400, "ip %s is outside subnet %s/%u", s,
				 api_ip_str(ntohl(p->subnet.s_addr), net), ctx->cfg->prefix);
	if (*ip == ntohl(p->address.s_addr))
		return api_error(resp, 409, "ip %s is the config node's own address", s);
	if (*ip >= ntohl(p->pool_start.s_addr) && *ip <= ntohl(p->pool_end.s_addr))
		return api_error(resp, 400, "ip %s is inside the dynamic range for unknown machines", s);
	return 0;
}

static int allocate_ip(struct api_ctx *ctx, uint32_t *ip, struct api_response *resp)
{
	const struct nimbusd_config *c = ctx->cfg;
	struct db_node other;
	char a[16], b[16];

	for (uint64_t i = c->node_pool_start; i <= c->node_pool_end; i++) {
		if (i == ntohl(c->prov.address.s_addr))
			continue;
		int rc = db_node_by_ip(ctx->db, (uint32_t)i, &other);

		if (rc == -ENOENT) {
			*ip = (uint32_t)i;
			return 0;
		}
		if (rc < 0)
			return api_error(resp, 500, "database error: %s", strerror(-rc));
	}
	return api_error(resp, 409, "pool %s-%s is exhausted: give --ip",
			 api_ip_str(c->node_pool_start, a), api_ip_str(c->node_pool_end, b));
}

static int check_name(const char *name, struct api_response *resp)
{
	int rc = validate_node_name(name);

	if (rc == -ENAMETOOLONG)
		return api_error(resp, 400, "bad node name '%.70s...': longer than %d characters",
				 name, NAME_MAX_LEN);
	if (rc < 0)
		return api_error(resp, 400,
				 "bad node name '%.70s': a DNS label is a-z, 0-9 and '-', not first or last",
				 name);
	return 0;
}

static int check_image_name(const char *name, struct api_response *resp)
{
	if (validate_image_name(name) < 0)
		return api_error(resp, 400, "bad image name '%.70s' (a-z 0-9 . _ -, at most %d)",
				 name, NAME_MAX_LEN);
	return 0;
}

/* Provisioning for a changed node set, inside the open transaction:
 * validate, regenerate files, tell dhcpd. On failure the caller rolls
 * back and calls undo_files(). */
static int provision_change(struct api_ctx *ctx, const struct db_node *n,
			    struct api_response *resp)
{
	struct prov_node pn;
	char mac[MAC_STR_LEN];
	int rc;

	mac_format(n->mac, mac);
	rc = api_node_to_prov(ctx, n, &pn, resp);
	if (rc < 0)
		return rc;
	rc = ctx->prov->node_validate(&ctx->cfg->prov, &pn);
	if (rc < 0)
		return api_error(resp, 400, "node %s (mac %s) refused by provisioning: %s",
				 n->name, mac, strerror(-rc));
	rc = api_write_all(ctx, resp);
	if (rc < 0)
		return rc;
	rc = api_omapi_add(ctx, &pn);
	if (rc < 0)
		return api_error(resp, 502, "dhcpd refused host %s (mac %s) through OMAPI: %s",
				 n->name, mac, strerror(-rc));
	return 0;
}

/* After a rollback: the files again match the database. */
static void undo_files(struct api_ctx *ctx)
{
	write_all_logged(ctx, "could not restore provisioning files after a failed change");
}

static void node_add(struct api_ctx *ctx, const struct api_request *req,
		     struct api_response *resp)
{
	static const char *const keys[] = { "name", "mac", "discovered", "role", "ip",
					    "image", NULL };
	const char *name, *mac_s, *disc_s, *role_s, *ip_s, *image;
	struct db_node n = { 0 };
	struct db_discovered d;
	struct prov_image img;
	char mac[MAC_STR_LEN], ip[16], detail[160];
	json_t *obj;
	int64_t now = ctx->now();
	int rc;

	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "mac", false, &mac_s, resp) < 0 ||
	    api_get_str(obj, "discovered", false, &disc_s, resp) < 0 ||
	    api_get_str(obj, "role", true, &role_s, resp) < 0 ||
	    api_get_str(obj, "ip", false, &ip_s, resp) < 0 ||
	    api_get_str(obj, "image", false, &image, resp) < 0)
		goto out;
	if (check_name(name, resp) < 0)
		goto out;
	snprintf(n.name, sizeof(n.name), "%s", name);
	if (!mac_s == !disc_s) {
		api_error(resp, 400, "give exactly one of 'mac' and 'discovered'");
		goto out;
	}
	if (parse_mac(mac_s ? "mac" : "discovered", mac_s ? mac_s : disc_s, n.mac, resp) < 0)
		goto out;
	mac_format(n.mac, mac);
	if (role_parse(role_s, &n.role) < 0) {
		api_error(resp, 400, "bad role '%.40s' (storage or hw)", role_s);
		goto out;
	}
	if (image && image[0]) {
		if (check_image_name(image, resp) < 0)
			goto out;
		snprintf(n.image, sizeof(n.image), "%s", image);
	}
	if (ip_s && parse_ip(ctx, ip_s, &n.ip, resp) < 0)
		goto out;

	rc = db_begin(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "database busy: %s", strerror(-rc));
		goto out;
	}
	if (disc_s) {
		rc = db_discovered_get(ctx->db, n.mac, &d);
		if (rc == -ENOENT) {
			api_error(resp, 404, "no discovered machine with mac %s (see 'nimbus node discovered')",
				  mac);
			goto rollback;
		}
		if (rc < 0) {
			api_error(resp, 500, "database error: %s", strerror(-rc));
			goto rollback;
		}
		db_discovered_free(&d);
	}
	/* Refuse a node whose image does not exist before touching anything. */
	if (resolve_image(ctx, n.role, n.image, &img, resp) < 0)
		goto rollback;
	if (!ip_s && allocate_ip(ctx, &n.ip, resp) < 0)
		goto rollback;
	if (check_unique(ctx, &n, NULL, resp) < 0)
		goto rollback;
	n.state = NODE_ADDED;
	n.state_at = n.seen_at = n.created = now;
	rc = db_node_insert(ctx->db, &n);
	if (rc < 0) {
		api_error(resp, rc == -EEXIST ? 409 : 500, "cannot add node %s (mac %s): %s",
			  n.name, mac, strerror(-rc));
		goto rollback;
	}
	snprintf(detail, sizeof(detail), "mac %s ip %s role %s%s%s", mac,
		 api_ip_str(n.ip, ip), role_name(n.role), n.image[0] ? " image " : "", n.image);
	if (db_event_add(ctx->db, n.name, "added", detail, now) < 0 ||
	    (disc_s && db_discovered_delete(ctx->db, n.mac) < 0)) {
		api_error(resp, 500, "database error adding node %s", n.name);
		goto rollback;
	}
	if (provision_change(ctx, &n, resp) < 0)
		goto undo;
	rc = db_commit(ctx->db);
	if (rc < 0) {
		struct prov_node pn;

		api_error(resp, 500, "cannot commit node %s (mac %s): %s", n.name, mac,
			  strerror(-rc));
		if (api_node_to_prov(ctx, &n, &pn, resp) == 0)
			api_omapi_remove(ctx, &pn);
		undo_files(ctx);
		goto out;
	}
	log_info("node %s added: %s", n.name, detail);
	api_reply(resp, 201, api_node_json(ctx, &n));
	goto out;
undo:
	db_rollback(ctx->db);
	undo_files(ctx);
	log_err("node %s (mac %s) not added: %s", n.name, mac,
		json_string_value(json_object_get(resp->body, "error")));
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void node_list(struct api_ctx *ctx, struct api_response *resp)
{
	struct db_node *nodes;
	size_t n;
	json_t *arr;
	int rc = db_node_list(ctx->db, &nodes, &n);

	if (rc < 0) {
		api_error(resp, 500, "cannot list nodes: %s", strerror(-rc));
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, api_node_json(ctx, &nodes[i]));
	free(nodes);
	api_reply(resp, 200, json_pack("{s:o}", "nodes", arr));
}

static int get_node(struct api_ctx *ctx, const char *name, struct db_node *n,
		    struct api_response *resp)
{
	int rc;

	if (check_name(name, resp) < 0)
		return -1;
	rc = db_node_get(ctx->db, name, n);
	if (rc == -ENOENT)
		return api_error(resp, 404, "no node named %s", name);
	if (rc < 0)
		return api_error(resp, 500, "cannot read node %s: %s", name, strerror(-rc));
	return 0;
}

static void node_show(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct db_node n;
	struct db_event *ev;
	size_t nev;
	char *report = NULL;
	json_t *obj, *hist;

	if (get_node(ctx, name, &n, resp) < 0)
		return;
	if (db_event_list(ctx->db, n.name, &ev, &nev) < 0) {
		api_error(resp, 500, "cannot read history of node %s", name);
		return;
	}
	obj = api_node_json(ctx, &n);
	if (obj && db_node_get_report(ctx->db, n.name, &report) == 0) {
		json_t *r = json_loads(report, 0, NULL);

		/* what the booted system said last ({} before any report) */
		json_object_set_new(obj, "report", r ? r : json_object());
	}
	free(report);
	hist = json_array();
	for (size_t i = 0; hist && i < nev; i++)
		json_array_append_new(hist, json_pack("{s:s, s:s, s:I}", "event", ev[i].event,
						      "detail", ev[i].detail,
						      "at", (json_int_t)ev[i].at));
	free(ev);
	if (obj)
		json_object_set_new(obj, "history", hist);
	api_reply(resp, 200, obj);
}

static void node_set(struct api_ctx *ctx, const struct api_request *req,
		     const char *name, struct api_response *resp)
{
	static const char *const keys[] = { "mac", "ip", "role", "image", NULL };
	const char *mac_s, *role_s, *ip_s, *image;
	struct db_node old, n;
	struct prov_node pn;
	char mac[MAC_STR_LEN], ip[16], detail[200] = "";
	json_t *obj = NULL;
	int rc;

	if (get_node(ctx, name, &old, resp) < 0)
		return;
	n = old;
	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "mac", false, &mac_s, resp) < 0 ||
	    api_get_str(obj, "role", false, &role_s, resp) < 0 ||
	    api_get_str(obj, "ip", false, &ip_s, resp) < 0 ||
	    api_get_str(obj, "image", false, &image, resp) < 0)
		goto out;
	if (!mac_s && !role_s && !ip_s && !json_object_get(obj, "image")) {
		api_error(resp, 400, "nothing to change: give mac, ip, role or image");
		goto out;
	}
	if (mac_s && parse_mac("mac", mac_s, n.mac, resp) < 0)
		goto out;
	if (ip_s && parse_ip(ctx, ip_s, &n.ip, resp) < 0)
		goto out;
	if (role_s && role_parse(role_s, &n.role) < 0) {
		api_error(resp, 400, "bad role '%.40s' (storage or hw)", role_s);
		goto out;
	}
	/* "image": null or "" goes back to the role's default. */
	if (json_object_get(obj, "image")) {
		if (image && image[0] && check_image_name(image, resp) < 0)
			goto out;
		snprintf(n.image, sizeof(n.image), "%s", image ? image : "");
	}
	mac_format(n.mac, mac);
	snprintf(detail, sizeof(detail), "mac %s ip %s role %s image %s", mac,
		 api_ip_str(n.ip, ip), role_name(n.role), n.image[0] ? n.image : "(role default)");

	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		goto out;
	}
	if (check_unique(ctx, &n, old.name, resp) < 0 ||
	    resolve_image(ctx, n.role, n.image, &pn.image, resp) < 0)
		goto rollback;
	rc = db_node_update(ctx->db, old.name, &n);
	if (rc < 0) {
		api_error(resp, rc == -EEXIST ? 409 : 500, "cannot change node %s: %s",
			  n.name, strerror(-rc));
		goto rollback;
	}
	if (db_event_add(ctx->db, n.name, "changed", detail, ctx->now()) < 0) {
		api_error(resp, 500, "database error changing node %s", n.name);
		goto rollback;
	}
	/* A new MAC: the old host object must go first, or dhcpd keeps
	 * answering the old MAC with this node's address. */
	if (memcmp(old.mac, n.mac, MAC_LEN) != 0 &&
	    api_node_to_prov(ctx, &old, &pn, resp) == 0) {
		rc = api_omapi_remove(ctx, &pn);
		if (rc < 0) {
			api_error(resp, 502, "dhcpd refused to remove host %s through OMAPI: %s",
				  old.name, strerror(-rc));
			goto rollback;
		}
	}
	if (provision_change(ctx, &n, resp) < 0) {
		db_rollback(ctx->db);
		undo_files(ctx);
		/* Put dhcpd back as it was (best effort; logged by F's code). */
		if (api_node_to_prov(ctx, &old, &pn, NULL) == 0)
			api_omapi_add(ctx, &pn);
		goto out;
	}
	if (db_commit(ctx->db) < 0) {
		api_error(resp, 500, "cannot commit change of node %s", n.name);
		undo_files(ctx);
		goto out;
	}
	log_info("node %s changed: %s", n.name, detail);
	api_reply(resp, 200, api_node_json(ctx, &n));
	goto out;
rollback:
	db_rollback(ctx->db);
out:
	json_decref(obj);
}

static void node_remove(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct db_node n;
	struct prov_node pn;
	char mac[MAC_STR_LEN];
	int rc;

	if (get_node(ctx, name, &n, resp) < 0)
		return;
	mac_format(n.mac, mac);
	/* The image may be gone from under a broken node: remove it anyway. */
	if (api_node_to_prov(ctx, &n, &pn, resp) < 0) {
		memset(&pn, 0, sizeof(pn));
		snprintf(pn.name, sizeof(pn.name), "%s", n.name);
		memcpy(pn.mac, n.mac, MAC_LEN);
		pn.ip.s_addr = htonl(n.ip);
	}
	if (db_begin(ctx->db) < 0) {
		api_error(resp, 500, "database busy");
		return;
	}
	rc = db_node_delete(ctx->db, n.name);
	if (rc < 0) {
		api_error(resp, 500, "cannot remove node %s: %s", n.name, strerror(-rc));
		goto rollback;
	}
	if (api_write_all(ctx, resp) < 0)
		goto undo;
	rc = api_omapi_remove(ctx, &pn);
	if (rc < 0) {
		api_error(resp, 502, "dhcpd refused to remove host %s (mac %s) through OMAPI: %s",
			  n.name, mac, strerror(-rc));
		goto undo;
	}
	if (db_commit(ctx->db) < 0) {
		api_error(resp, 500, "cannot commit removal of node %s", n.name);
		undo_files(ctx);
		api_omapi_add(ctx, &pn);
		return;
	}
	log_info("node %s (mac %s) removed", n.name, mac);
	api_reply(resp, 200, json_pack("{s:s, s:s}", "removed", n.name, "mac", mac));
	return;
undo:
	db_rollback(ctx->db);
	undo_files(ctx);
	return;
rollback:
	db_rollback(ctx->db);
}

void api_nodes(struct api_ctx *ctx, const struct api_request *req,
	       const char *sub, struct api_response *resp)
{
	const char *m = req->method;

	if (!*sub) {
		if (strcmp(m, "GET") == 0)
			node_list(ctx, resp);
		else if (strcmp(m, "POST") == 0)
			node_add(ctx, req, resp);
		else
			api_error(resp, 405, "method %.20s not allowed on /v1/nodes (GET, POST)", m);
		return;
	}
	if (strcmp(m, "GET") == 0)
		node_show(ctx, sub, resp);
	else if (strcmp(m, "PATCH") == 0)
		node_set(ctx, req, sub, resp);
	else if (strcmp(m, "DELETE") == 0)
		node_remove(ctx, sub, resp);
	else
		api_error(resp, 405, "method %.20s not allowed on a node (GET, PATCH, DELETE)", m);
}
