/* /v1/templates and /v1/instances, for operators. A template is an
 * imported volume instances are cloned from; an instance is a Xen guest
 * whose disk is such a clone, placed on a hardware node. nimbusd's rows
 * are the desired state; each hardware node's agent (nimbus-hostd) makes
 * it so and reports what libvirt has, which `instance show` puts side by
 * side. Every change bumps the generation of the nodes concerned. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api_host.h"
#include "gen_domain.h"
#include "log.h"
#include "size_units.h"

/* Instance disks are volumes named NAME-disk: an instance name leaves room
 * for the suffix within a DNS label. */
#define DISK_SUFFIX "-disk"
#define INSTANCE_NAME_MAX (63 - 5)
#define HISTORY_MAX 50

/* Runs another resource's handler for this request as if the operator had
 * sent it (the volume API's own checks and messages apply). */
static void call(struct api_ctx *ctx, void (*fn)(struct api_ctx *, const struct api_request *,
						 const char *, struct api_response *),
		 const char *method, const char *path, const char *sub, json_t *body,
		 struct api_response *resp)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct api_request r = {
		.origin = API_ADMIN, .method = method, .path = path, .body = text,
		.body_len = text ? strlen(text) : 0,
	};

	resp->status = 500;
	resp->body = NULL;
	fn(ctx, &r, sub, resp);
	free(text);
	json_decref(body);
}

static void pass_on(struct api_response *from, struct api_response *to)
{
	*to = *from;
	from->body = NULL;
}

static json_t *with_reason(struct api_response *resp, const char *reason)
{
	if (resp->body)
		json_object_set_new(resp->body, "reason", json_string(reason));
	return resp->body;
}

static int name_ok(const char *what, const char *name, size_t max, struct api_response *resp)
{
	if (!smsg_name_ok(name) || strlen(name) > max)
		return api_error(resp, 400, "bad %s name '%.70s' (a-z 0-9 -, at most %zu)", what,
				 name, max);
	return 0;
}

/* --- templates --------------------------------------------------------- */

static json_t *template_json(struct api_ctx *ctx, const struct db_template *t)
{
	struct api_response vr;
	char users[256];
	int n = db_template_users(ctx->db, t->name, users, sizeof(users));
	json_t *o;

	call(ctx, api_volumes, "GET", "/v1/volumes", t->volume, NULL, &vr);
	o = json_pack("{s:s, s:s, s:I, s:i, s:s, s:o}", "name", t->name, "volume", t->volume,
		      "created", (json_int_t)t->created, "instances", n < 0 ? 0 : n,
		      "used_by", n > 0 ? users : "",
		      "volume_state", vr.status == 200 && vr.body ? json_incref(vr.body) : json_null());
	json_decref(vr.body);
	return o;
}

static void template_import(struct api_ctx *ctx, const struct api_request *req,
			    const char *sub API_UNUSED, struct api_response *resp)
{
	static const char *const keys[] = { "name", "file", "pair", NULL };
	struct db_template t = { 0 }, o;
	struct api_response vr;
	const char *name, *file, *pair;
	json_t *obj = api_parse_object(req, resp), *vb;
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "file", true, &file, resp) < 0 ||
	    api_get_str(obj, "pair", false, &pair, resp) < 0 ||
	    name_ok("template", name, 63, resp) < 0)
		goto out;
	if (db_template_get(ctx->db, name, &o) == 0) {
		api_error(resp, 409, "template %s already exists (volume %s)", name, o.volume);
		goto out;
	}
	/* The template's volume has the template's name: one name to follow
	 * from `template list` to `volume show`. */
	vb = json_pack("{s:s, s:s}", "name", name, "import", file);
	if (pair)
		json_object_set_new(vb, "pair", json_string(pair));
	call(ctx, api_volumes, "POST", "/v1/volumes", "", vb, &vr);
	if (vr.status != 201) {
		pass_on(&vr, resp);
		goto out;
	}
	json_decref(vr.body);
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.volume, sizeof(t.volume), "%s", name);
	t.created = ctx->now();
	rc = db_template_insert(ctx->db, &t);
	if (rc < 0) {
		api_error(resp, 500, "volume %s was created, but it could not be made a template: %s"
			  " (delete the volume and import again)", name, strerror(-rc));
		goto out;
	}
	log_info("template %s: importing %s into volume %s", name, file, t.volume);
	api_reply(resp, 201, template_json(ctx, &t));
out:
	json_decref(obj);
}

static void template_list(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			  const char *sub API_UNUSED, struct api_response *resp)
{
	struct db_template *all;
	size_t n;
	json_t *arr;

	if (db_template_list(ctx->db, &all, &n) < 0) {
		api_error(resp, 500, "cannot list templates");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, template_json(ctx, &all[i]));
	free(all);
	api_reply(resp, 200, json_pack("{s:o}", "templates", arr));
}

static int template_get(struct api_ctx *ctx, const char *name, struct db_template *t,
			struct api_response *resp)
{
	int rc;

	if (name_ok("template", name, 63, resp) < 0)
		return -1;
	rc = db_template_get(ctx->db, name, t);
	if (rc < 0)
		return api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
				 "template %s does not exist" : "cannot read template %s", name);
	return 0;
}

static void template_show(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			  const char *name, struct api_response *resp)
{
	struct db_template t;

	if (template_get(ctx, name, &t, resp) == 0)
		api_reply(resp, 200, template_json(ctx, &t));
}

static void template_remove(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			    const char *name, struct api_response *resp)
{
	struct db_template t;
	struct api_response vr;
	char users[256];
	int n;

	if (template_get(ctx, name, &t, resp) < 0)
		return;
	n = db_template_users(ctx->db, name, users, sizeof(users));
	if (n > 0) {
		api_error(resp, 409, "template %s is in use: instance%s %s %s cloned from it (delete"
			  " %s first)", name, n == 1 ? "" : "s", users, n == 1 ? "was" : "were",
			  n == 1 ? "it" : "them");
		return;
	}
	if (n < 0 || db_template_delete(ctx->db, name) < 0) {
		api_error(resp, 500, "cannot remove template %s", name);
		return;
	}
	call(ctx, api_volumes, "DELETE", "/v1/volumes", t.volume, NULL, &vr);
	if (vr.status != 200) {
		/* The volume stays (a clone still depends on it, say): so does
		 * the template. */
		if (db_template_insert(ctx->db, &t) < 0)
			log_err("template %s: removed, but its volume %s could not be", name, t.volume);
		pass_on(&vr, resp);
		return;
	}
	json_decref(vr.body);
	log_info("template %s removed, with its volume %s", name, t.volume);
	api_reply(resp, 200, json_pack("{s:s, s:s}", "removed", name, "volume", t.volume));
}

void api_templates(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		   struct api_response *resp)
{
	static const struct api_route routes[] = {
		{ false, "GET", template_list }, { false, "POST", template_import },
		{ true, "GET", template_show }, { true, "DELETE", template_remove },
	};

	api_route(ctx, req, sub, routes, sizeof(routes) / sizeof(routes[0]),
		  "GET, POST on /v1/templates; GET, DELETE on /v1/templates/NAME", resp);
}

/* --- what the nodes say about an instance ------------------------------ */

struct inst_obs {
	const struct host_view *on;            /* its node's view, NULL if unknown node */
	const struct hmsg_have_instance *have; /* its domain there, NULL if none */
	char also[160];                        /* other nodes running it, comma-separated */
	const struct hmsg_have_instance *mig;  /* the source's entry of a running migration */
};

static void observe(const struct db_instance *in, const struct db_migration *m,
		    const struct host_view *hv, size_t nh, struct inst_obs *io)
{
	memset(io, 0, sizeof(*io));
	for (size_t i = 0; i < nh; i++) {
		const struct hmsg_have_instance *h = hv[i].fresh ? hl_find(&hv[i].obs, in->name) : NULL;

		if (strcmp(hv[i].n.name, in->node) == 0) {
			io->on = &hv[i];
			io->have = h;
			for (size_t k = 0; m && hv[i].fresh && k < hv[i].obs.n_instances; k++)
				if (hv[i].obs.instances[k].migration.id == m->id)
					io->mig = &hv[i].obs.instances[k];
		} else if (hl_active(h) && !(m && strcmp(m->dst, hv[i].n.name) == 0)) {
			size_t len = strlen(io->also);

			snprintf(io->also + len, sizeof(io->also) - len, "%s%s", len ? ", " : "",
				 hv[i].n.name);
		}
	}
}

/* One word for `instance list`. */
static const char *inst_state(const struct db_instance *in, bool volume_ready,
			      const struct db_migration *m, const struct inst_obs *io)
{
	if (in->desired == DB_INST_DELETING)
		return "deleting";
	if (!volume_ready)
		return "pending";
	if (m)
		return "migrating";
	if (!io->on || !io->on->fresh)
		return "unknown";
	if (!io->have)
		return in->desired == DB_INST_RUNNING ? "starting" : "stopped";
	switch (io->have->state) {
	case HMSG_DOM_RUNNING:
	case HMSG_DOM_BLOCKED:
		return in->desired == DB_INST_RUNNING ? "running" : "stopping";
	case HMSG_DOM_PAUSED:
		return "paused";
	case HMSG_DOM_SHUTDOWN:
		return "stopping";
	case HMSG_DOM_CRASHED:
		return "crashed";
	case HMSG_DOM_SHUTOFF:
		return in->desired == DB_INST_RUNNING ? "starting" : "stopped";
	default:
		return "unknown";
	}
}

static const char *ip4(uint32_t ip, char buf[16])
{
	struct in_addr a = { htonl(ip) };

	return inet_ntop(AF_INET, &a, buf, 16);
}

static json_t *instance_json(struct api_ctx *ctx, const struct db_instance *in,
			     const struct host_view *hv, size_t nh, bool full)
{
	struct db_volume v = { 0 };
	struct db_migration m;
	bool have_mig = db_migration_running(ctx->db, in->name, &m) == 0;
	struct inst_obs io;
	char mac[MAC_STR_LEN], addr[24] = "", gw[16] = "", b[16];
	json_t *o, *obs;

	db_volume_get(ctx->db, in->volume, &v);
	observe(in, have_mig ? &m : NULL, hv, nh, &io);
	mac_format(in->mac, mac);
	if (in->ip)
		snprintf(addr, sizeof(addr), "%s/%u", ip4(in->ip, b), in->prefix);
	if (in->gw)
		ip4(in->gw, gw);
	obs = json_pack("{s:s, s:s, s:b, s:s, s:s}",
			"node", io.on ? io.on->n.name : "",
			"domain", io.have ? hmsg_dom_state_name(io.have->state) : "none",
			"reporting", io.on && io.on->fresh,
			"error", io.have ? io.have->error : "",
			"also_running_on", io.also);
	if (obs && io.have)
		json_object_set_new(obs, "memory_mib", json_integer(io.have->memory_mib));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
		      "name", in->name, "state", inst_state(in, v.ready_at != 0,
							     have_mig ? &m : NULL, &io),
		      "desired", db_inst_desired_name(in->desired), "node", in->node,
		      "memory_mib", (json_int_t)in->memory_mib, "vcpus", (json_int_t)in->vcpus,
		      "template", in->template_, "volume", in->volume, "aoe", "",
		      "mac", mac, "address", addr, "gateway", gw, "observed", obs);
	if (!o)
		return NULL;
	if (v.name[0]) {
		char aoe[24];

		snprintf(aoe, sizeof(aoe), "e%u.%u", v.shelf, v.slot);
		json_object_set_new(o, "aoe", json_string(aoe));
	}
	json_object_set_new(o, "created", json_integer(in->created));
	if (have_mig) {
		json_t *mj = json_pack("{s:I, s:s, s:s, s:I, s:s, s:I}", "id", (json_int_t)m.id,
				       "from", m.src, "to", m.dst, "started", (json_int_t)m.started,
				       "phase", io.mig ? hmsg_mig_phase_name(io.mig->migration.phase) :
				       "starting", "elapsed_ms",
				       (json_int_t)(io.mig ? io.mig->migration.elapsed_ms : 0));

		json_object_set_new(o, "migration", mj);
	} else {
		json_object_set_new(o, "migration", json_null());
	}
	if (full) {
		struct api_response vr;
		struct db_inst_event *ev = NULL;
		struct db_migration *ms = NULL;
		size_t ne = 0, nm = 0;
		json_t *hist = json_array(), *migs = json_array();

		call(ctx, api_volumes, "GET", "/v1/volumes", in->volume, NULL, &vr);
		json_object_set_new(o, "volume_state", vr.status == 200 && vr.body ?
				    json_incref(vr.body) : json_null());
		json_decref(vr.body);
		if (db_inst_events(ctx->db, in->name, HISTORY_MAX, &ev, &ne) == 0)
			for (size_t i = 0; i < ne; i++)
				json_array_append_new(hist, json_pack("{s:I, s:s, s:s}", "at",
					(json_int_t)ev[i].at, "node", ev[i].node, "event", ev[i].text));
		if (db_migration_history(ctx->db, in->name, HISTORY_MAX, &ms, &nm) == 0)
			for (size_t i = 0; i < nm; i++)
				json_array_append_new(migs, json_pack(
					"{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id",
					(json_int_t)ms[i].id, "from", ms[i].src, "to", ms[i].dst,
					"state", db_mig_state_name(ms[i].state), "started",
					(json_int_t)ms[i].started, "ended", (json_int_t)ms[i].ended,
					"total_ms", (json_int_t)ms[i].total_ms, "error", ms[i].error));
		free(ev);
		free(ms);
		json_object_set_new(o, "history", hist);
		json_object_set_new(o, "migrations", migs);
	}
	return o;
}

static int reply_instance(struct api_ctx *ctx, int status, const char *name,
			  struct api_response *resp)
{
	struct db_instance in;
	struct host_view *hv = NULL;
	size_t nh = 0;

	if (db_instance_get(ctx->db, name, &in) < 0 || host_views_all(ctx, &hv, &nh) < 0)
		return api_error(resp, 500, "cannot read instance %s", name);
	api_reply(resp, status, instance_json(ctx, &in, hv, nh, true));
	host_views_free(hv, nh);
	return 0;
}

/* --- create ------------------------------------------------------------- */

/* Memory already promised on a host: instances placed there that its
 * hypervisor does not run yet (Xen's free memory counts the others). */
static uint64_t promised_mib(const struct db_instance *all, size_t n, const struct host_view *hv)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].node, hv->n.name) == 0 && all[i].desired == DB_INST_RUNNING &&
		    !hl_active(hv->fresh ? hl_find(&hv->obs, all[i].name) : NULL))
			sum += all[i].memory_mib;
	return sum;
}

/* How many storage nodes serve volume v now, from its pair's reports. */
static int serving_count(struct api_ctx *ctx, const struct db_volume *v)
{
	const struct smsg_have_volume *h[2];
	struct pair_view pv;
	struct sl_state st;

	if (pair_view_load(ctx, v->pair, &pv) < 0)
		return 0;
	pair_view_have(&pv, v->name, h);
	sl_volume_state(v, h, &st);
	pair_view_free(&pv);
	return (int)st.serving[0] + (int)st.serving[1];
}

static void fill_host(const struct host_view *hv, const struct db_instance *all, size_t n,
		      const struct db_volume *v, int serving, struct hl_host *h)
{
	const struct hmsg_target *t = hv->fresh ? hl_target(&hv->obs, v->shelf, v->slot) : NULL;
	uint64_t free_mib = hv->fresh ? hv->obs.memory_free_mib : 0, prom = promised_mib(all, n, hv);

	memset(h, 0, sizeof(*h));
	h->name = hv->n.name;
	h->usable = host_usable(hv, &h->why_not);
	h->sees_volume = t && serving > 0 && t->paths >= (uint32_t)serving;
	h->free_mib = free_mib > prom ? free_mib - prom : 0;
}

static int parse_ip(json_t *obj, struct db_instance *in, struct api_response *resp)
{
	const char *ip = NULL, *gw = NULL;
	struct in_addr a;
	unsigned prefix = 24;
	char buf[24], *slash;

	if (api_get_str(obj, "ip", false, &ip, resp) < 0 ||
	    api_get_str(obj, "gateway", false, &gw, resp) < 0)
		return -1;
	if (!ip) {
		if (gw)
			return api_error(resp, 400, "a gateway needs an ip");
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", ip);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		prefix = (unsigned)strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix < 1 || prefix > 32)
			return api_error(resp, 400, "bad ip '%.40s': the prefix must be 1..32", ip);
	}
	if (strlen(ip) >= sizeof(buf) || inet_pton(AF_INET, buf, &a) != 1 || a.s_addr == 0)
		return api_error(resp, 400, "bad ip '%.40s' (want A.B.C.D[/PREFIX])", ip);
	in->ip = ntohl(a.s_addr);
	in->prefix = (uint8_t)prefix;
	if (gw) {
		if (inet_pton(AF_INET, gw, &a) != 1 || a.s_addr == 0)
			return api_error(resp, 400, "bad gateway '%.40s' (want A.B.C.D)", gw);
		in->gw = ntohl(a.s_addr);
	}
	return 0;
}

static int get_uint(json_t *obj, const char *key, uint64_t lo, uint64_t hi, uint64_t *out,
		    struct api_response *resp)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
	    (uint64_t)json_integer_value(v) > hi)
		return api_error(resp, 400, "bad %s %lld: want %llu..%llu", key,
				 json_is_integer(v) ? (long long)json_integer_value(v) : -1LL,
				 (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

/* A locally administered unicast MAC (52:54:00 is QEMU's and the lab's
 * machines'; Xen's 00:16:3e is left to xl), unique among instances. */
static int new_identity(struct api_ctx *ctx, struct db_instance *in, struct api_response *resp)
{
	for (int tries = 0; tries < 16; tries++) {
		if (getrandom(in->mac, sizeof(in->mac), 0) != sizeof(in->mac) ||
		    getrandom(in->uuid, sizeof(in->uuid), 0) != sizeof(in->uuid))
			return api_error(resp, 500, "no randomness for a MAC address");
		in->mac[0] = 0x5e;   /* x2: locally administered, unicast */
		in->mac[1] = 0x00;
		in->uuid[6] = (uint8_t)((in->uuid[6] & 0x0f) | 0x40);
		in->uuid[8] = (uint8_t)((in->uuid[8] & 0x3f) | 0x80);
		if (db_instance_mac_taken(ctx->db, in->mac) == 0)
			return 0;
	}
	return api_error(resp, 500, "no free MAC address found");
}

/* The host an instance of need_mib goes to, or a refusal naming why. */
static int choose_host(struct api_ctx *ctx, const char *want, const char *except,
		       const struct db_volume *v, uint64_t need_mib, struct host_view *hv,
		       size_t nh, size_t *idx, struct api_response *resp)
{
	struct db_instance *all = NULL;
	struct hl_host *hosts = calloc(nh + 1, sizeof(*hosts));
	size_t n = 0, k = 0, largest_idx;
	uint64_t largest;
	int serving = serving_count(ctx, v), rc = 0;

	if (!hosts || db_instance_list(ctx->db, NULL, &all, &n) < 0) {
		free(hosts);
		return api_error(resp, 500, "cannot read the hardware nodes");
	}
	for (size_t i = 0; i < nh; i++)
		fill_host(&hv[i], all, n, v, serving, &hosts[i]);
	if (want) {
		for (k = 0; k < nh && strcmp(hv[k].n.name, want) != 0; k++)
			;
		if (k == nh) {
			rc = api_error(resp, 404, "hardware node %s does not exist", want);
		} else if (!hosts[k].usable) {
			rc = api_error(resp, 409, "node %s cannot run instances now: %s", want,
				       hosts[k].why_not);
			with_reason(resp, "target-not-ready");
		} else if (!hosts[k].sees_volume) {
			rc = api_error(resp, 409, "node %s does not see volume %s (e%u.%u) through all"
				       " its %d paths", want, v->name, v->shelf, v->slot, serving);
			with_reason(resp, "volume-paths");
		} else if (hosts[k].free_mib < need_mib) {
			rc = api_error(resp, 507, "node %s has %llu MiB free, %llu MiB asked", want,
				       (unsigned long long)hosts[k].free_mib,
				       (unsigned long long)need_mib);
			with_reason(resp, "memory");
		}
		*idx = k;
		goto out;
	}
	for (size_t i = 0; except && i < nh; i++)
		if (strcmp(hv[i].n.name, except) == 0)
			hosts[i].usable = false;
	rc = hl_place(hosts, nh, need_mib, idx, &largest, &largest_idx);
	if (rc == -ENOENT) {
		rc = api_error(resp, 409, "no hardware node can run instances now%s%s (booted, its"
			       " agent reporting, libvirt answering, volume %s visible through all"
			       " paths)", except ? " other than " : "", except ? except : "", v->name);
		with_reason(resp, "no-host");
	} else if (rc == -ENOSPC) {
		rc = api_error(resp, 507, "no hardware node has %llu MiB free: the most is %llu MiB,"
			       " on %s", (unsigned long long)need_mib, (unsigned long long)largest,
			       hosts[largest_idx].name);
		with_reason(resp, "memory");
	}
out:
	free(all);
	free(hosts);
	return rc;
}

static void instance_create(struct api_ctx *ctx, const struct api_request *req,
			    const char *sub API_UNUSED, struct api_response *resp)
{
	static const char *const keys[] = { "name", "template", "memory_mib", "vcpus", "disk_size",
					     "on", "start", "ip", "gateway", NULL };
	struct db_instance in = { 0 }, other;
	struct db_template t;
	struct db_volume origin, disk;
	struct host_view *hv = NULL;
	struct api_response vr;
	const char *name, *tmpl, *on;
	uint64_t mem = 256, vcpus = 1, disk_size = 0;
	size_t nh = 0, idx = 0;
	json_t *obj = api_parse_object(req, resp), *vb, *start;
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "name", true, &name, resp) < 0 ||
	    api_get_str(obj, "template", true, &tmpl, resp) < 0 ||
	    api_get_str(obj, "on", false, &on, resp) < 0 ||
	    name_ok("instance", name, INSTANCE_NAME_MAX, resp) < 0 ||
	    get_uint(obj, "memory_mib", GEN_DOMAIN_MEMORY_MIN_MIB, GEN_DOMAIN_MEMORY_MAX_MIB, &mem,
		     resp) < 0 ||
	    get_uint(obj, "vcpus", 1, GEN_DOMAIN_VCPUS_MAX, &vcpus, resp) < 0 ||
	    get_uint(obj, "disk_size", 512, UINT64_MAX / 2, &disk_size, resp) < 0 ||
	    parse_ip(obj, &in, resp) < 0)
		goto out;
	start = json_object_get(obj, "start");
	if (start && !json_is_boolean(start)) {
		api_error(resp, 400, "bad start: true or false");
		goto out;
	}
	if (db_instance_get(ctx->db, name, &other) == 0) {
		api_error(resp, 409, "instance %s already exists (on %s)", name,
			  other.node[0] ? other.node : "no node");
		goto out;
	}
	if (in.ip && db_instance_ip_taken(ctx->db, in.ip) > 0) {
		char b[16];

		api_error(resp, 409, "ip %s is taken by another instance", ip4(in.ip, b));
		goto out;
	}
	if (template_get(ctx, tmpl, &t, resp) < 0)
		goto out;
	if (db_volume_get(ctx->db, t.volume, &origin) < 0) {
		api_error(resp, 500, "template %s: its volume %s is missing", tmpl, t.volume);
		goto out;
	}
	if (origin.import.state != DB_IMPORT_DONE) {
		api_error(resp, 409, "template %s is not ready: its import is %s", tmpl,
			  db_import_state_name(origin.import.state));
		goto out;
	}
	rc = host_views_all(ctx, &hv, &nh);
	if (rc < 0) {
		api_error(resp, 500, "cannot read the hardware nodes");
		goto out;
	}
	/* The clone does not exist yet; its paths are the template's (the same
	 * pair, both nodes exporting). */
	if (choose_host(ctx, on, NULL, &origin, mem, hv, nh, &idx, resp) < 0)
		goto out;
	snprintf(in.name, sizeof(in.name), "%s", name);
	snprintf(in.template_, sizeof(in.template_), "%s", tmpl);
	snprintf(in.volume, sizeof(in.volume), "%s" DISK_SUFFIX, name);
	snprintf(in.node, sizeof(in.node), "%s", hv[idx].n.name);
	in.memory_mib = (uint32_t)mem;
	in.vcpus = (uint32_t)vcpus;
	in.desired = start && json_is_true(start) ? DB_INST_RUNNING : DB_INST_STOPPED;
	in.stop = HMSG_STOP_SHUTDOWN;
	in.stop_timeout_s = 60;
	in.created = ctx->now();
	if (new_identity(ctx, &in, resp) < 0)
		goto out;
	vb = json_pack("{s:s, s:s}", "name", in.volume, "clone_of", t.volume);
	if (disk_size)
		json_object_set_new(vb, "size", json_integer((json_int_t)disk_size));
	call(ctx, api_volumes, "POST", "/v1/volumes", "", vb, &vr);
	if (vr.status != 201) {
		pass_on(&vr, resp);
		goto out;
	}
	json_decref(vr.body);
	rc = db_begin(ctx->db);
	if (rc == 0) {
		rc = db_instance_insert(ctx->db, &in);
		if (rc == 0)
			rc = db_inst_event_add(ctx->db, name, in.node, in.desired == DB_INST_RUNNING ?
					       "created, to start" : "created, stopped", in.created);
		if (rc == 0)
			rc = db_storage_bump(ctx->db, in.node);
		rc = rc == 0 ? db_commit(ctx->db) : (db_rollback(ctx->db), rc);
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot create instance %s: %s (its volume %s was made: delete"
			  " it)", name, strerror(-rc), in.volume);
		goto out;
	}
	db_volume_get(ctx->db, in.volume, &disk);
	log_info("instance %s created on %s: %u MiB, %u vCPU, disk %s (e%u.%u, clone of template"
		 " %s)%s", name, in.node, in.memory_mib, in.vcpus, in.volume, disk.shelf, disk.slot,
		 tmpl, in.desired == DB_INST_RUNNING ? ", starting" : "");
	reply_instance(ctx, 201, name, resp);
out:
	host_views_free(hv, nh);
	json_decref(obj);
}

/* --- list, show, lifecycle --------------------------------------------- */

static void instance_list(struct api_ctx *ctx, const struct api_request *req API_UNUSED,
			  const char *sub API_UNUSED, struct api_response *resp)
{
	struct db_instance *all;
	struct host_view *hv = NULL;
	size_t n, nh = 0;
	json_t *arr;

	if (db_instance_list(ctx->db, NULL, &all, &n) < 0 || host_views_all(ctx, &hv, &nh) < 0) {
		api_error(resp, 500, "cannot list instances");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, instance_json(ctx, &all[i], hv, nh, false));
	free(all);
	host_views_free(hv, nh);
	api_reply(resp, 200, json_pack("{s:o}", "instances", arr));
}

static int instance_get(struct api_ctx *ctx, const char *name, struct db_instance *in,
			struct api_response *resp)
{
	int rc;

	if (name_ok("instance", name, 63, resp) < 0)
		return -1;
	rc = db_instance_get(ctx->db, name, in);
	if (rc < 0)
		return api_error(resp, rc == -ENOENT ? 404 : 500, rc == -ENOENT ?
				 "instance %s does not exist" : "cannot read instance %s", name);
	return 0;
}

/* start, stop, destroy, reboot: the desired state changes, the node's
 * agent acts on its next long-poll answer. */
static void lifecycle(struct api_ctx *ctx, const char *name, const char *verb,
		      struct api_response *resp)
{
	struct db_instance in;
	struct db_migration m;
	enum db_inst_desired d;
	enum hmsg_stop_mode stop = HMSG_STOP_SHUTDOWN;
	char text[64];
	int rc;

	if (instance_get(ctx, name, &in, resp) < 0)
		return;
	if (in.desired == DB_INST_DELETING) {
		api_error(resp, 409, "instance %s is being deleted", name);
		return;
	}
	if (strcmp(verb, "start") == 0) {
		d = DB_INST_RUNNING;
	} else if (strcmp(verb, "stop") == 0 || strcmp(verb, "destroy") == 0) {
		d = DB_INST_STOPPED;
		stop = verb[0] == 'd' ? HMSG_STOP_DESTROY : HMSG_STOP_SHUTDOWN;
	} else {
		if (in.desired != DB_INST_RUNNING) {
			api_error(resp, 409, "instance %s is stopped: start it instead", name);
			return;
		}
		d = DB_INST_RUNNING;
	}
	if (db_migration_running(ctx->db, name, &m) == 0) {
		api_error(resp, 409, "instance %s is migrating from %s to %s (migration %llu):"
			  " wait for it", name, m.src, m.dst, (unsigned long long)m.id);
		with_reason(resp, "migration-running");
		return;
	}
	rc = db_begin(ctx->db);
	if (rc == 0) {
		rc = db_instance_set_desired(ctx->db, name, d, stop, false);
		if (rc == 0 && strcmp(verb, "reboot") == 0)
			rc = db_instance_bump_reboot(ctx->db, name);
		snprintf(text, sizeof(text), "%s asked", verb);
		if (rc == 0)
			rc = db_inst_event_add(ctx->db, name, in.node, text, ctx->now());
		if (rc == 0)
			rc = db_instance_bump_nodes(ctx->db, name);
		rc = rc == 0 ? db_commit(ctx->db) : (db_rollback(ctx->db), rc);
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot %s instance %s: %s", verb, name, strerror(-rc));
		return;
	}
	log_info("instance %s: %s asked (on %s)", name, verb, in.node);
	reply_instance(ctx, 202, name, resp);
}

static void instance_delete(struct api_ctx *ctx, const char *name, bool keep_disk,
			    struct api_response *resp)
{
	struct db_instance in;
	struct db_migration m;
	int rc;

	if (instance_get(ctx, name, &in, resp) < 0)
		return;
	if (db_migration_running(ctx->db, name, &m) == 0) {
		api_error(resp, 409, "instance %s is migrating from %s to %s: wait for it", name,
			  m.src, m.dst);
		with_reason(resp, "migration-running");
		return;
	}
	rc = db_begin(ctx->db);
	if (rc == 0) {
		rc = db_instance_set_desired(ctx->db, name, DB_INST_DELETING, HMSG_STOP_DESTROY,
					     keep_disk);
		if (rc == 0)
			rc = db_inst_event_add(ctx->db, name, in.node, keep_disk ?
					       "delete asked, disk kept" : "delete asked", ctx->now());
		if (rc == 0 && in.node[0])
			rc = db_storage_bump(ctx->db, in.node);
		rc = rc == 0 ? db_commit(ctx->db) : (db_rollback(ctx->db), rc);
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot delete instance %s: %s", name, strerror(-rc));
		return;
	}
	log_info("instance %s: delete asked (on %s)%s", name, in.node,
		 keep_disk ? ", its volume kept" : "");
	reply_instance(ctx, 202, name, resp);
}

/* --- migrate ------------------------------------------------------------ */

static void instance_migrate(struct api_ctx *ctx, const struct api_request *req, const char *name,
			     struct api_response *resp)
{
	static const char *const keys[] = { "to", "allow_degraded", NULL };
	struct db_instance in;
	struct db_volume v;
	struct db_migration m = { 0 };
	struct host_view *hv = NULL;
	const struct host_view *src = NULL, *dst;
	const struct hmsg_have_instance *h;
	const struct hmsg_target *ts, *td;
	const char *to = NULL;
	json_t *obj = req->body_len ? api_parse_object(req, resp) : json_object(), *ad;
	size_t nh = 0, idx;
	int rc;

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 || api_get_str(obj, "to", false, &to, resp) < 0 ||
	    instance_get(ctx, name, &in, resp) < 0)
		goto out;
	ad = json_object_get(obj, "allow_degraded");
	if (db_migration_running(ctx->db, name, &m) == 0) {
		api_error(resp, 409, "instance %s is migrating already, from %s to %s (migration"
			  " %llu)", name, m.src, m.dst, (unsigned long long)m.id);
		with_reason(resp, "migration-running");
		goto out;
	}
	if (in.desired != DB_INST_RUNNING) {
		api_error(resp, 409, "instance %s is %s: only a running instance migrates live", name,
			  db_inst_desired_name(in.desired));
		with_reason(resp, "not-running");
		goto out;
	}
	if (db_volume_get(ctx->db, in.volume, &v) < 0 || host_views_all(ctx, &hv, &nh) < 0) {
		api_error(resp, 500, "cannot read instance %s's volume or nodes", name);
		goto out;
	}
	for (size_t i = 0; i < nh; i++)
		if (strcmp(hv[i].n.name, in.node) == 0)
			src = &hv[i];
	h = src && src->fresh ? hl_find(&src->obs, name) : NULL;
	if (!hl_active(h)) {
		api_error(resp, 409, "instance %s does not run on %s now (%s)", name, in.node,
			  !src || !src->fresh ? "its agent is not reporting" : h ?
			  hmsg_dom_state_name(h->state) : "no domain there");
		with_reason(resp, "not-running");
		goto out;
	}
	if (to && strcmp(to, in.node) == 0) {
		api_error(resp, 409, "instance %s runs on %s already", name, to);
		with_reason(resp, "same-node");
		goto out;
	}
	if (to) {
		for (idx = 0; idx < nh && strcmp(hv[idx].n.name, to) != 0; idx++)
			;
		if (idx < nh && hv[idx].fresh && !hv[idx].obs.instance_bridge) {
			api_error(resp, 409, "node %s has no instance bridge (instbr0): instance %s"
				  " would have no network there", to, name);
			with_reason(resp, "target-bridge");
			goto out;
		}
	}
	if (choose_host(ctx, to, in.node, &v, in.memory_mib, hv, nh, &idx, resp) < 0)
		goto out;
	dst = &hv[idx];
	if (!hl_xen_compatible(src->obs.xen_major, src->obs.xen_minor, dst->obs.xen_major,
			       dst->obs.xen_minor)) {
		api_error(resp, 409, "Xen %s on %s cannot migrate to Xen %s on %s (the same major"
			  " version, and the same or the next minor, is needed)", src->obs.xen_version,
			  src->n.name, dst->obs.xen_version, dst->n.name);
		with_reason(resp, "xen-version");
		goto out;
	}
	ts = hl_target(&src->obs, v.shelf, v.slot);
	td = hl_target(&dst->obs, v.shelf, v.slot);
	if (ts && td && ts->size_bytes != td->size_bytes) {
		api_error(resp, 409, "volume %s is %llu bytes on %s but %llu bytes on %s", v.name,
			  (unsigned long long)ts->size_bytes, src->n.name,
			  (unsigned long long)td->size_bytes, dst->n.name);
		with_reason(resp, "volume-size");
		goto out;
	}
	if (!ad || !json_is_true(ad)) {
		struct api_response vr;
		const char *vs = "";

		call(ctx, api_volumes, "GET", "/v1/volumes", v.name, NULL, &vr);
		if (vr.status == 200)
			vs = json_string_value(json_object_get(vr.body, "state"));
		if (vs && (strcmp(vs, "degraded") == 0 || strcmp(vs, "resyncing") == 0)) {
			api_error(resp, 409, "volume %s is %s: a migration now would rely on one"
				  " storage node (--allow-degraded to go on anyway)", v.name, vs);
			with_reason(resp, "volume-degraded");
			json_decref(vr.body);
			goto out;
		}
		json_decref(vr.body);
	}
	snprintf(m.instance, sizeof(m.instance), "%.63s", name);
	snprintf(m.src, sizeof(m.src), "%s", src->n.name);
	snprintf(m.dst, sizeof(m.dst), "%s", dst->n.name);
	m.started = ctx->now();
	rc = db_begin(ctx->db);
	if (rc == 0) {
		char text[HMSG_DETAIL_MAX];

		rc = db_migration_insert(ctx->db, &m);
		snprintf(text, sizeof(text), "migration to %s asked", m.dst);
		if (rc == 0)
			rc = db_inst_event_add(ctx->db, name, m.src, text, m.started);
		if (rc == 0)
			rc = db_storage_bump(ctx->db, m.src);
		if (rc == 0)
			rc = db_storage_bump(ctx->db, m.dst);
		rc = rc == 0 ? db_commit(ctx->db) : (db_rollback(ctx->db), rc);
	}
	if (rc == -EEXIST) {
		api_error(resp, 409, "instance %s is migrating already", name);
		with_reason(resp, "migration-running");
		goto out;
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot start the migration of %s: %s", name, strerror(-rc));
		goto out;
	}
	log_info("instance %s: migration %llu from %s to %s asked", name,
		 (unsigned long long)m.id, m.src, m.dst);
	reply_instance(ctx, 202, name, resp);
out:
	host_views_free(hv, nh);
	json_decref(obj);
}

/* --- routes ------------------------------------------------------------- */

void api_instances(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		   struct api_response *resp)
{
	char name[80], action[24] = "";
	const char *slash = strchr(sub, '/'), *q;
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

	if (!sub[0]) {
		if (get)
			instance_list(ctx, req, sub, resp);
		else if (post)
			instance_create(ctx, req, sub, resp);
		else
			api_error(resp, 405, "method %.20s not allowed on /v1/instances (GET, POST)",
				  req->method);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", slash ? (int)(slash - sub) : (int)strcspn(sub, "?"),
		 sub);
	if (slash)
		snprintf(action, sizeof(action), "%s", slash + 1);
	if (!action[0] && get) {
		struct db_instance in;

		if (instance_get(ctx, name, &in, resp) == 0)
			reply_instance(ctx, 200, name, resp);
	} else if (!action[0] && strcmp(req->method, "DELETE") == 0) {
		q = strchr(sub, '?');
		if (q && strcmp(q, "?keep_disk=true") != 0 && strcmp(q, "?keep_disk=false") != 0)
			api_error(resp, 400, "bad query '%.40s' (only ?keep_disk=true)", q);
		else
			instance_delete(ctx, name, q && strcmp(q, "?keep_disk=true") == 0, resp);
	} else if (post && (strcmp(action, "start") == 0 || strcmp(action, "stop") == 0 ||
			    strcmp(action, "destroy") == 0 || strcmp(action, "reboot") == 0)) {
		lifecycle(ctx, name, action, resp);
	} else if (post && strcmp(action, "migrate") == 0) {
		instance_migrate(ctx, req, name, resp);
	} else {
		api_error(resp, 405, "method %.20s not allowed on %.100s (GET, DELETE on"
			  " /v1/instances/NAME; POST on /v1/instances/NAME/start, stop, destroy,"
			  " reboot, migrate)", req->method, req->path);
	}
}
