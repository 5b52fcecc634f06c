/* Shared start of the libFuzzer harnesses that drive nimbusd's API through
 * api_handle(): the config and context, an in-memory database with nodes
 * put straight into it (provisioning is not under test), one request, and
 * the storage pair p1 (sn1 + sn2, 1T pool each) the other state sits on. */
#ifndef NIMBUS_FUZZ_API_COMMON_H
#define NIMBUS_FUZZ_API_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/api.h"
#include "log.h"

#define IP(n) (0x0a4d0000u + (n))   /* 10.77.0.n */

static struct nimbusd_config cfg;
static struct api_ctx ctx;

static int64_t fz_now(void)
{
	return 1000;
}

/* One request; the status, *reply the body. */
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

/* A request of the setup, which must succeed. */
static void must(enum api_origin o, uint32_t peer, const char *method, const char *path,
		 const char *body)
{
	json_t *r;
	int st = call(o, peer, method, path, body, body ? strlen(body) : 0, &r);

	json_decref(r);
	if (st >= 300)
		abort();
}

/* cfg, ctx and an empty in-memory database (clock at 1000). */
static struct db *fz_open(const char *tag)
{
	static const char conf[] =
		"subnet 10.77.0.0/24\naddress 10.77.0.1\npool 10.77.0.10 10.77.0.99\n"
		"dynamic-range 10.77.0.100 10.77.0.199\nomapi-port 0\n";
	char err[256];
	struct db *db;

	log_init(tag, LOG_LVL_ERR, 0);
	config_defaults(&cfg);
	if (config_parse(conf, &cfg, err, sizeof(err)) < 0 || db_open(":memory:", &db) < 0)
		abort();
	ctx = (struct api_ctx){ .db = db, .cfg = &cfg, .now = fz_now };
	return db;
}

/* Node name at address ip, MAC 52:54:00:aa:00:<mac>. */
static void fz_add_node(struct db *db, const char *name, uint32_t ip, int mac,
			enum node_role role, enum node_state state)
{
	struct db_node n = { .ip = ip, .role = role, .state = state };
	char m[32];

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(m, sizeof(m), "52:54:00:aa:00:%02x", mac);
	if (mac_parse(m, n.mac) < 0 || db_node_insert(db, &n) < 0)
		abort();
}

/* Pair p1 of sn1 and sn2 (already nodes, at 10.77.0.11 and .12, MACs
 * 52:54:00:aa:00:<mac1> and <mac2>), each reporting an empty 1T pool. */
static void fz_pair_p1(int mac1, int mac2)
{
	static const char obs[] =
		"{\"mac\":\"52:54:00:aa:00:%02x\",\"node\":\"sn%d\",\"generation\":1,\"vg\":true,"
		"\"vg_size\":1099511627776,\"vg_free\":0,\"pool_size\":1099511627776,\"pool_used\":0,"
		"\"disks\":[],\"volumes\":[]}";
	char body[512];

	must(API_ADMIN, 0, "POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}");
	for (int i = 1; i <= 2; i++) {
		snprintf(body, sizeof(body), obs, i == 1 ? mac1 : mac2, i);
		must(API_REPORT, IP(10 + (uint32_t)i), "POST", "/v1/storage/observed", body);
	}
}

/* Set once init() has run; a harness clears it to start over. */
static int fz_ready;

/* The start of each input: init() run when not fz_ready, *peer the source
 * address 10.77.0.<byte 0>; 0 when the input is too short (under 2 bytes)
 * to say what to send. */
static int fz_begin(void (*init)(void), const uint8_t *data, size_t size, uint32_t *peer)
{
	if (!fz_ready) {
		init();
		fz_ready = 1;
	}
	if (size < 2)
		return 0;
	*peer = 0x0a4d0000 | data[0];
	return 1;
}

/* An answer that is not 200 is a refusal: 400, 403, 404, 405, 413 (or
 * also, when not 0, the status extra), with an error message. */
static void fz_refusal(int st, json_t *r, int extra)
{
	switch (st) {
	case 400: case 403: case 404: case 405: case 413:
		break;
	default:
		if (!extra || st != extra)
			abort();
	}
	if (!json_is_string(json_object_get(r, "error")))
		abort();
}

#endif
