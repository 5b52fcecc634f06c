/* confignode/db_storage.c against a real SQLite file: pairs (a node in at
 * most one, storage nodes only), volumes (unique addresses, minors and
 * ports; snapshots and clones hold their origin), generations, observed
 * state, fences, and the migrations keeping existing data. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../confignode/db.h"
#include "../../confignode/db_internal.h"
#include "../../confignode/db_storage.h"
#include "fixtures_db.h"
#include "log.h"

static void add_node(struct db *db, const char *name, int i, enum node_role role)
{
	struct db_node n = { 0 };
	char mac[32];

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(mac, sizeof(mac), "52:54:00:aa:00:%02x", i);
	assert_int_equal(mac_parse(mac, n.mac), 0);
	n.ip = 0x0a4d0000u + (uint32_t)i;
	n.role = role;
	n.state = NODE_ADDED;
	assert_int_equal(db_node_insert(db, &n), 0);
}

static int setup(void **state)
{
	struct fx *f;

	log_init("test_db_storage", LOG_LVL_ERR, 0);
	if (fixture_db_setup(state, "test_db_storage") < 0)
		return -1;
	f = *state;
	add_node(f->db, "sn1", 1, ROLE_STORAGE);
	add_node(f->db, "sn2", 2, ROLE_STORAGE);
	add_node(f->db, "sn3", 3, ROLE_STORAGE);
	add_node(f->db, "sn4", 4, ROLE_STORAGE);
	add_node(f->db, "hw1", 5, ROLE_HW);
	return 0;
}

static int teardown(void **state)
{
	return fixture_db_teardown(state);
}

static struct db_pair pair(const char *name, const char *a, const char *b, uint32_t ip)
{
	struct db_pair p = { .repl_ip = { ip, ip + 1 }, .created = 7 };

	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.node[0], sizeof(p.node[0]), "%s", a);
	snprintf(p.node[1], sizeof(p.node[1]), "%s", b);
	return p;
}

static struct db_volume volume(const char *name, const char *pr, uint16_t shelf, uint8_t slot,
			       uint32_t minor)
{
	struct db_volume v = { .size = 1 << 20, .shelf = shelf, .slot = slot, .minor = minor,
			       .port = (uint16_t)(7789 + minor), .created = 9 };

	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.pair, sizeof(v.pair), "%s", pr);
	return v;
}

static void test_pairs(void **state)
{
	struct fx *f = *state;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001), got, *all;
	struct db_pair q;
	size_t n;
	int idx;

	assert_int_equal(db_pair_insert(f->db, &p), 0);
	assert_int_equal(db_pair_get(f->db, "p1", &got), 0);
	assert_string_equal(got.node[0], "sn1");
	assert_string_equal(got.node[1], "sn2");
	assert_int_equal(got.repl_ip[1], 0x0a4e0002);
	assert_int_equal(got.created, 7);
	assert_int_equal(db_pair_of_node(f->db, "sn2", &got, &idx), 0);
	assert_string_equal(got.name, "p1");
	assert_int_equal(idx, 1);
	assert_int_equal(db_pair_of_node(f->db, "sn3", &got, &idx), -ENOENT);

	/* a node in at most one pair; names unique; storage nodes only; two
	 * different nodes; the replication addresses unique */
	q = pair("p2", "sn3", "sn1", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), -EEXIST);
	q = pair("p1", "sn3", "sn4", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), -EEXIST);
	q = pair("p2", "sn3", "hw1", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), -EINVAL);
	q = pair("p2", "sn3", "sn3", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), -EINVAL);
	q = pair("p2", "sn3", "nosuch", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), -ENOENT);
	q = pair("p2", "sn3", "sn4", 0x0a4e0002);
	assert_int_equal(db_pair_insert(f->db, &q), -EEXIST);
	/* a failed insert leaves nothing behind */
	assert_int_equal(db_pair_get(f->db, "p2", &got), -ENOENT);
	assert_int_equal(db_pair_of_node(f->db, "sn3", &got, &idx), -ENOENT);

	q = pair("p0", "sn4", "sn3", 0x0a4e0010);
	assert_int_equal(db_pair_insert(f->db, &q), 0);
	assert_int_equal(db_pair_list(f->db, &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].name, "p0");
	assert_string_equal(all[0].node[0], "sn4");
	assert_string_equal(all[1].name, "p1");
	free(all);

	/* a member cannot leave the nodes table nor its role while in a pair */
	assert_int_not_equal(db_node_delete(f->db, "sn4"), 0);
	{
		struct db_node n;

		assert_int_equal(db_node_get(f->db, "sn4", &n), 0);
		n.role = ROLE_HW;
		assert_int_not_equal(db_node_update(f->db, "sn4", &n), 0);
		n.role = ROLE_STORAGE;
		snprintf(n.name, sizeof(n.name), "sn4b");  /* a rename follows */
		assert_int_equal(db_node_update(f->db, "sn4", &n), 0);
		assert_int_equal(db_pair_get(f->db, "p0", &got), 0);
		assert_string_equal(got.node[0], "sn4b");
		snprintf(n.name, sizeof(n.name), "sn4");
		assert_int_equal(db_node_update(f->db, "sn4b", &n), 0);
	}
	assert_int_equal(db_pair_delete(f->db, "p0"), 0);
	assert_int_equal(db_pair_delete(f->db, "p0"), -ENOENT);
	assert_int_equal(db_pair_of_node(f->db, "sn4", &got, &idx), -ENOENT);
	assert_int_equal(db_node_delete(f->db, "sn4"), 0);
}

static void test_volumes(void **state)
{
	struct fx *f = *state;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001);
	struct db_pair q = pair("p2", "sn3", "sn4", 0x0a4e0003);
	struct db_volume v = volume("vol1", "p1", 10, 0, 0), got, *all;
	char names[64];
	size_t n;

	assert_int_equal(db_pair_insert(f->db, &p), 0);
	assert_int_equal(db_pair_insert(f->db, &q), 0);
	assert_int_equal(db_volume_insert(f->db, &v), 0);
	assert_int_equal(db_volume_get(f->db, "vol1", &got), 0);
	assert_int_equal(got.kind, SMSG_VOLUME_PLAIN);
	assert_string_equal(got.origin, "");
	assert_int_equal(got.size, 1 << 20);
	assert_int_equal(got.shelf, 10);
	assert_int_equal(got.port, 7789);

	/* unique: name; shelf.slot in the cloud; minor and port on the pair */
	assert_int_equal(db_volume_insert(f->db, &v), -EEXIST);
	got = volume("vol2", "p2", 10, 0, 5);
	assert_int_equal(db_volume_insert(f->db, &got), -EEXIST);
	got = volume("vol2", "p1", 10, 1, 0);
	assert_int_equal(db_volume_insert(f->db, &got), -EEXIST);
	got = volume("vol2", "p2", 10, 1, 0);       /* minor 0 again, other pair: fine */
	assert_int_equal(db_volume_insert(f->db, &got), 0);
	got = volume("odd", "p1", 10, 2, 1);
	got.size = 1000;                             /* not a multiple of 512 */
	assert_int_equal(db_volume_insert(f->db, &got), -EEXIST);
	got = volume("ghost", "nosuch", 10, 3, 1);
	assert_int_equal(db_volume_insert(f->db, &got), -EEXIST);

	/* a snapshot holds its origin */
	got = volume("snap1", "p1", 10, 2, 1);
	got.kind = SMSG_VOLUME_SNAPSHOT;
	snprintf(got.origin, sizeof(got.origin), "vol1");
	assert_int_equal(db_volume_insert(f->db, &got), 0);
	assert_int_equal(db_volume_snapshots(f->db, "vol1", names, sizeof(names)), 1);
	assert_string_equal(names, "snap1");
	assert_int_equal(db_volume_delete(f->db, "vol1"), -EBUSY);
	assert_int_equal(db_volume_get(f->db, "snap1", &got), 0);
	assert_int_equal(got.kind, SMSG_VOLUME_SNAPSHOT);
	assert_string_equal(got.origin, "vol1");

	/* so does a clone, which is replicated (minor, port) and named with
	 * the snapshots as what uses its origin */
	got = volume("clone1", "p1", 10, 3, 2);
	got.kind = SMSG_VOLUME_CLONE;
	snprintf(got.origin, sizeof(got.origin), "vol1");
	got.size = 4 << 20;
	assert_int_equal(db_volume_insert(f->db, &got), 0);
	assert_int_equal(db_volume_get(f->db, "clone1", &got), 0);
	assert_int_equal(got.kind, SMSG_VOLUME_CLONE);
	assert_string_equal(got.origin, "vol1");
	assert_int_equal(got.minor, 2);
	assert_int_equal(got.port, 7791);
	assert_int_equal(db_volume_snapshots(f->db, "vol1", names, sizeof(names)), 2);
	assert_string_equal(names, "clone1, snap1");
	assert_int_equal(db_volume_delete(f->db, "vol1"), -EBUSY);
	got = volume("clone2", "p1", 10, 4, 3);
	got.kind = SMSG_VOLUME_CLONE;
	snprintf(got.origin, sizeof(got.origin), "nosuch");   /* an origin that exists */
	assert_int_equal(db_volume_insert(f->db, &got), -EEXIST);
	got.kind = (enum smsg_volume_kind)7;                    /* no such kind */
	assert_int_equal(db_volume_insert(f->db, &got), -EINVAL);
	assert_int_equal(db_volume_delete(f->db, "clone1"), 0);

	/* a pair holding volumes stays */
	assert_int_equal(db_pair_delete(f->db, "p2"), -EBUSY);

	assert_int_equal(db_volume_set_size(f->db, "vol1", 2 << 20), 0);
	assert_int_equal(db_volume_set_ready(f->db, "vol1", 42), 0);
	assert_int_equal(db_volume_get(f->db, "vol1", &got), 0);
	assert_int_equal(got.size, 2 << 20);
	assert_int_equal(got.ready_at, 42);
	assert_int_equal(db_volume_set_size(f->db, "nosuch", 1024), -ENOENT);

	assert_int_equal(db_volume_list(f->db, "p1", &all, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].name, "snap1");
	assert_string_equal(all[1].name, "vol1");
	free(all);
	assert_int_equal(db_volume_list(f->db, NULL, &all, &n), 0);
	assert_int_equal(n, 3);
	free(all);

	assert_int_equal(db_volume_delete(f->db, "snap1"), 0);
	assert_int_equal(db_volume_delete(f->db, "vol1"), 0);
	assert_int_equal(db_volume_delete(f->db, "vol1"), -ENOENT);
	assert_int_equal(db_volume_delete(f->db, "vol2"), 0);
	assert_int_equal(db_pair_delete(f->db, "p2"), 0);
}

static void test_state_and_fences(void **state)
{
	struct fx *f = *state;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001);
	struct db_volume v = volume("vol1", "p1", 10, 0, 0);
	struct db_fence fe, *all;
	uint64_t gen;
	int64_t at;
	char *obs;
	size_t n;

	/* a node never seen: generation 1, nothing observed */
	assert_int_equal(db_storage_get(f->db, "sn1", &gen, &obs, &at), 0);
	assert_int_equal(gen, 1);
	assert_string_equal(obs, "");
	assert_int_equal(at, 0);
	free(obs);
	assert_int_equal(db_storage_bump(f->db, "sn1"), 0);
	assert_int_equal(db_storage_bump(f->db, "sn1"), 0);
	assert_int_equal(db_storage_get(f->db, "sn1", &gen, NULL, NULL), 0);
	assert_int_equal(gen, 3);
	assert_int_equal(db_storage_set_observed(f->db, "sn1", "{\"vg\":true}", 50), 0);
	assert_int_equal(db_storage_get(f->db, "sn1", &gen, &obs, &at), 0);
	assert_int_equal(gen, 3);                    /* observing is not a change to apply */
	assert_string_equal(obs, "{\"vg\":true}");
	assert_int_equal(at, 50);
	free(obs);
	assert_int_not_equal(db_storage_bump(f->db, "nosuch"), 0);

	assert_int_equal(db_pair_insert(f->db, &p), 0);
	assert_int_equal(db_storage_bump_pair(f->db, "p1"), 0);
	assert_int_equal(db_storage_get(f->db, "sn1", &gen, NULL, NULL), 0);
	assert_int_equal(gen, 4);
	assert_int_equal(db_storage_get(f->db, "sn2", &gen, NULL, NULL), 0);
	assert_int_equal(gen, 2);

	assert_int_equal(db_volume_insert(f->db, &v), 0);
	assert_int_equal(db_fence_get(f->db, "vol1", &fe), -ENOENT);
	assert_int_equal(db_fence_set(f->db, "vol1", "sn2", 77), 0);
	assert_int_equal(db_fence_set(f->db, "vol1", "sn1", 78), -EEXIST);
	assert_int_equal(db_fence_get(f->db, "vol1", &fe), 0);
	assert_string_equal(fe.node, "sn2");
	assert_int_equal(fe.at, 77);
	assert_int_equal(db_fence_list(f->db, "p1", &all, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].volume, "vol1");
	free(all);
	assert_int_equal(db_fence_clear(f->db, "vol1"), 0);
	assert_int_equal(db_fence_clear(f->db, "vol1"), -ENOENT);
	/* a fence goes with its volume */
	assert_int_equal(db_fence_set(f->db, "vol1", "sn2", 79), 0);
	assert_int_equal(db_volume_delete(f->db, "vol1"), 0);
	assert_int_equal(db_fence_get(f->db, "vol1", &fe), -ENOENT);
}

/* A version-2 database with nodes gains the storage tables on open. */
static void test_migration_2_to_3(void **state)
{
	struct fx *f = *state;
	struct db *old;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001), got;
	char path[128];

	snprintf(path, sizeof(path), "%s/v2.db", f->dir);
	assert_int_equal(db_open_version(path, 2, &old), 0);
	add_node(old, "sn1", 1, ROLE_STORAGE);
	add_node(old, "sn2", 2, ROLE_STORAGE);
	assert_int_equal(db_pair_get(old, "p1", &got), -EIO);   /* no table yet */
	db_close(old);
	assert_int_equal(db_open(path, &old), 0);
	assert_true(db_schema_version(old) >= 5);
	assert_int_equal(db_pair_insert(old, &p), 0);
	assert_int_equal(db_pair_get(old, "p1", &got), 0);
	db_close(old);
}

/* A version-3 database with a volume gains the import columns on open,
 * the volume not imported; imports are set, read back and failed at once
 * by a restart. */
static void test_migration_3_to_4_imports(void **state)
{
	struct fx *f = *state;
	struct db *old;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001);
	struct db_volume v = volume("v1", "p1", 1, 1, 0), w = volume("v2", "p1", 1, 2, 1),
			 got;
	struct db_import im = { .state = DB_IMPORT_RUNNING, .file = "/srv/t.img", .done = 512,
				.total = 4096 };
	char path[128];

	snprintf(path, sizeof(path), "%s/v3.db", f->dir);
	assert_int_equal(db_open_version(path, 3, &old), 0);
	add_node(old, "sn1", 1, ROLE_STORAGE);
	add_node(old, "sn2", 2, ROLE_STORAGE);
	assert_int_equal(db_pair_insert(old, &p), 0);
	db_close(old);
	assert_int_equal(db_open(path, &old), 0);
	assert_true(db_schema_version(old) >= 5);
	assert_int_equal(db_volume_insert(old, &v), 0);
	assert_int_equal(db_volume_get(old, "v1", &got), 0);
	assert_int_equal(got.import.state, DB_IMPORT_NONE);
	w.import = im;
	assert_int_equal(db_volume_insert(old, &w), 0);
	assert_int_equal(db_volume_get(old, "v2", &got), 0);
	assert_int_equal(got.import.state, DB_IMPORT_RUNNING);
	assert_string_equal(got.import.file, "/srv/t.img");
	assert_int_equal(got.import.done, 512);
	assert_int_equal(got.import.total, 4096);
	im.done = 4096;
	assert_int_equal(db_volume_set_import(old, "v2", &im), 0);
	assert_int_equal(db_volume_set_import(old, "nosuch", &im), -ENOENT);
	assert_int_equal(db_volume_fail_imports(old, "nimbusd restarted"), 1);
	assert_int_equal(db_volume_fail_imports(old, "nimbusd restarted"), 0);
	assert_int_equal(db_volume_get(old, "v2", &got), 0);
	assert_int_equal(got.import.state, DB_IMPORT_FAILED);
	assert_string_equal(got.import.error, "nimbusd restarted");
	assert_int_equal(got.import.done, 4096);
	assert_int_equal(db_volume_get(old, "v1", &got), 0);
	assert_int_equal(got.import.state, DB_IMPORT_NONE);
	db_close(old);
}

/* Version 4 to 5: the volumes table is made again (its kind may be
 * 'clone'), keeping every row - volumes, snapshots and their origins,
 * imports - and the fences, which its rows hold. */
static void test_migration_4_to_5_clones(void **state)
{
	struct fx *f = *state;
	struct db *old;
	struct db_pair p = pair("p1", "sn1", "sn2", 0x0a4e0001);
	struct db_volume v = volume("vol1", "p1", 10, 0, 0), s = volume("snap1", "p1", 10, 1, 1),
			 im = volume("img", "p1", 10, 2, 2), c = volume("c1", "p1", 10, 3, 3), got;
	struct db_fence fe;
	sqlite3_stmt *st;
	char path[128], names[64];

	snprintf(path, sizeof(path), "%s/v4.db", f->dir);
	assert_int_equal(db_open_version(path, 4, &old), 0);
	add_node(old, "sn1", 1, ROLE_STORAGE);
	add_node(old, "sn2", 2, ROLE_STORAGE);
	assert_int_equal(db_pair_insert(old, &p), 0);
	v.ready_at = 77;
	assert_int_equal(db_volume_insert(old, &v), 0);
	s.kind = SMSG_VOLUME_SNAPSHOT;
	snprintf(s.origin, sizeof(s.origin), "vol1");
	assert_int_equal(db_volume_insert(old, &s), 0);
	im.import = (struct db_import){ .state = DB_IMPORT_DONE, .file = "/srv/t.img",
					.done = 4096, .total = 4096 };
	assert_int_equal(db_volume_insert(old, &im), 0);
	assert_int_equal(db_fence_set(old, "vol1", "sn2", 79), 0);
	c.kind = SMSG_VOLUME_CLONE;
	snprintf(c.origin, sizeof(c.origin), "vol1");
	assert_int_equal(db_volume_insert(old, &c), -EEXIST);   /* version 4: no clones */
	db_close(old);

	assert_int_equal(db_open_version(path, 5, &old), 0);
	assert_int_equal(db_schema_version(old), 5);
	assert_int_equal(db_volume_get(old, "vol1", &got), 0);
	assert_int_equal(got.kind, SMSG_VOLUME_PLAIN);
	assert_int_equal(got.ready_at, 77);
	assert_int_equal(got.port, 7789);
	assert_int_equal(db_volume_get(old, "snap1", &got), 0);
	assert_int_equal(got.kind, SMSG_VOLUME_SNAPSHOT);
	assert_string_equal(got.origin, "vol1");
	assert_int_equal(db_volume_get(old, "img", &got), 0);
	assert_int_equal(got.import.state, DB_IMPORT_DONE);
	assert_string_equal(got.import.file, "/srv/t.img");
	assert_int_equal(db_fence_get(old, "vol1", &fe), 0);
	assert_string_equal(fe.node, "sn2");
	assert_int_equal(fe.at, 79);
	/* the constraints came along: unique addresses, the origin held, the
	 * fence going with its volume */
	assert_int_equal(db_volume_insert(old, &c), 0);
	assert_int_equal(db_volume_snapshots(old, "vol1", names, sizeof(names)), 2);
	assert_string_equal(names, "c1, snap1");
	assert_int_equal(db_volume_delete(old, "vol1"), -EBUSY);
	got = volume("dup", "p1", 10, 3, 9);                     /* e10.3 is c1's */
	assert_int_equal(db_volume_insert(old, &got), -EEXIST);
	got = volume("odd", "p1", 10, 9, 9);
	got.size = 1000;
	assert_int_equal(db_volume_insert(old, &got), -EEXIST);
	assert_int_equal(sqlite3_prepare_v2(db_i_handle(old), "PRAGMA foreign_key_check", -1, &st,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);           /* no violation */
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db_i_handle(old), "SELECT count(*) FROM sqlite_temp_master",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);           /* nothing left aside */
	sqlite3_finalize(st);
	assert_int_equal(db_volume_delete(old, "c1"), 0);
	assert_int_equal(db_volume_delete(old, "snap1"), 0);
	assert_int_equal(db_volume_delete(old, "vol1"), 0);
	assert_int_equal(db_fence_get(old, "vol1", &fe), -ENOENT);
	db_close(old);
	/* and on to the newest version */
	assert_int_equal(db_open(path, &old), 0);
	assert_true(db_schema_version(old) >= 5);
	assert_int_equal(db_volume_get(old, "img", &got), 0);
	db_close(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_and_fences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_2_to_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_3_to_4_imports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_4_to_5_clones, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
