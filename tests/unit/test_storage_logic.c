/* confignode/storage_logic.c by tables: allocation (lowest free, refusal
 * when full), free space and placement, a volume's overall state from both
 * nodes' observations, the fence decision and its release, a node's
 * desired state (export=false for the node that lost the fence), and the
 * size units (size_units.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../confignode/size_units.h"
#include "../../confignode/storage_logic.h"

#define G (UINT64_C(1) << 30)

static void test_alloc(void **state)
{
	struct sl_addr used[300], a;
	uint32_t minors[] = { 0, 1, 3 }, m, ip, ips[] = { 0x0a4e0001, 0x0a4e0003 };
	uint16_t port;

	(void)state;
	assert_int_equal(sl_alloc_addr(10, 99, NULL, 0, &a), 0);
	assert_int_equal(a.shelf, 10);
	assert_int_equal(a.slot, 0);
	/* shelf 10 full (255 slots) and 11.0 taken: 11.1 */
	for (int i = 0; i < 255; i++)
		used[i] = (struct sl_addr){ 10, (uint8_t)i };
	used[255] = (struct sl_addr){ 11, 0 };
	used[256] = (struct sl_addr){ 9, 1 };       /* outside the range: irrelevant */
	assert_int_equal(sl_alloc_addr(10, 99, used, 257, &a), 0);
	assert_int_equal(a.shelf, 11);
	assert_int_equal(a.slot, 1);
	assert_int_equal(sl_alloc_addr(10, 10, used, 257, &a), -ENOSPC);
	/* the whole AoE space: the last address of the last shelf */
	assert_int_equal(sl_alloc_addr(SMSG_SHELF_MAX, SMSG_SHELF_MAX, used, 0, &a), 0);
	assert_int_equal(a.shelf, SMSG_SHELF_MAX);
	assert_int_equal(sl_alloc_addr(0, SMSG_SHELF_MAX, used, 257, &a), 0);
	assert_int_equal(a.shelf, 0);
	assert_int_equal(a.slot, 0);

	assert_int_equal(sl_alloc_minor(minors, 3, 7789, &m, &port), 0);
	assert_int_equal(m, 2);
	assert_int_equal(port, 7791);
	assert_int_equal(sl_alloc_minor(NULL, 0, 7789, &m, &port), 0);
	assert_int_equal(m, 0);
	assert_int_equal(port, 7789);
	/* the port runs out before the minors do */
	assert_int_equal(sl_alloc_minor(minors, 2, 65534, &m, &port), -ENOSPC);

	assert_int_equal(sl_alloc_ip(0x0a4e0000, 24, ips, 2, &ip), 0);
	assert_int_equal(ip, 0x0a4e0002);
	assert_int_equal(sl_alloc_ip(0x0a4e0000, 30, ips, 2, &ip), 0);
	assert_int_equal(ip, 0x0a4e0002);
	ips[1] = 0x0a4e0002;
	assert_int_equal(sl_alloc_ip(0x0a4e0000, 30, ips, 2, &ip), -ENOSPC);
}

static void test_cmdline_root(void **state)
{
	static const struct { const char *cmdline; int rc; uint16_t shelf; uint8_t slot; } t[] = {
		{ "console=hvc0 nimbus.root=e20.3 nimbus.node=hw1", 0, 20, 3 },
		{ "nimbus.root=e0.0", 0, 0, 0 },
		{ "nimbus.root=e65534.254", 0, 65534, 254 },
		{ "nimbus.root=e1.0 nimbus.root=e2.5", 0, 2, 5 },   /* the last counts */
		{ "console=hvc0", -ENOENT, 0, 0 },
		{ "", -ENOENT, 0, 0 },
		{ "xnimbus.root=e1.0", -ENOENT, 0, 0 },
		{ "nimbus.root=e65535.0", -EINVAL, 0, 0 },          /* broadcast shelf */
		{ "nimbus.root=e1.255", -EINVAL, 0, 0 },
		{ "nimbus.root=1.0", -EINVAL, 0, 0 },
		{ "nimbus.root=e1", -EINVAL, 0, 0 },
		{ "nimbus.root=e1.x", -EINVAL, 0, 0 },
		{ "nimbus.root=e1.0x", -EINVAL, 0, 0 },
		{ "nimbus.root=", -EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sl_addr a = { 7, 7 };
		int rc = sl_cmdline_root(t[i].cmdline, &a);

		if (rc != t[i].rc || (rc == 0 && (a.shelf != t[i].shelf || a.slot != t[i].slot)))
			fail_msg("'%s': %d e%u.%u, want %d e%u.%u", t[i].cmdline, rc, a.shelf, a.slot,
				 t[i].rc, t[i].shelf, t[i].slot);
	}
}

static struct db_volume vol(const char *name, uint64_t size, enum smsg_volume_kind kind)
{
	struct db_volume v = { .size = size, .kind = kind };

	snprintf(v.name, sizeof(v.name), "%s", name);
	return v;
}

static void test_space(void **state)
{
	struct smsg_have_volume have[1] = { { .name = "a", .lv = true } };
	struct smsg_observed o = { .vg = true, .pool_size = 100 * G, .pool_used = 10 * G,
				   .volumes = have, .n_volumes = 1 };
	struct db_volume v[] = { vol("a", 50 * G, 0), vol("b", 20 * G, 0) };
	struct sl_pair_free p[] = { { "p1", 5 * G }, { "p2", 30 * G }, { "p3", 30 * G } };
	uint64_t largest;
	size_t idx;

	(void)state;
	/* a has its LV (its use is in pool_used); b is promised */
	assert_int_equal(sl_node_free(&o, v, 2), 70 * G);
	assert_int_equal(sl_node_free(NULL, v, 2), 0);
	have[0].lv = false;
	assert_int_equal(sl_node_free(&o, v, 2), 20 * G);
	v[0].size = 200 * G;                         /* more promised than free */
	assert_int_equal(sl_node_free(&o, v, 2), 0);
	o.vg = false;
	assert_int_equal(sl_node_free(&o, NULL, 0), 0);

	assert_int_equal(sl_place(p, 3, 10 * G, &idx, &largest), 0);
	assert_int_equal(idx, 1);                    /* the first of equals */
	assert_int_equal(sl_place(p, 3, 30 * G, &idx, &largest), 0);
	assert_int_equal(sl_place(p, 3, 31 * G, &idx, &largest), -ENOSPC);
	assert_int_equal(largest, 30 * G);
	assert_int_equal(idx, 1);
	assert_int_equal(sl_place(p, 0, 1, &idx, &largest), -ENOENT);
}

/* One node's observation of a volume, in words. */
struct obs {
	bool present, lv, drbd, exported;
	enum smsg_drbd_disk disk;
	enum smsg_drbd_conn conn;
	double pct;
	int64_t eta;
	const char *error;
};

#define UP  SMSG_DSK_UPTODATE
#define INC SMSG_DSK_INCONSISTENT
#define OUT SMSG_DSK_OUTDATED
#define CON SMSG_CONN_CONNECTED
#define WFC SMSG_CONN_WFCONNECTION
#define SRC SMSG_CONN_SYNCSOURCE
#define TGT SMSG_CONN_SYNCTARGET
#define SERVE(d, c) { true, true, true, true, d, c, 100, -1, "" }
#define HIDE(d, c)  { true, true, true, false, d, c, 100, -1, "" }
#define NONE        { false, false, false, false, 0, 0, 100, -1, "" }

static void to_have(const struct obs *o, struct smsg_have_volume *h)
{
	memset(h, 0, sizeof(*h));
	h->lv = o->lv;
	h->drbd = o->drbd;
	h->exported = o->exported;
	h->disk = o->disk;
	h->peer_disk = UP;
	h->conn = o->conn;
	h->sync_percent = o->pct;
	h->sync_eta_s = o->eta;
	snprintf(h->error, sizeof(h->error), "%s", o->error);
}

static void test_state(void **state)
{
	static const struct {
		const char *what;
		enum smsg_volume_kind kind;
		int64_t ready_at;
		struct obs o[2];
		enum sl_vstate want;
		double pct;
		int64_t eta;
	} t[] = {
		{ "nothing reported yet", 0, 0, { NONE, NONE }, SL_CREATING, 100, -1 },
		{ "one node exports, the other not yet", 0, 0, { SERVE(UP, WFC), NONE },
		  SL_DEGRADED, 100, -1 },
		{ "both export, connected", 0, 0, { SERVE(UP, CON), SERVE(UP, CON) }, SL_READY, 100, -1 },
		{ "both export, not connected (split)", 0, 1, { SERVE(UP, WFC), SERVE(UP, WFC) },
		  SL_DEGRADED, 100, -1 },
		{ "peer gone", 0, 1, { SERVE(UP, WFC), NONE }, SL_DEGRADED, 100, -1 },
		{ "exporting an Inconsistent disk does not count", 0, 1,
		  { SERVE(INC, CON), HIDE(UP, CON) }, SL_FAILED, 100, -1 },
		{ "resync: the lower percent, the longer time",
		  0, 1, { { true, true, true, true, UP, SRC, 40, 30, "" },
			  { true, true, true, false, INC, TGT, 42.5, 90, "" } },
		  SL_RESYNCING, 40, 90 },
		{ "loser outdated, winner alone", 0, 1, { HIDE(OUT, WFC), SERVE(UP, WFC) },
		  SL_DEGRADED, 100, -1 },
		{ "neither serves after being ready", 0, 1, { HIDE(OUT, WFC), NONE }, SL_FAILED, 100, -1 },
		{ "an error while creating", 0, 0,
		  { { true, false, false, false, 0, 0, 100, -1, "lvcreate: no space" }, NONE },
		  SL_FAILED, 100, -1 },
		{ "snapshot: LV and export suffice", SMSG_VOLUME_SNAPSHOT, 0,
		  { { true, true, false, true, 0, 0, 100, -1, "" },
		    { true, true, false, true, 0, 0, 100, -1, "" } }, SL_READY, 100, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct db_volume v = vol("vol1", G, t[i].kind);
		struct smsg_have_volume h[2];
		const struct smsg_have_volume *hp[2];
		struct sl_state s;

		v.ready_at = t[i].ready_at;
		for (int k = 0; k < 2; k++) {
			to_have(&t[i].o[k], &h[k]);
			hp[k] = t[i].o[k].present ? &h[k] : NULL;
		}
		sl_volume_state(&v, hp, &s);
		if (s.state != t[i].want || s.percent != t[i].pct || s.eta_s != t[i].eta)
			fail_msg("%s: got %s %.1f%% %llds, want %s %.1f%% %llds", t[i].what,
				 sl_vstate_name(s.state), s.percent, (long long)s.eta_s,
				 sl_vstate_name(t[i].want), t[i].pct, (long long)t[i].eta);
	}
}

static void test_fence(void **state)
{
	struct smsg_have_volume up = { .lv = true, .drbd = true, .disk = UP, .peer_disk = UP,
				       .conn = CON };
	struct smsg_have_volume outd = up;
	struct db_fence holder = { .volume = "vol1", .node = "sn1", .at = 1234 };
	const struct smsg_have_volume *both[2] = { &up, &up };
	bool conv[2] = { true, true };
	char reason[SMSG_DETAIL_MAX];

	(void)state;
	outd.disk = OUT;
	assert_true(sl_fence_decide("sn1", "vol1", &up, NULL, reason));
	assert_non_null(strstr(reason, "sn1 goes on alone"));
	assert_false(sl_fence_decide("sn2", "vol1", &up, &holder, reason));
	assert_string_equal(reason, "sn1 holds vol1 since 1970-01-01 00:20:34 UTC");
	assert_true(sl_fence_decide("sn1", "vol1", &up, &holder, reason));   /* retried */
	assert_false(sl_fence_decide("sn2", "vol1", &outd, NULL, reason));
	assert_string_equal(reason, "sn2's disk of vol1 is Outdated, not UpToDate");
	assert_false(sl_fence_decide("sn2", "vol1", NULL, NULL, reason));
	assert_non_null(strstr(reason, "unknown"));

	assert_true(sl_fence_release(both, conv));
	/* A Connected report from before the grant (not converged to the
	 * generation the grant bumped) must not release it. */
	conv[1] = false;
	assert_false(sl_fence_release(both, conv));
	conv[1] = true;
	both[1] = &outd;
	assert_false(sl_fence_release(both, conv));
	both[1] = NULL;
	assert_false(sl_fence_release(both, conv));
}

static void test_desired(void **state)
{
	struct db_pair p = { .name = "p1", .node = { "sn1", "sn2" },
			     .repl_ip = { 0x0a4e0001, 0x0a4e0002 } };
	struct db_volume v[2] = { vol("vol1", G, 0), vol("snap1", G, SMSG_VOLUME_SNAPSHOT) };
	struct db_fence f = { .volume = "vol1", .node = "sn1", .at = 5 };
	struct gen_drbd_res tmpl;
	struct sl_desired_in in = { .node = "sn2", .generation = 7, .pair = &p, .vols = v,
				    .n_vols = 2, .tmpl = &tmpl };
	struct smsg_desired d;
	char *json, err[SMSG_ERR_MAX];

	(void)state;
	gen_drbd_defaults(&tmpl);
	v[0].shelf = 10; v[0].slot = 0; v[0].minor = 0; v[0].port = 7789;
	v[1].shelf = 10; v[1].slot = 1; v[1].minor = 1; v[1].port = 7790;
	snprintf(v[1].origin, sizeof(v[1].origin), "vol1");

	assert_int_equal(sl_build_desired(&in, &d), 0);
	assert_string_equal(d.pair, "p1");
	assert_string_equal(d.peer, "sn1");
	assert_int_equal(ntohl(d.repl_self.s_addr), 0x0a4e0002);
	assert_int_equal(d.generation, 7);
	assert_int_equal(d.n_volumes, 2);
	assert_true(d.volumes[0].export);
	assert_non_null(strstr(d.volumes[0].resource, "on sn2 {\n\t\taddress ipv4 10.78.0.2:7789;"));
	assert_string_equal(d.volumes[1].resource, "");
	assert_string_equal(d.volumes[1].origin, "vol1");
	/* what nimbusd builds, the agent's decoder accepts */
	assert_int_equal(smsg_desired_encode(&d, &json), 0);
	smsg_desired_free(&d);
	assert_int_equal(smsg_desired_decode(json, strlen(json), &d, err), 0);
	free(json);
	smsg_desired_free(&d);

	/* sn1 holds vol1's fence: sn2 must stop exporting it, sn1 goes on */
	in.fences = &f;
	in.n_fences = 1;
	assert_int_equal(sl_build_desired(&in, &d), 0);
	assert_false(d.volumes[0].export);
	assert_true(d.volumes[1].export);
	smsg_desired_free(&d);
	in.node = "sn1";
	assert_int_equal(sl_build_desired(&in, &d), 0);
	assert_true(d.volumes[0].export);
	smsg_desired_free(&d);

	/* no pair: an empty desired state; a node not in the pair: refused */
	in.pair = NULL;
	assert_int_equal(sl_build_desired(&in, &d), 0);
	assert_string_equal(d.pair, "");
	assert_int_equal(d.n_volumes, 0);
	smsg_desired_free(&d);
	in.pair = &p;
	in.node = "sn3";
	assert_int_equal(sl_build_desired(&in, &d), -EINVAL);
}

static void test_sizes(void **state)
{
	static const struct { const char *in; int rc; uint64_t v; const char *shown; } t[] = {
		{ "0", 0, 0, "0" },
		{ "512", 0, 512, "512" },
		{ "1024", 0, 1024, "1K" },
		{ "10G", 0, 10 * G, "10G" },
		{ "10g", 0, 10 * G, "10G" },
		{ "1536M", 0, 1536ull << 20, "1536M" },
		{ "2T", 0, 2ull << 40, "2T" },
		{ "8388607T", 0, 8388607ull << 40, "8388607T" },
		{ "8388608T", -ERANGE, 0, NULL },
		{ "99999999999999999999", -ERANGE, 0, NULL },
		{ "", -EINVAL, 0, NULL },
		{ "G", -EINVAL, 0, NULL },
		{ "-1G", -EINVAL, 0, NULL },
		{ "10GB", -EINVAL, 0, NULL },
		{ "10P", -EINVAL, 0, NULL },
		{ "1.5G", -EINVAL, 0, NULL },
		{ " 10G", -EINVAL, 0, NULL },
	};
	char buf[SIZE_STR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		int rc = size_parse(t[i].in, &v);

		if (rc != t[i].rc || (rc == 0 && v != t[i].v))
			fail_msg("size_parse('%s'): %d %llu", t[i].in, rc, (unsigned long long)v);
		if (rc == 0 && strcmp(size_format(v, buf), t[i].shown) != 0)
			fail_msg("size_format(%llu): %s, want %s", (unsigned long long)v, buf,
				 t[i].shown);
	}
	assert_string_equal(size_format(10 * G + 1, buf), "10.0G");
	assert_string_equal(size_format(G + G / 2 + 512, buf), "1.5G");
	assert_string_equal(size_format(1000, buf), "1000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_cmdline_root),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_fence),
		cmocka_unit_test(test_desired),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
