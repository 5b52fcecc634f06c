/* The storage agent's messages (lib/agent/storage_msg.c): every message
 * survives encode -> decode unchanged, encoders refuse what decoders would
 * refuse, and a table of bad messages is refused with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/storage_msg.h"

static const char RES[] = "resource vol1 {\n\tprotocol C;\n}\n";

static void want_plain(struct smsg_want_volume *v, const char *name, unsigned minor)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->kind = SMSG_VOLUME_PLAIN;
	v->size_bytes = 1ULL << 30;
	v->shelf = 7;
	v->slot = (uint8_t)minor;
	v->minor = minor;
	v->port = (uint16_t)(7800 + minor);
	v->export = true;
	snprintf(v->resource, sizeof(v->resource), "%s", RES);
}

static void desired_fixture(struct smsg_desired *d, struct smsg_want_volume v[4])
{
	memset(d, 0, sizeof(*d));
	strcpy(d->node, "sn1");
	d->generation = 42;
	strcpy(d->pair, "p1");
	strcpy(d->peer, "sn2");
	inet_pton(AF_INET, "10.78.1.1", &d->repl_self);
	inet_pton(AF_INET, "10.78.1.2", &d->repl_peer);
	want_plain(&v[0], "vol1", 0);
	want_plain(&v[1], "root-hw1", 1);
	v[1].export = false;
	memset(&v[2], 0, sizeof(v[2]));
	strcpy(v[2].name, "vol1-snap");
	v[2].kind = SMSG_VOLUME_SNAPSHOT;
	strcpy(v[2].origin, "vol1");
	v[2].size_bytes = 1ULL << 30;
	v[2].shelf = 7;
	v[2].slot = 9;
	v[2].export = true;
	/* a clone: replicated like a volume (port, resource), with an origin */
	want_plain(&v[3], "web1-disk", 2);
	v[3].kind = SMSG_VOLUME_CLONE;
	strcpy(v[3].origin, "vol1");
	v[3].size_bytes = 2ULL << 30;
	d->volumes = v;
	d->n_volumes = 4;
}

static void test_desired_round_trip(void **state)
{
	struct smsg_want_volume v[4];
	struct smsg_desired d, back;
	char err[SMSG_ERR_MAX], *json;

	(void)state;
	desired_fixture(&d, v);
	assert_int_equal(smsg_desired_encode(&d, &json), 0);
	assert_int_equal(smsg_desired_decode(json, strlen(json), &back, err), 0);
	assert_string_equal(back.node, "sn1");
	assert_true(back.generation == 42);
	assert_string_equal(back.pair, "p1");
	assert_string_equal(back.peer, "sn2");
	assert_int_equal(back.repl_self.s_addr, d.repl_self.s_addr);
	assert_int_equal(back.repl_peer.s_addr, d.repl_peer.s_addr);
	assert_int_equal(back.n_volumes, 4);
	assert_int_equal(back.volumes[3].kind, SMSG_VOLUME_CLONE);
	assert_string_equal(back.volumes[3].origin, "vol1");
	assert_non_null(strstr(json, "\"kind\":\"clone\""));
	for (size_t i = 0; i < 4; i++)
		assert_memory_equal(&back.volumes[i], &v[i], sizeof(v[i]));
	smsg_desired_free(&back);
	free(json);
}

static void test_desired_no_pair(void **state)
{
	struct smsg_desired d = { .node = "sn3", .generation = 1 }, back;
	char err[SMSG_ERR_MAX], *json;

	(void)state;
	assert_int_equal(smsg_desired_encode(&d, &json), 0);
	assert_non_null(strstr(json, "\"pair\":null"));
	assert_int_equal(smsg_desired_decode(json, strlen(json), &back, err), 0);
	assert_string_equal(back.pair, "");
	assert_int_equal(back.n_volumes, 0);
	assert_null(back.volumes);
	smsg_desired_free(&back);
	free(json);
}

/* Each encoder refuses a message its decoder would refuse. */
static void test_desired_encode_refuses(void **state)
{
	struct smsg_want_volume v[4];
	struct smsg_desired d;
	char *json = (char *)1;

	(void)state;
	desired_fixture(&d, v);
	strcpy(v[0].name, "bad name");
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	assert_null(json);
	desired_fixture(&d, v);
	v[0].size_bytes = 1000;
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	v[2].origin[0] = '\0';
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	v[0].resource[0] = '\0';
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	/* a clone needs its origin, a port and a resource, as a volume does */
	desired_fixture(&d, v);
	v[3].origin[0] = '\0';
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	v[3].port = 0;
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	v[3].resource[0] = '\0';
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	v[0].kind = SMSG_VOLUME_CLONE + 1;
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	strcpy(v[0].origin, "vol9");      /* a plain volume has no origin */
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
	desired_fixture(&d, v);
	d.pair[0] = '\0';
	assert_int_equal(smsg_desired_encode(&d, &json), -EINVAL);
}

struct bad_case {
	const char *json;
	const char *err;   /* a substring of the decoder's message */
};

#define V_OK "\"name\":\"v\",\"kind\":\"volume\",\"origin\":\"\",\"size_bytes\":512," \
	"\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":7800,\"export\":true,\"resource\":\"r\""
#define PAIR_OK "\"pair\":{\"name\":\"p1\",\"peer\":\"sn2\",\"repl_self\":\"10.0.0.1\"," \
	"\"repl_peer\":\"10.0.0.2\"}"
#define D_HEAD "{\"node\":\"sn1\",\"generation\":1," PAIR_OK ","

static const struct bad_case desired_bad[] = {
	{ "", "not JSON" },
	{ "[]", "not a JSON object" },
	{ "{\"node\":\"sn1\",\"node\":\"sn2\"}", "not JSON" },
	{ "{\"generation\":1,\"pair\":null,\"volumes\":[]}", "node: missing" },
	{ "{\"node\":\"-sn1\",\"generation\":1,\"pair\":null,\"volumes\":[]}", "node: '-sn1'" },
	{ "{\"node\":\"sn1\",\"generation\":-1,\"pair\":null,\"volumes\":[]}", "generation: -1 is out of range" },
	{ "{\"node\":\"sn1\",\"generation\":\"1\",\"pair\":null,\"volumes\":[]}", "generation: not an integer" },
	{ "{\"node\":\"sn1\",\"generation\":1,\"volumes\":[]}", "pair: missing" },
	{ "{\"node\":\"sn1\",\"generation\":1,\"pair\":3,\"volumes\":[]}", "pair: not an object" },
	{ "{\"node\":\"sn1\",\"generation\":1,\"pair\":{\"name\":\"p1\",\"peer\":\"sn2\","
	  "\"repl_self\":\"10.0.0.300\",\"repl_peer\":\"10.0.0.2\"},\"volumes\":[]}",
	  "pair.repl_self: '10.0.0.300' is not an IPv4 address" },
	{ "{\"node\":\"sn1\",\"generation\":1,\"pair\":null,\"volumes\":[{" V_OK "}]}",
	  "volumes: a node in no pair has none" },
	{ D_HEAD "\"volumes\":{}}", "volumes: not an array" },
	{ D_HEAD "\"volumes\":[3]}", "volumes[0]: not an object" },
	{ D_HEAD "\"volumes\":[{" V_OK "},{\"name\":\"v2\"}]}", "volumes[1].kind: missing" },
	{ D_HEAD "\"volumes\":[{" V_OK ",\"shelf\":65535}]}", "not JSON" /* duplicate key */ },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":65535,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].shelf: 65535 is out of range 0..65534" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":513,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].size_bytes: 513 is not a positive multiple of 512" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":255,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].slot: 255 is out of range" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"mirror\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].kind: 'mirror' is not one of" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"clone\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].origin: a clone needs the volume it copies" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"clone\",\"origin\":\"t\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":0,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].port: a replicated volume needs one" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"clone\",\"origin\":\"t\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"\"}]}",
	  "volumes[0].resource: a replicated volume needs one" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"origin\":\"t\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].origin: only a snapshot or a clone has one" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"snapshot\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":0,\"export\":true,\"resource\":\"\"}]}",
	  "volumes[0].origin: a snapshot needs the volume it froze" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":0,\"export\":true,\"resource\":\"r\"}]}",
	  "volumes[0].port: a replicated volume needs one" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":1,\"resource\":\"r\"}]}",
	  "volumes[0].export: not true or false" },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\\u0000x\"}]}",
	  "not JSON: \\u0000 is not allowed" /* jansson refuses NUL itself */ },
	{ D_HEAD "\"volumes\":[{\"name\":\"v\",\"kind\":\"volume\",\"size_bytes\":512,"
	  "\"shelf\":1,\"slot\":2,\"minor\":3,\"port\":1,\"export\":true,\"resource\":\"r\\u001b[2J\"}]}",
	  "volumes[0].resource: 'r" },
};

static void test_desired_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(desired_bad) / sizeof(desired_bad[0]); i++) {
		struct smsg_desired d;
		char err[SMSG_ERR_MAX];
		int rc = smsg_desired_decode(desired_bad[i].json, strlen(desired_bad[i].json), &d, err);

		if (rc != -EINVAL || !strstr(err, desired_bad[i].err))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err,
				 desired_bad[i].err);
		smsg_desired_free(&d);
	}
}

static void observed_fixture(struct smsg_observed *o, struct smsg_have_volume v[2])
{
	memset(o, 0, sizeof(*o));
	memcpy(o->mac, (uint8_t[]){ 0x52, 0x54, 0, 0xaa, 0, 0x11 }, MAC_LEN);
	strcpy(o->node, "sn1");
	o->generation = 42;
	o->vg = true;
	o->vg_size = 8ULL << 30;
	o->vg_free = 1ULL << 30;
	o->pool_size = 7ULL << 30;
	o->pool_used = 12345 * 512ULL;
	o->n_disks = 2;
	strcpy(o->disks[0].dev, "/dev/vda");
	o->disks[0].state = SMSG_DISK_CLAIMED;
	o->disks[0].size_bytes = 8ULL << 30;
	strcpy(o->disks[1].dev, "/dev/vdb");
	o->disks[1].state = SMSG_DISK_FOREIGN;
	strcpy(o->disks[1].detail, "dos partition table");
	memset(v, 0, 2 * sizeof(*v));
	strcpy(v[0].name, "vol1");
	v[0].lv = v[0].drbd = v[0].exported = true;
	v[0].size_bytes = 1ULL << 30;
	v[0].role = v[0].peer_role = SMSG_ROLE_PRIMARY;
	v[0].disk = SMSG_DSK_UPTODATE;
	v[0].peer_disk = SMSG_DSK_INCONSISTENT;
	v[0].conn = SMSG_CONN_SYNCSOURCE;
	v[0].sync_percent = 37.5;
	v[0].sync_eta_s = 12;
	strcpy(v[1].name, "vol2");
	v[1].conn = SMSG_CONN_STANDALONE;
	v[1].sync_percent = 100;
	v[1].sync_eta_s = -1;
	strcpy(v[1].error, "lvcreate: Insufficient free space");
	o->volumes = v;
	o->n_volumes = 2;
}

static void test_observed_round_trip(void **state)
{
	struct smsg_have_volume v[2];
	struct smsg_observed o, back;
	char err[SMSG_ERR_MAX], *json;

	(void)state;
	observed_fixture(&o, v);
	assert_int_equal(smsg_observed_encode(&o, &json), 0);
	assert_non_null(strstr(json, "\"conn\":\"SyncSource\""));
	assert_int_equal(smsg_observed_decode(json, strlen(json), &back, err), 0);
	assert_memory_equal(back.mac, o.mac, MAC_LEN);
	assert_string_equal(back.node, "sn1");
	assert_true(back.vg && back.vg_size == o.vg_size && back.vg_free == o.vg_free &&
		    back.pool_size == o.pool_size && back.pool_used == o.pool_used);
	assert_int_equal(back.n_disks, 2);
	assert_memory_equal(back.disks, o.disks, 2 * sizeof(o.disks[0]));
	assert_int_equal(back.n_volumes, 2);
	assert_memory_equal(back.volumes, v, 2 * sizeof(v[0]));
	smsg_observed_free(&back);
	free(json);

	/* the encoder refuses what the decoder would */
	observed_fixture(&o, v);
	v[0].sync_percent = 101;
	assert_int_equal(smsg_observed_encode(&o, &json), -EINVAL);
	observed_fixture(&o, v);
	strcpy(o.disks[0].dev, "/etc/passwd");
	assert_int_equal(smsg_observed_encode(&o, &json), -EINVAL);
	observed_fixture(&o, v);
	strcpy(v[1].error, "two\nlines");
	assert_int_equal(smsg_observed_encode(&o, &json), -EINVAL);
}

#define O_HEAD "{\"mac\":\"52:54:00:aa:00:11\",\"node\":\"sn1\",\"generation\":1,\"vg\":true," \
	"\"vg_size\":10,\"vg_free\":5,\"pool_size\":0,\"pool_used\":0,"
#define OV "\"name\":\"v\",\"lv\":true,\"size_bytes\":512,\"drbd\":true,\"role\":\"Primary\"," \
	"\"peer_role\":\"Secondary\",\"disk\":\"UpToDate\",\"peer_disk\":\"UpToDate\""

static const struct bad_case observed_bad[] = {
	{ "{\"mac\":\"ff:ff:ff:ff:ff:ff\"}", "mac: 'ff:ff:ff:ff:ff:ff' is not a unicast" },
	{ "{\"mac\":\"52:54:00:aa:00:11\",\"node\":\"sn1\",\"generation\":1,\"vg\":true,"
	  "\"vg_size\":10,\"vg_free\":11,\"pool_size\":0,\"pool_used\":0}", "vg_free: larger than vg_size" },
	{ O_HEAD "\"disks\":[{\"dev\":\"/dev/../etc/x\",\"state\":\"blank\",\"size_bytes\":1}],\"volumes\":[]}",
	  "disks[0].dev" },
	{ O_HEAD "\"disks\":[{\"dev\":\"/dev/vda\",\"state\":\"mine\",\"size_bytes\":1}],\"volumes\":[]}",
	  "disks[0].state: 'mine' is not one of" },
	{ O_HEAD "\"disks\":[],\"volumes\":[{" OV ",\"conn\":\"Linked\",\"sync_percent\":1,"
	  "\"sync_eta_s\":1,\"exported\":true}]}", "volumes[0].conn: 'Linked'" },
	{ O_HEAD "\"disks\":[],\"volumes\":[{" OV ",\"conn\":\"Connected\",\"sync_percent\":-1,"
	  "\"sync_eta_s\":1,\"exported\":true}]}", "volumes[0].sync_percent: out of range" },
	{ O_HEAD "\"disks\":[],\"volumes\":[{" OV ",\"conn\":\"Connected\",\"sync_percent\":1,"
	  "\"sync_eta_s\":-2,\"exported\":true}]}", "volumes[0].sync_eta_s: below -1" },
	{ O_HEAD "\"disks\":[],\"volumes\":[{" OV ",\"conn\":\"Connected\",\"sync_percent\":1,"
	  "\"sync_eta_s\":1}]}", "volumes[0].exported: missing" },
};

static void test_observed_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(observed_bad) / sizeof(observed_bad[0]); i++) {
		struct smsg_observed o;
		char err[SMSG_ERR_MAX];
		int rc = smsg_observed_decode(observed_bad[i].json, strlen(observed_bad[i].json), &o, err);

		if (rc != -EINVAL || !strstr(err, observed_bad[i].err))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err,
				 observed_bad[i].err);
		smsg_observed_free(&o);
	}
}

static void test_fence(void **state)
{
	struct smsg_fence_req r = { .mac = { 0x52, 0x54, 0, 0xaa, 0, 0x11 }, .node = "sn1",
				    .volume = "vol1" }, rb;
	struct smsg_fence_reply p = { .granted = false, .reason = "sn2 holds vol1 since 12:00:01" }, pb;
	char err[SMSG_ERR_MAX], *json;

	(void)state;
	assert_int_equal(smsg_fence_req_encode(&r, &json), 0);
	assert_int_equal(smsg_fence_req_decode(json, strlen(json), &rb, err), 0);
	assert_memory_equal(&rb, &r, sizeof(r));
	free(json);
	assert_int_equal(smsg_fence_reply_encode(&p, &json), 0);
	assert_int_equal(smsg_fence_reply_decode(json, strlen(json), &pb, err), 0);
	assert_false(pb.granted);
	assert_string_equal(pb.reason, p.reason);
	free(json);
	{
		const char *no_volume = "{\"mac\":\"52:54:00:aa:00:11\",\"node\":\"sn1\"}";

		assert_int_equal(smsg_fence_req_decode(no_volume, strlen(no_volume), &rb, err),
				 -EINVAL);
	}
	assert_string_equal(err, "volume: missing");
	strcpy(r.volume, "vol 1");
	assert_int_equal(smsg_fence_req_encode(&r, &json), -EINVAL);
}

static void test_words(void **state)
{
	enum smsg_drbd_conn c;
	enum smsg_drbd_disk d;
	enum smsg_drbd_role r;
	enum smsg_volume_kind k;

	(void)state;
	for (unsigned i = 0; i <= SMSG_VOLUME_CLONE; i++) {
		assert_int_equal(smsg_volume_kind_parse(smsg_volume_kind_name(i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_string_equal(smsg_volume_kind_name(SMSG_VOLUME_CLONE), "clone");
	assert_null(smsg_volume_kind_name(SMSG_VOLUME_CLONE + 1));
	assert_int_equal(smsg_volume_kind_parse("Clone", &k), -EINVAL);
	assert_true(smsg_kind_replicated(SMSG_VOLUME_PLAIN));
	assert_true(smsg_kind_replicated(SMSG_VOLUME_CLONE));
	assert_false(smsg_kind_replicated(SMSG_VOLUME_SNAPSHOT));
	for (unsigned i = 0; i <= SMSG_CONN_VERIFYT; i++) {
		assert_int_equal(smsg_conn_parse(smsg_conn_name(i), &c), 0);
		assert_int_equal(c, i);
	}
	for (unsigned i = 0; i <= SMSG_DSK_UPTODATE; i++) {
		assert_int_equal(smsg_dsk_parse(smsg_dsk_name(i), &d), 0);
		assert_int_equal(d, i);
	}
	assert_int_equal(smsg_role_parse("Secondary", &r), 0);
	assert_int_equal(r, SMSG_ROLE_SECONDARY);
	assert_int_equal(smsg_conn_parse("connected", &c), -EINVAL);
	assert_null(smsg_conn_name(SMSG_CONN_VERIFYT + 1));
	assert_true(smsg_name_ok("a"));
	assert_true(smsg_name_ok("root-hw1"));
	assert_false(smsg_name_ok(""));
	assert_false(smsg_name_ok("a_b"));
	assert_false(smsg_name_ok("Sn1"));
	assert_false(smsg_name_ok("a-"));
	assert_false(smsg_name_ok("0123456789012345678901234567890123456789012345678901234567890123"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desired_round_trip),
		cmocka_unit_test(test_desired_no_pair),
		cmocka_unit_test(test_desired_encode_refuses),
		cmocka_unit_test(test_desired_refusals),
		cmocka_unit_test(test_observed_round_trip),
		cmocka_unit_test(test_observed_refusals),
		cmocka_unit_test(test_fence),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
