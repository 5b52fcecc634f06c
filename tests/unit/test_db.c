/* confignode/db.c against a real SQLite file in a temporary directory:
 * migrations, uniqueness, cascades, transactions, persistence. */
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
#include <sqlite3.h>

#include "../../confignode/db.h"
#include "fixtures_db.h"
#include "log.h"

static int setup(void **state)
{
	log_init("test_db", LOG_LVL_ERR, 0);
	return fixture_db_setup(state, "test_db");
}

static int teardown(void **state)
{
	return fixture_db_teardown(state);
}

static struct db_node node(const char *name, const char *mac, uint32_t ip)
{
	struct db_node n = { 0 };

	snprintf(n.name, sizeof(n.name), "%s", name);
	assert_int_equal(mac_parse(mac, n.mac), 0);
	n.ip = ip;
	n.role = ROLE_STORAGE;
	n.state = NODE_ADDED;
	n.state_at = n.seen_at = n.created = 1000;
	return n;
}

static void add_image(struct db *db, const char *name)
{
	struct prov_image img = { 0 };

	snprintf(img.name, sizeof(img.name), "%s", name);
	snprintf(img.kernel, sizeof(img.kernel), "images/%s/vmlinuz", name);
	assert_int_equal(db_image_insert(db, &img, 1), 0);
}

static void test_schema(void **state)
{
	struct fx *f = *state;
	sqlite3 *h;

	assert_int_equal(db_schema_version(f->db), 6);
	/* reopening does not migrate again */
	db_close(f->db);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_schema_version(f->db), 6);
	db_close(f->db);
	f->db = NULL;
	/* a database from a newer nimbusd is refused, not damaged */
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO schema_migrations VALUES (99, 0)", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(f->path, &f->db), -EPROTO);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "DELETE FROM schema_migrations WHERE version = 99",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(f->path, &f->db), 0);
}

/* A version-1 database with a node is migrated to version 2 on open and
 * keeps its data; the new column starts as "{}". */
static void test_migration_1_to_2(void **state)
{
	struct fx *f = *state;
	struct db *old;
	struct db_node a = node("web1", "52:54:00:aa:00:01", 0x0a4d000a), got;
	char path[128], *report;

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	assert_int_equal(db_open_version(path, 1, &old), 0);
	assert_int_equal(db_schema_version(old), 1);
	assert_int_equal(db_node_insert(old, &a), 0);
	assert_int_equal(db_event_add(old, "web1", "added", "", 1), 0);
	assert_int_equal(db_node_get_report(old, "web1", &report), -EIO); /* no column yet */
	db_close(old);
	assert_int_equal(db_open_version(path, 2, &old), 0);
	assert_int_equal(db_schema_version(old), 2);
	assert_int_equal(db_node_get(old, "web1", &got), 0);
	assert_int_equal(got.ip, a.ip);
	assert_int_equal(db_node_get_report(old, "web1", &report), 0);
	assert_string_equal(report, "{}");
	free(report);
	assert_int_equal(db_node_set_report(old, "web1", "{\"cpus\":2}"), 0);
	assert_int_equal(db_node_get_report(old, "web1", &report), 0);
	assert_string_equal(report, "{\"cpus\":2}");
	free(report);
	assert_int_equal(db_node_set_report(old, "ghost", "{}"), -ENOENT);
	assert_int_equal(db_node_get_report(old, "ghost", &report), -ENOENT);
	db_close(old);
}

static void test_nodes(void **state)
{
	struct fx *f = *state;
	struct db_node a = node("web1", "52:54:00:aa:00:01", 0x0a4d000a), got, *list;
	struct db_node b = node("web2", "52:54:00:aa:00:02", 0x0a4d000b);
	struct db_node dup;
	size_t n;
	char holder[PROV_NAME_MAX];

	assert_int_equal(db_node_insert(f->db, &a), 0);
	assert_int_equal(db_node_insert(f->db, &b), 0);
	dup = node("web1", "52:54:00:aa:00:03", 0x0a4d000c);
	assert_int_equal(db_node_insert(f->db, &dup), -EEXIST);       /* name */
	dup = node("web3", "52:54:00:aa:00:01", 0x0a4d000c);
	assert_int_equal(db_node_insert(f->db, &dup), -EEXIST);       /* mac */
	dup = node("web3", "52:54:00:aa:00:03", 0x0a4d000a);
	assert_int_equal(db_node_insert(f->db, &dup), -EEXIST);       /* ip */
	dup = node("web3", "52:54:00:aa:00:03", 0x0a4d000c);
	snprintf(dup.image, sizeof(dup.image), "nosuch");
	assert_int_equal(db_node_insert(f->db, &dup), -EEXIST);       /* image must exist */

	assert_int_equal(db_node_get(f->db, "web1", &got), 0);
	assert_memory_equal(got.mac, a.mac, MAC_LEN);
	assert_int_equal(got.ip, a.ip);
	assert_int_equal(got.role, ROLE_STORAGE);
	assert_string_equal(got.image, "");
	assert_int_equal(db_node_by_mac(f->db, b.mac, &got), 0);
	assert_string_equal(got.name, "web2");
	assert_int_equal(db_node_by_ip(f->db, 0x0a4d000a, &got), 0);
	assert_string_equal(got.name, "web1");
	assert_int_equal(db_node_get(f->db, "ghost", &got), -ENOENT);
	assert_int_equal(db_node_by_ip(f->db, 0x0a4d0063, &got), -ENOENT);

	/* update with an image override, then rename */
	add_image(f->db, "st1");
	snprintf(a.image, sizeof(a.image), "st1");
	a.state = NODE_BOOTED;
	a.role = ROLE_HW;
	assert_int_equal(db_node_update(f->db, "web1", &a), 0);
	assert_int_equal(db_node_count_image(f->db, "st1", holder, sizeof(holder)), 1);
	assert_string_equal(holder, "web1");
	assert_int_equal(db_image_delete(f->db, "st1"), -EEXIST);     /* in use */
	assert_int_equal(db_event_add(f->db, "web1", "booted", "x", 5), 0);
	snprintf(a.name, sizeof(a.name), "web9");
	assert_int_equal(db_node_update(f->db, "web1", &a), 0);
	assert_int_equal(db_node_get(f->db, "web9", &got), 0);
	assert_int_equal(got.state, NODE_BOOTED);
	assert_int_equal(got.role, ROLE_HW);
	assert_string_equal(got.image, "st1");
	assert_int_equal(db_node_update(f->db, "ghost", &a), -ENOENT);
	/* web2 cannot take web9's address */
	b.ip = a.ip;
	assert_int_equal(db_node_update(f->db, "web2", &b), -EEXIST);

	assert_int_equal(db_node_list(f->db, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "web2");
	assert_string_equal(list[1].name, "web9");
	free(list);

	assert_int_equal(db_node_delete(f->db, "web9"), 0);
	assert_int_equal(db_node_delete(f->db, "web9"), -ENOENT);
}

static void test_events(void **state)
{
	struct fx *f = *state;
	struct db_node a = node("web1", "52:54:00:aa:00:01", 0x0a4d000a);
	struct db_event *ev;
	size_t n;

	assert_int_equal(db_node_insert(f->db, &a), 0);
	assert_int_equal(db_event_add(f->db, "web1", "added", "mac 52:54:00:aa:00:01", 10), 0);
	assert_int_equal(db_event_add(f->db, "web1", "dhcp", "ip 10.77.0.10", 11), 0);
	assert_int_equal(db_event_add(f->db, "web1", "booted", NULL, 12), 0);
	/* an event for no node is refused */
	assert_int_equal(db_event_add(f->db, "ghost", "dhcp", "", 13), -EEXIST);
	assert_int_equal(db_event_list(f->db, "web1", &ev, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].event, "added");
	assert_string_equal(ev[1].detail, "ip 10.77.0.10");
	assert_int_equal(ev[2].at, 12);
	assert_string_equal(ev[2].detail, "");
	free(ev);
	/* removing the node removes its history */
	assert_int_equal(db_node_delete(f->db, "web1"), 0);
	assert_int_equal(db_node_insert(f->db, &a), 0);
	assert_int_equal(db_event_list(f->db, "web1", &ev, &n), 0);
	assert_int_equal(n, 0);
	free(ev);
}

static void test_images_roles(void **state)
{
	struct fx *f = *state;
	struct prov_image img = { 0 }, got, *list;
	char image[PROV_NAME_MAX];
	size_t n;

	snprintf(img.name, sizeof(img.name), "xen1");
	snprintf(img.kernel, sizeof(img.kernel), "hw/vmlinuz");
	snprintf(img.initrd, sizeof(img.initrd), "hw/initrd.gz");
	snprintf(img.xen, sizeof(img.xen), "hw/xen.gz");
	snprintf(img.xen_cmdline, sizeof(img.xen_cmdline), "dom0_mem=512M");
	snprintf(img.cmdline, sizeof(img.cmdline), "console=hvc0");
	assert_int_equal(db_image_insert(f->db, &img, 1), 0);
	assert_int_equal(db_image_insert(f->db, &img, 1), -EEXIST);
	assert_int_equal(db_image_get(f->db, "xen1", &got), 0);
	assert_memory_equal(&got, &img, sizeof(img));
	assert_int_equal(db_image_get(f->db, "nosuch", &got), -ENOENT);

	assert_int_equal(db_role_get(f->db, ROLE_HW, image), 0);
	assert_string_equal(image, "");
	assert_int_equal(db_role_set(f->db, ROLE_HW, "nosuch"), -EEXIST);
	assert_int_equal(db_role_set(f->db, ROLE_HW, "xen1"), 0);
	assert_int_equal(db_role_get(f->db, ROLE_HW, image), 0);
	assert_string_equal(image, "xen1");
	assert_int_equal(db_image_delete(f->db, "xen1"), -EEXIST); /* a role's default */
	assert_int_equal(db_role_set(f->db, ROLE_HW, NULL), 0);
	assert_int_equal(db_image_list(f->db, &list, &n), 0);
	assert_int_equal(n, 1);
	free(list);
	assert_int_equal(db_image_delete(f->db, "xen1"), 0);
	assert_int_equal(db_image_delete(f->db, "xen1"), -ENOENT);
}

static void test_discovered(void **state)
{
	struct fx *f = *state;
	struct db_discovered d = { 0 }, got, *list;
	size_t n;

	assert_int_equal(mac_parse("52:54:00:bb:00:01", d.mac), 0);
	d.ip = 0x0a4d0096;
	d.cpus = 2;
	d.memory_mb = 512;
	d.nics_json = "[\"52:54:00:bb:00:01\"]";
	d.info_json = "{\"vendor\":\"QEMU\"}";
	d.first_seen = d.last_seen = 100;
	assert_int_equal(db_discovered_upsert(f->db, &d), 0);
	/* a second report updates, keeping first_seen */
	d.cpus = 4;
	d.first_seen = 999;
	d.last_seen = 200;
	assert_int_equal(db_discovered_upsert(f->db, &d), 0);
	assert_int_equal(db_discovered_get(f->db, d.mac, &got), 0);
	assert_int_equal(got.cpus, 4);
	assert_int_equal(got.first_seen, 100);
	assert_int_equal(got.last_seen, 200);
	assert_string_equal(got.info_json, "{\"vendor\":\"QEMU\"}");
	db_discovered_free(&got);
	assert_int_equal(db_discovered_list(f->db, &list, &n), 0);
	assert_int_equal(n, 1);
	db_discovered_free_list(list, n);
	assert_int_equal(db_discovered_count(f->db), 1);
	assert_int_equal(db_discovered_delete(f->db, d.mac), 0);
	assert_int_equal(db_discovered_get(f->db, d.mac, &got), -ENOENT);
	assert_int_equal(db_discovered_delete(f->db, d.mac), -ENOENT);
}

static void test_transactions(void **state)
{
	struct fx *f = *state;
	struct db_node a = node("web1", "52:54:00:aa:00:01", 0x0a4d000a), got;
	struct db_node b = node("web2", "52:54:00:aa:00:02", 0x0a4d000b);

	/* rolled back: nothing remains */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_node_insert(f->db, &a), 0);
	assert_int_equal(db_event_add(f->db, "web1", "added", "", 1), 0);
	db_rollback(f->db);
	assert_int_equal(db_node_get(f->db, "web1", &got), -ENOENT);

	/* nested: only the outer commit commits */
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_node_insert(f->db, &a), 0);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_node_insert(f->db, &b), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_commit(f->db), 0);

	/* committed data survives closing and reopening */
	db_close(f->db);
	assert_int_equal(db_open(f->path, &f->db), 0);
	assert_int_equal(db_node_get(f->db, "web1", &got), 0);
	assert_int_equal(db_node_get(f->db, "web2", &got), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_1_to_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_images_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
