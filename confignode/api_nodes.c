/* /v1/nodes: add, list, show, set, remove. Every change is one
 * provisioning transaction (prov_queue.h) run by nimbusd's event loop
 * without blocking it: the candidate dhcpd.conf is checked, the running
 * dhcpd told through OMAPI, the files installed, and the database change
 * committed last; a failing step unwinds the completed ones, so nothing is
 * ever half-done. The request is answered when the transaction ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "api_host.h"
#include "db_storage.h"
#include "log.h"

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
	out->ip = n->ip;
	out->role = n->role;
	return resolve_image(ctx, n->role, n->image, &out->image, resp);
}

int api_prov_list(struct api_ctx *ctx, struct prov_node **list, size_t *n,
		  struct api_response *resp)
{
	struct db_node *nodes = NULL;
	struct prov_node *pn = NULL;
	int rc;

	*list = NULL;
	*n = 0;
	rc = db_node_list(ctx->db, &nodes, n);
	if (rc < 0)
		return api_error(resp, 500, "cannot list nodes: %s", strerror(-rc));
	pn = calloc(*n ? *n : 1, sizeof(*pn));
	if (!pn) {
		rc = api_error(resp, 500, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < *n; i++) {
		rc = api_node_to_prov(ctx, &nodes[i], &pn[i], resp);
		if (rc < 0)
			goto out;
	}
	*list = pn;
	pn = NULL;
out:
	free(pn);
	free(nodes);
	return rc;
}

int api_write_all(struct api_ctx *ctx, struct api_response *resp)
{
	struct prov_node *pn = NULL;
	size_t n = 0;
	int rc;

	rc = api_prov_list(ctx, &pn, &n, resp);
	if (rc < 0)
		return rc;
	if (ctx->around_write)
		ctx->around_write(ctx->around_arg, true);
	rc = ctx->prov->write_files(&ctx->cfg->prov, pn, n);
	if (ctx->around_write)
		ctx->around_write(ctx->around_arg, false);
	if (rc < 0)
		rc = api_error(resp, 500, "writing dhcpd.conf and pxelinux.cfg failed: %s (see nimbusd's log)",
			       strerror(-rc));
	free(pn);
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
	if (!ipv4_in_subnet(*ip, p->subnet, ctx->cfg->prefix))
		return api_error(resp, 400, "ip %s is outside subnet %s/%u", s,
				 api_ip_str(p->subnet, net), ctx->cfg->prefix);
	if (*ip == p->address)
		return api_error(resp, 409, "ip %s is the config node's own address", s);
	if (*ip >= p->pool_start && *ip <= p->pool_end)
		return api_error(resp, 400, "ip %s is inside the dynamic range for unknown machines", s);
	return 0;
}

static int allocate_ip(struct api_ctx *ctx, uint32_t *ip, struct api_response *resp)
{
	const struct nimbusd_config *c = ctx->cfg;
	struct db_node other;
	char a[16], b[16];

	for (uint64_t i = c->node_pool_start; i <= c->node_pool_end; i++) {
		if (i == c->prov.address)
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

/* --- node changes as provisioning transactions ------------------------ */

struct node_job {
	struct prov_job job;          /* first: the queue hands this back */
	struct api_ctx *ctx;
	json_t *obj;                  /* the request body (add, set) */
	char name[NAME_MAX_LEN + 1];  /* set, remove: the node in the path */
	void (*reply)(void *arg, struct api_response *resp);
	void *reply_arg;
	struct api_response resp;     /* the answer, built as the job goes */
	struct db_node n;             /* add, set: the node as it will be */
	bool discovered;              /* add: of a discovered machine */
	bool ip_given;                /* add: else one from the pool */
	char detail[200];             /* the history entry */
};

static struct node_job *job_of(struct prov_job *job)
{
	return (struct node_job *)job;
}

/* old_list: every node as provisioning sees it; new_list: the same without
 * the node named skip, with add (may be NULL) appended. A node whose image
 * is gone has no files: the one being changed is left out of old_list
 * then; any other refuses the change, as regenerating the files would. */
static int build_lists(struct node_job *nj, const char *skip, const struct prov_node *add)
{
	struct prov_job *j = &nj->job;
	struct db_node *nodes = NULL;
	size_t n = 0;
	int rc = db_node_list(nj->ctx->db, &nodes, &n);

	if (rc < 0)
		return api_error(&nj->resp, 500, "cannot list nodes: %s", strerror(-rc));
	j->old_list = calloc(n + 1, sizeof(*j->old_list));
	j->new_list = calloc(n + 1, sizeof(*j->new_list));
	if (!j->old_list || !j->new_list) {
		rc = api_error(&nj->resp, 500, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		bool skipped = skip && strcmp(nodes[i].name, skip) == 0;
		struct prov_node pn;

		if (api_node_to_prov(nj->ctx, &nodes[i], &pn, skipped ? NULL : &nj->resp) < 0) {
			if (skipped)
				continue;
			rc = -1;
			goto out;
		}
		j->old_list[j->n_old++] = pn;
		if (!skipped)
			j->new_list[j->n_new++] = pn;
	}
	if (add)
		j->new_list[j->n_new++] = *add;
	rc = 0;
out:
	free(nodes);
	return rc;
}

/* The rest of what prepare fills: the change for prov_txn_plan(). */
static void set_change(struct node_job *nj, enum prov_change c, const struct prov_node *old,
		       const struct prov_node *new)
{
	struct prov_job *j = &nj->job;

	j->cfg = nj->ctx->cfg->prov;
	j->change = c;
	if (old)
		j->old = *old;
	if (new)
		j->new = *new;
	/* OMAPI off (omapi-port 0): nothing to tell a running dhcpd; it reads
	 * the installed file when it starts */
	j->omapi = j->cfg.omapi_port != 0;
}

/* The node as provisioning sees it, and checked by provisioning's rules. */
static int to_prov_checked(struct api_ctx *ctx, const struct db_node *n, struct prov_node *pn,
			   struct api_response *resp)
{
	char mac[MAC_STR_LEN];
	int rc;

	if (api_node_to_prov(ctx, n, pn, resp) < 0)
		return -1;
	rc = prov_node_validate(&ctx->cfg->prov, pn);
	if (rc < 0)
		return api_error(resp, 400, "node %s (mac %s) refused by provisioning: %s",
				 n->name, (mac_format(n->mac, mac), mac), strerror(-rc));
	return 0;
}

/* A node whose image is gone still has a name, MAC and address to remove. */
static void to_prov_bare(struct api_ctx *ctx, const struct db_node *n, struct prov_node *pn)
{
	if (api_node_to_prov(ctx, n, pn, NULL) == 0)
		return;
	memset(pn, 0, sizeof(*pn));
	snprintf(pn->name, sizeof(pn->name), "%s", n->name);
	memcpy(pn->mac, n->mac, MAC_LEN);
	pn->ip = n->ip;
}

void api_prov_failure(const struct prov_job *job, int rc, struct api_response *resp)
{
	const struct prov_txn *t = &job->txn;
	const struct prov_step *s = &t->steps[t->failed];
	const char *undo = t->undo_failures ? "; undoing it was incomplete (see nimbusd's log)" : "";
	char mac[MAC_STR_LEN];

	if (s->op == PROV_OP_OMAPI_ADD || s->op == PROV_OP_OMAPI_REMOVE) {
		mac_format(s->node->mac, mac);
		api_error(resp, 502, "dhcpd refused %shost %s (mac %s) through OMAPI: %s%s",
			  s->op == PROV_OP_OMAPI_ADD ? "" : "to remove ", s->node->name, mac,
			  strerror(-rc), undo);
	} else {
		api_error(resp, 500,
			  "writing dhcpd.conf and pxelinux.cfg failed at %s: %s (see nimbusd's log)%s",
			  prov_op_name(s->op), strerror(-rc), undo);
	}
}

static void node_job_done(struct prov_job *job, int rc)
{
	struct node_job *nj = job_of(job);

	if (rc < 0 && !nj->resp.body)
		api_prov_failure(job, rc, &nj->resp);
	if (rc < 0)
		log_err("%s not done: %s", job->what,
			json_string_value(json_object_get(nj->resp.body, "error")));
	nj->reply(nj->reply_arg, &nj->resp);
	json_decref(nj->obj);
	free(nj);
}

/* Answers later: the job's done() replies. */
static void submit(struct api_ctx *ctx, const struct api_request *req, struct node_job *nj,
		   int (*prepare)(struct prov_job *), int (*commit)(struct prov_job *),
		   struct api_response *resp)
{
	nj->ctx = ctx;
	nj->reply = req->reply_later;
	nj->reply_arg = req->reply_arg;
	nj->job.prepare = prepare;
	nj->job.commit = commit;
	nj->job.done = node_job_done;
	json_decref(resp->body);
	resp->body = NULL;
	resp->status = API_PENDING;
	prov_queue_submit(ctx->queue, &nj->job);
}

static struct node_job *job_new(struct api_ctx *ctx, const struct api_request *req,
				struct api_response *resp)
{
	struct node_job *nj;

	if (!ctx->queue || !req->reply_later) {
		api_error(resp, 500, "node changes are not served here");
		return NULL;
	}
	nj = calloc(1, sizeof(*nj));
	if (!nj)
		api_error(resp, 500, "out of memory");
	return nj;
}

static int add_prepare(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct api_ctx *ctx = nj->ctx;
	struct db_node *n = &nj->n;
	struct api_response *resp = &nj->resp;
	struct db_discovered d;
	struct prov_node pn;
	char mac[MAC_STR_LEN], ip[16];
	int rc;

	mac_format(n->mac, mac);
	if (nj->discovered) {
		rc = db_discovered_get(ctx->db, n->mac, &d);
		if (rc == -ENOENT)
			return api_error(resp, 404,
					 "no discovered machine with mac %s (see 'nimbus node discovered')",
					 mac);
		if (rc < 0)
			return api_error(resp, 500, "database error: %s", strerror(-rc));
		db_discovered_free(&d);
	}
	/* Refuse a node whose image does not exist before touching anything. */
	if (resolve_image(ctx, n->role, n->image, &pn.image, resp) < 0)
		return -1;
	if (!nj->ip_given && allocate_ip(ctx, &n->ip, resp) < 0)
		return -1;
	if (check_unique(ctx, n, NULL, resp) < 0 || to_prov_checked(ctx, n, &pn, resp) < 0 ||
	    build_lists(nj, NULL, &pn) < 0)
		return -1;
	snprintf(nj->detail, sizeof(nj->detail), "mac %s ip %s role %s%s%s", mac,
		 api_ip_str(n->ip, ip), role_name(n->role), n->image[0] ? " image " : "", n->image);
	set_change(nj, PROV_ADD, NULL, &pn);
	return 0;
}

static int add_commit(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct api_ctx *ctx = nj->ctx;
	struct db_node *n = &nj->n;
	struct api_response *resp = &nj->resp;
	char mac[MAC_STR_LEN];
	int64_t now = ctx->now();
	int rc;

	mac_format(n->mac, mac);
	n->state = NODE_ADDED;
	n->state_at = n->seen_at = n->created = now;
	if (db_begin(ctx->db) < 0)
		return api_error(resp, 500, "database busy");
	rc = db_node_insert(ctx->db, n);
	if (rc < 0) {
		api_error(resp, rc == -EEXIST ? 409 : 500, "cannot add node %s (mac %s): %s",
			  n->name, mac, strerror(-rc));
		goto rollback;
	}
	if (db_event_add(ctx->db, n->name, "added", nj->detail, now) < 0 ||
	    (nj->discovered && db_discovered_delete(ctx->db, n->mac) < 0)) {
		api_error(resp, 500, "database error adding node %s", n->name);
		goto rollback;
	}
	rc = db_commit(ctx->db);
	if (rc < 0) {
		api_error(resp, 500, "cannot commit node %s (mac %s): %s", n->name, mac,
			  strerror(-rc));
		goto rollback;
	}
	log_info("node %s added: %s", n->name, nj->detail);
	return api_reply(resp, 201, api_node_json(ctx, n));
rollback:
	db_rollback(ctx->db);
	return -1;
}

static void node_add(struct api_ctx *ctx, const struct api_request *req,
		     struct api_response *resp)
{
	static const char *const keys[] = { "name", "mac", "discovered", "role", "ip",
					    "image", NULL };
	const char *name, *mac_s, *disc_s, *role_s, *ip_s, *image;
	struct node_job *nj = job_new(ctx, req, resp);
	struct db_node *n;
	json_t *obj;

	if (!nj)
		return;
	n = &nj->n;
	obj = api_parse_object(req, resp);
	if (!obj)
		goto fail;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "mac", false, &mac_s, resp) < 0 ||
	    api_get_str(obj, "discovered", false, &disc_s, resp) < 0 ||
	    api_get_str(obj, "role", true, &role_s, resp) < 0 ||
	    api_get_str(obj, "ip", false, &ip_s, resp) < 0 ||
	    api_get_str(obj, "image", false, &image, resp) < 0)
		goto fail;
	if (check_name(name, resp) < 0)
		goto fail;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (!mac_s == !disc_s) {
		api_error(resp, 400, "give exactly one of 'mac' and 'discovered'");
		goto fail;
	}
	if (parse_mac(mac_s ? "mac" : "discovered", mac_s ? mac_s : disc_s, n->mac, resp) < 0)
		goto fail;
	if (role_parse(role_s, &n->role) < 0) {
		api_error(resp, 400, "bad role '%.40s' (storage or hw)", role_s);
		goto fail;
	}
	if (image && image[0]) {
		if (check_image_name(image, resp) < 0)
			goto fail;
		snprintf(n->image, sizeof(n->image), "%s", image);
	}
	if (ip_s && parse_ip(ctx, ip_s, &n->ip, resp) < 0)
		goto fail;
	nj->discovered = disc_s != NULL;
	nj->ip_given = ip_s != NULL;
	snprintf(nj->job.what, sizeof(nj->job.what), "node %s add", n->name);
	json_decref(obj);
	submit(ctx, req, nj, add_prepare, add_commit, resp);
	return;
fail:
	json_decref(obj);
	free(nj);
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
	if (obj && n.role == ROLE_HW)
		json_object_set_new(obj, "host", api_host_json(ctx, &n));
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

/* A pair member holds volumes' halves: it keeps role storage and stays
 * until its pair is removed (the schema refuses it too, but without a
 * message an operator can act on). */
static int refuse_pair_member(struct api_ctx *ctx, const char *node, const char *what,
			      struct api_response *resp)
{
	struct db_pair p;
	int rc = db_pair_of_node(ctx->db, node, &p, NULL);

	if (rc == 0)
		return api_error(resp, 409, "cannot %s node %s: it is a member of pair %s "
				 "(remove the pair first: nimbus pair remove %s)", what, node,
				 p.name, p.name);
	if (rc != -ENOENT)
		return api_error(resp, 500, "cannot read the pair of node %s", node);
	return 0;
}

static int set_prepare(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct api_ctx *ctx = nj->ctx;
	struct api_response *resp = &nj->resp;
	struct db_node old, *n = &nj->n;
	struct prov_node pn_old, pn_new;
	const char *mac_s, *role_s, *ip_s, *image;
	char mac[MAC_STR_LEN], ip[16];

	if (get_node(ctx, nj->name, &old, resp) < 0)
		return -1;
	*n = old;
	/* the body's types were checked when the request came */
	api_get_str(nj->obj, "mac", false, &mac_s, resp);
	api_get_str(nj->obj, "role", false, &role_s, resp);
	api_get_str(nj->obj, "ip", false, &ip_s, resp);
	api_get_str(nj->obj, "image", false, &image, resp);
	if (mac_s && parse_mac("mac", mac_s, n->mac, resp) < 0)
		return -1;
	if (ip_s && parse_ip(ctx, ip_s, &n->ip, resp) < 0)
		return -1;
	if (role_s && role_parse(role_s, &n->role) < 0)
		return api_error(resp, 400, "bad role '%.40s' (storage or hw)", role_s);
	if (n->role != old.role && refuse_pair_member(ctx, old.name, "change the role of", resp) < 0)
		return -1;
	/* "image": null or "" goes back to the role's default. */
	if (json_object_get(nj->obj, "image")) {
		if (image && image[0] && check_image_name(image, resp) < 0)
			return -1;
		snprintf(n->image, sizeof(n->image), "%s", image ? image : "");
	}
	mac_format(n->mac, mac);
	snprintf(nj->detail, sizeof(nj->detail), "mac %s ip %s role %s image %s", mac,
		 api_ip_str(n->ip, ip), role_name(n->role),
		 n->image[0] ? n->image : "(role default)");
	if (check_unique(ctx, n, old.name, resp) < 0 ||
	    to_prov_checked(ctx, n, &pn_new, resp) < 0 ||
	    build_lists(nj, old.name, &pn_new) < 0)
		return -1;
	to_prov_bare(ctx, &old, &pn_old);
	set_change(nj, PROV_SET, &pn_old, &pn_new);
	return 0;
}

static int set_commit(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct api_ctx *ctx = nj->ctx;
	struct db_node *n = &nj->n;
	struct api_response *resp = &nj->resp;
	int rc;

	if (db_begin(ctx->db) < 0)
		return api_error(resp, 500, "database busy");
	rc = db_node_update(ctx->db, nj->name, n);
	if (rc < 0) {
		api_error(resp, rc == -EEXIST ? 409 : 500, "cannot change node %s: %s",
			  n->name, strerror(-rc));
		goto rollback;
	}
	if (db_event_add(ctx->db, n->name, "changed", nj->detail, ctx->now()) < 0) {
		api_error(resp, 500, "database error changing node %s", n->name);
		goto rollback;
	}
	if (db_commit(ctx->db) < 0) {
		api_error(resp, 500, "cannot commit change of node %s", n->name);
		goto rollback;
	}
	log_info("node %s changed: %s", n->name, nj->detail);
	return api_reply(resp, 200, api_node_json(ctx, n));
rollback:
	db_rollback(ctx->db);
	return -1;
}

static void node_set(struct api_ctx *ctx, const struct api_request *req,
		     const char *name, struct api_response *resp)
{
	static const char *const keys[] = { "mac", "ip", "role", "image", NULL };
	const char *mac_s, *role_s, *ip_s, *image;
	struct node_job *nj;
	json_t *obj;

	if (check_name(name, resp) < 0)
		return;
	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "mac", false, &mac_s, resp) < 0 ||
	    api_get_str(obj, "role", false, &role_s, resp) < 0 ||
	    api_get_str(obj, "ip", false, &ip_s, resp) < 0 ||
	    api_get_str(obj, "image", false, &image, resp) < 0)
		goto fail;
	if (!mac_s && !role_s && !ip_s && !json_object_get(obj, "image")) {
		api_error(resp, 400, "nothing to change: give mac, ip, role or image");
		goto fail;
	}
	nj = job_new(ctx, req, resp);
	if (!nj)
		goto fail;
	nj->obj = obj;
	snprintf(nj->name, sizeof(nj->name), "%s", name);
	snprintf(nj->job.what, sizeof(nj->job.what), "node %s set", name);
	submit(ctx, req, nj, set_prepare, set_commit, resp);
	return;
fail:
	json_decref(obj);
}

static int remove_prepare(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct prov_node pn;

	if (get_node(nj->ctx, nj->name, &nj->n, &nj->resp) < 0 ||
	    refuse_pair_member(nj->ctx, nj->n.name, "remove", &nj->resp) < 0)
		return -1;
	/* The image may be gone from under a broken node: remove it anyway. */
	to_prov_bare(nj->ctx, &nj->n, &pn);
	if (build_lists(nj, nj->n.name, NULL) < 0)
		return -1;
	set_change(nj, PROV_REMOVE, &pn, NULL);
	return 0;
}

static int remove_commit(struct prov_job *job)
{
	struct node_job *nj = job_of(job);
	struct api_ctx *ctx = nj->ctx;
	struct api_response *resp = &nj->resp;
	char mac[MAC_STR_LEN];
	int rc;

	mac_format(nj->n.mac, mac);
	if (db_begin(ctx->db) < 0)
		return api_error(resp, 500, "database busy");
	rc = db_node_delete(ctx->db, nj->n.name);
	if (rc < 0) {
		api_error(resp, 500, "cannot remove node %s: %s", nj->n.name, strerror(-rc));
		goto rollback;
	}
	if (db_commit(ctx->db) < 0) {
		api_error(resp, 500, "cannot commit removal of node %s", nj->n.name);
		goto rollback;
	}
	log_info("node %s (mac %s) removed", nj->n.name, mac);
	return api_reply(resp, 200, json_pack("{s:s, s:s}", "removed", nj->n.name, "mac", mac));
rollback:
	db_rollback(ctx->db);
	return -1;
}

static void node_remove(struct api_ctx *ctx, const struct api_request *req, const char *name,
			struct api_response *resp)
{
	struct node_job *nj;

	if (check_name(name, resp) < 0)
		return;
	nj = job_new(ctx, req, resp);
	if (!nj)
		return;
	snprintf(nj->name, sizeof(nj->name), "%s", name);
	snprintf(nj->job.what, sizeof(nj->job.what), "node %s remove", name);
	submit(ctx, req, nj, remove_prepare, remove_commit, resp);
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
		node_remove(ctx, req, sub, resp);
	else
		api_error(resp, 405, "method %.20s not allowed on a node (GET, PATCH, DELETE)", m);
}
