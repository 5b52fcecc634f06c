/* libFuzzer: what any machine on the provisioning network can send to
 * nimbusd's hardware-node endpoints (GET /v1/host/desired/MAC[/GEN], POST
 * /v1/host/observed, POST /v1/host/certificate), through the real API
 * handler and a real (in memory) SQLite database: hardware nodes hw1
 * (10.77.0.14) and hw2 (10.77.0.15), storage nodes sn1 and sn2 (.11, .12)
 * holding the instances' disks; instance web1 runs on hw1, web2 is
 * migrating from hw1 to hw2, web3 is being deleted on hw2. Byte 0 picks
 * the source address 10.77.0.X, byte 1 the method/path, the rest is the
 * body (or part of the path). Invariants: only the documented statuses,
 * every refusal carries an error message, a desired or observed state
 * answered is that of the node at the source address, a node's stored
 * observed state changes only by its own request, and an instance leaves
 * a node (deleted or migrated away) only by that node's own report. Once
 * one has, the database starts over from that initial state. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/db_instance.h"
#include "../../confignode/db_storage.h"
#include "fuzz_api_common.h"

#define HW1_IP IP(14)
#define HW2_IP IP(15)

static void add_node(struct db *db, const char *name, int i, enum node_role role)
{
	fz_add_node(db, name, IP(10 + (uint32_t)i), i, role, NODE_BOOTED);
}

/* Instance name on node, its disk NAME-disk made ready. */
static void add_instance(struct db *db, const char *name, const char *node, int k,
			 enum db_inst_desired d)
{
	struct db_instance in = { .memory_mib = 512, .vcpus = 1, .desired = d,
				  .stop = HMSG_STOP_SHUTDOWN, .stop_timeout_s = 60, .created = 1000 };
	char body[128];

	snprintf(in.name, sizeof(in.name), "%s", name);
	snprintf(in.volume, sizeof(in.volume), "%s-disk", name);
	snprintf(in.node, sizeof(in.node), "%s", node);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"size\":1073741824}", in.volume);
	must(API_ADMIN, 0, "POST", "/v1/volumes", body);
	if (db_volume_set_ready(db, in.volume, 1000) < 0)
		abort();
	in.mac[0] = 0x5e;
	in.mac[5] = (uint8_t)k;
	in.uuid[0] = (uint8_t)k;
	in.uuid[6] = 0x40;
	in.uuid[8] = 0x80;
	if (db_instance_insert(db, &in) < 0)
		abort();
}

static void init(void)
{
	struct db_migration m = { .started = 1000 };
	struct db *db = fz_open("fuzz_host_api");

	add_node(db, "sn1", 1, ROLE_STORAGE);
	add_node(db, "sn2", 2, ROLE_STORAGE);
	add_node(db, "hw1", 4, ROLE_HW);
	add_node(db, "hw2", 5, ROLE_HW);
	fz_pair_p1(1, 2);
	add_instance(db, "web1", "hw1", 1, DB_INST_RUNNING);
	add_instance(db, "web2", "hw1", 2, DB_INST_RUNNING);
	add_instance(db, "web3", "hw2", 3, DB_INST_DELETING);
	snprintf(m.instance, sizeof(m.instance), "web2");
	snprintf(m.src, sizeof(m.src), "hw1");
	snprintf(m.dst, sizeof(m.dst), "hw2");
	if (db_migration_insert(db, &m) < 0)
		abort();
}

/* What the invariants compare: each hardware node's stored observed
 * state and when, and where each instance is. */
struct snap {
	char *obs[2];
	int64_t at[2];
	struct db_instance *insts;
	size_t n;
};

static const char *const hw[2] = { "hw1", "hw2" };
static const uint32_t hw_ip[2] = { HW1_IP, HW2_IP };

static void take(struct snap *s)
{
	uint64_t gen;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 2; i++)
		if (db_storage_get(ctx.db, hw[i], &gen, &s->obs[i], &s->at[i]) < 0)
			abort();
	if (db_instance_list(ctx.db, NULL, &s->insts, &s->n) < 0)
		abort();
}

static void drop(struct snap *s)
{
	free(s->obs[0]);
	free(s->obs[1]);
	free(s->insts);
}

static const struct db_instance *find(const struct snap *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->insts[i].name, name) == 0)
			return &s->insts[i];
	return NULL;
}

static uint32_t ip_of(const char *node)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(node, hw[i]) == 0)
			return hw_ip[i];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const routes[][2] = {
		{ "POST", "/v1/host/observed" }, { "POST", "/v1/host/observed" },
		{ "POST", "/v1/host/observed" },
		{ "GET", "/v1/host/desired/52:54:00:aa:00:04" },
		{ "GET", "/v1/host/desired/52:54:00:aa:00:05/" },   /* + GEN from the body */
		{ "GET", "/v1/host/desired/" },                     /* + the body */
		{ "GET", "/v1/host/desired/52:54:00:aa:00:01" },    /* a storage node's */
		{ "POST", "/v1/host/certificate" },
		{ "POST", "/v1/host/desired/52:54:00:aa:00:04" },
		{ "GET", "/v1/host/observed" },
		{ "POST", "/v1/host/" },                            /* + the body */
	};
	enum { NROUTES = sizeof(routes) / sizeof(routes[0]) };
	const char *const *route;
	const char *node;
	struct snap before, after;
	char path[160];
	uint32_t peer;
	unsigned rt;
	bool moved = false;
	json_t *r;
	int st;

	if (!fz_begin(init, data, size, &peer))
		return 0;
	rt = data[1] % NROUTES;
	route = routes[rt];
	snprintf(path, sizeof(path), "%s", route[1]);
	if (rt == 4 || rt == 5 || rt == 10)
		snprintf(path, sizeof(path), "%s%.*s", route[1],
			 (int)(size - 2 < 60 ? size - 2 : 60), (const char *)data + 2);
	take(&before);
	st = call(API_REPORT, peer, route[0], path, (const char *)data + 2, size - 2, &r);
	if (!r)
		abort();
	if (st == 200) {
		/* a desired or observed state answered is the asker's own */
		node = json_string_value(json_object_get(r, "node"));
		if (rt != 7 && (!node || ip_of(node) != peer))
			abort();
	} else {
		/* 503 only from the certificate route: no certificate
		 * authority here */
		fz_refusal(st, r, rt == 7 ? 503 : 0);
	}
	json_decref(r);
	take(&after);
	for (int i = 0; i < 2; i++) {
		bool changed = before.at[i] != after.at[i] ||
			       strcmp(before.obs[i] ? before.obs[i] : "",
				      after.obs[i] ? after.obs[i] : "") != 0;

		if (changed && (st != 200 || peer != hw_ip[i]))
			abort();
	}
	/* an instance leaves its node only by that node's report */
	for (size_t i = 0; i < before.n; i++) {
		const struct db_instance *b = &before.insts[i], *a = find(&after, b->name);

		if (a && strcmp(a->node, b->node) == 0)
			continue;
		if (st != 200 || rt > 2 || peer != ip_of(b->node))
			abort();
		moved = true;
	}
	if (after.n > before.n)
		abort();
	drop(&before);
	drop(&after);
	/* A migration finished or a deletion done cannot happen again: start
	 * over from the initial state so that later inputs meet them too. */
	if (moved) {
		db_close(ctx.db);
		fz_ready = 0;
	}
	return 0;
}
