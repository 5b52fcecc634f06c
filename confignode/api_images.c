/* /v1/images and /v1/roles: boot images, and each role's default image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "log.h"

static json_t *image_json(const struct prov_image *img)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", img->name,
			 "kernel", img->kernel, "initrd", img->initrd, "xen", img->xen,
			 "xen_cmdline", img->xen_cmdline, "cmdline", img->cmdline);
}

/* Copies a checked path member; "" allowed only when !required. */
static int get_path(json_t *obj, const char *key, bool required, char *dst, size_t len,
		    struct api_response *resp)
{
	const char *s;
	int rc = api_get_str(obj, key, required, &s, resp);

	if (rc <= 0)
		return rc;
	if (!required && !s[0])
		return 0;
	if (validate_tftp_path(s) < 0 || strlen(s) >= len)
		return api_error(resp, 400,
				 "bad %s path '%.80s': relative to the TFTP root, A-Z a-z 0-9 . _ + / -, no '..', at most %d",
				 key, s, PATH_MAX_LEN);
	snprintf(dst, len, "%s", s);
	return 0;
}

static int get_cmdline(json_t *obj, const char *key, char *dst, size_t len,
		       struct api_response *resp)
{
	const char *s;
	int rc = api_get_str(obj, key, false, &s, resp);

	if (rc <= 0)
		return rc;
	if (validate_cmdline(s) < 0 || strlen(s) >= len)
		return api_error(resp, 400,
				 "bad %s '%.80s': printable ASCII without quotes \\ ; { } # $ ` or '---', at most %d bytes",
				 key, s, CMDLINE_MAX_LEN);
	snprintf(dst, len, "%s", s);
	return 0;
}

static void image_add(struct api_ctx *ctx, const struct api_request *req,
		      struct api_response *resp)
{
	static const char *const keys[] = { "name", "kernel", "initrd", "xen", "xen_cmdline",
					    "cmdline", NULL };
	struct prov_image img = { 0 };
	const char *name;
	json_t *obj = api_parse_object(req, resp);
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "name", true, &name, resp) < 0)
		goto out;
	if (validate_image_name(name) < 0) {
		api_error(resp, 400, "bad image name '%.70s' (a-z 0-9 . _ -, at most %d)", name,
			  NAME_MAX_LEN);
		goto out;
	}
	snprintf(img.name, sizeof(img.name), "%s", name);
	if (get_path(obj, "kernel", true, img.kernel, sizeof(img.kernel), resp) < 0 ||
	    get_path(obj, "initrd", false, img.initrd, sizeof(img.initrd), resp) < 0 ||
	    get_path(obj, "xen", false, img.xen, sizeof(img.xen), resp) < 0 ||
	    get_cmdline(obj, "xen_cmdline", img.xen_cmdline, sizeof(img.xen_cmdline), resp) < 0 ||
	    get_cmdline(obj, "cmdline", img.cmdline, sizeof(img.cmdline), resp) < 0 ||
	    api_root_check(ctx, img.name, img.cmdline, resp) < 0)
		goto out;
	if (img.xen_cmdline[0] && !img.xen[0]) {
		api_error(resp, 400, "xen_cmdline given without xen");
		goto out;
	}
	rc = db_image_insert(ctx->db, &img, ctx->now());
	if (rc == -EEXIST) {
		api_error(resp, 409, "image %s already exists", img.name);
		goto out;
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot add image %s: %s", img.name, strerror(-rc));
		goto out;
	}
	log_info("image %s added: kernel %s initrd %s%s%s", img.name, img.kernel,
		 img.initrd[0] ? img.initrd : "-", img.xen[0] ? " xen " : "", img.xen);
	api_reply(resp, 201, image_json(&img));
out:
	json_decref(obj);
}

static void image_list(struct api_ctx *ctx, struct api_response *resp)
{
	struct prov_image *imgs;
	size_t n;
	json_t *arr;

	if (db_image_list(ctx->db, &imgs, &n) < 0) {
		api_error(resp, 500, "cannot list images");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, image_json(&imgs[i]));
	free(imgs);
	api_reply(resp, 200, json_pack("{s:o}", "images", arr));
}

static void image_show(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	struct prov_image img;
	int rc;

	if (validate_image_name(name) < 0) {
		api_error(resp, 400, "bad image name '%.70s'", name);
		return;
	}
	rc = db_image_get(ctx->db, name, &img);
	if (rc == -ENOENT)
		api_error(resp, 404, "image %s does not exist", name);
	else if (rc < 0)
		api_error(resp, 500, "cannot read image %s", name);
	else
		api_reply(resp, 200, image_json(&img));
}

/* Checks one optional field of a PATCH: absent leaves dst, "" clears it
 * (not allowed for kernel), anything else is checked like on add. */
static int patch_field(json_t *obj, const char *key, bool is_path, char *dst, size_t len,
		       struct api_response *resp)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (json_is_string(v) && json_string_length(v) == 0) {
		if (strcmp(key, "kernel") == 0)
			return api_error(resp, 400, "an image needs a kernel: 'kernel' cannot be empty");
		dst[0] = '\0';
		return 0;
	}
	if (json_is_null(v))
		return api_error(resp, 400, "field '%s' must be a string (\"\" removes it)", key);
	return is_path ? get_path(obj, key, true, dst, len, resp) :
			 get_cmdline(obj, key, dst, len, resp);
}

/* hw nodes and the hw role boot Xen: an image they use must keep it. */
static int check_users_fit(struct api_ctx *ctx, const struct prov_image *img,
			   struct api_response *resp)
{
	char hw_default[PROV_NAME_MAX];
	struct db_node *nodes;
	size_t n;
	int rc = 0;

	if (img->xen[0])
		return 0;
	if (db_role_get(ctx->db, ROLE_HW, hw_default) < 0)
		return api_error(resp, 500, "cannot read roles");
	if (strcmp(hw_default, img->name) == 0)
		return api_error(resp, 409, "image %s would have no Xen but is the default of role hw",
				 img->name);
	if (db_node_list(ctx->db, &nodes, &n) < 0)
		return api_error(resp, 500, "cannot list nodes");
	for (size_t i = 0; i < n && rc == 0; i++)
		if (nodes[i].role == ROLE_HW && strcmp(nodes[i].image, img->name) == 0)
			rc = api_error(resp, 409, "image %s would have no Xen but hw node %s boots it",
				       img->name, nodes[i].name);
	free(nodes);
	return rc;
}

/* --- image and role changes as provisioning transactions --------------
 *
 * Changing an image or a role's default image changes what nodes boot: every
 * file is regenerated, through the same queue as node changes (so the
 * event loop does not wait for `dhcpd -t`, and the files never race a node
 * change). The change is made twice in a database transaction: once rolled
 * back, to know the nodes' files after it (prepare), once committed, as the
 * transaction's last step. */

struct files_job {
	struct prov_job job;          /* first: the queue hands this back */
	struct api_ctx *ctx;
	json_t *obj;                  /* the request body */
	char name[NAME_MAX_LEN + 1];  /* the image or role in the path */
	void (*reply)(void *arg, struct api_response *resp);
	void *reply_arg;
	struct api_response resp;     /* the answer */
	/* The change, inside an open database transaction: 0 with the answer
	 * in *answer (replaced) and what to log, or -1 with resp set. */
	int (*apply)(struct files_job *fj, json_t **answer);
	json_t *answer;
	char log[1800];               /* a name and six paths of up to 255 bytes */
};

static struct files_job *fjob_of(struct prov_job *job)
{
	return (struct files_job *)job;
}

static int files_prepare(struct prov_job *job)
{
	struct files_job *fj = fjob_of(job);
	struct api_ctx *ctx = fj->ctx;
	int rc;

	if (db_begin(ctx->db) < 0)
		return api_error(&fj->resp, 500, "database busy");
	rc = fj->apply(fj, &fj->answer);
	if (rc == 0)
		rc = api_prov_list(ctx, &job->new_list, &job->n_new, &fj->resp);
	db_rollback(ctx->db);
	if (rc < 0)
		return -1;
	if (api_prov_list(ctx, &job->old_list, &job->n_old, &fj->resp) < 0)
		return -1;
	job->cfg = ctx->cfg->prov;
	job->change = PROV_FILES;
	job->omapi = false;
	return 0;
}

static int files_commit(struct prov_job *job)
{
	struct files_job *fj = fjob_of(job);
	struct api_ctx *ctx = fj->ctx;

	if (db_begin(ctx->db) < 0)
		return api_error(&fj->resp, 500, "database busy");
	if (fj->apply(fj, &fj->answer) < 0)
		goto rollback;
	if (db_commit(ctx->db) < 0) {
		api_error(&fj->resp, 500, "cannot commit the change of %s", fj->name);
		goto rollback;
	}
	log_info("%s", fj->log);
	api_reply(&fj->resp, 200, fj->answer);
	fj->answer = NULL;
	return 0;
rollback:
	db_rollback(ctx->db);
	return -1;
}

static void files_done(struct prov_job *job, int rc)
{
	struct files_job *fj = fjob_of(job);

	if (rc < 0 && !fj->resp.body)
		api_prov_failure(job, rc, &fj->resp);
	if (rc < 0)
		log_err("%s not done: %s", job->what,
			json_string_value(json_object_get(fj->resp.body, "error")));
	fj->reply(fj->reply_arg, &fj->resp);
	json_decref(fj->answer);
	json_decref(fj->obj);
	free(fj);
}

/* Queues the change (takes obj); the answer comes through reply_later. */
static void files_submit(struct api_ctx *ctx, const struct api_request *req, json_t *obj,
			 const char *what, const char *name,
			 int (*apply)(struct files_job *, json_t **), struct api_response *resp)
{
	struct files_job *fj;

	if (!ctx->queue || !req->reply_later) {
		json_decref(obj);
		api_error(resp, 500, "image and role changes are not served here");
		return;
	}
	fj = calloc(1, sizeof(*fj));
	if (!fj) {
		json_decref(obj);
		api_error(resp, 500, "out of memory");
		return;
	}
	fj->ctx = ctx;
	fj->obj = obj;
	snprintf(fj->name, sizeof(fj->name), "%s", name);
	snprintf(fj->job.what, sizeof(fj->job.what), "%s %s set", what, name);
	fj->reply = req->reply_later;
	fj->reply_arg = req->reply_arg;
	fj->apply = apply;
	fj->job.prepare = files_prepare;
	fj->job.commit = files_commit;
	fj->job.done = files_done;
	json_decref(resp->body);
	resp->body = NULL;
	resp->status = API_PENDING;
	prov_queue_submit(ctx->queue, &fj->job);
}

/* The image of the change, read in its transaction. */
static int get_image(struct api_ctx *ctx, const char *name, struct prov_image *img,
		     struct api_response *resp)
{
	int rc = db_image_get(ctx->db, name, img);

	if (rc < 0)
		return api_error(resp, rc == -ENOENT ? 404 : 500, "image %s does not exist", name);
	return 0;
}

static int image_apply(struct files_job *fj, json_t **answer)
{
	struct api_ctx *ctx = fj->ctx;
	struct api_response *resp = &fj->resp;
	json_t *obj = fj->obj;
	struct prov_image img, old;
	int rc;

	if (get_image(ctx, fj->name, &img, resp) < 0)
		return -1;
	old = img;
	if (patch_field(obj, "kernel", true, img.kernel, sizeof(img.kernel), resp) < 0 ||
	    patch_field(obj, "initrd", true, img.initrd, sizeof(img.initrd), resp) < 0 ||
	    patch_field(obj, "xen", true, img.xen, sizeof(img.xen), resp) < 0 ||
	    patch_field(obj, "xen_cmdline", false, img.xen_cmdline, sizeof(img.xen_cmdline),
			resp) < 0 ||
	    patch_field(obj, "cmdline", false, img.cmdline, sizeof(img.cmdline), resp) < 0 ||
	    api_root_check(ctx, fj->name, img.cmdline, resp) < 0)
		return -1;
	if (!img.xen[0] && json_object_get(obj, "xen"))
		img.xen_cmdline[0] = '\0';   /* dropping Xen drops its command line */
	if (img.xen_cmdline[0] && !img.xen[0])
		return api_error(resp, 400, "xen_cmdline given without xen");
	if (check_users_fit(ctx, &img, resp) < 0)
		return -1;
	rc = db_image_update(ctx->db, &img);
	if (rc < 0)
		return api_error(resp, 500, "cannot update image %s: %s", fj->name, strerror(-rc));
	snprintf(fj->log, sizeof(fj->log),
		 "image %s changed: kernel %s -> %s, initrd %s -> %s, xen %s -> %s", fj->name,
		 old.kernel, img.kernel, old.initrd[0] ? old.initrd : "-",
		 img.initrd[0] ? img.initrd : "-", old.xen[0] ? old.xen : "-",
		 img.xen[0] ? img.xen : "-");
	json_decref(*answer);
	*answer = image_json(&img);
	return 0;
}

/* Changing an image changes what its nodes boot: their pxelinux files are
 * regenerated in the same provisioning transaction, all or nothing. */
static void image_set(struct api_ctx *ctx, const struct api_request *req, const char *name,
		      struct api_response *resp)
{
	static const char *const keys[] = { "kernel", "initrd", "xen", "xen_cmdline", "cmdline",
					    NULL };
	json_t *obj;

	if (validate_image_name(name) < 0) {
		api_error(resp, 400, "bad image name '%.70s'", name);
		return;
	}
	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0) {
		json_decref(obj);
		return;
	}
	files_submit(ctx, req, obj, "image", name, image_apply, resp);
}

/* An image in use (a role's default or a node's override) is kept; the
 * refusal names every user so the operator knows what to change. */
static void image_remove(struct api_ctx *ctx, const char *name, struct api_response *resp)
{
	char roles[32] = "", nodes[320];
	int rc, nroles = 0;

	if (validate_image_name(name) < 0) {
		api_error(resp, 400, "bad image name '%.70s'", name);
		return;
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		char img[PROV_NAME_MAX];

		if (db_role_get(ctx->db, (enum node_role)r, img) == 0 && strcmp(img, name) == 0) {
			size_t o = strlen(roles);

			snprintf(roles + o, sizeof(roles) - o, "%s%s", nroles++ ? ", " : "",
				 role_name((enum node_role)r));
		}
	}
	rc = db_node_count_image(ctx->db, name, nodes, sizeof(nodes));
	if (rc < 0) {
		api_error(resp, 500, "cannot check the users of image %s", name);
		return;
	}
	if (nroles || rc > 0) {
		api_error(resp, 409, "image %s is in use: %s%s%s%s%s", name,
			  nroles ? (nroles > 1 ? "default of roles " : "default of role ") : "",
			  roles, nroles && rc ? "; " : "",
			  rc ? (rc > 1 ? "booted by nodes " : "booted by node ") : "",
			  rc ? nodes : "");
		return;
	}
	rc = db_image_delete(ctx->db, name);
	if (rc == -ENOENT)
		api_error(resp, 404, "image %s does not exist", name);
	else if (rc < 0)
		api_error(resp, rc == -EEXIST ? 409 : 500, "cannot remove image %s: %s", name,
			  strerror(-rc));
	else {
		log_info("image %s removed", name);
		api_reply(resp, 200, json_pack("{s:s}", "removed", name));
	}
}

void api_images(struct api_ctx *ctx, const struct api_request *req,
		const char *sub, struct api_response *resp)
{
	const char *m = req->method;

	if (!*sub) {
		if (strcmp(m, "GET") == 0)
			image_list(ctx, resp);
		else if (strcmp(m, "POST") == 0)
			image_add(ctx, req, resp);
		else
			api_error(resp, 405, "method %.20s not allowed on /v1/images (GET, POST)", m);
	} else if (strcmp(m, "GET") == 0) {
		image_show(ctx, sub, resp);
	} else if (strcmp(m, "DELETE") == 0) {
		image_remove(ctx, sub, resp);
	} else if (strcmp(m, "PATCH") == 0) {
		image_set(ctx, req, sub, resp);
	} else {
		api_error(resp, 405, "method %.20s not allowed on an image (GET, PATCH, DELETE)", m);
	}
}

static void role_list(struct api_ctx *ctx, struct api_response *resp)
{
	json_t *arr = json_array();

	for (int r = 0; arr && r < ROLE_COUNT; r++) {
		char image[PROV_NAME_MAX];

		if (db_role_get(ctx->db, (enum node_role)r, image) < 0) {
			json_decref(arr);
			api_error(resp, 500, "cannot read roles");
			return;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s?}", "name",
						     role_name((enum node_role)r), "image",
						     image[0] ? image : NULL));
	}
	api_reply(resp, 200, json_pack("{s:o}", "roles", arr));
}

static int role_apply(struct files_job *fj, json_t **answer)
{
	struct api_ctx *ctx = fj->ctx;
	struct api_response *resp = &fj->resp;
	struct prov_image img;
	enum node_role role;
	const char *image;
	int rc;

	/* both checked when the request came */
	role_parse(fj->name, &role);
	api_get_str(fj->obj, "image", true, &image, resp);
	if (get_image(ctx, image, &img, resp) < 0 || api_image_fits_role(role, &img, resp) < 0)
		return -1;
	rc = db_role_set(ctx->db, role, image);
	if (rc < 0)
		return api_error(resp, 500, "cannot set image of role %s: %s", fj->name,
				 strerror(-rc));
	snprintf(fj->log, sizeof(fj->log), "role %s boots image %s by default", fj->name, image);
	json_decref(*answer);
	*answer = json_pack("{s:s, s:s}", "name", fj->name, "image", image);
	return 0;
}

/* Changing a role's default image changes what its nodes boot: their
 * pxelinux files are regenerated in the same provisioning transaction. */
static void role_set(struct api_ctx *ctx, const struct api_request *req,
		     const char *name, struct api_response *resp)
{
	static const char *const keys[] = { "image", NULL };
	enum node_role role;
	const char *image;
	json_t *obj;

	if (role_parse(name, &role) < 0) {
		api_error(resp, 404, "no role named '%.40s' (storage or hw)", name);
		return;
	}
	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "image", true, &image, resp) < 0)
		goto fail;
	if (validate_image_name(image) < 0) {
		api_error(resp, 400, "bad image name '%.70s'", image);
		goto fail;
	}
	files_submit(ctx, req, obj, "role", name, role_apply, resp);
	return;
fail:
	json_decref(obj);
}

void api_roles(struct api_ctx *ctx, const struct api_request *req,
	       const char *sub, struct api_response *resp)
{
	if (!*sub && strcmp(req->method, "GET") == 0)
		role_list(ctx, resp);
	else if (*sub && strcmp(req->method, "PUT") == 0)
		role_set(ctx, req, sub, resp);
	else
		api_error(resp, 405, "method %.20s not allowed here (GET /v1/roles, PUT /v1/roles/NAME)",
			  req->method);
}
