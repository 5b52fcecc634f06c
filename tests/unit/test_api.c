/* confignode/api*.c driven directly (no sockets): request validation (bad
 * JSON, missing fields, oversize bodies; the real validators), conflicts
 * naming the holder, the all-or-nothing node changes through the real
 * provisioning queue and transaction with made-up step outcomes (the order
 * of the steps and of their undoing), reports and their source-address
 * rule, lifecycle events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../confignode/api.h"
#include "log.h"

/* --- a mock of provisioning's steps (provision.h), recording calls ------ */

struct mock {
	int write_calls, add_calls, remove_calls;
	size_t last_n;                  /* nodes in the last write_files */
	char last_names[512];           /* their names, space-separated */
	char last_kernels[512];         /* "name=kernel " per node written */
	char last_add[PROV_NAME_MAX], last_remove[PROV_NAME_MAX];
	char last_image[PROV_NAME_MAX]; /* image of the last omapi_add */
	int fail_write, fail_add, fail_remove, fail_install; /* errno to return once */
	int pass_remove;                /* OMAPI removes that work before fail_remove */
	char trace[1024];               /* the transaction steps, in order */
	char hosts[512];                /* " name=mac " per host object in "dhcpd" */
};

static struct mock m;

/* A mock's answer: the errno it was told to fail with (negated), once;
 * 0 after that or when told nothing. */
static int take_failure(int *fail)
{
	int rc = -*fail;

	*fail = 0;
	return rc;
}

static int mock_write(const struct prov_config *c, const struct prov_node *n, size_t cnt)
{
	(void)c;
	m.write_calls++;
	m.last_n = cnt;
	m.last_names[0] = '\0';
	m.last_kernels[0] = '\0';
	for (size_t i = 0; i < cnt; i++) {
		size_t o = strlen(m.last_kernels);

		strcat(m.last_names, n[i].name);
		strcat(m.last_names, " ");
		snprintf(m.last_kernels + o, sizeof(m.last_kernels) - o, "%s=%s ", n[i].name,
			 n[i].image.kernel);
	}
	return take_failure(&m.fail_write);
}

/* The steps of a provisioning transaction, made up: each appends what it
 * did to m.trace ("check(1) omapi-remove(web1) ... undo:omapi-add(web1)")
 * and fails when told to. */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	size_t o = strlen(m.trace);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.trace + o, sizeof(m.trace) - o, fmt, ap);
	va_end(ap);
}

static void record_list(const struct prov_node *n, size_t cnt)
{
	m.last_n = cnt;
	m.last_names[0] = '\0';
	m.last_kernels[0] = '\0';
	for (size_t i = 0; i < cnt; i++) {
		size_t o = strlen(m.last_kernels);

		strcat(m.last_names, n[i].name);
		strcat(m.last_names, " ");
		snprintf(m.last_kernels + o, sizeof(m.last_kernels) - o, "%s=%s ", n[i].name,
			 n[i].image.kernel);
	}
}

/* The fake dhcpd's host objects, by name. */
static char *host_find(const char *name)
{
	char key[PROV_NAME_MAX + 3];

	snprintf(key, sizeof(key), " %s=", name);
	return strstr(m.hosts, key);
}

static int host_add(const struct prov_node *n)
{
	char mac[MAC_STR_LEN];
	size_t o = strlen(m.hosts);

	if (host_find(n->name))
		return -EEXIST;
	mac_format(n->mac, mac);
	snprintf(m.hosts + o, sizeof(m.hosts) - o, " %s=%s ", n->name, mac);
	return 0;
}

static int host_remove(const struct prov_node *n)
{
	char *h = host_find(n->name), *end;

	if (!h)
		return -ENOENT;
	end = strchr(h + 1, ' ') + 1;
	memmove(h, end, strlen(end) + 1);
	return 0;
}

static int fake_start(void *arg, struct prov_job *job, const struct prov_action *a,
		      struct prov_child **child)
{
	const char *undo = a->kind == PROV_ACT_UNDO ? "undo:" : "";

	(void)arg;
	(void)child;
	switch (a->op) {
	case PROV_OP_CHECK:
		m.write_calls++;
		record_list(job->new_list, job->n_new);
		trace("%scheck(%zu) ", undo, job->n_new);
		return take_failure(&m.fail_write);
	case PROV_OP_OMAPI_ADD:
		m.add_calls++;
		snprintf(m.last_add, sizeof(m.last_add), "%s", a->node->name);
		snprintf(m.last_image, sizeof(m.last_image), "%s", a->node->image.name);
		trace("%somapi-add(%s) ", undo, a->node->name);
		if (m.fail_add)
			return take_failure(&m.fail_add);
		return host_add(a->node);
	case PROV_OP_OMAPI_REMOVE:
		m.remove_calls++;
		snprintf(m.last_remove, sizeof(m.last_remove), "%s", a->node->name);
		trace("%somapi-remove(%s) ", undo, a->node->name);
		if (m.pass_remove > 0)
			m.pass_remove--;
		else if (m.fail_remove)
			return take_failure(&m.fail_remove);
		return host_remove(a->node);
	case PROV_OP_INSTALL_NEW:
		record_list(job->new_list, job->n_new);
		trace("%sinstall(%zu) ", undo, job->n_new);
		return take_failure(&m.fail_install);
	case PROV_OP_INSTALL_OLD:
		record_list(job->old_list, job->n_old);
		trace("%sinstall(%zu) ", undo, job->n_old);
		return take_failure(&m.fail_install);
	default:
		return -EINVAL;
	}
}

static int fake_finish(void *arg, struct prov_job *job, const struct prov_action *a,
		       int run_rc, const char *out, int status)
{
	(void)arg, (void)job, (void)a, (void)run_rc, (void)out, (void)status;
	return -EINVAL; /* fake_start never starts a child */
}

static const struct prov_step_ops fake_steps = { .start = fake_start, .finish = fake_finish };

static const struct prov_ops mock_ops = { .write_files = mock_write };

static int64_t clock_now;
static int64_t fake_now(void)
{
	return clock_now;
}

/* --- fixture ------------------------------------------------------------ */

struct fx {
	char dir[64];
	struct nimbusd_config cfg;
	struct prov_queue *queue;
	struct api_ctx ctx;
};

static const char conf[] =
	"subnet 10.77.0.0/24\naddress 10.77.0.1\npool 10.77.0.10 10.77.0.12\n"
	"dynamic-range 10.77.0.100 10.77.0.199\nomapi-port 7911\n"
	"omapi-key k HMAC-MD5 c2VjcmV0\nlost-after 60\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256], path[128];
	struct db *db;

	log_init("test_api", LOG_LVL_ERR + 0, 0);
	memset(&m, 0, sizeof(m));
	clock_now = 1000;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_api.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	config_defaults(&f->cfg);
	if (config_parse(conf, &f->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/nimbus.db", f->dir);
	if (db_open(path, &db) < 0)
		return -1;
	if (prov_queue_new(&f->queue, &fake_steps, NULL) < 0)
		return -1;
	f->ctx = (struct api_ctx){ .db = db, .cfg = &f->cfg, .prov = &mock_ops,
				   .queue = f->queue, .now = fake_now };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	prov_queue_free(f->queue);
	db_close(f->ctx.db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A node change's answer: the fake steps never wait, so it comes before
 * api_handle() returns. */
static void capture(void *arg, struct api_response *resp)
{
	struct api_response *later = arg;

	assert_int_equal(later->status, API_PENDING);
	*later = *resp;
}

/* call: one request; returns the status, *body the reply (caller frees). */
static int call_from(struct fx *f, enum api_origin o, uint32_t peer, const char *method,
		     const char *path, const char *body, json_t **reply)
{
	struct api_response resp = { 0 }, later = { 0 };
	struct api_request req = { .origin = o, .method = method, .path = path, .body = body,
				   .body_len = body ? strlen(body) : 0, .peer_ip = peer,
				   .reply_later = capture, .reply_arg = &later };

	api_handle(&f->ctx, &req, &resp);
	if (resp.status == API_PENDING) {
		assert_null(resp.body);
		assert_int_not_equal(later.status, API_PENDING);
		resp = later;
	}
	assert_false(prov_queue_busy(f->queue));
	assert_non_null(resp.body);
	if (reply)
		*reply = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

static int call(struct fx *f, const char *method, const char *path, const char *body)
{
	return call_from(f, API_ADMIN, 0, method, path, body, NULL);
}

/* expect: status and a substring of the error message. */
static void expect_err(struct fx *f, enum api_origin o, uint32_t peer, const char *method,
		       const char *path, const char *body, int status, const char *msg,
		       int line)
{
	json_t *r;
	int st = call_from(f, o, peer, method, path, body, &r);
	const char *e = json_string_value(json_object_get(r, "error"));

	if (st != status || !e || !strstr(e, msg))
		fail_msg("line %d: %s %s %.60s: status %d error '%s', want %d '%s'", line, method,
			 path, body ? body : "", st, e ? e : "(none)", status, msg);
	json_decref(r);
}
#define EXPECT(method, path, body, status, msg) \
	expect_err(f, API_ADMIN, 0, method, path, body, status, msg, __LINE__)
#define EXPECT_REPORT(peer, body, status, msg) \
	expect_err(f, API_REPORT, peer, "POST", "/v1/report", body, status, msg, __LINE__)

static const char *node_state(struct fx *f, const char *name)
{
	static char st[32];
	char path[96];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/nodes/%s", name);
	if (call_from(f, API_ADMIN, 0, "GET", path, NULL, &r) != 200) {
		json_decref(r);
		return "absent";
	}
	snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return st;
}

static void with_images(struct fx *f)
{
	assert_int_equal(call(f, "POST", "/v1/images",
			      "{\"name\":\"st1\",\"kernel\":\"images/st1/vmlinuz\","
			      "\"initrd\":\"images/st1/initrd.gz\",\"cmdline\":\"console=ttyS0\"}"), 201);
	assert_int_equal(call(f, "POST", "/v1/images",
			      "{\"name\":\"xen1\",\"kernel\":\"hw/vmlinuz\",\"xen\":\"hw/xen.gz\","
			      "\"xen_cmdline\":\"dom0_mem=512M\"}"), 201);
	assert_int_equal(call(f, "PUT", "/v1/roles/storage", "{\"image\":\"st1\"}"), 200);
	assert_int_equal(call(f, "PUT", "/v1/roles/hw", "{\"image\":\"xen1\"}"), 200);
}

#define WEB1 "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"storage\"}"

/* --- request validation -------------------------------------------------- */

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	char *big;

	with_images(f);
	EXPECT("POST", "/v1/nodes", NULL, 400, "body is empty");
	EXPECT("POST", "/v1/nodes", "", 400, "body is empty");
	EXPECT("POST", "/v1/nodes", "{\"name\":", 400, "bad JSON at line 1");
	EXPECT("POST", "/v1/nodes", "[1,2]", 400, "must be a JSON object");
	/* jansson quotes the bad bytes, here half a UTF-8 sequence: the error
	 * body must still be built (found by fuzz_nimbusd_report). */
	EXPECT_REPORT(0x0a4d0014, "{\"\xc4\x83\\\xc4\x83\\rm.\":26}", 400, "bad JSON");
	EXPECT("POST", "/v1/nodes", "\"web1\"", 400, "bad JSON");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"a\",\"name\":\"b\"}", 400, "duplicate");
	EXPECT("POST", "/v1/nodes", "{\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\"}", 400,
	       "missing field 'name'");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\"}", 400,
	       "missing field 'role'");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"role\":\"hw\"}", 400,
	       "exactly one of 'mac' and 'discovered'");
	EXPECT("POST", "/v1/nodes", "{\"name\":7,\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\"}",
	       400, "field 'name' must be a string");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\",\"owner\":\"x\"}",
	       400, "unknown field 'owner'");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"we\\u0000b\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\"}", 400,
	       "NUL");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"-web\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\"}",
	       400, "bad node name '-web'");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00\",\"role\":\"hw\"}",
	       400, "bad mac '52:54:00:aa:00'");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"ff:ff:ff:ff:ff:ff\",\"role\":\"hw\"}",
	       400, "multicast/broadcast");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"00:00:00:00:00:00\",\"role\":\"hw\"}",
	       400, "all-zero");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"db\"}",
	       400, "bad role 'db'");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\",\"ip\":\"10.77.0.300\"}",
	       400, "bad ip '10.77.0.300'");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\",\"ip\":\"10.77.0.150\"}",
	       400, "ip 10.77.0.150 is inside the dynamic range");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\",\"role\":\"hw\",\"image\":\"../x\"}",
	       400, "bad image name '../x'");
	EXPECT("POST", "/v1/images", "{\"name\":\"i\",\"kernel\":\"/boot/vmlinuz\"}", 400,
	       "bad kernel path '/boot/vmlinuz'");
	EXPECT("POST", "/v1/images", "{\"name\":\"i\",\"kernel\":\"k\",\"cmdline\":\"a;reboot\"}", 400,
	       "bad cmdline 'a;reboot'");
	EXPECT("POST", "/v1/images", "{\"name\":\"i\",\"kernel\":\"k\",\"xen_cmdline\":\"x\"}", 400,
	       "xen_cmdline given without xen");
	EXPECT("POST", "/v1/images", "{\"name\":\"st1\",\"kernel\":\"k\"}", 409,
	       "image st1 already exists");
	EXPECT("GET", "/v1/nope", NULL, 404, "no such endpoint '/v1/nope'");
	EXPECT("GET", "/v1/nodes/a/b", NULL, 404, "no such endpoint");
	EXPECT("PUT", "/v1/nodes", "{}", 405, "method PUT not allowed");
	EXPECT("POST", "/v1/report", "{}", 404, "no such endpoint"); /* not on the admin socket */

	/* oversize bodies, on both listeners */
	big = malloc(API_ADMIN_BODY_MAX + 2);
	memset(big, ' ', API_ADMIN_BODY_MAX + 1);
	big[API_ADMIN_BODY_MAX + 1] = '\0';
	EXPECT("POST", "/v1/nodes", big, 413, "larger than 65536");
	big[API_REPORT_BODY_MAX + 1] = '\0';
	EXPECT_REPORT(0x0a4d0014, big, 413, "larger than 16384");
	free(big);
	/* nothing reached provisioning */
	assert_int_equal(m.add_calls, 0);
}

/* --- nodes: add, conflicts, set, remove ------------------------------------ */

static void test_node_add_and_conflicts(void **state)
{
	struct fx *f = *state;
	json_t *r;

	EXPECT("POST", "/v1/nodes", WEB1, 409, "role storage has no default image");
	with_images(f);
	m.write_calls = 0;
	assert_int_equal(call_from(f, API_ADMIN, 0, "POST", "/v1/nodes",
				   "{\"name\":\"web1\",\"mac\":\"52-54-00-AA-00-01\",\"role\":\"storage\"}",
				   &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "mac")), "52:54:00:aa:00:01");
	assert_string_equal(json_string_value(json_object_get(r, "ip")), "10.77.0.10");
	assert_string_equal(json_string_value(json_object_get(r, "boot_image")), "st1");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "added");
	json_decref(r);
	assert_int_equal(m.write_calls, 1);
	assert_int_equal(m.last_n, 1);
	assert_int_equal(m.add_calls, 1);
	assert_string_equal(m.last_add, "web1");
	assert_string_equal(m.last_image, "st1");

	EXPECT("POST", "/v1/nodes", "{\"name\":\"web2\",\"mac\":\"52:54:00:AA:00:01\",\"role\":\"storage\"}",
	       409, "mac 52:54:00:aa:00:01 is already used by node web1");
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\"}",
	       409, "node web1 already exists");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\",\"ip\":\"10.77.0.10\"}",
	       409, "ip 10.77.0.10 is already used by node web1");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\",\"ip\":\"10.78.0.10\"}",
	       400, "ip 10.78.0.10 is outside subnet 10.77.0.0/24");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\",\"ip\":\"10.77.0.1\"}",
	       409, "config node's own address");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\",\"image\":\"nosuch\"}",
	       404, "image nosuch does not exist");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"hw\",\"image\":\"st1\"}",
	       409, "image st1 has no Xen");
	/* none of the refusals reached provisioning */
	assert_int_equal(m.add_calls, 1);

	/* the pool (3 addresses) runs out */
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"hw\"}"), 201);
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"web3\",\"mac\":\"52:54:00:aa:00:03\",\"role\":\"hw\"}"), 201);
	EXPECT("POST", "/v1/nodes", "{\"name\":\"web4\",\"mac\":\"52:54:00:aa:00:04\",\"role\":\"hw\"}",
	       409, "pool 10.77.0.10-10.77.0.12 is exhausted");
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"web4\",\"mac\":\"52:54:00:aa:00:04\",\"role\":\"hw\",\"ip\":\"10.77.0.50\"}"),
			 201);

	/* list, in name order */
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/nodes", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "nodes")), 4);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(r, "nodes"), 3), "name")), "web4");
	json_decref(r);
	EXPECT("GET", "/v1/nodes/ghost", NULL, 404, "no node named ghost");
	EXPECT("GET", "/v1/nodes/Bad_Name", NULL, 400, "bad node name 'Bad_Name'");
	/* images in use stay */
	EXPECT("DELETE", "/v1/images/st1", NULL, 409, "image st1 is in use: default of role storage");
}

#define TRACE_IS(want) do { assert_string_equal(m.trace, want); m.trace[0] = '\0'; } while (0)

static void test_rollback(void **state)
{
	struct fx *f = *state;

	with_images(f);
	m.trace[0] = '\0';
	/* dhcpd -t refuses the candidate: nothing was changed, nothing to undo */
	m.fail_write = EINVAL;
	EXPECT("POST", "/v1/nodes", WEB1, 500, "writing dhcpd.conf and pxelinux.cfg failed");
	assert_string_equal(node_state(f, "web1"), "absent");
	TRACE_IS("check(1) ");

	/* OMAPI refuses the host: the stale one it replaced (none) stays away,
	 * no file was installed, the database is untouched */
	m.fail_add = ECONNREFUSED;
	EXPECT("POST", "/v1/nodes", WEB1, 502, "dhcpd refused host web1 (mac 52:54:00:aa:00:01)");
	assert_string_equal(node_state(f, "web1"), "absent");
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) ");

	/* installing fails half-way: the old files (no node) go back and the
	 * host object just added goes away again; a stale host of that name
	 * the add replaced (not the database's) is not put back either */
	strcpy(m.hosts, " web1=52:54:00:aa:00:99 ");
	m.fail_install = EIO;
	EXPECT("POST", "/v1/nodes", WEB1, 500, "failed at install files");
	assert_string_equal(node_state(f, "web1"), "absent");
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) install(1) "
		 "undo:install(0) undo:omapi-remove(web1) ");
	assert_int_equal(m.last_n, 0);
	assert_string_equal(m.hosts, "");

	/* now it works; history has exactly one "added" */
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) install(1) ");
	{
		json_t *r, *h;

		call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, &r);
		h = json_object_get(r, "history");
		assert_int_equal(json_array_size(h), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "event")),
				    "added");
		json_decref(r);
	}

	/* remove: OMAPI refuses -> the node stays, nothing installed */
	m.fail_remove = ECONNREFUSED;
	EXPECT("DELETE", "/v1/nodes/web1", NULL, 502, "dhcpd refused to remove host web1");
	assert_string_equal(node_state(f, "web1"), "added");
	TRACE_IS("check(0) omapi-remove(web1) ");
	/* remove: the install fails -> the host object is put back */
	m.fail_install = EIO;
	EXPECT("DELETE", "/v1/nodes/web1", NULL, 500, "failed at install files");
	assert_string_equal(node_state(f, "web1"), "added");
	TRACE_IS("check(0) omapi-remove(web1) install(0) undo:install(1) undo:omapi-add(web1) ");
	assert_int_equal(call(f, "DELETE", "/v1/nodes/web1", NULL), 200);
	assert_string_equal(node_state(f, "web1"), "absent");
	TRACE_IS("check(0) omapi-remove(web1) install(0) ");
	EXPECT("DELETE", "/v1/nodes/web1", NULL, 404, "no node named web1");
	TRACE_IS("");
}

/* node set: the failure of a step after dhcpd was told puts dhcpd back as it
 * was (the new host object removed, the old one added again), and a failing
 * undo is said in the answer. */
static void test_set_compensation(void **state)
{
	struct fx *f = *state;
	json_t *r;

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	m.trace[0] = '\0';
	m.fail_install = EIO;
	EXPECT("PATCH", "/v1/nodes/web1", "{\"mac\":\"52:54:00:aa:00:09\"}", 500,
	       "failed at install files");
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) install(1) "
		 "undo:install(1) undo:omapi-remove(web1) undo:omapi-add(web1) ");
	/* the host put back is the old one: its MAC, not the new */
	assert_string_equal(m.hosts, " web1=52:54:00:aa:00:01 ");
	call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, &r);
	assert_string_equal(json_string_value(json_object_get(r, "mac")), "52:54:00:aa:00:01");
	json_decref(r);

	/* the OMAPI add of the new host fails: the old one is added back */
	m.fail_add = ECONNREFUSED;
	EXPECT("PATCH", "/v1/nodes/web1", "{\"ip\":\"10.77.0.40\"}", 502,
	       "dhcpd refused host web1");
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) undo:omapi-add(web1) ");
	assert_string_equal(m.hosts, " web1=52:54:00:aa:00:01 ");

	/* the install fails, and so does taking the new host back: the rest
	 * is still unwound, and the answer says dhcpd may differ */
	m.fail_install = EIO;
	m.pass_remove = 1;
	m.fail_remove = ECONNREFUSED;
	EXPECT("PATCH", "/v1/nodes/web1", "{\"ip\":\"10.77.0.40\"}", 500,
	       "undoing it was incomplete");
	TRACE_IS("check(1) omapi-remove(web1) omapi-add(web1) install(1) "
		 "undo:install(1) undo:omapi-remove(web1) undo:omapi-add(web1) ");
	/* the new host stayed (its removal failed), so the old one could not
	 * come back under the same name */
	assert_string_equal(m.hosts, " web1=52:54:00:aa:00:01 ");

	/* OMAPI off: no OMAPI steps at all */
	f->cfg.prov.omapi_port = 0;
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web1", "{\"ip\":\"10.77.0.40\"}"), 200);
	TRACE_IS("check(1) install(1) ");
}

/* The validators provisioning and the API share: an image name with a dot
 * and an underscore is good for both (once it was refused when files were
 * written, after the API had stored it). */
static void test_image_name_rules(void **state)
{
	struct fx *f = *state;

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/images",
			      "{\"name\":\"debian-12.1_hw\",\"kernel\":\"hw/vmlinuz\",\"xen\":\"hw/xen.gz\"}"),
			 201);
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"hw1\",\"mac\":\"52:54:00:aa:00:07\",\"role\":\"hw\","
			      "\"image\":\"debian-12.1_hw\"}"), 201);
	assert_string_equal(m.last_image, "debian-12.1_hw");
	EXPECT("POST", "/v1/images", "{\"name\":\"Debian\",\"kernel\":\"hw/vmlinuz\"}", 400,
	       "bad image name");
	EXPECT("POST", "/v1/images", "{\"name\":\"-x\",\"kernel\":\"hw/vmlinuz\"}", 400,
	       "bad image name");
	EXPECT("POST", "/v1/images", "{\"name\":\"x1\",\"kernel\":\"hw/../vmlinuz\"}", 400,
	       "kernel");
}

static void test_node_set(void **state)
{
	struct fx *f = *state;
	json_t *r;

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\"}"), 201);
	EXPECT("PATCH", "/v1/nodes/web1", "{}", 400, "nothing to change");
	EXPECT("PATCH", "/v1/nodes/web1", "{\"mac\":\"52:54:00:aa:00:02\"}", 409,
	       "mac 52:54:00:aa:00:02 is already used by node web2");
	EXPECT("PATCH", "/v1/nodes/web1", "{\"ip\":\"10.77.0.11\"}", 409,
	       "ip 10.77.0.11 is already used by node web2");
	EXPECT("PATCH", "/v1/nodes/web1", "{\"role\":\"hw\",\"image\":\"st1\"}", 409,
	       "image st1 has no Xen");
	EXPECT("PATCH", "/v1/nodes/web1", "{\"name\":\"x\"}", 400, "unknown field 'name'");
	/* same values as its own are no conflict */
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web1", "{\"mac\":\"52:54:00:aa:00:01\"}"), 200);

	m.remove_calls = 0;
	assert_int_equal(call_from(f, API_ADMIN, 0, "PATCH", "/v1/nodes/web1",
				   "{\"mac\":\"52:54:00:aa:00:09\",\"role\":\"hw\",\"ip\":\"10.77.0.40\"}",
				   &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "boot_image")), "xen1");
	assert_string_equal(json_string_value(json_object_get(r, "ip")), "10.77.0.40");
	json_decref(r);
	assert_int_equal(m.remove_calls, 1);    /* the old MAC's host object */
	assert_string_equal(m.last_image, "xen1");

	/* override then back to the role default */
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web2", "{\"image\":\"xen1\"}"), 200);
	assert_string_equal(m.last_image, "xen1");
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web2", "{\"image\":null}"), 200);
	assert_string_equal(m.last_image, "st1");

	/* a failing provisioning step leaves the node as it was */
	m.fail_write = EIO;
	EXPECT("PATCH", "/v1/nodes/web2", "{\"ip\":\"10.77.0.41\"}", 500, "failed");
	call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web2", NULL, &r);
	assert_string_equal(json_string_value(json_object_get(r, "ip")), "10.77.0.11");
	json_decref(r);
}

/* --- reports, events, lost ------------------------------------------------ */

#define IP_WEB1 0x0a4d000a /* 10.77.0.10, from the pool */

static void test_reports(void **state)
{
	struct fx *f = *state;
	json_t *r, *d;
	char body[256];

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);

	/* only reports on the TCP listener */
	expect_err(f, API_REPORT, IP_WEB1, "GET", "/v1/report", NULL, 405, "POST only", __LINE__);
	expect_err(f, API_REPORT, IP_WEB1, "GET", "/v1/nodes", NULL, 404, "only POST /v1/report",
		   __LINE__);
	expect_err(f, API_REPORT, IP_WEB1, "DELETE", "/v1/nodes/web1", NULL, 404, "no such endpoint",
		   __LINE__);
	assert_string_equal(node_state(f, "web1"), "added");

	EXPECT_REPORT(IP_WEB1, "{\"state\":\"booted\"}", 400, "missing field 'mac'");
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"52:54:00:aa:00:01\"}", 400, "missing field 'state'");
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"pwned\"}", 400,
		      "bad state 'pwned' (discovered, booted or failed)");
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"ff:ff:ff:ff:ff:ff\",\"state\":\"booted\"}", 400, "bad mac");
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\",\"x\":1}", 400,
		      "unknown field 'x'");
	EXPECT_REPORT(IP_WEB1, "not json", 400, "bad JSON");
	/* booted: only from the node's own address */
	EXPECT_REPORT(0x0a4d004d, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\"}", 403,
		      "mac 52:54:00:aa:00:01 belongs to node web1 at 10.77.0.10, not 10.77.0.77");
	assert_string_equal(node_state(f, "web1"), "added");
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"52:54:00:aa:00:05\",\"state\":\"booted\"}", 404,
		      "mac 52:54:00:aa:00:05 is not a node");
	clock_now = 1010;
	EXPECT_REPORT(IP_WEB1, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\",\"cpus\":true}",
		      400, "field 'cpus' must be an integer");   /* checked in booted reports too */
	assert_int_equal(call_from(f, API_REPORT, IP_WEB1, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\",\"cpus\":4,"
				   "\"memory_mb\":2048,\"nics\":[\"52-54-00-AA-00-01\"],"
				   "\"info\":{\"xen_version\":\"4.17.7\"}}", NULL), 200);
	assert_string_equal(node_state(f, "web1"), "booted");
	/* node show carries the last report */
	call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, &r);
	d = json_object_get(r, "report");
	assert_int_equal(json_integer_value(json_object_get(d, "cpus")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "memory_mb")), 2048);
	assert_int_equal(json_integer_value(json_object_get(d, "at")), 1010);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "nics"), 0)),
			    "52:54:00:aa:00:01");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "info"),
							      "xen_version")), "4.17.7");
	json_decref(r);

	/* failed: same address rule; the reason goes into the history */
	EXPECT_REPORT(0x0a4d004d, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"failed\"}", 403,
		      "belongs to node web1");
	assert_int_equal(call_from(f, API_REPORT, IP_WEB1, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"failed\","
				   "\"info\":{\"error\":\"no AoE root e1.0\",\"stage\":\"initramfs\"}}",
				   NULL), 200);
	assert_string_equal(node_state(f, "web1"), "failed");
	call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, &r);
	d = json_array_get(json_object_get(r, "history"), 2);
	assert_string_equal(json_string_value(json_object_get(d, "event")), "failed");
	assert_string_equal(json_string_value(json_object_get(d, "detail")),
			    "initramfs: no AoE root e1.0");
	json_decref(r);
	assert_int_equal(call_from(f, API_REPORT, IP_WEB1, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\"}", NULL), 200);
	assert_string_equal(node_state(f, "web1"), "booted");

	/* discovered: unknown MACs only, from inside the subnet, bounded */
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"discovered\"}", 409,
		      "mac 52:54:00:aa:00:01 is already node web1");
	EXPECT_REPORT(0xc0a80001, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\"}", 403,
		      "outside the provisioning subnet");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"cpus\":-1}",
		      400, "field 'cpus' must be an integer");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"cpus\":\"2\"}",
		      400, "field 'cpus' must be an integer");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"nics\":[\"x\"]}",
		      400, "nics[0] is not a MAC");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"nics\":\"x\"}",
		      400, "must be an array");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"info\":{\"a\":1}}",
		      400, "info 'a' must be a printable string");
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"info\":{\"a\":\"\\n\"}}",
		      400, "info 'a' must be a printable string");
	{
		char many[2048] = "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\",\"info\":{";

		for (int i = 0; i < 33; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"k%d\":\"v\"",
				 i ? "," : "", i);
		strcat(many, "}}");
		EXPECT_REPORT(0x0a4d0096, many, 400, "has 33 keys (at most 32)");
	}
	assert_int_equal(call_from(f, API_REPORT, 0x0a4d0096, "POST", "/v1/report",
				   "{\"mac\":\"52-54-00-BB-00-01\",\"state\":\"discovered\",\"cpus\":2,"
				   "\"memory_mb\":512,\"nics\":[\"52:54:00:BB:00:01\"],"
				   "\"info\":{\"vendor\":\"QEMU\"}}", NULL), 200);
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/discovered", NULL, &r), 200);
	d = json_array_get(json_object_get(r, "discovered"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "mac")), "52:54:00:bb:00:01");
	assert_string_equal(json_string_value(json_object_get(d, "ip")), "10.77.0.150");
	assert_int_equal(json_integer_value(json_object_get(d, "cpus")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "nics"), 0)),
			    "52:54:00:bb:00:01");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "info"), "vendor")),
			    "QEMU");
	json_decref(r);

	/* adopt it */
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"disc2\",\"discovered\":\"52:54:00:bb:00:02\",\"role\":\"storage\"}", 404,
	       "no discovered machine with mac 52:54:00:bb:00:02");
	EXPECT("POST", "/v1/nodes",
	       "{\"name\":\"disc1\",\"discovered\":\"52:54:00:bb:00:01\",\"mac\":\"52:54:00:bb:00:01\","
	       "\"role\":\"storage\"}", 400, "exactly one");
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"disc1\",\"discovered\":\"52:54:00:bb:00:01\",\"role\":\"storage\"}"),
			 201);
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/discovered", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "discovered")), 0);
	json_decref(r);

	/* the number of discovered machines is bounded */
	for (int i = 0; i < API_DISCOVERED_MAX; i++) {
		snprintf(body, sizeof(body),
			 "{\"mac\":\"52:54:01:00:%02x:%02x\",\"state\":\"discovered\"}", i >> 8, i & 0xff);
		assert_int_equal(call_from(f, API_REPORT, 0x0a4d0096, "POST", "/v1/report", body,
					   NULL), 200);
	}
	EXPECT_REPORT(0x0a4d0096, "{\"mac\":\"52:54:02:00:00:01\",\"state\":\"discovered\"}", 507,
		      "too many discovered machines");
	/* a known one may still update */
	assert_int_equal(call_from(f, API_REPORT, 0x0a4d0096, "POST", "/v1/report",
				   "{\"mac\":\"52:54:01:00:00:01\",\"state\":\"discovered\",\"cpus\":8}",
				   NULL), 200);
}

static void test_events_and_lost(void **state)
{
	struct fx *f = *state;
	json_t *r, *h;
	uint8_t mac[MAC_LEN];

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	EXPECT("POST", "/v1/events", "{\"event\":\"booted\",\"mac\":\"52:54:00:aa:00:01\"}", 400,
	       "bad event 'booted'");
	EXPECT("POST", "/v1/events", "{\"event\":\"dhcp\",\"mac\":\"nope\"}", 400, "bad mac 'nope'");
	EXPECT("POST", "/v1/events", "{\"event\":\"dhcp\",\"mac\":\"52:54:00:aa:00:01\",\"ip\":\"x\"}",
	       400, "bad ip 'x'");
	EXPECT("GET", "/v1/events", NULL, 405, "POST");
	/* unknown MACs (discovery leases) are accepted and ignored */
	assert_int_equal(call(f, "POST", "/v1/events",
			      "{\"event\":\"dhcp\",\"mac\":\"52:54:00:ee:00:01\",\"ip\":\"10.77.0.120\"}"),
			 202);
	/* lost needs a sign of life first */
	clock_now = 5000;
	assert_int_equal(api_check_lost(&f->ctx), 0);
	assert_string_equal(node_state(f, "web1"), "added");

	clock_now = 5001;
	assert_int_equal(call(f, "POST", "/v1/events",
			      "{\"event\":\"dhcp\",\"mac\":\"52:54:00:aa:00:01\",\"ip\":\"10.77.0.10\"}"),
			 200);
	assert_string_equal(node_state(f, "web1"), "dhcp");
	assert_int_equal(mac_parse("52:54:00:aa:00:01", mac), 0);
	clock_now = 5002;
	assert_int_equal(api_node_event(&f->ctx, mac, NODE_EV_CONFIG_FETCHED, "pxelinux.cfg read"), 0);
	/* pxelinux reading twice: no second history entry */
	assert_int_equal(api_node_event(&f->ctx, mac, NODE_EV_CONFIG_FETCHED, "again"), 0);
	clock_now = 5003;
	assert_int_equal(call_from(f, API_REPORT, IP_WEB1, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\"}", NULL), 200);
	/* periodic reports keep it alive */
	clock_now = 5050;
	assert_int_equal(call_from(f, API_REPORT, IP_WEB1, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:aa:00:01\",\"state\":\"booted\"}", NULL), 200);
	clock_now = 5100;
	assert_int_equal(api_check_lost(&f->ctx), 0);
	clock_now = 5111;
	assert_int_equal(api_check_lost(&f->ctx), 1);
	assert_string_equal(node_state(f, "web1"), "lost");
	assert_int_equal(api_check_lost(&f->ctx), 0);    /* once */

	call_from(f, API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, &r);
	h = json_object_get(r, "history");
	assert_int_equal(json_array_size(h), 5);
	{
		static const char *const want[] = { "added", "dhcp", "config-fetched", "booted",
						    "lost" };
		static const int64_t at[] = { 1000, 5001, 5002, 5003, 5111 };

		for (size_t i = 0; i < 5; i++) {
			json_t *e = json_array_get(h, i);

			assert_string_equal(json_string_value(json_object_get(e, "event")), want[i]);
			assert_int_equal(json_integer_value(json_object_get(e, "at")), at[i]);
		}
	}
	assert_int_equal(json_integer_value(json_object_get(r, "state_at")), 5111);
	json_decref(r);
	assert_int_equal(api_node_event(&f->ctx, (uint8_t[]){ 0x52, 0, 0, 0, 0, 9 },
					 NODE_EV_DHCP, ""), -ENOENT);
}

static void test_roles_images(void **state)
{
	struct fx *f = *state;
	json_t *r;

	with_images(f);
	EXPECT("PUT", "/v1/roles/db", "{\"image\":\"st1\"}", 404, "no role named 'db'");
	EXPECT("PUT", "/v1/roles/hw", "{\"image\":\"st1\"}", 409, "image st1 has no Xen");
	EXPECT("PUT", "/v1/roles/hw", "{\"image\":\"nosuch\"}", 404, "image nosuch does not exist");
	EXPECT("PUT", "/v1/roles/hw", "{}", 400, "missing field 'image'");
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/roles", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "roles")), 2);
	json_decref(r);
	/* changing a role's image regenerates its nodes' files */
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	assert_int_equal(call(f, "POST", "/v1/images", "{\"name\":\"st2\",\"kernel\":\"st2/vmlinuz\"}"),
			 201);
	m.write_calls = 0;
	assert_int_equal(call(f, "PUT", "/v1/roles/storage", "{\"image\":\"st2\"}"), 200);
	assert_int_equal(m.write_calls, 1);
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/images/st2", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "kernel")), "st2/vmlinuz");
	json_decref(r);
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web1", "{\"image\":\"st1\"}"), 200);
	EXPECT("DELETE", "/v1/images/st1", NULL, 409, "image st1 is in use: booted by node web1");
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web1", "{\"image\":\"\"}"), 200);
	assert_int_equal(call(f, "DELETE", "/v1/images/st1", NULL), 200);
	EXPECT("GET", "/v1/images/st1", NULL, 404, "image st1 does not exist");
}

/* PATCH /v1/images/NAME: checked like an add, the files of the nodes
 * booting it regenerated, all or nothing; DELETE names every user. */
static void test_image_set_remove(void **state)
{
	struct fx *f = *state;
	json_t *r;

	with_images(f);
	assert_int_equal(call(f, "POST", "/v1/nodes", WEB1), 201);
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"web2\",\"mac\":\"52:54:00:aa:00:02\",\"role\":\"storage\","
			      "\"image\":\"st1\"}"), 201);
	assert_int_equal(call(f, "POST", "/v1/nodes",
			      "{\"name\":\"hw1\",\"mac\":\"52:54:00:aa:00:03\",\"role\":\"hw\"}"), 201);
	EXPECT("PATCH", "/v1/images/nosuch", "{\"kernel\":\"k\"}", 404, "image nosuch does not exist");
	EXPECT("PATCH", "/v1/images/Bad!", "{\"kernel\":\"k\"}", 400, "bad image name 'Bad!'");
	EXPECT("PATCH", "/v1/images/st1", "{\"kernel\":\"../etc/shadow\"}", 400, "../etc/shadow");
	EXPECT("PATCH", "/v1/images/st1", "{\"kernel\":\"\"}", 400, "'kernel' cannot be empty");
	EXPECT("PATCH", "/v1/images/st1", "{\"cmdline\":\"a;b\"}", 400, "a;b");
	EXPECT("PATCH", "/v1/images/st1", "{\"name\":\"st9\"}", 400, "unknown field 'name'");
	EXPECT("PATCH", "/v1/images/st1", "{\"initrd\":null}", 400, "'initrd' must be a string");
	EXPECT("PATCH", "/v1/images/st1", "{\"xen_cmdline\":\"x=1\"}", 400, "xen_cmdline given without xen");
	EXPECT("PATCH", "/v1/images/st1", "[1]", 400, "must be a JSON object");
	/* the hw role and hw nodes boot Xen: their image keeps it */
	EXPECT("PATCH", "/v1/images/xen1", "{\"xen\":\"\"}", 409, "default of role hw");
	/* a change rewrites the files of every node booting the image */
	m.write_calls = 0;
	assert_int_equal(call(f, "PATCH", "/v1/images/st1",
			      "{\"kernel\":\"images/st1-v2/vmlinuz\",\"initrd\":\"\"}"), 200);
	assert_int_equal(m.write_calls, 1);
	assert_non_null(strstr(m.last_kernels, "web1=images/st1-v2/vmlinuz "));
	assert_non_null(strstr(m.last_kernels, "web2=images/st1-v2/vmlinuz "));
	assert_non_null(strstr(m.last_kernels, "hw1=hw/vmlinuz "));
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/images/st1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "kernel")), "images/st1-v2/vmlinuz");
	assert_string_equal(json_string_value(json_object_get(r, "initrd")), "");
	assert_string_equal(json_string_value(json_object_get(r, "cmdline")), "console=ttyS0");
	json_decref(r);
	/* dhcpd -t refuses the files of the change: the image is as it was,
	 * nothing was installed */
	m.trace[0] = '\0';
	m.fail_write = EIO;
	EXPECT("PATCH", "/v1/images/st1", "{\"kernel\":\"images/st1-v3/vmlinuz\"}", 500,
	       "writing dhcpd.conf");
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/images/st1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "kernel")), "images/st1-v2/vmlinuz");
	json_decref(r);
	TRACE_IS("check(3) ");
	/* the install fails: the files of the image as it was go back */
	m.fail_install = EIO;
	EXPECT("PATCH", "/v1/images/st1", "{\"kernel\":\"images/st1-v3/vmlinuz\"}", 500,
	       "failed at install files");
	TRACE_IS("check(3) install(3) undo:install(3) ");
	assert_non_null(strstr(m.last_kernels, "web1=images/st1-v2/vmlinuz "));
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/images/st1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "kernel")), "images/st1-v2/vmlinuz");
	json_decref(r);
	/* a hw node overriding to a Xen image keeps it from losing Xen */
	assert_int_equal(call(f, "POST", "/v1/images",
			      "{\"name\":\"xen2\",\"kernel\":\"k\",\"xen\":\"x\"}"), 201);
	assert_int_equal(call(f, "PATCH", "/v1/nodes/hw1", "{\"image\":\"xen2\"}"), 200);
	EXPECT("PATCH", "/v1/images/xen2", "{\"xen\":\"\"}", 409, "hw node hw1 boots it");
	/* remove names the role and every node */
	EXPECT("DELETE", "/v1/images/st1", NULL, 409,
	       "image st1 is in use: default of role storage; booted by node web2");
	assert_int_equal(call(f, "PATCH", "/v1/nodes/web1", "{\"image\":\"st1\"}"), 200);
	EXPECT("DELETE", "/v1/images/st1", NULL, 409, "booted by nodes web1, web2");
	EXPECT("DELETE", "/v1/images/xen1", NULL, 409, "image xen1 is in use: default of role hw");
	EXPECT("DELETE", "/v1/images/xen2", NULL, 409, "image xen2 is in use: booted by node hw1");
	EXPECT("DELETE", "/v1/images/nosuch", NULL, 404, "image nosuch does not exist");
	EXPECT("PUT", "/v1/images/st1", "{}", 405, "PUT");
}

/* DELETE /v1/discovered[/MAC]: forget one or every discovered machine. */
static void test_discovered_clear(void **state)
{
	struct fx *f = *state;
	const uint32_t peer = 0x0a4d0096;   /* 10.77.0.150 */
	json_t *r;

	assert_int_equal(call_from(f, API_REPORT, peer, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:bb:00:01\",\"state\":\"discovered\"}", NULL), 200);
	assert_int_equal(call_from(f, API_REPORT, peer, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:bb:00:02\",\"state\":\"discovered\"}", NULL), 200);
	assert_int_equal(call_from(f, API_REPORT, peer, "POST", "/v1/report",
				   "{\"mac\":\"52:54:00:bb:00:03\",\"state\":\"discovered\"}", NULL), 200);
	EXPECT("DELETE", "/v1/discovered/52:54:00:zz:00:01", NULL, 400, "bad mac '52:54:00:zz:00:01'");
	EXPECT("DELETE", "/v1/discovered/52:54:00:bb:00:09", NULL, 404,
	       "no discovered machine with mac 52:54:00:bb:00:09");
	/* any accepted MAC spelling */
	assert_int_equal(call_from(f, API_ADMIN, 0, "DELETE", "/v1/discovered/52-54-00-BB-00-02",
				   NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "mac")), "52:54:00:bb:00:02");
	json_decref(r);
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/discovered", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "discovered")), 2);
	json_decref(r);
	assert_int_equal(call_from(f, API_ADMIN, 0, "DELETE", "/v1/discovered", NULL, &r), 200);
	assert_int_equal(json_integer_value(json_object_get(r, "cleared")), 2);
	json_decref(r);
	assert_int_equal(call_from(f, API_ADMIN, 0, "GET", "/v1/discovered", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "discovered")), 0);
	json_decref(r);
	EXPECT("POST", "/v1/discovered", "{}", 405, "only GET and DELETE");
	/* the report listener cannot clear */
	expect_err(f, API_REPORT, peer, "DELETE", "/v1/discovered", NULL, 404, "no such endpoint",
		   __LINE__);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_add_and_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_compensation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_name_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_and_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_set_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered_clear, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
