/* What nodes tell nimbusd: reports over TCP (/v1/report), lifecycle
 * events from the DHCP hook (/v1/events), the discovered machines they
 * leave behind (/v1/discovered), and the timer that declares nodes lost. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "log.h"

#define REPORT_MAX_NICS      32
#define REPORT_MAX_INFO_KEYS 32
#define REPORT_INFO_KEY_MAX  64
#define REPORT_INFO_VAL_MAX  256
#define REPORT_MAX_CPUS      65536
#define REPORT_MAX_MEMORY_MB (1LL << 40)

int api_node_event(struct api_ctx *ctx, const uint8_t mac[MAC_LEN],
		   enum node_event ev, const char *detail)
{
	struct db_node n;
	char m[MAC_STR_LEN];
	int64_t now = ctx->now();
	int rc, next;

	mac_format(mac, m);
	rc = db_begin(ctx->db);
	if (rc < 0)
		return rc;
	rc = db_node_by_mac(ctx->db, mac, &n);
	if (rc < 0)
		goto rollback;
	next = node_state_next(n.state, ev);
	if (next < 0) {
		rc = next;
		goto rollback;
	}
	n.seen_at = now;
	/* The history records changes; a node repeating itself (periodic
	 * reports, pxelinux reading its file twice) only refreshes seen_at. */
	if ((enum node_state)next != n.state) {
		n.state = (enum node_state)next;
		n.state_at = now;
		rc = db_event_add(ctx->db, n.name, node_event_name(ev), detail, now);
		if (rc < 0)
			goto rollback;
		log_info("node %s (mac %s): %s%s%s", n.name, m, node_state_name(n.state),
			 detail && detail[0] ? ", " : "", detail ? detail : "");
	}
	rc = db_node_update(ctx->db, n.name, &n);
	if (rc < 0)
		goto rollback;
	return db_commit(ctx->db);
rollback:
	db_rollback(ctx->db);
	return rc;
}

int api_check_lost(struct api_ctx *ctx)
{
	struct db_node *nodes;
	size_t n;
	int64_t now = ctx->now();
	int lost = 0;

	if (db_node_list(ctx->db, &nodes, &n) < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		char detail[64];

		if (!node_state_is_lost(nodes[i].state, nodes[i].seen_at, now,
					ctx->cfg->lost_after))
			continue;
		snprintf(detail, sizeof(detail), "silent for %lld s",
			 (long long)(now - nodes[i].seen_at));
		if (api_node_event(ctx, nodes[i].mac, NODE_EV_LOST, detail) == 0)
			lost++;
	}
	free(nodes);
	return lost;
}

/* --- POST /v1/events (admin socket: the DHCP hook) ------------------- */

void api_events(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp)
{
	static const char *const keys[] = { "event", "mac", "ip", NULL };
	const char *ev_s, *mac_s, *ip_s;
	enum node_event ev;
	uint8_t mac[MAC_LEN];
	uint32_t ip;
	char detail[64] = "", m[MAC_STR_LEN];
	json_t *obj;
	int rc;

	if (strcmp(req->method, "POST") != 0) {
		api_error(resp, 405, "method %.20s not allowed on /v1/events (POST)", req->method);
		return;
	}
	obj = api_parse_object(req, resp);
	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "event", true, &ev_s, resp) < 0 ||
	    api_get_str(obj, "mac", true, &mac_s, resp) < 0 ||
	    api_get_str(obj, "ip", false, &ip_s, resp) < 0)
		goto out;
	/* Only what outside observers see; "booted" comes from the node. */
	if (node_event_parse(ev_s, &ev) < 0 ||
	    (ev != NODE_EV_DHCP && ev != NODE_EV_CONFIG_FETCHED)) {
		api_error(resp, 400, "bad event '%.40s' (dhcp or config-fetched)", ev_s);
		goto out;
	}
	if (mac_parse(mac_s, mac) < 0 || !mac_is_unicast(mac)) {
		api_error(resp, 400, "bad mac '%.40s'", mac_s);
		goto out;
	}
	if (ip_s) {
		if (ipv4_parse(ip_s, &ip) < 0) {
			api_error(resp, 400, "bad ip '%.40s'", ip_s);
			goto out;
		}
		snprintf(detail, sizeof(detail), "ip %s", ip_s);
	}
	mac_format(mac, m);
	rc = api_node_event(ctx, mac, ev, detail);
	if (rc == -ENOENT) {
		/* dhcpd runs the hook for unknown machines too (discovery). */
		api_reply(resp, 202, json_pack("{s:s, s:s}", "mac", m, "node", ""));
	} else if (rc < 0) {
		api_error(resp, rc == -EINVAL ? 409 : 500, "event %s for mac %s not recorded: %s",
			  ev_s, m, strerror(-rc));
	} else {
		struct db_node n;

		if (db_node_by_mac(ctx->db, mac, &n) == 0)
			api_reply(resp, 200, api_node_json(ctx, &n));
		else
			api_reply(resp, 200, json_pack("{s:s}", "mac", m));
	}
out:
	json_decref(obj);
}

/* --- POST /v1/report (TCP: the provisioning network) ------------------ */

static json_t *check_nics(json_t *nics, struct api_response *resp)
{
	json_t *out = json_array(), *v;
	size_t i;

	if (!json_is_array(nics)) {
		api_error(resp, 400, "field 'nics' must be an array of MACs");
		goto err;
	}
	if (json_array_size(nics) > REPORT_MAX_NICS) {
		api_error(resp, 400, "field 'nics' has %zu entries (at most %d)",
			  json_array_size(nics), REPORT_MAX_NICS);
		goto err;
	}
	json_array_foreach(nics, i, v) {
		uint8_t mac[MAC_LEN];
		char m[MAC_STR_LEN];

		if (!json_is_string(v) || mac_parse(json_string_value(v), mac) < 0) {
			api_error(resp, 400, "nics[%zu] is not a MAC", i);
			goto err;
		}
		mac_format(mac, m);
		json_array_append_new(out, json_string(m));
	}
	return out;
err:
	json_decref(out);
	return NULL;
}

static int check_info(json_t *info, struct api_response *resp)
{
	const char *key;
	json_t *v;

	if (!json_is_object(info))
		return api_error(resp, 400, "field 'info' must be an object of strings");
	if (json_object_size(info) > REPORT_MAX_INFO_KEYS)
		return api_error(resp, 400, "field 'info' has %zu keys (at most %d)",
				 json_object_size(info), REPORT_MAX_INFO_KEYS);
	json_object_foreach(info, key, v) {
		if (validate_printable(key, REPORT_INFO_KEY_MAX) < 0 || !key[0])
			return api_error(resp, 400, "field 'info' has a bad key (printable, 1..%d)",
					 REPORT_INFO_KEY_MAX);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    validate_printable(json_string_value(v), REPORT_INFO_VAL_MAX) < 0)
			return api_error(resp, 400,
					 "info '%s' must be a printable string of at most %d bytes",
					 key, REPORT_INFO_VAL_MAX);
	}
	return 0;
}

static int get_int(json_t *obj, const char *key, long long max, long long *out,
		   struct api_response *resp)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return api_error(resp, 400, "field '%s' must be an integer 0..%lld", key, max);
	*out = json_integer_value(v);
	return 0;
}

/* The validated fields every report may carry. */
struct report_body {
	long long cpus, memory_mb;
	json_t *nics;   /* normalized MACs, owned */
	json_t *info;   /* borrowed from the request */
};

static int parse_body(json_t *obj, struct report_body *b, struct api_response *resp)
{
	json_t *given = json_object_get(obj, "nics"), *none;

	memset(b, 0, sizeof(*b));
	if (get_int(obj, "cpus", REPORT_MAX_CPUS, &b->cpus, resp) < 0 ||
	    get_int(obj, "memory_mb", REPORT_MAX_MEMORY_MB, &b->memory_mb, resp) < 0)
		return -1;
	none = json_array();
	b->nics = check_nics(given ? given : none, resp);
	json_decref(none);
	if (!b->nics)
		return -1;
	b->info = json_object_get(obj, "info");
	if (b->info && check_info(b->info, resp) < 0) {
		json_decref(b->nics);
		b->nics = NULL;
		return -1;
	}
	return 0;
}

/* "booted" or "failed" from a node: only the node itself, from its own
 * address, may say so. The report is kept for `node show`. */
static void report_node(struct api_ctx *ctx, const struct api_request *req,
			const uint8_t mac[MAC_LEN], enum node_event ev,
			const struct report_body *b, struct api_response *resp)
{
	struct db_node n;
	char m[MAC_STR_LEN], ip[16], peer[16], detail[256], *text;
	json_t *rep;
	int rc;

	mac_format(mac, m);
	api_ip_str(req->peer_ip, peer);
	rc = db_node_by_mac(ctx->db, mac, &n);
	if (rc == -ENOENT) {
		log_warn("report: %s from unknown mac %s at %s refused", node_event_name(ev), m, peer);
		api_error(resp, 404, "mac %s is not a node", m);
		return;
	}
	if (rc < 0) {
		api_error(resp, 500, "database error");
		return;
	}
	if (n.ip != req->peer_ip) {
		log_warn("report: mac %s (node %s, ip %s) claimed from %s: refused", m, n.name,
			 api_ip_str(n.ip, ip), peer);
		api_error(resp, 403, "mac %s belongs to node %s at %s, not %s", m, n.name, ip,
			  peer);
		return;
	}
	if (ev == NODE_EV_FAILED) {
		const char *err = json_string_value(json_object_get(b->info, "error"));
		const char *stage = json_string_value(json_object_get(b->info, "stage"));

		snprintf(detail, sizeof(detail), "%s%s%s", stage ? stage : "",
			 stage ? ": " : "", err ? err : "no reason given");
	} else {
		snprintf(detail, sizeof(detail), "reported from %s", peer);
	}
	rep = json_pack("{s:I, s:I, s:O, s:o, s:I}", "cpus", (json_int_t)b->cpus,
			"memory_mb", (json_int_t)b->memory_mb, "nics", b->nics,
			"info", b->info ? json_incref(b->info) : json_object(),
			"at", (json_int_t)ctx->now());
	text = rep ? json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(rep);
	if (!text) {
		api_error(resp, 500, "out of memory");
		return;
	}
	rc = api_node_event(ctx, mac, ev, detail);
	if (rc == 0)
		rc = db_node_set_report(ctx->db, n.name, text);
	free(text);
	if (rc < 0) {
		api_error(resp, 500, "report of node %s not recorded: %s", n.name, strerror(-rc));
		return;
	}
	if (ev == NODE_EV_FAILED)
		log_err("node %s (mac %s) reports a failed boot: %s", n.name, m, detail);
	api_reply(resp, 200, json_pack("{s:s, s:s}", "node", n.name, "state",
				       node_state_name(ev == NODE_EV_FAILED ? NODE_FAILED :
						       NODE_BOOTED)));
}

static void report_discovered(struct api_ctx *ctx, const struct api_request *req,
			      const uint8_t mac[MAC_LEN], const struct report_body *b,
			      struct api_response *resp)
{
	const struct prov_config *p = &ctx->cfg->prov;
	struct db_discovered d = { 0 }, old;
	struct db_node n;
	char m[MAC_STR_LEN], peer[16];
	int rc;

	mac_format(mac, m);
	api_ip_str(req->peer_ip, peer);
	if (!ipv4_in_subnet(req->peer_ip, p->subnet, ctx->cfg->prefix)) {
		api_error(resp, 403, "report from %s: outside the provisioning subnet", peer);
		return;
	}
	if (db_node_by_mac(ctx->db, mac, &n) == 0) {
		api_error(resp, 409, "mac %s is already node %s", m, n.name);
		return;
	}
	/* Unknown machines are bounded: a flood of invented MACs must not
	 * grow the database without end. */
	rc = db_discovered_get(ctx->db, mac, &old);
	if (rc == 0) {
		d.first_seen = old.first_seen;
		db_discovered_free(&old);
	} else if (rc == -ENOENT) {
		int count = db_discovered_count(ctx->db);

		if (count < 0) {
			api_error(resp, 500, "database error");
			return;
		}
		if (count >= API_DISCOVERED_MAX) {
			api_error(resp, 507, "too many discovered machines (%d): adopt or clear some",
				  API_DISCOVERED_MAX);
			return;
		}
		d.first_seen = ctx->now();
	} else {
		api_error(resp, 500, "database error");
		return;
	}
	memcpy(d.mac, mac, MAC_LEN);
	d.ip = req->peer_ip;
	d.cpus = (int)b->cpus;
	d.memory_mb = b->memory_mb;
	d.last_seen = ctx->now();
	d.nics_json = json_dumps(b->nics, JSON_COMPACT);
	d.info_json = b->info ? json_dumps(b->info, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (!d.nics_json || !d.info_json) {
		api_error(resp, 500, "out of memory");
		goto out;
	}
	rc = db_discovered_upsert(ctx->db, &d);
	if (rc < 0) {
		api_error(resp, 500, "cannot record discovered mac %s: %s", m, strerror(-rc));
		goto out;
	}
	log_info("discovered machine mac %s at %s: %d cpus, %lld MiB", m, peer, d.cpus,
		 (long long)d.memory_mb);
	api_reply(resp, 200, json_pack("{s:s, s:s}", "mac", m, "state", "discovered"));
out:
	db_discovered_free(&d);
}

void api_report(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp)
{
	static const char *const keys[] = { "mac", "state", "cpus", "memory_mb", "nics",
					    "info", NULL };
	struct report_body b = { 0 };
	const char *mac_s, *state;
	uint8_t mac[MAC_LEN];
	json_t *obj = api_parse_object(req, resp);

	if (!obj)
		return;
	if (api_only_keys(obj, keys, resp) < 0 ||
	    api_get_str(obj, "mac", true, &mac_s, resp) < 0 ||
	    api_get_str(obj, "state", true, &state, resp) < 0)
		goto out;
	if (mac_parse(mac_s, mac) < 0 || !mac_is_unicast(mac)) {
		api_error(resp, 400, "bad mac '%.40s'", mac_s);
		goto out;
	}
	/* Every field is checked whatever the state, even those it ignores. */
	if (parse_body(obj, &b, resp) < 0)
		goto out;
	if (strcmp(state, "booted") == 0)
		report_node(ctx, req, mac, NODE_EV_BOOTED, &b, resp);
	else if (strcmp(state, "failed") == 0)
		report_node(ctx, req, mac, NODE_EV_FAILED, &b, resp);
	else if (strcmp(state, "discovered") == 0)
		report_discovered(ctx, req, mac, &b, resp);
	else
		api_error(resp, 400, "bad state '%.40s' (discovered, booted or failed)", state);
out:
	json_decref(b.nics);
	json_decref(obj);
}

/* --- GET, DELETE /v1/discovered ------------------------------------- */

/* Forgets one discovered machine (sub: its MAC) or all (sub ""). */
static void discovered_clear(struct api_ctx *ctx, const char *sub, struct api_response *resp)
{
	uint8_t mac[MAC_LEN];
	char m[MAC_STR_LEN];
	int rc;

	if (!*sub) {
		rc = db_discovered_clear(ctx->db);
		if (rc < 0) {
			api_error(resp, 500, "cannot clear discovered machines");
			return;
		}
		log_info("cleared %d discovered machine%s", rc, rc == 1 ? "" : "s");
		api_reply(resp, 200, json_pack("{s:i}", "cleared", rc));
		return;
	}
	if (mac_parse(sub, mac) < 0) {
		api_error(resp, 400, "bad mac '%.40s'", sub);
		return;
	}
	mac_format(mac, m);
	rc = db_discovered_delete(ctx->db, mac);
	if (rc == -ENOENT) {
		api_error(resp, 404, "no discovered machine with mac %s", m);
		return;
	}
	if (rc < 0) {
		api_error(resp, 500, "cannot forget discovered mac %s", m);
		return;
	}
	log_info("discovered machine mac %s forgotten", m);
	api_reply(resp, 200, json_pack("{s:i, s:s}", "cleared", 1, "mac", m));
}

void api_discovered(struct api_ctx *ctx, const struct api_request *req,
		    const char *sub, struct api_response *resp)
{
	struct db_discovered *all;
	size_t n;
	json_t *arr;

	if (strcmp(req->method, "DELETE") == 0) {
		discovered_clear(ctx, sub, resp);
		return;
	}
	if (strcmp(req->method, "GET") != 0 || *sub) {
		api_error(resp, 405, "only GET and DELETE on /v1/discovered, DELETE on /v1/discovered/MAC");
		return;
	}
	if (db_discovered_list(ctx->db, &all, &n) < 0) {
		api_error(resp, 500, "cannot list discovered machines");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		char m[MAC_STR_LEN], ip[16];

		mac_format(all[i].mac, m);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:I, s:o?, s:o?, s:I, s:I}",
			"mac", m, "ip", api_ip_str(all[i].ip, ip), "cpus", all[i].cpus,
			"memory_mb", (json_int_t)all[i].memory_mb,
			"nics", json_loads(all[i].nics_json, 0, NULL),
			"info", json_loads(all[i].info_json, 0, NULL),
			"first_seen", (json_int_t)all[i].first_seen,
			"last_seen", (json_int_t)all[i].last_seen));
	}
	db_discovered_free_list(all, n);
	api_reply(resp, 200, json_pack("{s:o}", "discovered", arr));
}
