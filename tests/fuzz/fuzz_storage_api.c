/* libFuzzer: what any machine on the provisioning network can send to
 * nimbusd's storage endpoints (/v1/storage/desired, observed, fence),
 * through the real API handler and a real (in memory) SQLite database with
 * a pair sn1 (10.77.0.11) + sn2 (10.77.0.12) holding vol1. Byte 0 picks
 * the source address 10.77.0.X, byte 1 the method/path, the rest is the
 * body. Invariants: only the documented statuses, every refusal carries an
 * error message, a fence is granted to one node only and only to a request
 * from that node's own address. */
#include "fuzz_api_common.h"

static void init(void)
{
	struct db *db = fz_open("fuzz_storage_api");

	fz_add_node(db, "sn1", IP(11), 0x11, ROLE_STORAGE, NODE_ADDED);
	fz_add_node(db, "sn2", IP(12), 0x12, ROLE_STORAGE, NODE_ADDED);
	fz_pair_p1(0x11, 0x12);
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
	char before[64], path[128];
	const char *const *route;
	uint32_t peer;
	json_t *r;
	int st;

	if (!fz_begin(init, data, size, &peer))
		return 0;
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
	if (st != 200)
		fz_refusal(st, r, 0);
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
