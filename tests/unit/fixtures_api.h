/* Shared fixture for the unit tests that drive nimbusd's API through
 * api_handle() (no sockets): a scratch database with nodes in it, a fake
 * clock, one request, a refusal checked for its status and message, and a
 * storage node's observed state. Include after cmocka.h. */
#ifndef NIMBUS_TEST_FIXTURES_API_H
#define NIMBUS_TEST_FIXTURES_API_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/api.h"
#include "agent/storage_msg.h"
#include "log.h"

#define FX_UNUSED __attribute__((unused))
#define G (UINT64_C(1) << 30)
#define IP(n) (0x0a4d0000u + (n))   /* 10.77.0.n */

static int64_t clock_now;
static FX_UNUSED int64_t fake_now(void)
{
	return clock_now;
}

struct fx {
	char dir[64];
	struct nimbusd_config cfg;
	struct api_ctx ctx;
};

/* Node i: MAC 52:54:00:aa:00:ii, address 10.77.0.(10+i). */
static FX_UNUSED void fx_add_node(struct db *db, const char *name, int i, enum node_role role,
				  enum node_state state)
{
	struct db_node n = { .ip = IP(10 + (uint32_t)i), .role = role, .state = state };
	char mac[32];

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(mac, sizeof(mac), "52:54:00:aa:00:%02x", i);
	assert_int_equal(mac_parse(mac, n.mac), 0);
	assert_int_equal(db_node_insert(db, &n), 0);
}

/* A scratch directory and database (lost-after 60 s, clock at 1000). */
static FX_UNUSED struct fx *fx_open(const char *tag)
{
	static const char conf[] =
		"subnet 10.77.0.0/24\naddress 10.77.0.1\npool 10.77.0.10 10.77.0.50\n"
		"dynamic-range 10.77.0.100 10.77.0.199\nomapi-port 0\nlost-after 60\n";
	struct fx *f = calloc(1, sizeof(*f));
	char err[256], path[128];
	struct db *db;

	log_init(tag, getenv("TEST_LOG") ? LOG_LVL_INFO : LOG_LVL_ERR, 0);
	clock_now = 1000;
	if (!f)
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", tag);
	config_defaults(&f->cfg);
	if (!mkdtemp(f->dir) || config_parse(conf, &f->cfg, err, sizeof(err)) < 0) {
		free(f);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/nimbus.db", f->dir);
	if (db_open(path, &db) < 0) {
		free(f);
		return NULL;
	}
	f->ctx = (struct api_ctx){ .db = db, .cfg = &f->cfg, .now = fake_now };
	return f;
}

static FX_UNUSED int fx_close(struct fx *f)
{
	char cmd[128];

	db_close(f->ctx.db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

/* One request; the status, *reply the body (NULL: dropped). */
static FX_UNUSED int req(struct fx *f, enum api_origin o, uint32_t peer, const char *method,
			 const char *path, const char *body, json_t **reply)
{
	struct api_request rq = { .origin = o, .method = method, .path = path, .body = body,
				  .body_len = body ? strlen(body) : 0, .peer_ip = peer };
	struct api_response resp = { 0 };

	api_handle(&f->ctx, &rq, &resp);
	assert_non_null(resp.body);
	if (reply)
		*reply = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

/* A refusal: its status, its error containing msg and, when reason is not
 * NULL, its "reason". */
static FX_UNUSED void refused_r(struct fx *f, enum api_origin o, uint32_t peer,
				const char *method, const char *path, const char *body, int status,
				const char *msg, const char *reason, int line)
{
	json_t *r;
	int st = req(f, o, peer, method, path, body, &r);
	const char *e = json_string_value(json_object_get(r, "error"));
	const char *why = json_string_value(json_object_get(r, "reason"));

	if (st != status || !e || !strstr(e, msg))
		fail_msg("line %d: %s %s %.80s: %d '%s', want %d '%s'", line, method, path,
			 body ? body : "", st, e ? e : "(none)", status, msg);
	if (reason && (!why || strcmp(why, reason) != 0))
		fail_msg("line %d: %s %s: reason '%s', want '%s' (error '%s')", line, method, path,
			 why ? why : "(none)", reason, e);
	json_decref(r);
}
#define REFUSED(method, path, body, status, msg) \
	refused_r(f, API_ADMIN, 0, method, path, body, status, msg, NULL, __LINE__)
#define REFUSED_R(method, path, body, status, msg, reason) \
	refused_r(f, API_ADMIN, 0, method, path, body, status, msg, reason, __LINE__)
#define ADMIN_OK(method, path, body, want) do { \
	json_t *r_; \
	int st_ = req(f, API_ADMIN, 0, method, path, body, &r_); \
	if (st_ != (want)) \
		fail_msg("line %d: %s %s: %d, want %d (%s)", __LINE__, method, path, st_, want, \
			 json_string_value(json_object_get(r_, "error"))); \
	json_decref(r_); \
} while (0)

/* One storage node's view of one volume. */
struct vobs {
	const char *name;
	bool exported;
	enum smsg_drbd_disk disk;
	enum smsg_drbd_conn conn;
	double pct;
};

/* The generation sn_observe() reports as converged to (1 unless a test
 * sets it). */
static uint64_t sn_generation = 1;

/* POSTs storage node i's observed state (sn<i>, pool 100G, 10G used) with
 * volumes, from address from. */
static FX_UNUSED int sn_observe(struct fx *f, int i, uint32_t from, const struct vobs *v, size_t n)
{
	static struct smsg_have_volume h[128];
	struct smsg_observed o = { .vg = true, .vg_size = 120 * G, .vg_free = 10 * G,
				   .pool_size = 100 * G, .pool_used = 10 * G, .volumes = h,
				   .n_volumes = n, .generation = sn_generation };
	char mac[32], *json;
	int st;

	assert_true(n <= 128);
	memset(h, 0, sizeof(h));
	snprintf(mac, sizeof(mac), "52:54:00:aa:00:%02x", i);
	assert_int_equal(mac_parse(mac, o.mac), 0);
	snprintf(o.node, sizeof(o.node), "sn%d", i);
	for (size_t k = 0; k < n; k++) {
		snprintf(h[k].name, sizeof(h[k].name), "%s", v[k].name);
		h[k].lv = h[k].drbd = true;
		h[k].size_bytes = 10 * G;
		h[k].role = h[k].peer_role = SMSG_ROLE_PRIMARY;
		h[k].disk = v[k].disk;
		h[k].peer_disk = v[k].conn == SMSG_CONN_CONNECTED ? SMSG_DSK_UPTODATE :
								     SMSG_DSK_DUNKNOWN;
		h[k].conn = v[k].conn;
		h[k].sync_percent = v[k].pct;
		h[k].sync_eta_s = v[k].pct < 100 ? 60 : -1;
		h[k].exported = v[k].exported;
	}
	assert_int_equal(smsg_observed_encode(&o, &json), 0);
	st = req(f, API_REPORT, from, "POST", "/v1/storage/observed", json, NULL);
	free(json);
	return st;
}

#endif
