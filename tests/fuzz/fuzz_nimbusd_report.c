/* libFuzzer: what any machine on the provisioning network can send to
 * nimbusd's TCP listener, through the real API handler and a real (in
 * memory) SQLite database. Byte 0 picks the source address 10.77.0.X,
 * byte 1 the method/path, the rest is the body. Invariants: only the
 * documented statuses, every refusal carries an error message, and the
 * node web1 is only ever booted by a report from its own address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/api.h"
#include "log.h"

static int ok_write(const struct prov_config *c, const struct prov_node *n, size_t k)
{
	(void)c; (void)n; (void)k;
	return 0;
}

static const struct prov_ops ops = { .write_files = ok_write };

/* The set-up adds a node through the provisioning queue: every step works
 * at once (reports, what is fuzzed, never reach the queue). */
static int ok_start(void *arg, struct prov_job *job, const struct prov_action *a,
		    struct prov_child **child)
{
	(void)arg; (void)job; (void)a; (void)child;
	return 0;
}

static int ok_finish(void *arg, struct prov_job *job, const struct prov_action *a, int run_rc,
		     const char *out, int status)
{
	(void)arg; (void)job; (void)a; (void)run_rc; (void)out; (void)status;
	return 0;
}

static const struct prov_step_ops steps = { .start = ok_start, .finish = ok_finish };

/* A node change's answer: comes before api_handle() returns. */
static void capture(void *arg, struct api_response *resp)
{
	*(struct api_response *)arg = *resp;
}

static int64_t now(void)
{
	return 1000;
}

static struct nimbusd_config cfg;
static struct api_ctx ctx;

static void call(enum api_origin o, uint32_t peer, const char *method, const char *path,
		 const char *body, size_t len, int *status, json_t **reply)
{
	struct api_request req = { .origin = o, .method = method, .path = path, .body = body,
				   .body_len = len, .peer_ip = peer };
	struct api_response resp = { 0 }, later = { 0 };

	req.reply_later = capture;
	req.reply_arg = &later;
	api_handle(&ctx, &req, &resp);
	if (resp.status == API_PENDING)
		resp = later;
	*status = resp.status;
	*reply = resp.body;
}

static void init(void)
{
	static const char conf[] =
		"subnet 10.77.0.0/24\naddress 10.77.0.1\npool 10.77.0.10 10.77.0.99\n"
		"dynamic-range 10.77.0.100 10.77.0.199\nomapi-port 0\n";
	static const char *const setup[][3] = {
		{ "POST", "/v1/images", "{\"name\":\"st1\",\"kernel\":\"st1/vmlinuz\"}" },
		{ "PUT", "/v1/roles/storage", "{\"image\":\"st1\"}" },
		{ "POST", "/v1/nodes", "{\"name\":\"web1\",\"mac\":\"52:54:00:aa:00:01\","
				       "\"role\":\"storage\",\"ip\":\"10.77.0.10\"}" },
	};
	char err[256];
	struct prov_queue *queue;
	struct db *db;

	log_init("fuzz_nimbusd_report", LOG_LVL_ERR, 0);
	config_defaults(&cfg);
	if (config_parse(conf, &cfg, err, sizeof(err)) < 0 || db_open(":memory:", &db) < 0 ||
	    prov_queue_new(&queue, &steps, NULL) < 0)
		abort();
	ctx = (struct api_ctx){ .db = db, .cfg = &cfg, .prov = &ops, .queue = queue, .now = now };
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		int st;
		json_t *r;

		call(API_ADMIN, 0, setup[i][0], setup[i][1], setup[i][2], strlen(setup[i][2]), &st, &r);
		json_decref(r);
		if (st >= 300)
			abort();
	}
}

static const char *web1_state(void)
{
	static char s[32];
	int st;
	json_t *r;

	call(API_ADMIN, 0, "GET", "/v1/nodes/web1", NULL, 0, &st, &r);
	strcpy(s, json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const routes[][2] = {
		{ "POST", "/v1/report" }, { "POST", "/v1/report" }, { "POST", "/v1/report" },
		{ "GET", "/v1/report" }, { "POST", "/v1/nodes" }, { "DELETE", "/v1/nodes/web1" },
		{ "PATCH", "/v1/nodes/web1" }, { "POST", "/v1/events" }, { "POST", "/v1/report/x" },
	};
	static int ready;
	uint32_t peer;
	const char *const *route;
	int st;
	json_t *r;
	bool was_booted;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 2)
		return 0;
	peer = 0x0a4d0000 | data[0];
	route = routes[data[1] % (sizeof(routes) / sizeof(routes[0]))];
	was_booted = strcmp(web1_state(), "booted") == 0;
	call(API_REPORT, peer, route[0], route[1], (const char *)data + 2, size - 2, &st, &r);
	if (!r)
		abort();
	switch (st) {
	case 200:
		break;
	case 400: case 403: case 404: case 405: case 409: case 413: case 507:
		if (!json_is_string(json_object_get(r, "error")))
			abort();
		break;
	default:
		abort();
	}
	json_decref(r);
	/* Only web1's own address (10.77.0.10) may have made it booted. */
	if (!was_booted && strcmp(web1_state(), "booted") == 0 && peer != 0x0a4d000a)
		abort();
	return 0;
}
