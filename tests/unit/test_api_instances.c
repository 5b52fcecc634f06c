/* confignode/api_instances.c and api_host.c driven through api_handle()
 * (no sockets): templates (import, list, remove while in use), instance
 * create with every refusal naming the bad value and placement by free
 * memory and AoE paths, the hardware nodes' endpoints with their
 * MAC-and-address rule, the lifecycle as each node's desired state shows
 * it, deletion finished by the node's report, live migration with each
 * refusal's reason and its end (done or failed) as the source reports it,
 * and agent events recorded once in an instance's history. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures_api.h"
#include "../../confignode/db_instance.h"
#include "../../confignode/db_storage.h"
#include "agent/host_msg.h"

/* sn1, sn2: storage (10.77.0.11, .12); hw1, hw2: hardware (.14, .15),
 * booted; hw3: hardware (.16), not booted. */
#define HW1 4
#define HW2 5
#define HW3 6
#define STARTED_MS INT64_C(1764800000000)

static int setup(void **state)
{
	struct fx *f = fx_open("test_api_instances");

	if (!f)
		return -1;
	fx_add_node(f->ctx.db, "sn1", 1, ROLE_STORAGE, NODE_BOOTED);
	fx_add_node(f->ctx.db, "sn2", 2, ROLE_STORAGE, NODE_BOOTED);
	fx_add_node(f->ctx.db, "hw1", HW1, ROLE_HW, NODE_BOOTED);
	fx_add_node(f->ctx.db, "hw2", HW2, ROLE_HW, NODE_BOOTED);
	fx_add_node(f->ctx.db, "hw3", HW3, ROLE_HW, NODE_DHCP);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return fx_close(*state);
}

/* --- the storage side ---------------------------------------------------- */

/* Volumes both storage nodes report, and how. */
static struct vobs served[16];
static size_t n_served;

/* Both storage nodes report every volume in served[]. */
static void storage_report(struct fx *f)
{
	assert_int_equal(sn_observe(f, 1, IP(11), served, n_served), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), served, n_served), 200);
}

/* Volume name in sync on both storage nodes, exported. */
static void serve(struct fx *f, const char *name)
{
	size_t i;

	for (i = 0; i < n_served && strcmp(served[i].name, name) != 0; i++)
		;
	if (i == n_served)
		n_served++;
	served[i] = (struct vobs){ name, true, SMSG_DSK_UPTODATE, SMSG_CONN_CONNECTED, 100 };
	storage_report(f);
}

static void vol_addr(struct fx *f, const char *name, uint16_t *shelf, uint8_t *slot)
{
	struct db_volume v;

	assert_int_equal(db_volume_get(f->ctx.db, name, &v), 0);
	*shelf = v.shelf;
	*slot = v.slot;
}

/* The pair p1 (sn1, sn2) reporting, and aoe-interface set for imports. */
static void storage_up(struct fx *f)
{
	n_served = 0;
	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	storage_report(f);
	snprintf(f->cfg.aoe_interface, sizeof(f->cfg.aoe_interface), "eth1");
}

/* POST /v1/templates from a real file of 1 MiB; *body the request. */
static void template_file(struct fx *f, const char *name, char *body, size_t len)
{
	char file[160];
	FILE *fp;

	snprintf(file, sizeof(file), "%s/%s.img", f->dir, name);
	fp = fopen(file, "w");
	assert_non_null(fp);
	for (int i = 0; i < 1048576; i++)
		fputc(i & 0xff, fp);
	fclose(fp);
	snprintf(body, len, "{\"name\":\"%s\",\"file\":\"%s\"}", name, file);
}

/* What the import runner does once aoe-bench has written the file. */
static void import_done(struct fx *f, const char *name)
{
	struct db_volume v;

	assert_int_equal(db_volume_get(f->ctx.db, name, &v), 0);
	v.import.state = DB_IMPORT_DONE;
	v.import.done = v.import.total;
	assert_int_equal(db_volume_set_import(f->ctx.db, name, &v.import), 0);
}

/* Template name imported, done and in sync on both storage nodes. */
static void template_ready(struct fx *f, const char *name)
{
	char body[256];

	template_file(f, name, body, sizeof(body));
	ADMIN_OK("POST", "/v1/templates", body, 201);
	import_done(f, name);
	serve(f, name);
}

/* --- the hardware nodes' side --------------------------------------------- */

/* One observed state of a hardware node, filled by the test. */
struct hrep {
	struct hmsg_observed o;
	struct hmsg_target t[8];
	struct hmsg_have_instance in[8];
};

/* Hardware node i, named name: libvirt up, Xen 4.17.5, 8192 of 16384 MiB
 * free, the instance bridge up, no devices, no domains, no events. */
static void rep_init(struct hrep *r, int i, const char *name)
{
	char mac[32];

	memset(r, 0, sizeof(*r));
	snprintf(mac, sizeof(mac), "52:54:00:aa:00:%02x", i);
	assert_int_equal(mac_parse(mac, r->o.mac), 0);
	snprintf(r->o.node, sizeof(r->o.node), "%s", name);
	r->o.started_ms = STARTED_MS;
	r->o.libvirt = true;
	snprintf(r->o.xen_version, sizeof(r->o.xen_version), "4.17.5");
	r->o.xen_major = 4;
	r->o.xen_minor = 17;
	r->o.cpus = 8;
	r->o.memory_total_mib = 16384;
	r->o.memory_free_mib = 8192;
	r->o.instance_bridge = true;
	r->o.targets = r->t;
	r->o.instances = r->in;
}

/* The AoE device of volume vol as the node sees it. */
static void rep_target(struct fx *f, struct hrep *r, const char *vol, uint64_t size,
		       uint32_t paths)
{
	struct hmsg_target *t = &r->t[r->o.n_targets++];

	vol_addr(f, vol, &t->shelf, &t->slot);
	t->size_bytes = size;
	t->paths = paths;
}

static struct hmsg_have_instance *rep_dom(struct hrep *r, const char *name,
					  enum hmsg_dom_state state)
{
	struct hmsg_have_instance *h = &r->in[r->o.n_instances++];

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->state = state;
	h->persistent = true;
	if (state != HMSG_DOM_SHUTOFF) {
		h->memory_mib = 512;
		h->vcpus = 1;
	}
	return h;
}

static void rep_event(struct hrep *r, uint64_t seq, const char *inst, const char *text)
{
	struct hmsg_event *e = &r->o.events[r->o.n_events++];

	e->seq = seq;
	e->at_ms = STARTED_MS + (int64_t)seq * 1000;
	snprintf(e->instance, sizeof(e->instance), "%s", inst);
	snprintf(e->text, sizeof(e->text), "%s", text);
}

static int rep_post_from(struct fx *f, const struct hrep *r, uint32_t from, json_t **reply)
{
	char *json;
	int st;

	assert_int_equal(hmsg_observed_encode(&r->o, &json), 0);
	st = req(f, API_REPORT, from, "POST", "/v1/host/observed", json, reply);
	free(json);
	return st;
}

/* Node i's report from its own address. */
static void rep_post(struct fx *f, const struct hrep *r, int i)
{
	json_t *rr;
	int st = rep_post_from(f, r, IP(10 + (uint32_t)i), &rr);

	if (st != 200)
		fail_msg("observed of %s: %d %s", r->o.node, st,
			 json_string_value(json_object_get(rr, "error")));
	json_decref(rr);
}

/* Hardware node i's desired state, decoded by the agent's own decoder. */
static void hw_desired(struct fx *f, int i, struct hmsg_desired *d)
{
	char path[64], *text, err[HMSG_ERR_MAX];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/host/desired/52:54:00:aa:00:%02x", i);
	assert_int_equal(req(f, API_REPORT, IP(10 + (uint32_t)i), "GET", path, NULL, &r), 200);
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (hmsg_desired_decode(text, strlen(text), d, err) < 0)
		fail_msg("desired of node %d: %s", i, err);
	free(text);
}

static const struct hmsg_want_instance *want_of(const struct hmsg_desired *d, const char *name)
{
	for (size_t i = 0; i < d->n_instances; i++)
		if (strcmp(d->instances[i].name, name) == 0)
			return &d->instances[i];
	return NULL;
}

static uint64_t hw_gen(struct fx *f, int i)
{
	struct hmsg_desired d;
	uint64_t g;

	hw_desired(f, i, &d);
	g = d.generation;
	hmsg_desired_free(&d);
	return g;
}

/* --- instances as operators see them -------------------------------------- */

static json_t *inst_show(struct fx *f, const char *name)
{
	char path[96];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/instances/%s", name);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", path, NULL, &r), 200);
	return r;
}

static const char *inst_str(struct fx *f, const char *name, const char *key)
{
	static char s[128];
	json_t *r = inst_show(f, name);

	snprintf(s, sizeof(s), "%s", json_string_value(json_object_get(r, key)) ?: "(none)");
	json_decref(r);
	return s;
}

/* How many history lines of instance name contain text. */
static int history_has(struct fx *f, const char *name, const char *text)
{
	json_t *r = inst_show(f, name), *h = json_object_get(r, "history"), *e;
	size_t i;
	int n = 0;

	json_array_foreach(h, i, e)
		n += strstr(json_string_value(json_object_get(e, "event")), text) != NULL;
	json_decref(r);
	return n;
}

static int status_of(struct fx *f, const char *method, const char *path)
{
	return req(f, API_ADMIN, 0, method, path, NULL, NULL);
}

/* hw1 reporting, seeing template tmpl through both paths; tmpl ready. */
static void world(struct fx *f, struct hrep *hw1)
{
	storage_up(f);
	template_ready(f, "tmpl");
	rep_init(hw1, HW1, "hw1");
	rep_target(f, hw1, "tmpl", 2 * 1048576, 2);
	rep_post(f, hw1, HW1);
}

/* Instance name (512 MiB) created running on hw1, its disk ready and seen
 * by hw1, and hw1 running it. */
static void run_on_hw1(struct fx *f, struct hrep *hw1, const char *name)
{
	char body[256], disk[80];

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"template\":\"tmpl\",\"memory_mib\":512,"
		 "\"on\":\"hw1\",\"start\":true}", name);
	ADMIN_OK("POST", "/v1/instances", body, 201);
	snprintf(disk, sizeof(disk), "%s-disk", name);
	serve(f, disk);
	rep_target(f, hw1, disk, 10 * G, 2);
	rep_dom(hw1, name, HMSG_DOM_RUNNING);
	rep_post(f, hw1, HW1);
	assert_string_equal(inst_str(f, name, "state"), "running");
}

/* --- templates -------------------------------------------------------------- */

static void test_templates(void **state)
{
	struct fx *f = *state;
	struct hrep hw1;
	char body[512], missing[256];
	json_t *r, *t;

	storage_up(f);
	snprintf(missing, sizeof(missing), "{\"name\":\"tmpl\",\"file\":\"%s/nosuch.img\"}",
		 f->dir);
	REFUSED("POST", "/v1/templates", missing, 400, "nosuch.img: No such file or directory");
	REFUSED("POST", "/v1/templates", "{\"name\":\"tmpl\",\"file\":\"rel.img\"}", 400,
		"import: bad file 'rel.img'");
	REFUSED("POST", "/v1/templates", "{\"name\":\"tmpl\"}", 400, "missing field 'file'");
	template_file(f, "Tmpl_1", body, sizeof(body));
	REFUSED("POST", "/v1/templates", body, 400, "bad template name 'Tmpl_1'");
	template_file(f, "tmpl", body, sizeof(body));
	REFUSED("POST", "/v1/templates", "{\"name\":\"tmpl\",\"file\":\"/x\",\"size\":1}", 400,
		"unknown field 'size'");

	/* accepted: a volume of the template's name, importing */
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/templates", body, &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "name")), "tmpl");
	assert_string_equal(json_string_value(json_object_get(r, "volume")), "tmpl");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "volume_state"),
								"state")), "importing");
	json_decref(r);
	REFUSED("POST", "/v1/templates", body, 409, "template tmpl already exists (volume tmpl)");
	/* a volume of that name that is no template */
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"plain\",\"size\":1048576}", 201);
	template_file(f, "plain", body, sizeof(body));
	REFUSED("POST", "/v1/templates", body, 409, "volume plain already exists");
	REFUSED("GET", "/v1/templates/plain", NULL, 404, "template plain does not exist");

	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/templates", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "templates")), 1);
	t = json_array_get(json_object_get(r, "templates"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "tmpl");
	assert_int_equal(json_integer_value(json_object_get(t, "instances")), 0);
	json_decref(r);
	REFUSED("GET", "/v1/templates/nosuch", NULL, 404, "template nosuch does not exist");
	REFUSED("GET", "/v1/templates/No_Such", NULL, 400, "bad template name 'No_Such'");
	REFUSED("PUT", "/v1/templates/tmpl", NULL, 405, "");

	/* in use by an instance: not removed, and the message names it */
	import_done(f, "tmpl");
	serve(f, "tmpl");
	rep_init(&hw1, HW1, "hw1");
	rep_target(f, &hw1, "tmpl", 2 * 1048576, 2);
	rep_post(f, &hw1, HW1);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web1\",\"template\":\"tmpl\"}", 201);
	REFUSED("DELETE", "/v1/templates/tmpl", NULL, 409,
		"template tmpl is in use: instance web1 was cloned from it");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/templates/tmpl", NULL, &r), 200);
	assert_int_equal(json_integer_value(json_object_get(r, "instances")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "used_by")), "web1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "volume_state"),
								"state")), "ready");
	json_decref(r);

	/* the instance goes, its disk kept: the disk (a clone) still holds
	 * the template's volume, so the template stays */
	ADMIN_OK("DELETE", "/v1/instances/web1?keep_disk=true", NULL, 202);
	rep_post(f, &hw1, HW1);
	assert_int_equal(status_of(f, "GET", "/v1/instances/web1"), 404);
	REFUSED("DELETE", "/v1/templates/tmpl", NULL, 409,
		"volume tmpl is in use by clone web1-disk");
	assert_int_equal(status_of(f, "GET", "/v1/templates/tmpl"), 200);
	ADMIN_OK("DELETE", "/v1/volumes/web1-disk", NULL, 200);

	/* accepted: the template and its volume go */
	assert_int_equal(req(f, API_ADMIN, 0, "DELETE", "/v1/templates/tmpl", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "removed")), "tmpl");
	json_decref(r);
	REFUSED("GET", "/v1/templates/tmpl", NULL, 404, "template tmpl does not exist");
	REFUSED("GET", "/v1/volumes/tmpl", NULL, 404, "volume tmpl does not exist");
	REFUSED("DELETE", "/v1/templates/tmpl", NULL, 404, "template tmpl does not exist");
}

/* --- create ------------------------------------------------------------------ */

/* The start of a create request for web1 from template tmpl. */
#define WEB1 "{\"name\":\"web1\",\"template\":\"tmpl\""

static void test_create_refused(void **state)
{
	struct fx *f = *state;
	struct hrep hw1;
	char body[256];

	storage_up(f);
	template_file(f, "tmpl", body, sizeof(body));
	ADMIN_OK("POST", "/v1/templates", body, 201);

	REFUSED("POST", "/v1/instances", "{\"name\":\"Web_1\",\"template\":\"tmpl\"}", 400,
		"bad instance name 'Web_1'");
	{
		char name[60], b[160], msg[120];

		memset(name, 'a', 59);
		name[59] = '\0';
		snprintf(b, sizeof(b), "{\"name\":\"%s\",\"template\":\"tmpl\"}", name);
		snprintf(msg, sizeof(msg), "bad instance name '%s' (a-z 0-9 -, at most 58)", name);
		REFUSED("POST", "/v1/instances", b, 400, msg);
		/* 58 is room for "-disk" in a volume name: accepted as far as the
		 * template */
		name[58] = '\0';
		snprintf(b, sizeof(b), "{\"name\":\"%s\",\"template\":\"nosuch\"}", name);
		REFUSED("POST", "/v1/instances", b, 404, "template nosuch does not exist");
	}
	REFUSED("POST", "/v1/instances", "{\"name\":\"web1\"}", 400, "missing field 'template'");
	REFUSED("POST", "/v1/instances", WEB1 ",\"cpus\":2}", 400,
		"unknown field 'cpus'");
	REFUSED("POST", "/v1/instances", "{\"name\":\"web1\",\"template\":\"nosuch\"}", 404,
		"template nosuch does not exist");
	REFUSED("POST", "/v1/instances", WEB1 "}", 409,
		"template tmpl is not ready: its import is importing");
	REFUSED("POST", "/v1/instances", WEB1 ",\"memory_mib\":64}",
		400, "bad memory_mib 64: want 128..");
	REFUSED("POST", "/v1/instances", WEB1 ",\"memory_mib\":\"1G\"}",
		400, "bad memory_mib");
	REFUSED("POST", "/v1/instances", WEB1 ",\"vcpus\":0}",
		400, "bad vcpus 0: want 1..64");
	REFUSED("POST", "/v1/instances", WEB1 ",\"start\":1}",
		400, "bad start");
	REFUSED("POST", "/v1/instances",
		WEB1 ",\"ip\":\"10.0.0.300\"}", 400,
		"bad ip '10.0.0.300'");
	REFUSED("POST", "/v1/instances",
		WEB1 ",\"ip\":\"10.0.0.5/33\"}", 400,
		"bad ip '10.0.0.5/33': the prefix must be 1..32");
	REFUSED("POST", "/v1/instances",
		WEB1 ",\"gateway\":\"10.0.0.1\"}", 400,
		"a gateway needs an ip");
	REFUSED("POST", "/v1/instances",
		WEB1 ",\"ip\":\"10.0.0.5\",\"gateway\":\"x\"}", 400,
		"bad gateway 'x'");

	/* the import done and the template in sync: no hardware node yet */
	import_done(f, "tmpl");
	serve(f, "tmpl");
	REFUSED_R("POST", "/v1/instances", WEB1 "}", 409,
		  "no hardware node can run instances now", "no-host");
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw3\"}",
		  409, "node hw3 cannot run instances now: not booted", "target-not-ready");
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw1\"}",
		  409, "node hw1 cannot run instances now: its agent never reported",
		  "target-not-ready");
	REFUSED("POST", "/v1/instances", WEB1 ",\"on\":\"hw9\"}",
		404, "hardware node hw9 does not exist");
	REFUSED("POST", "/v1/instances", WEB1 ",\"on\":\"sn1\"}",
		404, "hardware node sn1 does not exist");

	/* hw1 reports, but sees the template through one path of two */
	rep_init(&hw1, HW1, "hw1");
	rep_target(f, &hw1, "tmpl", 2 * 1048576, 1);
	rep_post(f, &hw1, HW1);
	REFUSED_R("POST", "/v1/instances", WEB1 "}", 409,
		  "volume tmpl visible through all paths", "no-host");
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw1\"}",
		  409, "node hw1 does not see volume tmpl", "volume-paths");
	/* ... without libvirt, without its bridge */
	hw1.t[0].paths = 2;
	hw1.o.libvirt = false;
	rep_post(f, &hw1, HW1);
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw1\"}",
		  409, "node hw1 cannot run instances now: libvirt does not answer there",
		  "target-not-ready");
	hw1.o.libvirt = true;
	hw1.o.instance_bridge = false;
	rep_post(f, &hw1, HW1);
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw1\"}",
		  409, "no instance bridge", "target-not-ready");
	hw1.o.instance_bridge = true;
	rep_post(f, &hw1, HW1);

	/* memory: 8192 MiB free on hw1 */
	REFUSED_R("POST", "/v1/instances",
		  WEB1 ",\"memory_mib\":16384}", 507,
		  "no hardware node has 16384 MiB free: the most is 8192 MiB, on hw1", "memory");
	REFUSED_R("POST", "/v1/instances",
		  WEB1 ",\"memory_mib\":16384,\"on\":\"hw1\"}", 507,
		  "node hw1 has 8192 MiB free, 16384 MiB asked", "memory");

	/* its agent stops reporting */
	clock_now += 61;
	REFUSED_R("POST", "/v1/instances", WEB1 ",\"on\":\"hw1\"}",
		  409, "node hw1 cannot run instances now: its agent stopped reporting",
		  "target-not-ready");
	storage_report(f);
	rep_post(f, &hw1, HW1);

	ADMIN_OK("POST", "/v1/instances", WEB1 ",\"start\":true,"
		 "\"memory_mib\":512,\"ip\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.1\"}", 201);
	REFUSED("POST", "/v1/instances", WEB1 "}", 409,
		"instance web1 already exists (on hw1)");
	REFUSED("POST", "/v1/instances",
		"{\"name\":\"web2\",\"template\":\"tmpl\",\"ip\":\"10.0.0.5/16\"}", 409,
		"ip 10.0.0.5 is taken by another instance");
	/* web1's 512 MiB are promised on hw1 while it does not run there */
	REFUSED_R("POST", "/v1/instances",
		  "{\"name\":\"web2\",\"template\":\"tmpl\",\"memory_mib\":8000}", 507,
		  "no hardware node has 8000 MiB free: the most is 7680 MiB, on hw1", "memory");
	/* a stopped instance promises nothing */
	ADMIN_OK("POST", "/v1/instances/web1/stop", NULL, 202);
	ADMIN_OK("POST", "/v1/instances",
		 "{\"name\":\"web2\",\"template\":\"tmpl\",\"memory_mib\":8000}", 201);
}

static void test_create_and_run(void **state)
{
	struct fx *f = *state;
	struct hmsg_desired d;
	const struct hmsg_want_instance *w;
	struct hrep hw1;
	uint16_t shelf;
	uint8_t slot;
	char dev[64];
	uint64_t g;
	json_t *r, *v;

	world(f, &hw1);
	g = hw_gen(f, HW1);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/instances",
			     "{\"name\":\"web1\",\"template\":\"tmpl\",\"memory_mib\":1024,"
			     "\"vcpus\":2,\"start\":true,\"ip\":\"10.0.0.5/24\"}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "pending");
	assert_string_equal(json_string_value(json_object_get(r, "desired")), "running");
	assert_string_equal(json_string_value(json_object_get(r, "node")), "hw1");
	assert_string_equal(json_string_value(json_object_get(r, "template")), "tmpl");
	assert_string_equal(json_string_value(json_object_get(r, "volume")), "web1-disk");
	assert_string_equal(json_string_value(json_object_get(r, "address")), "10.0.0.5/24");
	assert_int_equal(json_integer_value(json_object_get(r, "memory_mib")), 1024);
	assert_non_null(strstr(json_string_value(json_object_get(r, "mac")), ":"));
	assert_true(history_has(f, "web1", "created, to start") == 1);
	json_decref(r);

	/* its disk: a clone of the template's volume */
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/web1-disk", NULL, &v), 200);
	assert_string_equal(json_string_value(json_object_get(v, "kind")), "clone");
	assert_string_equal(json_string_value(json_object_get(v, "origin")), "tmpl");
	assert_string_equal(json_string_value(json_object_get(v, "state")), "creating");
	json_decref(v);

	/* pending: hw1 is not told until the disk is ready */
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	assert_null(want_of(&d, "web1"));
	g = d.generation;
	hmsg_desired_free(&d);
	assert_string_equal(inst_str(f, "web1", "state"), "pending");

	/* both storage nodes serve it: ready, hw1 told to run it */
	serve(f, "web1-disk");
	assert_string_equal(inst_str(f, "web1", "state"), "starting");
	vol_addr(f, "web1-disk", &shelf, &slot);
	snprintf(dev, sizeof(dev), "/dev/etherd/e%u.%u", shelf, slot);
	assert_string_equal(inst_str(f, "web1", "aoe"), dev + strlen("/dev/etherd/"));
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	assert_string_equal(d.node, "hw1");
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_RUNNING);
	assert_int_equal(w->memory_mib, 1024);
	assert_int_equal(w->vcpus, 2);
	assert_int_equal(w->shelf, shelf);
	assert_int_equal(w->slot, slot);
	assert_int_equal(w->migrate.id, 0);
	assert_non_null(strstr(w->domain_xml, dev));
	assert_non_null(strstr(w->domain_xml, "web1"));
	hmsg_desired_free(&d);
	/* hw2 is told nothing */
	hw_desired(f, HW2, &d);
	assert_int_equal(d.n_instances, 0);
	hmsg_desired_free(&d);

	/* hw1 runs it */
	rep_target(f, &hw1, "web1-disk", 10 * G, 2);
	rep_dom(&hw1, "web1", HMSG_DOM_RUNNING)->memory_mib = 1024;
	rep_post(f, &hw1, HW1);
	r = inst_show(f, "web1");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
								"domain")), "running");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
								"node")), "hw1");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "observed"),
							      "memory_mib")), 1024);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "volume_state"),
								"state")), "ready");
	json_decref(r);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/instances", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "instances")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "instances"), 0), "state")), "running");
	json_decref(r);

	/* another node running it too is shown */
	{
		struct hrep hw2;

		rep_init(&hw2, HW2, "hw2");
		rep_dom(&hw2, "web1", HMSG_DOM_RUNNING);
		rep_post(f, &hw2, HW2);
		r = inst_show(f, "web1");
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
									"also_running_on")), "hw2");
		json_decref(r);
	}
	/* it crashes */
	hw1.in[0].state = HMSG_DOM_CRASHED;
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "state"), "crashed");
	/* hw1 stops reporting */
	clock_now += 61;
	assert_string_equal(inst_str(f, "web1", "state"), "unknown");
}

/* Without --on: the usable node with the most free memory among those
 * that see the template's device through as many paths as storage nodes
 * serve it. */
static void test_placement(void **state)
{
	struct fx *f = *state;
	struct hrep hw1, hw2;

	world(f, &hw1);
	hw1.o.memory_free_mib = 4096;
	rep_post(f, &hw1, HW1);
	rep_init(&hw2, HW2, "hw2");
	rep_target(f, &hw2, "tmpl", 2 * 1048576, 1);
	rep_post(f, &hw2, HW2);
	/* hw2 has more memory, but one path of two */
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web1\",\"template\":\"tmpl\"}", 201);
	assert_string_equal(inst_str(f, "web1", "node"), "hw1");
	/* hw2 without the device at all */
	hw2.o.n_targets = 0;
	rep_post(f, &hw2, HW2);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web2\",\"template\":\"tmpl\"}", 201);
	assert_string_equal(inst_str(f, "web2", "node"), "hw1");
	/* both paths: hw2, with more free memory */
	rep_target(f, &hw2, "tmpl", 2 * 1048576, 2);
	rep_post(f, &hw2, HW2);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web3\",\"template\":\"tmpl\"}", 201);
	assert_string_equal(inst_str(f, "web3", "node"), "hw2");
	/* hw1 now has more free memory than hw2 */
	hw2.o.memory_free_mib = 1024;
	rep_post(f, &hw2, HW2);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web4\",\"template\":\"tmpl\"}", 201);
	assert_string_equal(inst_str(f, "web4", "node"), "hw1");
	/* one storage node stops serving the template: one path is all
	 * there is, hw2 (one path, most memory) qualifies */
	hw2.o.memory_free_mib = 16000;
	hw2.t[0].paths = 1;
	rep_post(f, &hw2, HW2);
	served[0].exported = false;
	assert_int_equal(sn_observe(f, 2, IP(12), served, n_served), 200);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web5\",\"template\":\"tmpl\"}", 201);
	assert_string_equal(inst_str(f, "web5", "node"), "hw2");
}

/* --- the hardware nodes' endpoints ------------------------------------------- */

static void test_host_endpoints(void **state)
{
	struct fx *f = *state;
	struct hmsg_desired d;
	struct hrep hw1, hw2;
	char *json, *text = NULL;
	json_t *o, *r;
	uint64_t gen;
	int64_t at;

#define REPORT_REFUSED(peer, method, path, body, status, msg) \
	refused_r(f, API_REPORT, peer, method, path, body, status, msg, NULL, __LINE__)
	REPORT_REFUSED(IP(99), "GET", "/v1/host/desired/52:54:00:aa:00:04", NULL, 403,
		       "mac 52:54:00:aa:00:04 belongs to node hw1 at 10.77.0.14, not 10.77.0.99");
	REPORT_REFUSED(IP(15), "GET", "/v1/host/desired/52:54:00:aa:00:04/3", NULL, 403,
		       "belongs to node hw1 at 10.77.0.14, not 10.77.0.15");
	REPORT_REFUSED(IP(11), "GET", "/v1/host/desired/52:54:00:aa:00:01", NULL, 403,
		       "node sn1 has role storage, not hw");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/52:54:00:aa:00:77", NULL, 404,
		       "mac 52:54:00:aa:00:77 is not a node");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/zz", NULL, 400, "bad mac 'zz'");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/", NULL, 400, "bad mac ''");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/01:00:5e:00:00:01", NULL, 400,
		       "bad mac '01:00:5e:00:00:01'");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/52:54:00:aa:00:04/x", NULL, 400,
		       "bad generation 'x'");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/52:54:00:aa:00:04/-1", NULL, 400,
		       "bad generation '-1'");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/desired/52:54:00:aa:00:04/1/2", NULL, 404,
		       "no such endpoint");
	REPORT_REFUSED(IP(14), "POST", "/v1/host/desired/52:54:00:aa:00:04", NULL, 405,
		       "GET only");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/observed", NULL, 405, "POST only");
	REPORT_REFUSED(IP(14), "GET", "/v1/host/other", NULL, 404, "no such endpoint");
	/* the operators' endpoints are not on the report listener, the
	 * agents' not on the admin socket */
	REPORT_REFUSED(IP(14), "GET", "/v1/instances", NULL, 404, "no such endpoint");
	REPORT_REFUSED(IP(14), "GET", "/v1/templates", NULL, 404, "no such endpoint");
	REFUSED("GET", "/v1/host/desired/52:54:00:aa:00:04", NULL, 404, "no such endpoint");

	/* a node nothing was placed on: an empty desired state, at once
	 * also for the long-poll form (long-polls are off here) */
	hw_desired(f, HW1, &d);
	assert_string_equal(d.node, "hw1");
	assert_int_equal(d.generation, 1);
	assert_int_equal(d.n_instances, 0);
	hmsg_desired_free(&d);
	assert_int_equal(req(f, API_REPORT, IP(14), "GET", "/v1/host/desired/52:54:00:aa:00:04/1",
			     NULL, NULL), 200);

	/* observed: from the wrong address, a storage node, an unknown MAC */
	rep_init(&hw1, HW1, "hw1");
	assert_int_equal(hmsg_observed_encode(&hw1.o, &json), 0);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", json, 403,
		       "mac 52:54:00:aa:00:04 belongs to node hw1 at 10.77.0.14, not 10.77.0.15");
	free(json);
	rep_init(&hw1, 1, "sn1");
	assert_int_equal(hmsg_observed_encode(&hw1.o, &json), 0);
	REPORT_REFUSED(IP(11), "POST", "/v1/host/observed", json, 403,
		       "node sn1 has role storage, not hw");
	free(json);
	rep_init(&hw1, 0x77, "hw7");
	assert_int_equal(hmsg_observed_encode(&hw1.o, &json), 0);
	REPORT_REFUSED(IP(14), "POST", "/v1/host/observed", json, 404,
		       "mac 52:54:00:aa:00:77 is not a node");
	free(json);
	/* ... naming another node: hw1 may not speak for hw2 */
	rep_init(&hw1, HW1, "hw2");
	assert_int_equal(hmsg_observed_encode(&hw1.o, &json), 0);
	REPORT_REFUSED(IP(14), "POST", "/v1/host/observed", json, 403,
		       "node hw1 cannot speak for node hw2");
	free(json);
	/* ... with hw2's MAC, from hw1's address */
	rep_init(&hw2, HW2, "hw2");
	assert_int_equal(hmsg_observed_encode(&hw2.o, &json), 0);
	REPORT_REFUSED(IP(14), "POST", "/v1/host/observed", json, 403,
		       "belongs to node hw2 at 10.77.0.15, not 10.77.0.14");
	/* hw2's state is untouched by all that */
	assert_int_equal(db_storage_get(f->ctx.db, "hw2", &gen, &text, &at), 0);
	assert_true(!text || !text[0]);
	free(text);
	text = NULL;

	/* bad bodies: the message names the field */
	o = json_loads(json, 0, NULL);
	free(json);
	assert_non_null(o);
	json_object_set_new(o, "xen_minor", json_string("17"));
	json = json_dumps(o, JSON_COMPACT);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", json, 400,
		       "bad observed state: xen_minor");
	free(json);
	json_object_set_new(o, "xen_minor", json_integer(17));
	json_object_set_new(o, "memory_free_mib", json_integer(20000));
	json = json_dumps(o, JSON_COMPACT);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", json, 400,
		       "bad observed state: memory_free_mib");
	free(json);
	json_object_set_new(o, "memory_free_mib", json_integer(100));
	json_object_del(o, "instance_bridge");
	json = json_dumps(o, JSON_COMPACT);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", json, 400,
		       "bad observed state: instance_bridge");
	free(json);
	json_object_set_new(o, "instance_bridge", json_true());
	json_array_append_new(json_object_get(o, "instances"),
			      json_pack("{s:s, s:s, s:b, s:i, s:i, s:n, s:s}", "name", "web1",
					"state", "flying", "persistent", 1, "memory_mib", 0,
					"vcpus", 0, "migration", "error", ""));
	json = json_dumps(o, JSON_COMPACT);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", json, 400,
		       "bad observed state: instances[0].state");
	free(json);
	json_decref(o);
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", "not json", 400,
		       "bad observed state");
	REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", NULL, 400, "bad observed state");
	{
		char *big = calloc(1, API_STORAGE_BODY_MAX + 2);

		memset(big, ' ', API_STORAGE_BODY_MAX + 1);
		big[0] = '{';
		REPORT_REFUSED(IP(15), "POST", "/v1/host/observed", big, 413, "larger than");
		free(big);
	}
	assert_int_equal(db_storage_get(f->ctx.db, "hw2", &gen, &text, &at), 0);
	assert_true(!text || !text[0]);
	free(text);
	text = NULL;

	/* accepted: hw2's from hw2, the answer says what it has to catch up */
	hw2.o.generation = 0;
	assert_int_equal(rep_post_from(f, &hw2, IP(15), &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "node")), "hw2");
	assert_int_equal(json_integer_value(json_object_get(r, "generation")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "applied_generation")), 0);
	json_decref(r);
	assert_int_equal(db_storage_get(f->ctx.db, "hw2", &gen, &text, &at), 0);
	assert_non_null(strstr(text, "\"node\":\"hw2\""));
	assert_int_equal(at, clock_now);
	free(text);
#undef REPORT_REFUSED
}

/* --- lifecycle ------------------------------------------------------------------ */

static void test_lifecycle(void **state)
{
	struct fx *f = *state;
	struct hmsg_desired d;
	const struct hmsg_want_instance *w;
	struct hrep hw1;
	uint64_t g;
	json_t *r;

	world(f, &hw1);
	run_on_hw1(f, &hw1, "web1");

	g = hw_gen(f, HW1);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/instances/web1/stop", NULL, &r), 202);
	assert_string_equal(json_string_value(json_object_get(r, "desired")), "stopped");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "stopping");
	json_decref(r);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_STOPPED);
	assert_int_equal(w->stop, HMSG_STOP_SHUTDOWN);
	assert_true(w->domain_xml[0] != '\0');
	hmsg_desired_free(&d);
	hw1.in[0].state = HMSG_DOM_SHUTOFF;
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "state"), "stopped");
	REFUSED("POST", "/v1/instances/web1/reboot", NULL, 409,
		"instance web1 is stopped: start it instead");

	ADMIN_OK("POST", "/v1/instances/web1/start", NULL, 202);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	assert_int_equal(want_of(&d, "web1")->state, HMSG_WANT_RUNNING);
	hmsg_desired_free(&d);
	assert_string_equal(inst_str(f, "web1", "state"), "starting");
	hw1.in[0].state = HMSG_DOM_RUNNING;
	rep_post(f, &hw1, HW1);

	ADMIN_OK("POST", "/v1/instances/web1/destroy", NULL, 202);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	w = want_of(&d, "web1");
	assert_int_equal(w->state, HMSG_WANT_STOPPED);
	assert_int_equal(w->stop, HMSG_STOP_DESTROY);
	hmsg_desired_free(&d);

	/* start again: stop mode back to shutdown for a later stop */
	ADMIN_OK("POST", "/v1/instances/web1/start", NULL, 202);
	ADMIN_OK("POST", "/v1/instances/web1/reboot", NULL, 202);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	w = want_of(&d, "web1");
	assert_int_equal(w->state, HMSG_WANT_RUNNING);
	assert_int_equal(w->reboot_seq, 1);
	hmsg_desired_free(&d);
	ADMIN_OK("POST", "/v1/instances/web1/reboot", NULL, 202);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	assert_int_equal(want_of(&d, "web1")->reboot_seq, 2);
	hmsg_desired_free(&d);
	ADMIN_OK("POST", "/v1/instances/web1/stop", NULL, 202);
	hw_desired(f, HW1, &d);
	assert_int_equal(want_of(&d, "web1")->stop, HMSG_STOP_SHUTDOWN);
	hmsg_desired_free(&d);
	ADMIN_OK("POST", "/v1/instances/web1/start", NULL, 202);
	g = hw_gen(f, HW1);

	assert_int_equal(history_has(f, "web1", "stop asked"), 2);
	assert_int_equal(history_has(f, "web1", "destroy asked"), 1);
	assert_int_equal(history_has(f, "web1", "reboot asked"), 2);
	assert_int_equal(history_has(f, "web1", "start asked"), 3);

	REFUSED("POST", "/v1/instances/web1/fly", NULL, 405, "not allowed");
	REFUSED("PUT", "/v1/instances/web1", NULL, 405, "not allowed");
	REFUSED("DELETE", "/v1/instances", NULL, 405, "not allowed");
	REFUSED("GET", "/v1/instances/nosuch", NULL, 404, "instance nosuch does not exist");
	REFUSED("POST", "/v1/instances/nosuch/start", NULL, 404, "instance nosuch does not exist");
	REFUSED("POST", "/v1/instances/No_Such/start", NULL, 400, "bad instance name 'No_Such'");
	REFUSED("DELETE", "/v1/instances/web1?keep_disk=maybe", NULL, 400,
		"bad query '?keep_disk=maybe'");

	/* delete: deleting until hw1 reports the domain gone */
	assert_int_equal(req(f, API_ADMIN, 0, "DELETE", "/v1/instances/web1", NULL, &r), 202);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "deleting");
	json_decref(r);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	g = d.generation;
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_ABSENT);
	assert_string_equal(w->domain_xml, "");
	hmsg_desired_free(&d);
	REFUSED("POST", "/v1/instances/web1/start", NULL, 409, "instance web1 is being deleted");
	/* still there (destroyed, not undefined yet) */
	hw1.in[0].state = HMSG_DOM_SHUTOFF;
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "state"), "deleting");
	/* without libvirt the agent sees no domain: that is not "gone" */
	hw1.o.n_instances = 0;
	hw1.o.libvirt = false;
	snprintf(hw1.o.libvirt_error, sizeof(hw1.o.libvirt_error), "libvirtd down");
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "state"), "deleting");
	hw1.o.libvirt = true;
	hw1.o.libvirt_error[0] = '\0';
	rep_post(f, &hw1, HW1);
	REFUSED("GET", "/v1/instances/web1", NULL, 404, "instance web1 does not exist");
	REFUSED("GET", "/v1/volumes/web1-disk", NULL, 404, "volume web1-disk does not exist");
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g);
	assert_null(want_of(&d, "web1"));
	hmsg_desired_free(&d);

	/* keep_disk: the volume stays */
	hw1.o.n_targets = 1;
	run_on_hw1(f, &hw1, "web2");
	ADMIN_OK("DELETE", "/v1/instances/web2?keep_disk=true", NULL, 202);
	hw1.o.n_instances = 0;
	rep_post(f, &hw1, HW1);
	REFUSED("GET", "/v1/instances/web2", NULL, 404, "instance web2 does not exist");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/web2-disk", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "clone");
	json_decref(r);
	/* a disk with a snapshot of its own cannot go with its instance: the
	 * instance goes, the disk stays, and hw1's reports are still taken */
	hw1.o.n_targets = 1;
	run_on_hw1(f, &hw1, "web3");
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"web3-snap\",\"origin\":\"web3-disk\"}", 201);
	ADMIN_OK("DELETE", "/v1/instances/web3", NULL, 202);
	hw1.o.n_instances = 0;
	rep_post(f, &hw1, HW1);
	REFUSED("GET", "/v1/instances/web3", NULL, 404, "instance web3 does not exist");
	assert_int_equal(status_of(f, "GET", "/v1/volumes/web3-disk"), 200);
	rep_post(f, &hw1, HW1);
	/* a name freed is free again (with a history of its own) */
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web1\",\"template\":\"tmpl\"}", 201);
	assert_int_equal(history_has(f, "web1", "asked"), 0);
}

/* --- migrate ----------------------------------------------------------------------- */

#define MIGRATE(body, status, msg, reason) \
	REFUSED_R("POST", "/v1/instances/web1/migrate", body, status, msg, reason)

static void test_migrate(void **state)
{
	struct fx *f = *state;
	struct hmsg_desired d;
	const struct hmsg_want_instance *w;
	struct hmsg_have_instance *h;
	struct hrep hw1, hw2;
	uint64_t id, g1, g2;
	json_t *r, *m;

	world(f, &hw1);
	ADMIN_OK("POST", "/v1/instances", "{\"name\":\"web1\",\"template\":\"tmpl\",\"memory_mib\":512,"
		 "\"on\":\"hw1\",\"start\":true}", 201);
	serve(f, "web1-disk");
	rep_target(f, &hw1, "web1-disk", 10 * G, 2);
	rep_post(f, &hw1, HW1);
	rep_init(&hw2, HW2, "hw2");
	rep_target(f, &hw2, "tmpl", 2 * 1048576, 2);
	rep_target(f, &hw2, "web1-disk", 10 * G, 2);
	hw2.o.instance_bridge = false;
	rep_post(f, &hw2, HW2);

	/* no domain observed yet */
	MIGRATE("{\"to\":\"hw2\"}", 409, "instance web1 does not run on hw1 now (no domain there)",
		"not-running");
	rep_dom(&hw1, "web1", HMSG_DOM_RUNNING);
	rep_post(f, &hw1, HW1);
	ADMIN_OK("POST", "/v1/instances/web1/stop", NULL, 202);
	MIGRATE("{\"to\":\"hw2\"}", 409, "instance web1 is stopped: only a running instance"
		" migrates live", "not-running");
	ADMIN_OK("POST", "/v1/instances/web1/start", NULL, 202);
	REFUSED("POST", "/v1/instances/web1/migrate", "{\"to\":\"hw2\",\"x\":1}", 400,
		"unknown field 'x'");
	REFUSED("POST", "/v1/instances/nosuch/migrate", "{}", 404, "instance nosuch does not exist");
	MIGRATE("{\"to\":\"hw1\"}", 409, "instance web1 runs on hw1 already", "same-node");
	MIGRATE("{\"to\":\"hw2\"}", 409, "node hw2 has no instance bridge (instbr0)",
		"target-bridge");
	MIGRATE("{\"to\":\"hw3\"}", 409, "node hw3 cannot run instances now: not booted",
		"target-not-ready");
	REFUSED("POST", "/v1/instances/web1/migrate", "{\"to\":\"hw9\"}", 404,
		"hardware node hw9 does not exist");
	/* no other node at all */
	MIGRATE(NULL, 409, "no hardware node can run instances now other than hw1", "no-host");
	hw2.o.instance_bridge = true;
	hw2.o.memory_free_mib = 256;
	rep_post(f, &hw2, HW2);
	MIGRATE("{\"to\":\"hw2\"}", 507, "node hw2 has 256 MiB free, 512 MiB asked", "memory");
	MIGRATE("{}", 507, "no hardware node has 512 MiB free: the most is 256 MiB, on hw2",
		"memory");
	hw2.o.memory_free_mib = 8192;
	hw2.o.xen_minor = 19;
	snprintf(hw2.o.xen_version, sizeof(hw2.o.xen_version), "4.19.1");
	rep_post(f, &hw2, HW2);
	MIGRATE("{\"to\":\"hw2\"}", 409, "Xen 4.17.5 on hw1 cannot migrate to Xen 4.19.1 on hw2",
		"xen-version");
	hw2.o.xen_minor = 17;
	snprintf(hw2.o.xen_version, sizeof(hw2.o.xen_version), "4.17.5");
	hw2.t[1].size_bytes = 11 * G;
	rep_post(f, &hw2, HW2);
	MIGRATE("{\"to\":\"hw2\"}", 409, "volume web1-disk is 10737418240 bytes on hw1 but"
		" 11811160064 bytes on hw2", "volume-size");
	hw2.t[1].paths = 1;
	hw2.t[1].size_bytes = 10 * G;
	rep_post(f, &hw2, HW2);
	MIGRATE("{\"to\":\"hw2\"}", 409, "node hw2 does not see volume web1-disk (e", "volume-paths");
	hw2.t[1].paths = 2;
	rep_post(f, &hw2, HW2);

	/* sn2 no longer serves web1-disk: degraded */
	served[1] = (struct vobs){ "web1-disk", false, SMSG_DSK_OUTDATED, SMSG_CONN_WFCONNECTION,
				   100 };
	assert_int_equal(sn_observe(f, 2, IP(12), served, n_served), 200);
	served[1] = (struct vobs){ "web1-disk", true, SMSG_DSK_UPTODATE, SMSG_CONN_WFCONNECTION,
				   100 };
	assert_int_equal(sn_observe(f, 1, IP(11), served, n_served), 200);
	MIGRATE("{\"to\":\"hw2\"}", 409, "volume web1-disk is degraded", "volume-degraded");
	MIGRATE("{\"to\":\"hw2\",\"allow_degraded\":false}", 409, "volume web1-disk is degraded",
		"volume-degraded");
	/* sn2 stops reporting at all: degraded too */
	clock_now += 61;
	assert_int_equal(sn_observe(f, 1, IP(11), served, n_served), 200);
	rep_post(f, &hw1, HW1);
	rep_post(f, &hw2, HW2);
	MIGRATE("{\"to\":\"hw2\"}", 409, "volume web1-disk is degraded", "volume-degraded");
	/* ... unless allowed: the first migration, to the only candidate */
	g1 = hw_gen(f, HW1);
	g2 = hw_gen(f, HW2);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/instances/web1/migrate",
			     "{\"allow_degraded\":true}", &r), 202);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "migrating");
	m = json_object_get(r, "migration");
	assert_string_equal(json_string_value(json_object_get(m, "from")), "hw1");
	assert_string_equal(json_string_value(json_object_get(m, "to")), "hw2");
	assert_string_equal(json_string_value(json_object_get(m, "phase")), "starting");
	id = (uint64_t)json_integer_value(json_object_get(m, "id"));
	assert_true(id > 0);
	json_decref(r);
	assert_true(hw_gen(f, HW1) > g1);
	assert_true(hw_gen(f, HW2) > g2);
	MIGRATE("{\"to\":\"hw2\",\"allow_degraded\":true}", 409, "instance web1 is migrating already,"
		" from hw1 to hw2", "migration-running");
	REFUSED_R("POST", "/v1/instances/web1/stop", NULL, 409,
		  "instance web1 is migrating from hw1 to hw2", "migration-running");
	REFUSED_R("DELETE", "/v1/instances/web1", NULL, 409,
		  "instance web1 is migrating from hw1 to hw2", "migration-running");
	/* the transfer runs, then fails: web1 stays on hw1 */
	h = &hw1.in[0];
	h->migration = (struct hmsg_have_migration){ .id = id, .phase = HMSG_MIG_TRANSFER,
						     .started_ms = STARTED_MS + 5000,
						     .elapsed_ms = 700 };
	rep_post(f, &hw1, HW1);
	r = inst_show(f, "web1");
	m = json_object_get(r, "migration");
	assert_string_equal(json_string_value(json_object_get(m, "phase")), "transfer");
	assert_int_equal(json_integer_value(json_object_get(m, "elapsed_ms")), 700);
	json_decref(r);
	h->migration.phase = HMSG_MIG_FAILED;
	h->migration.elapsed_ms = 1500;
	snprintf(h->migration.error, sizeof(h->migration.error), "unable to connect to server");
	rep_event(&hw1, 1, "web1", "migration to hw2 failed after 1.5 s: unable to connect to server");
	g1 = hw_gen(f, HW1);
	g2 = hw_gen(f, HW2);
	rep_post(f, &hw1, HW1);
	assert_true(hw_gen(f, HW1) > g1);
	assert_true(hw_gen(f, HW2) > g2);
	r = inst_show(f, "web1");
	assert_string_equal(json_string_value(json_object_get(r, "node")), "hw1");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	assert_true(json_is_null(json_object_get(r, "migration")));
	m = json_array_get(json_object_get(r, "migrations"), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "failed");
	assert_string_equal(json_string_value(json_object_get(m, "error")),
			    "unable to connect to server");
	assert_int_equal(json_integer_value(json_object_get(m, "total_ms")), 1500);
	json_decref(r);
	assert_int_equal(history_has(f, "web1", "unable to connect to server"), 1);
	hw_desired(f, HW1, &d);
	assert_int_equal(want_of(&d, "web1")->migrate.id, 0);
	hmsg_desired_free(&d);
	hw_desired(f, HW2, &d);
	assert_null(want_of(&d, "web1"));
	hmsg_desired_free(&d);

	/* both storage nodes serve it again: a migration to hw2, done */
	h->migration = (struct hmsg_have_migration){ 0 };
	serve(f, "web1-disk");
	rep_post(f, &hw1, HW1);
	rep_post(f, &hw2, HW2);
	g1 = hw_gen(f, HW1);
	g2 = hw_gen(f, HW2);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/instances/web1/migrate",
			     "{\"to\":\"hw2\"}", &r), 202);
	id = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "migration"), "id"));
	json_decref(r);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g1);
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_RUNNING);
	assert_int_equal(w->migrate.id, id);
	assert_string_equal(w->migrate.to, "hw2");
	assert_int_equal(ntohl(w->migrate.to_addr.s_addr), IP(15));
	hmsg_desired_free(&d);
	hw_desired(f, HW2, &d);
	assert_true(d.generation > g2);
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_INCOMING);
	assert_string_equal(w->domain_xml, "");
	hmsg_desired_free(&d);
	/* hw2 has the domain while it arrives: not a second copy */
	rep_dom(&hw2, "web1", HMSG_DOM_PAUSED);
	rep_post(f, &hw2, HW2);
	r = inst_show(f, "web1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
								"also_running_on")), "");
	json_decref(r);
	/* done: hw1 keeps a pseudo-entry (shut off, not persistent) */
	h->state = HMSG_DOM_SHUTOFF;
	h->persistent = false;
	h->memory_mib = h->vcpus = 0;
	h->migration = (struct hmsg_have_migration){ .id = id, .phase = HMSG_MIG_DONE,
						     .started_ms = STARTED_MS + 9000,
						     .elapsed_ms = 35200 };
	rep_event(&hw1, 2, "web1", "migrated to hw2 in 35.2 s");
	hw2.in[0].state = HMSG_DOM_RUNNING;
	rep_post(f, &hw2, HW2);
	g1 = hw_gen(f, HW1);
	g2 = hw_gen(f, HW2);
	rep_post(f, &hw1, HW1);
	r = inst_show(f, "web1");
	assert_string_equal(json_string_value(json_object_get(r, "node")), "hw2");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
								"node")), "hw2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "observed"),
								"also_running_on")), "");
	assert_true(json_is_null(json_object_get(r, "migration")));
	assert_int_equal(json_array_size(json_object_get(r, "migrations")), 2);
	m = json_array_get(json_object_get(r, "migrations"), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
	assert_string_equal(json_string_value(json_object_get(m, "from")), "hw1");
	assert_string_equal(json_string_value(json_object_get(m, "to")), "hw2");
	assert_string_equal(json_string_value(json_object_get(m, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(m, "total_ms")), 35200);
	json_decref(r);
	/* (the history has it from hw1's agent, once) */
	assert_int_equal(history_has(f, "web1", "migrated to hw2 in 35.2 s"), 1);
	hw_desired(f, HW1, &d);
	assert_true(d.generation > g1);
	assert_null(want_of(&d, "web1"));
	hmsg_desired_free(&d);
	hw_desired(f, HW2, &d);
	assert_true(d.generation > g2);
	w = want_of(&d, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_RUNNING);
	assert_int_equal(w->migrate.id, 0);
	assert_non_null(strstr(w->domain_xml, "/dev/etherd/e"));
	hmsg_desired_free(&d);
	/* hw1's same report again changes nothing */
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "node"), "hw2");
	assert_int_equal(history_has(f, "web1", "migrated to hw2"), 1);
	/* and now it runs on hw2, lifecycle goes there */
	g2 = hw_gen(f, HW2);
	ADMIN_OK("POST", "/v1/instances/web1/stop", NULL, 202);
	assert_true(hw_gen(f, HW2) > g2);
	hw_desired(f, HW2, &d);
	assert_int_equal(want_of(&d, "web1")->state, HMSG_WANT_STOPPED);
	hmsg_desired_free(&d);
}

/* A migration's source reports done: only the source may say so. */
static void test_migrate_only_source_finishes(void **state)
{
	struct fx *f = *state;
	struct hrep hw1, hw2;
	uint64_t id;
	json_t *r;

	world(f, &hw1);
	run_on_hw1(f, &hw1, "web1");
	rep_init(&hw2, HW2, "hw2");
	rep_target(f, &hw2, "web1-disk", 10 * G, 2);
	rep_post(f, &hw2, HW2);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/instances/web1/migrate", NULL, &r), 202);
	id = (uint64_t)json_integer_value(json_object_get(json_object_get(r, "migration"), "id"));
	json_decref(r);
	/* hw2 claims the migration is done: nothing changes */
	rep_dom(&hw2, "web1", HMSG_DOM_SHUTOFF)->persistent = false;
	hw2.in[0].migration = (struct hmsg_have_migration){ .id = id, .phase = HMSG_MIG_DONE,
							    .elapsed_ms = 1 };
	rep_post(f, &hw2, HW2);
	assert_string_equal(inst_str(f, "web1", "node"), "hw1");
	assert_string_equal(inst_str(f, "web1", "state"), "migrating");
	/* hw1 reports a migration of another id as done: nothing either */
	hw1.in[0].migration = (struct hmsg_have_migration){ .id = id + 7, .phase = HMSG_MIG_DONE };
	rep_post(f, &hw1, HW1);
	assert_string_equal(inst_str(f, "web1", "state"), "migrating");
}

/* --- events ----------------------------------------------------------------------- */

static void test_events(void **state)
{
	struct fx *f = *state;
	struct hrep hw1;
	json_t *r, *h, *e;

	world(f, &hw1);
	run_on_hw1(f, &hw1, "web1");
	rep_event(&hw1, 1, "", "agent started");
	rep_event(&hw1, 2, "web1", "started");
	rep_event(&hw1, 3, "nosuch", "domain nosuch left alone");
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 1);
	/* the same report again: recorded once */
	rep_post(f, &hw1, HW1);
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 1);
	assert_int_equal(history_has(f, "web1", "agent started"), 0);
	/* one more: only it is appended */
	rep_event(&hw1, 4, "web1", "stopped cleanly after 12.3 s");
	rep_post(f, &hw1, HW1);
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 1);
	assert_int_equal(history_has(f, "web1", "stopped cleanly after 12.3 s"), 1);
	r = inst_show(f, "web1");
	h = json_object_get(r, "history");
	e = json_array_get(h, json_array_size(h) - 1);
	assert_string_equal(json_string_value(json_object_get(e, "event")),
			    "stopped cleanly after 12.3 s");
	assert_string_equal(json_string_value(json_object_get(e, "node")), "hw1");
	assert_int_equal(json_integer_value(json_object_get(e, "at")), STARTED_MS / 1000 + 4);
	json_decref(r);
	/* an older report arriving late (events 1-2 only) adds nothing */
	hw1.o.n_events = 2;
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 1);
	/* the agent restarted: its sequence starts over */
	hw1.o.started_ms = STARTED_MS + 3600000;
	hw1.o.n_events = 0;
	rep_event(&hw1, 1, "web1", "started");
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 2);
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 2);
	/* a report without events changes nothing */
	hw1.o.n_events = 0;
	rep_post(f, &hw1, HW1);
	rep_event(&hw1, 1, "web1", "started");
	rep_event(&hw1, 2, "web1", "rebooted");
	rep_post(f, &hw1, HW1);
	assert_int_equal(history_has(f, "web1", "started"), 2);
	assert_int_equal(history_has(f, "web1", "rebooted"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_and_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_only_source_finishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
