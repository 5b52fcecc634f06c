/* libFuzzer: what any machine on the provisioning network can send to
 * nimbusd's storage endpoints (/v1/storage/desired, observed, fence),
 * through the real API handler and a real (in memory) SQLite database with
 * a pair sn1 (10.77.0.11) + sn2 (10.77.0.12) holding vol1. Byte 0 picks
 * the source address 10.77.0.X, byte 1 the method/path, the rest is the
 * body. Invariants: only the documented statuses, every refusal carries an
 * error message, a fence is granted to one node only and only to a request
 * from that node's own address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/api.h"
#include "log.h"

static int64_t now(void)
{
	return 1000;
}

static struct nimbusd_config cfg;
static struct api_ctx ctx;

static int call(enum api_origin o, uint32_t peer, const char *method, const char *path,
		const char *body, size_t len, json_t **reply)
{
	struct api_request req = { .origin = o, .method = method, .path = path, .body = body,
				   .body_len = len, .peer_ip = peer };
	struct api_response resp = { 0 };

	api_handle(&ctx, &req, &resp);
	*reply = resp.body;
	return resp.status;
}

static void must(enum api_origin o, uint32_t peer, const char *method, const char *path,
		 const char *body)
{
	json_t *r;
	int st = call(o, peer, method, path, body, body ? strlen(body) : 0, &r);

	json_decref(r);
	if (st >= 300)
		abort();
}

static void init(void)
{
	static const char conf[] =
		"subnet 10.77.0.0/24\naddress 10.77.0.1\npool 10.77.0.10 10.77.0.99\n"
		"dynamic-range 10.77.0.100 10.77.0.199\nomapi-port 0\n";
	static const char obs[] =
		"{\"mac\":\"52:54:00:aa:00:1%d\",\"node\":\"sn%d\",\"generation\":1,\"vg\":true,"
		"\"vg_size\":1099511627776,\"vg_free\":0,\"pool_size\":1099511627776,\"pool_used\":0,"
		"\"disks\":[],\"volumes\":[]}";
	char err[256], body[512];
	struct db *db;

	log_init("fuzz_storage_api", LOG_LVL_ERR, 0);
	config_defaults(&cfg);
	if (config_parse(conf, &cfg, err, sizeof(err)) < 0 || db_open(":memory:", &db) < 0)
		abort();
	ctx = (struct api_ctx){ .db = db, .cfg = &cfg, .now = now };
	/* Nodes straight into the database: provisioning is not under test. */
	for (int i = 1; i <= 2; i++) {
		struct db_node n = { .ip = 0x0a4d000a + (uint32_t)i, .role = ROLE_STORAGE };
		char mac[32];

		snprintf(n.name, sizeof(n.name), "sn%d", i);
		snprintf(mac, sizeof(mac), "52:54:00:aa:00:1%d", i);
		if (mac_parse(mac, n.mac) < 0 || db_node_insert(db, &n) < 0)
			abort();
	}
	must(API_ADMIN, 0, "POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}");
	for (int i = 1; i <= 2; i++) {
		snprintf(body, sizeof(body), obs, i, i);
		must(API_REPORT, 0x0a4d000a + (uint32_t)i, "POST", "/v1/storage/observed", body);
	}
	must(API_ADMIN, 0, "POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1073741824}");
}

/* vol1's fence holder, "" for none. */
static const char *holder(void)
{
	static char s[64];
	json_t *r, *f;

	if (call(API_ADMIN, 0, "GET", "/v1/volumes/vol1", NULL, 0, &r) != 200)
		abort();
	f = json_object_get(r, "fence");
	snprintf(s, sizeof(s), "%s", json_is_object(f) ?
		 json_string_value(json_object_get(f, "node")) : "");
	json_decref(r);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const routes[][2] = {
		{ "POST", "/v1/storage/observed" }, { "POST", "/v1/storage/observed" },
		{ "POST", "/v1/storage/fence" }, { "POST", "/v1/storage/fence" },
		{ "GET", "/v1/storage/desired/52:54:00:aa:00:11" },
		{ "GET", "/v1/storage/desired?mac=52:54:00:aa:00:12" },
		{ "GET", "/v1/storage/desired/" }, { "PUT", "/v1/storage/fence" },
		{ "POST", "/v1/storage/x" },
	};
	static int ready;
	char before[64], path[128];
	const char *const *route;
	uint32_t peer;
	json_t *r;
	int st;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 2)
		return 0;
	peer = 0x0a4d0000 | data[0];
	route = routes[data[1] % (sizeof(routes) / sizeof(routes[0]))];
	snprintf(before, sizeof(before), "%s", holder());
	snprintf(path, sizeof(path), "%s", route[1]);
	/* The desired state's MAC from the body, too: any text in the path. */
	if (data[1] % 9 == 6 && size > 2)
		snprintf(path, sizeof(path), "/v1/storage/desired/%.*s",
			 (int)(size - 2 < 60 ? size - 2 : 60), (const char *)data + 2);
	st = call(API_REPORT, peer, route[0], path, (const char *)data + 2, size - 2, &r);
	if (!r)
		abort();
	switch (st) {
	case 200:
		break;
	case 400: case 403: case 404: case 405: case 413:
		if (!json_is_string(json_object_get(r, "error")))
			abort();
		break;
	default:
		abort();
	}
	json_decref(r);
	/* A fence changes hands only by being released first (both nodes
	 * report UpToDate and connected); it is taken only by a request from
	 * the taker's own address. */
	if (strcmp(holder(), before) != 0 && holder()[0]) {
		uint32_t want = strcmp(holder(), "sn1") == 0 ? 0x0a4d000b : 0x0a4d000c;

		if (before[0] || peer != want)
			abort();
	}
	return 0;
}
