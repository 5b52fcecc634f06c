/* confignode/api_storage*.c driven through api_handle() (no sockets): pairs
 * and volumes with every refusal naming the bad value, the storage nodes'
 * endpoints with their MAC-and-address rule, a volume's state following
 * what the nodes observe (creating -> degraded -> ready -> resyncing), and
 * the fence: the first asker is granted, the second refused naming the
 * holder, the loser's desired state stops exporting until it resynced. */
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
#include "../../confignode/storage_wait.h"

static int setup(void **state)
{
	struct fx *f = fx_open("test_api_storage");

	if (!f)
		return -1;
	fx_add_node(f->ctx.db, "sn1", 1, ROLE_STORAGE, NODE_BOOTED);
	fx_add_node(f->ctx.db, "sn2", 2, ROLE_STORAGE, NODE_BOOTED);
	fx_add_node(f->ctx.db, "sn3", 3, ROLE_STORAGE, NODE_BOOTED);
	fx_add_node(f->ctx.db, "hw1", 4, ROLE_HW, NODE_BOOTED);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return fx_close(*state);
}

static const char *vol_state(struct fx *f, const char *name)
{
	static char s[32];
	char path[96];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/volumes/%s", name);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", path, NULL, &r), 200);
	snprintf(s, sizeof(s), "%s", json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return s;
}

/* Node i's desired state, decoded by the agent's own decoder. */
static void desired(struct fx *f, int i, struct smsg_desired *d)
{
	char path[64], *text, err[SMSG_ERR_MAX];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/storage/desired/52:54:00:aa:00:%02x", i);
	assert_int_equal(req(f, API_REPORT, IP(10 + (uint32_t)i), "GET", path, NULL, &r), 200);
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (smsg_desired_decode(text, strlen(text), d, err) < 0)
		fail_msg("desired of sn%d: %s", i, err);
	free(text);
}

static void test_pairs(void **state)
{
	struct fx *f = *state;
	json_t *r, *nodes;

	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn1\"]}", 400,
		"node sn1 given twice");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"hw1\"]}", 409,
		"node hw1 has role hw, not storage");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn9\"]}", 404,
		"node sn9 does not exist");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"P_1\",\"nodes\":[\"sn1\",\"sn2\"]}", 400,
		"bad pair name 'P_1'");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\"]}", 400,
		"array of two node names");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"],\"x\":1}", 400,
		"unknown field 'x'");
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/pairs",
			     "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", &r), 201);
	nodes = json_object_get(r, "nodes");
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0),
			    "replication_address")), "10.78.0.1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1),
			    "replication_address")), "10.78.0.2");
	json_decref(r);
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn3\",\"sn2\"]}", 409,
		"pair p1 already exists");
	REFUSED("POST", "/v1/pairs", "{\"name\":\"p2\",\"nodes\":[\"sn3\",\"sn2\"]}", 409,
		"node sn2 is already in pair p1");
	REFUSED("GET", "/v1/pairs/p9", NULL, 404, "pair p9 does not exist");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/pairs", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "pairs")), 1);
	json_decref(r);
	ADMIN_OK("DELETE", "/v1/pairs/p1", NULL, 200);
	REFUSED("DELETE", "/v1/pairs/p1", NULL, 404, "pair p1 does not exist");
	/* the nodes are free again */
	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p2\",\"nodes\":[\"sn3\",\"sn2\"]}", 201);
}

static void test_volumes(void **state)
{
	struct fx *f = *state;
	static const struct vobs none[1];
	json_t *r;

	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1073741824}", 409,
		"there is no storage pair");
	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	/* nothing observed yet: no space anywhere */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1073741824}", 507,
		"no pair has 1G free: the most is 0, on pair p1");
	assert_int_equal(sn_observe(f, 1, IP(11), none, 0), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), none, 0), 200);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1000}", 400, "bad size 1000");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\"}", 400, "missing field 'size'");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"Vol\",\"size\":1024}", 400,
		"bad volume name 'Vol'");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1024,\"pair\":\"p9\"}", 404,
		"pair p9 does not exist");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":214748364800}", 507,
		"no pair has 200G free: the most is 90G, on pair p1");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":214748364800,\"pair\":\"p1\"}",
		507, "pair p1 has 90G free, 200G asked");

	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"vol1\",\"size\":10737418240}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "creating");
	assert_string_equal(json_string_value(json_object_get(r, "aoe")), "e10.0");
	assert_string_equal(json_string_value(json_object_get(r, "size_h")), "10G");
	assert_int_equal(json_integer_value(json_object_get(r, "port")), 7789);
	json_decref(r);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":1024}", 409,
		"volume vol1 already exists");
	/* promised, not yet observed: 80G left */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"vol2\",\"size\":91268055040}", 507,
		"the most is 80G");
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"vol2\",\"size\":1073741824,\"pair\":\"p1\"}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "aoe")), "e10.1");
	assert_int_equal(json_integer_value(json_object_get(r, "minor")), 1);
	json_decref(r);

	/* grow */
	REFUSED("PATCH", "/v1/volumes/vol1", "{\"size\":5368709120}", 409,
		"volume vol1 is 10G: it can only grow (asked 5G)");
	REFUSED("PATCH", "/v1/volumes/vol1", "{\"size\":214748364800}", 507, "needs 190G more");
	REFUSED("PATCH", "/v1/volumes/nosuch", "{\"size\":1024}", 404, "volume nosuch does not exist");
	assert_int_equal(req(f, API_ADMIN, 0, "PATCH", "/v1/volumes/vol1",
			     "{\"size\":21474836480}", &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "size_h")), "20G");
	json_decref(r);

	/* snapshots */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"snap1\",\"origin\":\"nosuch\"}", 404,
		"volume nosuch does not exist");
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"snap1\",\"origin\":\"vol1\"}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "snapshot");
	assert_string_equal(json_string_value(json_object_get(r, "size_h")), "20G");
	assert_string_equal(json_string_value(json_object_get(r, "aoe")), "e10.2");
	json_decref(r);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"snap1\",\"origin\":\"vol1\"}", 409,
		"volume snap1 already exists (a snapshot on pair p1)");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"snap2\",\"origin\":\"snap1\"}", 409,
		"snap1 is a snapshot (of vol1)");
	REFUSED("PATCH", "/v1/volumes/snap1", "{\"size\":42949672960}", 409, "cannot grow");
	REFUSED("DELETE", "/v1/volumes/vol1", NULL, 409, "volume vol1 is in use by snapshot snap1");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/vol1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "used_by"), 0), "name")), "snap1");
	json_decref(r);
	REFUSED("DELETE", "/v1/pairs/p1", NULL, 409,
		"pair p1 holds 3 volumes (snap1, vol1, vol2): delete them first");

	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "volumes")), 3);
	json_decref(r);

	/* an image naming vol2 (e10.1) as its root, booted by hw1: vol2 is in
	 * use; an image naming e10.3 keeps that address from new volumes */
	ADMIN_OK("POST", "/v1/images", "{\"name\":\"xen1\",\"kernel\":\"k\",\"xen\":\"x\","
		 "\"cmdline\":\"console=hvc0 nimbus.root=e10.1\"}", 201);
	ADMIN_OK("POST", "/v1/images", "{\"name\":\"other\",\"kernel\":\"k\","
		 "\"cmdline\":\"nimbus.root=e10.3\"}", 201);
	{
		struct db_node n;

		assert_int_equal(db_node_get(f->ctx.db, "hw1", &n), 0);
		snprintf(n.image, sizeof(n.image), "xen1");
		assert_int_equal(db_node_update(f->ctx.db, "hw1", &n), 0);
	}
	REFUSED("DELETE", "/v1/volumes/vol2", NULL, 409,
		"volume vol2 is in use: image xen1 names it as its root (nimbus.root=e10.1), booted by: hw1");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/vol2", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "used_by"), 0), "kind")), "image-root");
	json_decref(r);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"vol3\",\"size\":1048576}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "aoe")), "e10.4");
	json_decref(r);
	ADMIN_OK("DELETE", "/v1/volumes/vol3", NULL, 200);
	{
		struct prov_image img;

		/* (straight into the database: image set would regenerate the
		 * provisioning files, which this test does not have) */
		assert_int_equal(db_image_get(f->ctx.db, "xen1", &img), 0);
		snprintf(img.cmdline, sizeof(img.cmdline), "console=hvc0");
		assert_int_equal(db_image_update(f->ctx.db, &img), 0);
	}
	ADMIN_OK("DELETE", "/v1/volumes/snap1", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/vol1", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/vol2", NULL, 200);
	REFUSED("DELETE", "/v1/volumes/vol2", NULL, 404, "volume vol2 does not exist");
	ADMIN_OK("DELETE", "/v1/pairs/p1", NULL, 200);
}

static void test_node_endpoints(void **state)
{
	struct fx *f = *state;
	struct smsg_desired d;
	static const struct vobs none[1];
	char body[256];

	/* wrong address, unknown mac, a name that is not the node's, bad JSON */
	refused_r(f, API_REPORT, IP(99), "GET", "/v1/storage/desired/52:54:00:aa:00:01", NULL, 403,
		"belongs to node sn1 at 10.77.0.11, not 10.77.0.99", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "GET", "/v1/storage/desired/52:54:00:aa:00:77", NULL, 404,
		"is not a node", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "GET", "/v1/storage/desired/zz", NULL, 400, "bad mac 'zz'",
		NULL, __LINE__);
	refused_r(f, API_REPORT, IP(14), "GET", "/v1/storage/desired/52:54:00:aa:00:04", NULL, 403,
		"node hw1 has role hw, not storage", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "POST", "/v1/storage/desired/52:54:00:aa:00:01", NULL, 405,
		"GET only", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "POST", "/v1/storage/observed", "{\"mac\":1}", 400,
		"bad observed state", NULL, __LINE__);
	snprintf(body, sizeof(body), "{\"mac\":\"52:54:00:aa:00:01\",\"node\":\"sn2\","
		 "\"volume\":\"vol1\"}");
	refused_r(f, API_REPORT, IP(11), "POST", "/v1/storage/fence", body, 403,
		"node sn1 cannot speak for node sn2", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "GET", "/v1/storage/other", NULL, 404, "no such endpoint",
		NULL, __LINE__);
	/* the admin endpoints stay off the report listener */
	refused_r(f, API_REPORT, IP(11), "GET", "/v1/volumes", NULL, 404, "no such endpoint",
		NULL, __LINE__);
	assert_int_equal(sn_observe(f, 1, IP(12), none, 0), 403);

	/* an observed state of 100 volumes (23 KB, more than a node report may
	 * be) is taken; one larger than API_STORAGE_BODY_MAX is not */
	{
		struct vobs many[100];
		char names[100][16];
		char *big = calloc(1, API_STORAGE_BODY_MAX + 2);

		for (int k = 0; k < 100; k++) {
			snprintf(names[k], sizeof(names[k]), "v%03d", k);
			many[k] = (struct vobs){ names[k], true, SMSG_DSK_UPTODATE,
						 SMSG_CONN_CONNECTED, 100 };
		}
		assert_int_equal(sn_observe(f, 1, IP(11), many, 100), 200);
		memset(big, ' ', API_STORAGE_BODY_MAX + 1);
		big[0] = '{';
		refused_r(f, API_REPORT, IP(11), "POST", "/v1/storage/observed", big, 413,
			"larger than", NULL, __LINE__);
		free(big);
	}
	assert_int_equal(api_body_max(API_REPORT, "/v1/report"), API_REPORT_BODY_MAX);

	/* a node in no pair: an empty desired state */
	desired(f, 1, &d);
	assert_string_equal(d.node, "sn1");
	assert_string_equal(d.pair, "");
	assert_int_equal(d.generation, 1);
	smsg_desired_free(&d);
	/* the query form answers the same */
	assert_int_equal(req(f, API_REPORT, IP(11), "GET",
			     "/v1/storage/desired?mac=52:54:00:aa:00:01", NULL, NULL), 200);
}

static void test_state_and_fence(void **state)
{
	struct fx *f = *state;
	struct smsg_desired d;
	const struct vobs none[1] = { 0 };
	const struct vobs serve_alone = { "vol1", true, SMSG_DSK_UPTODATE, SMSG_CONN_WFCONNECTION, 100 };
	const struct vobs serve = { "vol1", true, SMSG_DSK_UPTODATE, SMSG_CONN_CONNECTED, 100 };
	const struct vobs src = { "vol1", true, SMSG_DSK_UPTODATE, SMSG_CONN_SYNCSOURCE, 37.5 };
	const struct vobs tgt = { "vol1", false, SMSG_DSK_INCONSISTENT, SMSG_CONN_SYNCTARGET, 37.5 };
	const struct vobs outdated = { "vol1", false, SMSG_DSK_OUTDATED, SMSG_CONN_WFCONNECTION, 100 };
	const char *sn1_asks = "{\"mac\":\"52:54:00:aa:00:01\",\"node\":\"sn1\",\"volume\":\"vol1\"}";
	const char *sn2_asks = "{\"mac\":\"52:54:00:aa:00:02\",\"node\":\"sn2\",\"volume\":\"vol1\"}";
	uint64_t gen1, gen2;
	json_t *r;

	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	assert_int_equal(sn_observe(f, 1, IP(11), none, 0), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), none, 0), 200);
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"vol1\",\"size\":10737418240}", 201);
	assert_string_equal(vol_state(f, "vol1"), "creating");

	desired(f, 1, &d);
	assert_string_equal(d.pair, "p1");
	assert_string_equal(d.peer, "sn2");
	assert_int_equal(d.n_volumes, 1);
	assert_true(d.volumes[0].export);
	assert_non_null(strstr(d.volumes[0].resource, "on sn1 {\n\t\taddress ipv4 10.78.0.1:7789;"));
	gen1 = d.generation;
	smsg_desired_free(&d);

	assert_int_equal(sn_observe(f, 1, IP(11), &serve_alone, 1), 200);
	assert_string_equal(vol_state(f, "vol1"), "degraded");
	assert_int_equal(sn_observe(f, 2, IP(12), &serve, 1), 200);
	assert_int_equal(sn_observe(f, 1, IP(11), &serve, 1), 200);
	assert_string_equal(vol_state(f, "vol1"), "ready");
	assert_int_equal(sn_observe(f, 1, IP(11), &src, 1), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), &tgt, 1), 200);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/vol1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "resyncing");
	assert_true(json_real_value(json_object_get(r, "sync_percent")) == 37.5);
	json_decref(r);

	/* growing reaches both nodes: a new generation with the new size */
	desired(f, 1, &d);
	gen1 = d.generation;
	smsg_desired_free(&d);
	ADMIN_OK("PATCH", "/v1/volumes/vol1", "{\"size\":16106127360}", 200);
	desired(f, 1, &d);
	assert_true(d.generation > gen1);
	assert_int_equal(d.volumes[0].size_bytes, 15 * G);
	gen1 = d.generation;
	smsg_desired_free(&d);

	/* sn2's report goes stale (lost-after 60): sn1 alone serves */
	assert_int_equal(sn_observe(f, 1, IP(11), &serve_alone, 1), 200);
	clock_now += 30;
	assert_int_equal(sn_observe(f, 1, IP(11), &serve_alone, 1), 200);
	clock_now += 31;
	assert_string_equal(vol_state(f, "vol1"), "degraded");

	/* the link is lost: sn2 (Inconsistent) cannot win; sn1 asks first and
	 * wins; sn2 asks next and is refused, naming sn1 */
	assert_int_equal(sn_observe(f, 2, IP(12), &tgt, 1), 200);
	assert_int_equal(req(f, API_REPORT, IP(12), "POST", "/v1/storage/fence", sn2_asks, &r), 200);
	assert_false(json_boolean_value(json_object_get(r, "granted")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "reason")), "Inconsistent"));
	json_decref(r);
	assert_int_equal(sn_observe(f, 2, IP(12), &serve_alone, 1), 200);
	assert_int_equal(req(f, API_REPORT, IP(11), "POST", "/v1/storage/fence", sn1_asks, &r), 200);
	assert_true(json_boolean_value(json_object_get(r, "granted")));
	json_decref(r);
	assert_int_equal(req(f, API_REPORT, IP(12), "POST", "/v1/storage/fence", sn2_asks, &r), 200);
	assert_false(json_boolean_value(json_object_get(r, "granted")));
	assert_non_null(strstr(json_string_value(json_object_get(r, "reason")), "sn1 holds vol1"));
	json_decref(r);
	/* the handler may ask again: the holder stays granted */
	assert_int_equal(req(f, API_REPORT, IP(11), "POST", "/v1/storage/fence", sn1_asks, &r), 200);
	assert_true(json_boolean_value(json_object_get(r, "granted")));
	json_decref(r);

	desired(f, 2, &d);
	assert_false(d.volumes[0].export);
	gen2 = d.generation;
	smsg_desired_free(&d);
	desired(f, 1, &d);
	assert_true(d.volumes[0].export);
	assert_true(d.generation > gen1);
	smsg_desired_free(&d);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/vol1", NULL, &r), 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "fence"), "node")),
			    "sn1");
	json_decref(r);

	/* sn2 outdated, then resynced and connected: the fence is released and
	 * sn2 exports again */
	assert_int_equal(sn_observe(f, 2, IP(12), &outdated, 1), 200);
	assert_string_equal(vol_state(f, "vol1"), "degraded");
	/* Connected reports not converged to the generation the grant
	 * bumped (taken before it, arriving late) keep the fence. */
	assert_int_equal(sn_observe(f, 1, IP(11), &serve, 1), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), &serve, 1), 200);
	desired(f, 2, &d);
	assert_false(d.volumes[0].export);
	sn_generation = d.generation;
	smsg_desired_free(&d);
	desired(f, 1, &d);
	if (d.generation > sn_generation)
		sn_generation = d.generation;
	smsg_desired_free(&d);
	assert_int_equal(sn_observe(f, 1, IP(11), &serve, 1), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), &serve, 1), 200);
	sn_generation = 1;
	desired(f, 2, &d);
	assert_true(d.volumes[0].export);
	assert_true(d.generation > gen2);
	smsg_desired_free(&d);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/vol1", NULL, &r), 200);
	assert_true(json_is_null(json_object_get(r, "fence")));
	json_decref(r);

	/* a node not of the volume's pair may not fence it */
	refused_r(f, API_REPORT, IP(13), "POST", "/v1/storage/fence",
		"{\"mac\":\"52:54:00:aa:00:03\",\"node\":\"sn3\",\"volume\":\"vol1\"}", 403,
		"volume vol1 is on pair p1, not node sn3's", NULL, __LINE__);
	refused_r(f, API_REPORT, IP(11), "POST", "/v1/storage/fence",
		"{\"mac\":\"52:54:00:aa:00:01\",\"node\":\"sn1\",\"volume\":\"vol9\"}", 404,
		"volume vol9 does not exist", NULL, __LINE__);

	/* after being ready, no node serving is failure, not creation */
	clock_now += 120;
	assert_string_equal(vol_state(f, "vol1"), "failed");
}

/* Long-poll: GET /v1/storage/desired/MAC/GEN is held while the node's
 * generation is GEN, answered when a change bumps it or the hold runs out;
 * an agent that is behind, a bad GEN or a wrong source address are
 * answered at once. */
static int64_t mono_now;
static int64_t fake_mono(void)
{
	return mono_now;
}

struct later {
	int calls;
	struct api_response resp;
};

static void on_later(void *arg, struct api_response *resp)
{
	struct later *l = arg;

	l->calls++;
	l->resp = *resp;
}

static int held_get(struct fx *f, uint32_t peer, const char *path, struct later *l,
		    json_t **reply)
{
	struct api_request rq = { .origin = API_REPORT, .method = "GET", .path = path,
				  .peer_ip = peer, .reply_later = on_later, .reply_arg = l };
	struct api_response resp = { 0 };

	api_handle(&f->ctx, &rq, &resp);
	if (reply)
		*reply = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

static void test_long_poll(void **state)
{
	static struct storage_wait sw;
	struct fx *f = *state;
	struct later l1 = { 0 }, l2 = { 0 };
	json_t *r = NULL;

	memset(&sw, 0, sizeof(sw));
	f->ctx.swait = &sw;
	f->ctx.now_ms = fake_mono;
	mono_now = 1000;
	/* sn1 has generation 1: /1 is held, /0 answered at once */
	assert_int_equal(held_get(f, IP(11), "/v1/storage/desired/52:54:00:aa:00:01/1", &l1, NULL),
			 API_PENDING);
	assert_int_equal(held_get(f, IP(11), "/v1/storage/desired/52:54:00:aa:00:01/0", &l2, &r),
			 200);
	assert_int_equal(json_integer_value(json_object_get(r, "generation")), 1);
	json_decref(r);
	/* only the node itself, from its own address, may wait */
	assert_int_equal(held_get(f, IP(99), "/v1/storage/desired/52:54:00:aa:00:01/1", &l2, NULL),
			 403);
	assert_int_equal(held_get(f, IP(11), "/v1/storage/desired/52:54:00:aa:00:01/x", &l2, NULL),
			 400);
	assert_int_equal(held_get(f, IP(11), "/v1/storage/desired/52:54:00:aa:00:01/-1", &l2, NULL),
			 400);
	assert_int_equal(held_get(f, IP(11), "/v1/storage/desired/52:54:00:aa:00:01/1/2", &l2, NULL),
			 404);
	assert_int_equal(l2.calls, 0);
	/* nothing changed: still held */
	assert_int_equal(api_storage_wait_run(&f->ctx, false), 0);
	assert_int_equal(api_storage_wait_timeout_ms(&f->ctx), SWAIT_HOLD_MS);
	assert_int_equal(l1.calls, 0);
	/* a pair with sn1 bumps its generation: the waiter gets the new state */
	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	assert_int_equal(api_storage_wait_run(&f->ctx, false), 1);
	assert_int_equal(l1.calls, 1);
	assert_int_equal(l1.resp.status, 200);
	assert_true(json_integer_value(json_object_get(l1.resp.body, "generation")) > 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(l1.resp.body, "pair"),
								"name")), "p1");
	json_decref(l1.resp.body);
	/* the hold runs out: the same generation again */
	memset(&l1, 0, sizeof(l1));
	assert_int_equal(held_get(f, IP(12), "/v1/storage/desired/52:54:00:aa:00:02/2", &l1, NULL),
			 API_PENDING);
	mono_now += SWAIT_HOLD_MS - 1;
	assert_int_equal(api_storage_wait_run(&f->ctx, false), 0);
	mono_now += 1;
	assert_int_equal(api_storage_wait_run(&f->ctx, false), 1);
	assert_int_equal(l1.calls, 1);
	assert_int_equal(json_integer_value(json_object_get(l1.resp.body, "generation")), 2);
	json_decref(l1.resp.body);
	/* a shutdown answers every held request */
	memset(&l1, 0, sizeof(l1));
	assert_int_equal(held_get(f, IP(12), "/v1/storage/desired/52:54:00:aa:00:02/2", &l1, NULL),
			 API_PENDING);
	assert_int_equal(api_storage_wait_run(&f->ctx, true), 1);
	assert_int_equal(l1.resp.status, 200);
	json_decref(l1.resp.body);
	assert_int_equal(api_storage_wait_timeout_ms(&f->ctx), -1);
}

/* POST /v1/volumes with "import": the file checked, the size taken from it
 * or checked against it, the state importing, and what an importing
 * volume refuses. */
static void test_import(void **state)
{
	struct fx *f = *state;
	static const struct vobs none[1];
	char body[512], file[160];
	json_t *r;
	FILE *fp;

	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	assert_int_equal(sn_observe(f, 1, IP(11), none, 0), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), none, 0), 200);
	snprintf(file, sizeof(file), "%s/t.img", f->dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	for (int i = 0; i < 1500000; i++)
		fputc(i & 0xff, fp);
	fclose(fp);
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\"}", file);
	REFUSED("POST", "/v1/volumes", body, 409, "volume import needs aoe-interface");
	snprintf(f->cfg.aoe_interface, sizeof(f->cfg.aoe_interface), "eth1");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"img\",\"import\":\"rel.img\"}", 400,
		"import: bad file 'rel.img'");
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s/nosuch\"}", f->dir);
	REFUSED("POST", "/v1/volumes", body, 400, "nosuch: No such file or directory");
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\"}", f->dir);
	REFUSED("POST", "/v1/volumes", body, 400, "not a regular file");
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\",\"size\":1048576}", file);
	REFUSED("POST", "/v1/volumes", body, 400,
		"the file is 1.4M (1500000 bytes), larger than the size asked, 1M");
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\",\"origin\":\"x\"}", file);
	REFUSED("POST", "/v1/volumes", body, 400, "a snapshot is its origin's copy: no 'import'");
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\"}", file);
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes", body, &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "importing");
	assert_int_equal(json_integer_value(json_object_get(r, "size")), 2097152);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "import"), "file")),
			    file);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "import"), "total")),
			 1500000);
	json_decref(r);
	REFUSED("POST", "/v1/volumes", body, 409, "volume img already exists");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"snap\",\"origin\":\"img\"}", 409,
		"volume img is being imported: it cannot be snapshotted until the import is done");
	REFUSED("POST", "/v1/images", "{\"name\":\"x1\",\"kernel\":\"k\",\"cmdline\":\"nimbus.root=e10.0\"}",
		409, "image x1 cannot name volume img (nimbus.root=e10.0) as its root: it is being imported");
	ADMIN_OK("DELETE", "/v1/volumes/img", NULL, 200);
}

/* POST /v1/volumes with "clone_of": refused for each reason, naming the
 * value (no such origin, a snapshot, an import, not in sync on both nodes,
 * smaller than the origin, no room); accepted on the origin's pair with
 * its own address, minor and port; the nodes' desired state has it as a
 * clone with its origin and its own resource; the origin is in use. */
static void test_clone(void **state)
{
	struct fx *f = *state;
	static const struct vobs none[1];
	const struct vobs tmpl_ok = { "tmpl", true, SMSG_DSK_UPTODATE, SMSG_CONN_CONNECTED, 100 };
	const struct vobs tmpl_alone = { "tmpl", true, SMSG_DSK_UPTODATE, SMSG_CONN_WFCONNECTION, 100 };
	const struct vobs tmpl_out = { "tmpl", false, SMSG_DSK_OUTDATED, SMSG_CONN_WFCONNECTION, 100 };
	const struct vobs both_ok[2] = { tmpl_ok, { "web1", true, SMSG_DSK_UPTODATE,
						     SMSG_CONN_CONNECTED, 100 } };
	struct smsg_desired d;
	const struct smsg_want_volume *w = NULL;
	char body[512], file[160];
	json_t *r, *u;
	FILE *fp;

	ADMIN_OK("POST", "/v1/pairs", "{\"name\":\"p1\",\"nodes\":[\"sn1\",\"sn2\"]}", 201);
	assert_int_equal(sn_observe(f, 1, IP(11), none, 0), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), none, 0), 200);
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"tmpl\",\"size\":10737418240}", 201);

	/* requests that cannot be a clone */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"origin\":\"tmpl\"}",
		400, "give 'origin' (a snapshot) or 'clone_of' (a clone), not both");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"pair\":\"p1\"}",
		400, "a clone goes on its origin's pair: no 'pair'");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"import\":\"/x\"}",
		400, "a clone is its origin's copy: no 'import'");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"size\":1000}",
		400, "bad size 1000");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"Web1\",\"clone_of\":\"tmpl\"}", 400,
		"bad volume name 'Web1'");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"nosuch\"}", 404,
		"volume nosuch does not exist");

	/* the origin must be Connected and UpToDate/UpToDate on both nodes */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", 409,
		"volume tmpl cannot be cloned now: sn1 does not report it");
	assert_int_equal(sn_observe(f, 1, IP(11), &tmpl_alone, 1), 200);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", 409,
		"volume tmpl cannot be cloned now: sn1 reports it UpToDate/DUnknown, WFConnection (a clone"
		" needs it Connected and UpToDate/UpToDate on both nodes of pair p1)");
	assert_int_equal(sn_observe(f, 1, IP(11), &tmpl_ok, 1), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), &tmpl_out, 1), 200);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", 409,
		"sn2 reports it Outdated/DUnknown, WFConnection");
	/* sn2's report goes stale (lost-after 60): it no longer counts */
	assert_int_equal(sn_observe(f, 2, IP(12), &tmpl_ok, 1), 200);
	clock_now += 61;
	assert_int_equal(sn_observe(f, 1, IP(11), &tmpl_ok, 1), 200);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", 409,
		"sn2 does not report it");
	assert_int_equal(sn_observe(f, 2, IP(12), &tmpl_ok, 1), 200);
	assert_string_equal(vol_state(f, "tmpl"), "ready");

	/* size and room */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"size\":1073741824}",
		400, "a clone of tmpl is at least its size, 10G (asked 1G)");
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\",\"size\":214748364800}",
		507, "pair p1 has 90G free, 200G asked");

	/* what cannot be cloned: a snapshot, an import not done */
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"s1\",\"origin\":\"tmpl\"}", 201);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"s1\"}", 409,
		"s1 is a snapshot (of tmpl): clone the volume itself");
	snprintf(f->cfg.aoe_interface, sizeof(f->cfg.aoe_interface), "eth1");
	snprintf(file, sizeof(file), "%s/t.img", f->dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("template", fp);
	fclose(fp);
	snprintf(body, sizeof(body), "{\"name\":\"img\",\"import\":\"%s\"}", file);
	ADMIN_OK("POST", "/v1/volumes", body, 201);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"img\"}", 409,
		"volume img is being imported: it cannot be cloned until the import is done");
	ADMIN_OK("DELETE", "/v1/volumes/img", NULL, 200);

	/* accepted: the origin's size, or larger; its own address, minor and
	 * port; creating until both nodes serve it */
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "clone");
	assert_string_equal(json_string_value(json_object_get(r, "origin")), "tmpl");
	assert_string_equal(json_string_value(json_object_get(r, "pair")), "p1");
	assert_string_equal(json_string_value(json_object_get(r, "size_h")), "10G");
	assert_string_equal(json_string_value(json_object_get(r, "state")), "creating");
	assert_string_equal(json_string_value(json_object_get(r, "aoe")), "e10.2");
	/* (tmpl has minor 0, s1 minor 1: a snapshot is given one too) */
	assert_int_equal(json_integer_value(json_object_get(r, "minor")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "port")), 7791);
	json_decref(r);
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web1\",\"clone_of\":\"tmpl\"}", 409,
		"volume web1 already exists (a clone on pair p1)");
	assert_int_equal(req(f, API_ADMIN, 0, "POST", "/v1/volumes",
			     "{\"name\":\"web2\",\"clone_of\":\"tmpl\",\"size\":21474836480}", &r), 201);
	assert_string_equal(json_string_value(json_object_get(r, "size_h")), "20G");
	assert_int_equal(json_integer_value(json_object_get(r, "minor")), 3);
	json_decref(r);
	/* s1, web1 and web2 are promised, not yet observed: 50G left (a
	 * clone counts its whole size, as a new volume does) */
	REFUSED("POST", "/v1/volumes", "{\"name\":\"web3\",\"clone_of\":\"tmpl\",\"size\":75161927680}",
		507, "pair p1 has 50G free, 70G asked");

	/* the agents are told: a clone of tmpl, replicated with its own
	 * resource file */
	desired(f, 1, &d);
	for (size_t i = 0; i < d.n_volumes; i++)
		if (strcmp(d.volumes[i].name, "web1") == 0)
			w = &d.volumes[i];
	assert_non_null(w);
	assert_int_equal(w->kind, SMSG_VOLUME_CLONE);
	assert_string_equal(w->origin, "tmpl");
	assert_int_equal(w->size_bytes, 10 * G);
	assert_int_equal(w->minor, 2);
	assert_int_equal(w->port, 7791);
	assert_true(w->export);
	assert_non_null(strstr(w->resource, "resource web1 {"));
	assert_non_null(strstr(w->resource, "disk /dev/nimbus/web1;"));
	assert_non_null(strstr(w->resource, "address ipv4 10.78.0.2:7791;"));
	smsg_desired_free(&d);

	/* it is a replicated volume: ready once both nodes serve it, then
	 * it can be cloned in turn and it grows */
	assert_int_equal(sn_observe(f, 1, IP(11), both_ok, 2), 200);
	assert_int_equal(sn_observe(f, 2, IP(12), both_ok, 2), 200);
	assert_string_equal(vol_state(f, "web1"), "ready");
	ADMIN_OK("POST", "/v1/volumes", "{\"name\":\"web1-copy\",\"clone_of\":\"web1\"}", 201);
	ADMIN_OK("PATCH", "/v1/volumes/web1", "{\"size\":16106127360}", 200);

	/* the origin is in use by its clones and its snapshot */
	REFUSED("DELETE", "/v1/volumes/tmpl", NULL, 409,
		"volume tmpl is in use by clones web1, web2 and snapshot s1: delete them first");
	REFUSED("DELETE", "/v1/volumes/web1", NULL, 409,
		"volume web1 is in use by clone web1-copy: delete it first");
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes/tmpl", NULL, &r), 200);
	u = json_object_get(r, "used_by");
	assert_int_equal(json_array_size(u), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "name")), "s1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 0), "kind")), "snapshot");
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 1), "name")), "web1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(u, 1), "kind")), "clone");
	json_decref(r);
	assert_int_equal(req(f, API_ADMIN, 0, "GET", "/v1/volumes", NULL, &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "volumes")), 5);
	json_decref(r);
	ADMIN_OK("DELETE", "/v1/volumes/web1-copy", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/web1", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/web2", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/s1", NULL, 200);
	ADMIN_OK("DELETE", "/v1/volumes/tmpl", NULL, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_and_fence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
