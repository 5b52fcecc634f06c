/* Unit tests of the agent's per-volume state machine
 * (storagenode/agent/volume_fsm.c): given desired and probed state, the
 * next step - a new volume from nothing to exported, a node restarting,
 * a resync, a fence, a grow, a removal, snapshots, clones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "volume_fsm.h"

#define MIB (1024ULL * 1024)

#define P   SMSG_ROLE_PRIMARY
#define S   SMSG_ROLE_SECONDARY
#define UTD SMSG_DSK_UPTODATE
#define INC SMSG_DSK_INCONSISTENT
#define OUT SMSG_DSK_OUTDATED
#define DUN SMSG_DSK_DUNKNOWN
#define CON SMSG_CONN_CONNECTED
#define WFC SMSG_CONN_WFCONNECTION
#define SA  SMSG_CONN_STANDALONE
#define SYT SMSG_CONN_SYNCTARGET
#define SYS SMSG_CONN_SYNCSOURCE

/* The LV of a 64 MiB volume: 64 MiB and DRBD's meta-data, in 4 MiB extents. */
#define LV64 (68 * MIB)
/* The DRBD device on it: LV64 less the meta-data (bitmap, AL, superblock). */
#define DEV64 (LV64 - 4096 - 32768 - 4096)
/* That LV with its resource up, as after create-md + up. */
#define UPH(c, r, d, pd) { .lv = true, .lv_size = LV64, .res_current = true, .md = true, \
			   .drbd = true, .drbd_size = DEV64, .conn = (c), .role = (r), \
			   .disk = (d), .peer_disk = (pd) }

struct fcase {
	const char *what;
	bool export;
	bool first;
	struct vol_have h;
	enum vol_action want;
};

static void test_next(void **state)
{
	static const struct fcase cases[] = {
		/* A new volume on the first member, step by step. */
		{ "nothing yet", true, true, { 0 }, VA_LV_CREATE },
		{ "LV too small", true, true, { .lv = true, .lv_size = 32 * MIB }, VA_LV_EXTEND },
		{ "LV, no resource file", true, true, { .lv = true, .lv_size = LV64 }, VA_WRITE_RES },
		{ "resource file, no meta-data", true, true,
		  { .lv = true, .lv_size = LV64, .res_current = true }, VA_CREATE_MD },
		{ "meta-data, resource down", true, true,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true }, VA_UP },
		{ "up, peer not there yet", true, true, UPH(WFC, S, INC, DUN), VA_NONE },
		{ "connected, both Inconsistent, first member", true, true, UPH(CON, S, INC, INC), VA_NEW_UUID },
		{ "connected, both Inconsistent, second member", true, false, UPH(CON, S, INC, INC), VA_NONE },
		{ "UpToDate secondary", true, false, UPH(CON, S, UTD, UTD), VA_PRIMARY },
		{ "UpToDate primary, not exported", true, false, UPH(CON, P, UTD, UTD), VA_EXPORT },
		{ "exported, converged", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .drbd_size = DEV64, .conn = CON, .role = P, .disk = UTD, .peer_disk = UTD,
		    .exported = true }, VA_NONE },
		/* Export rules. */
		{ "export not wanted", false, false, UPH(CON, P, UTD, UTD), VA_NONE },
		{ "exported but no longer wanted", false, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = CON, .role = P, .disk = UTD, .peer_disk = UTD, .exported = true }, VA_UNEXPORT },
		{ "exported, disk went Outdated", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = SA, .role = P, .disk = OUT, .peer_disk = DUN, .exported = true }, VA_UNEXPORT },
		{ "exported, fenced (handler lost)", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = P, .disk = UTD, .peer_disk = DUN, .exported = true,
		    .fenced = true }, VA_UNEXPORT },
		{ "exported, resource went down", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .exported = true },
		  VA_UNEXPORT },
		/* The fence's loser steps down so it can become the resync target. */
		{ "fenced primary, I/O frozen: resume it", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = P, .disk = UTD, .peer_disk = DUN, .fenced = true,
		    .suspended = true }, VA_RESUME_IO },
		{ "fenced primary, StandAlone, frozen: resume before adjusting", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = SA, .role = P, .disk = UTD, .peer_disk = DUN, .fenced = true,
		    .suspended = true }, VA_RESUME_IO },
		{ "fenced primary, I/O running: demote", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = P, .disk = UTD, .peer_disk = DUN, .fenced = true }, VA_SECONDARY },
		{ "fenced secondary, UpToDate: outdate", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = S, .disk = UTD, .peer_disk = DUN, .fenced = true }, VA_OUTDATE },
		{ "fenced secondary, Outdated: never promoted while disconnected", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = S, .disk = OUT, .peer_disk = DUN, .fenced = true }, VA_NONE },
		{ "fenced, frozen, still exported: unexport first", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = P, .disk = UTD, .peer_disk = DUN, .fenced = true,
		    .suspended = true, .exported = true }, VA_UNEXPORT },
		{ "fenced, resync target: primary during the sync", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = SYT, .role = S, .disk = INC, .peer_disk = UTD, .fenced = true }, VA_PRIMARY },
		{ "fenced, connected UpToDate secondary (before the agent clears it): primary", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = CON, .role = S, .disk = UTD, .peer_disk = UTD, .fenced = true }, VA_PRIMARY },
		{ "peer lost, UpToDate, exported: serve on", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = WFC, .role = P, .disk = UTD, .peer_disk = OUT, .exported = true }, VA_NONE },
		/* A node coming back: its copy is behind. */
		{ "restarted: LV and meta-data found, resource down", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true }, VA_UP },
		{ "restarted: Outdated, waiting to connect", true, false, UPH(WFC, S, OUT, DUN), VA_NONE },
		{ "resync target, secondary: primary during the sync", true, false, UPH(SYT, S, INC, UTD), VA_PRIMARY },
		{ "resync target, primary: no export yet", true, false, UPH(SYT, P, INC, UTD), VA_NONE },
		{ "resync source, exported: keep serving", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .drbd_size = DEV64, .conn = SYS, .role = P, .disk = UTD, .peer_disk = INC,
		    .exported = true }, VA_NONE },
		{ "resync done: export again", true, false, UPH(CON, P, UTD, UTD), VA_EXPORT },
		{ "StandAlone (refused handshake): adjust", true, false, UPH(SA, S, OUT, DUN), VA_ADJUST },
		{ "Inconsistent alone: wait", true, true, UPH(WFC, S, INC, DUN), VA_NONE },
		/* Grow. */
		{ "grown: resource file first", true, false,
		  { .lv = true, .lv_size = 32 * MIB, .res_current = true, .md = true, .drbd = true,
		    .conn = CON, .role = P, .disk = UTD, .peer_disk = UTD, .exported = true }, VA_LV_EXTEND },
		{ "LV grown, DRBD not yet", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .drbd_size = 32 * MIB, .conn = CON, .role = P, .disk = UTD, .peer_disk = UTD,
		    .exported = true }, VA_RESIZE },
		{ "LV grown, peer away: resize waits", true, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .drbd_size = 32 * MIB, .conn = WFC, .role = P, .disk = UTD, .peer_disk = DUN,
		    .exported = true }, VA_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *c = &cases[i];
		struct smsg_want_volume w = { .name = "vol1", .kind = SMSG_VOLUME_PLAIN,
					      .size_bytes = 64 * MIB, .export = c->export };
		const char *why = NULL;
		enum vol_action a = vol_next(&w, &c->h, c->first, &why);

		if (a != c->want)
			fail_msg("%s: %s (%s), want %s", c->what, vol_action_name(a), why ? why : "-",
				 vol_action_name(c->want));
		if (!why || !*why)
			fail_msg("%s: no reason given", c->what);
	}
}

/* The device on the LV (the LV less DRBD 8.4's internal meta-data) holds
 * the whole volume; measured: a 688 MiB LV gives 1408904 sectors, 120
 * less (a 688 MiB import did not fit on it). */
static void test_lv_bytes(void **state)
{
	static const uint64_t sizes[] = { 1, 4096, 16 * MIB, 64 * MIB, 688 * MIB, 721420288ULL,
					  1ULL << 30, 100ULL << 30, 4ULL << 40 };

	(void)state;
	assert_int_equal(vol_drbd_md_bytes(688 * MIB), 120 * 512);
	assert_int_equal(vol_lv_bytes(688 * MIB), 688 * MIB + 120 * 512);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t lv = vol_lv_bytes(sizes[i]);

		assert_true(lv - vol_drbd_md_bytes(lv) >= sizes[i]);
		/* not much more than needed */
		assert_true(lv - vol_drbd_md_bytes(lv) < sizes[i] + 8192);
	}
}

static void test_lv_exactly_the_size(void **state)
{
	struct smsg_want_volume w = { .name = "vol1", .kind = SMSG_VOLUME_PLAIN,
				      .size_bytes = 64 * MIB, .export = true };
	struct vol_have h = { .lv = true, .lv_size = 64 * MIB };

	(void)state;
	/* an LV of exactly the volume's size (as the agent made them before
	 * it counted the meta-data) is extended, and DRBD then resized */
	assert_int_equal(vol_next(&w, &h, true, NULL), VA_LV_EXTEND);
}

static void test_snapshot(void **state)
{
	struct smsg_want_volume w = { .name = "s1", .kind = SMSG_VOLUME_SNAPSHOT, .origin = "vol1",
				      .size_bytes = 64 * MIB, .export = true };
	struct vol_have h = { 0 };

	(void)state;
	assert_int_equal(vol_next(&w, &h, true, NULL), VA_SNAP_CREATE);
	h.lv = true;
	h.lv_size = LV64;
	assert_int_equal(vol_next(&w, &h, true, NULL), VA_EXPORT);
	h.exported = true;
	assert_int_equal(vol_next(&w, &h, true, NULL), VA_NONE);
	w.export = false;
	assert_int_equal(vol_next(&w, &h, true, NULL), VA_UNEXPORT);
}

/* A clone: its LV is a snapshot of its origin's, taken only while the
 * origin is current here; from then on the steps of a new volume. Its
 * meta-data is never the origin's: the snapshot step wipes the copied
 * superblock, so the agent finds none (md false) and creates it, after
 * extending the LV when the clone is larger (meta-data at the LV's end). */
static void test_clone(void **state)
{
	static const struct {
		const char *what;
		uint64_t size;             /* the clone's size */
		bool first;
		struct vol_have h;
		enum vol_action want;
	} cases[] = {
		{ "no LV, origin not in sync here: wait", 64 * MIB, true, { 0 }, VA_NONE },
		{ "no LV, origin Connected UpToDate/UpToDate: snapshot it", 64 * MIB, true,
		  { .origin_synced = true }, VA_CLONE_CREATE },
		{ "no LV on the second member too", 64 * MIB, false,
		  { .origin_synced = true }, VA_CLONE_CREATE },
		{ "snapshot made (origin's size), no resource file", 64 * MIB, true,
		  { .lv = true, .lv_size = LV64 }, VA_WRITE_RES },
		{ "resource file, no meta-data (the copied superblock wiped): create-md", 64 * MIB, true,
		  { .lv = true, .lv_size = LV64, .res_current = true }, VA_CREATE_MD },
		{ "origin no longer in sync: a made LV goes on regardless", 64 * MIB, true,
		  { .lv = true, .lv_size = LV64, .res_current = true }, VA_CREATE_MD },
		{ "larger than the origin: extend before anything else", 128 * MIB, true,
		  { .lv = true, .lv_size = LV64 }, VA_LV_EXTEND },
		{ "larger, resource file already there: still extend before create-md", 128 * MIB, true,
		  { .lv = true, .lv_size = LV64, .res_current = true }, VA_LV_EXTEND },
		{ "extended: create-md at the new end", 128 * MIB, true,
		  { .lv = true, .lv_size = 132 * MIB, .res_current = true }, VA_CREATE_MD },
		{ "meta-data, resource down", 64 * MIB, true,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true }, VA_UP },
		{ "up, peer not there yet", 64 * MIB, true, UPH(WFC, S, INC, DUN), VA_NONE },
		{ "both Inconsistent, first member: no initial sync", 64 * MIB, true,
		  UPH(CON, S, INC, INC), VA_NEW_UUID },
		{ "both Inconsistent, second member waits", 64 * MIB, false, UPH(CON, S, INC, INC), VA_NONE },
		{ "UpToDate secondary", 64 * MIB, false, UPH(CON, S, UTD, UTD), VA_PRIMARY },
		{ "UpToDate primary: export", 64 * MIB, false, UPH(CON, P, UTD, UTD), VA_EXPORT },
		{ "exported, disk went Outdated", 64 * MIB, false,
		  { .lv = true, .lv_size = LV64, .res_current = true, .md = true, .drbd = true,
		    .conn = SA, .role = P, .disk = OUT, .peer_disk = DUN, .exported = true }, VA_UNEXPORT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smsg_want_volume w = { .name = "web1", .kind = SMSG_VOLUME_CLONE,
					      .origin = "tmpl", .size_bytes = cases[i].size,
					      .export = true };
		const char *why = NULL;
		enum vol_action a = vol_next(&w, &cases[i].h, cases[i].first, &why);

		if (a != cases[i].want)
			fail_msg("clone: %s: %s (%s), want %s", cases[i].what, vol_action_name(a),
				 why ? why : "-", vol_action_name(cases[i].want));
		if (!why || !*why)
			fail_msg("clone: %s: no reason given", cases[i].what);
	}
	/* a plain volume never snapshots anything, whatever origin_synced says */
	{
		struct smsg_want_volume w = { .name = "vol1", .kind = SMSG_VOLUME_PLAIN,
					      .size_bytes = 64 * MIB, .export = true };
		struct vol_have h = { .origin_synced = true };

		assert_int_equal(vol_next(&w, &h, true, NULL), VA_LV_CREATE);
	}
	assert_string_equal(vol_action_name(VA_CLONE_CREATE), "clone-create");
}

static void test_removal(void **state)
{
	struct vol_have h = { .lv = true, .drbd = true, .exported = true };

	(void)state;
	assert_int_equal(vol_next_removal(&h), VA_UNEXPORT);
	h.exported = false;
	assert_int_equal(vol_next_removal(&h), VA_DOWN);
	h.drbd = false;
	assert_int_equal(vol_next_removal(&h), VA_LV_REMOVE);
	h.lv = false;
	assert_int_equal(vol_next_removal(&h), VA_NONE);
}

static void test_first_member(void **state)
{
	struct smsg_desired a = { .node = "sn1", .pair = "p1", .peer = "sn2" };
	struct smsg_desired b = { .node = "sn2", .pair = "p1", .peer = "sn1" };
	struct smsg_desired none = { .node = "sn1" };

	(void)state;
	assert_true(vol_first_member(&a));
	assert_false(vol_first_member(&b));
	assert_false(vol_first_member(&none));
	for (int i = VA_NONE; i <= VA_CLONE_CREATE; i++)
		assert_string_not_equal(vol_action_name((enum vol_action)i), "?");
}

/* A grown device under a running export: one reload per size change. */
static void test_export_resized(void **state)
{
	uint64_t seen = 64 << 20;

	(void)state;
	assert_false(vol_export_resized(&seen, true, 64 << 20));
	assert_false(vol_export_resized(&seen, true, 0));        /* size unknown: no change */
	assert_int_equal(seen, 64 << 20);
	assert_true(vol_export_resized(&seen, true, 96 << 20));
	assert_int_equal(seen, 96 << 20);
	assert_false(vol_export_resized(&seen, true, 96 << 20)); /* once */
	assert_false(vol_export_resized(&seen, false, 128 << 20)); /* withdrawn: forgotten */
	assert_int_equal(seen, 0);
	assert_false(vol_export_resized(&seen, true, 128 << 20)); /* unknown: taken as it is */
	assert_int_equal(seen, 128 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_lv_bytes),
		cmocka_unit_test(test_lv_exactly_the_size),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_first_member),
		cmocka_unit_test(test_export_resized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
