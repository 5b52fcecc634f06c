#include "db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "log.h"

struct db {
	sqlite3 *h;
	int depth; /* nested db_begin() calls */
};

/* Numbered migrations: entry i brings the schema to version i + 1. Never
 * edit one that has shipped; append a new one. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE images ("
	"  name TEXT PRIMARY KEY, kernel TEXT NOT NULL, initrd TEXT NOT NULL,"
	"  xen TEXT NOT NULL DEFAULT '', xen_cmdline TEXT NOT NULL DEFAULT '',"
	"  cmdline TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL);"
	"CREATE TABLE roles ("
	"  name TEXT PRIMARY KEY, image TEXT REFERENCES images(name));"
	"INSERT INTO roles(name, image) VALUES ('storage', NULL), ('hw', NULL);"
	"CREATE TABLE nodes ("
	"  name TEXT PRIMARY KEY, mac TEXT NOT NULL UNIQUE, ip INTEGER NOT NULL UNIQUE,"
	"  role TEXT NOT NULL REFERENCES roles(name),"
	"  image TEXT REFERENCES images(name),"
	"  state TEXT NOT NULL, state_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE ON UPDATE CASCADE,"
	"  event TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL);"
	"CREATE INDEX events_node ON events(node, id);"
	"CREATE TABLE discovered ("
	"  mac TEXT PRIMARY KEY, ip INTEGER NOT NULL, cpus INTEGER NOT NULL,"
	"  memory_mb INTEGER NOT NULL, nics TEXT NOT NULL, info TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL);",
	/* 2: the last report of each node (what the booted system said) */
	"ALTER TABLE nodes ADD COLUMN report TEXT NOT NULL DEFAULT '{}';",
	/* 3: storage pairs, replicated volumes, fences (db_storage.c) */
	DB_STORAGE_MIGRATION_3,
	/* 4: the state of each volume's import (db_storage.c) */
	DB_STORAGE_MIGRATION_4,
	/* 5: a volume may be a clone (db_storage.c) */
	DB_STORAGE_MIGRATION_5,
	/* 6: templates, instances, migrations, instance history (db_instance.c) */
	DB_INSTANCE_MIGRATION_6,
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

static int db_err(struct db *db, const char *what)
{
	log_err("database: %s: %s", what, sqlite3_errmsg(db->h));
	return -EIO;
}

static int exec(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("database: %.60s...: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(db, sql);
	return 0;
}

/* Runs a statement that returns no rows; maps constraint failures to
 * -EEXIST and "nothing changed" to -ENOENT when want_change. */
static int step_done(struct db *db, sqlite3_stmt *st, int want_change)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_CONSTRAINT) {
		sqlite3_finalize(st);
		return -EEXIST;
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(db, sqlite3_sql(st));
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (want_change && sqlite3_changes(db->h) == 0)
		return -ENOENT;
	return 0;
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -EIO;

	if (prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct db *db, int upto)
{
	int v, rc;

	rc = exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		      "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	if (rc < 0)
		return rc;
	v = db_schema_version(db);
	if (v < 0)
		return v;
	if (v > N_MIGRATIONS) {
		log_err("database: schema version %d is newer than this nimbusd (%d)",
			v, N_MIGRATIONS);
		return -EPROTO;
	}
	for (; v < upto && v < N_MIGRATIONS; v++) {
		char sql[128];

		rc = exec(db, "BEGIN IMMEDIATE");
		if (rc < 0)
			return rc;
		rc = exec(db, migrations[v]);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations VALUES (%d, strftime('%%s','now'))", v + 1);
		if (rc == 0)
			rc = exec(db, sql);
		if (rc < 0) {
			exec(db, "ROLLBACK");
			log_err("database: migration to schema version %d failed", v + 1);
			return rc;
		}
		rc = exec(db, "COMMIT");
		if (rc < 0)
			return rc;
		log_info("database: schema migrated to version %d", v + 1);
	}
	return 0;
}

int db_open_version(const char *path, int upto, struct db **out)
{
	struct db *db;
	int rc;

	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("database %s: %s", path, db->h ? sqlite3_errmsg(db->h) : "cannot open");
		rc = -EIO;
		goto err;
	}
	sqlite3_busy_timeout(db->h, 2000);
	rc = exec(db, "PRAGMA journal_mode=WAL");
	if (rc == 0)
		rc = exec(db, "PRAGMA foreign_keys=ON");
	if (rc == 0)
		rc = exec(db, "PRAGMA synchronous=FULL");
	if (rc == 0)
		rc = migrate(db, upto);
	if (rc < 0)
		goto err;
	*out = db;
	return 0;
err:
	sqlite3_close(db->h);
	free(db);
	return rc;
}

int db_open(const char *path, struct db **out)
{
	return db_open_version(path, N_MIGRATIONS, out);
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db);
}

int db_begin(struct db *db)
{
	if (db->depth++ > 0)
		return 0;
	if (exec(db, "BEGIN IMMEDIATE") < 0) {
		db->depth--;
		return -EIO;
	}
	return 0;
}

int db_commit(struct db *db)
{
	if (db->depth == 0 || --db->depth > 0)
		return 0;
	if (exec(db, "COMMIT") < 0) {
		exec(db, "ROLLBACK");
		return -EIO;
	}
	return 0;
}

void db_rollback(struct db *db)
{
	if (db->depth == 0)
		return;
	db->depth = 0;
	exec(db, "ROLLBACK");
}

/* --- nodes ------------------------------------------------------------- */

#define NODE_COLS "name, mac, ip, role, COALESCE(image, ''), state, state_at, seen_at, created"

static int read_node(sqlite3_stmt *st, struct db_node *n)
{
	char buf[64];

	memset(n, 0, sizeof(*n));
	copy_col(n->name, sizeof(n->name), st, 0);
	copy_col(buf, sizeof(buf), st, 1);
	if (mac_parse(buf, n->mac) < 0)
		return -EIO;
	n->ip = (uint32_t)sqlite3_column_int64(st, 2);
	copy_col(buf, sizeof(buf), st, 3);
	if (role_parse(buf, &n->role) < 0)
		return -EIO;
	copy_col(n->image, sizeof(n->image), st, 4);
	copy_col(buf, sizeof(buf), st, 5);
	if (node_state_parse(buf, &n->state) < 0)
		return -EIO;
	n->state_at = sqlite3_column_int64(st, 6);
	n->seen_at = sqlite3_column_int64(st, 7);
	n->created = sqlite3_column_int64(st, 8);
	return 0;
}

static void bind_node(sqlite3_stmt *st, const struct db_node *n)
{
	char mac[MAC_STR_LEN];

	mac_format(n->mac, mac);
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, n->ip);
	sqlite3_bind_text(st, 4, role_name(n->role), -1, SQLITE_STATIC);
	if (n->image[0])
		sqlite3_bind_text(st, 5, n->image, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, node_state_name(n->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, n->state_at);
	sqlite3_bind_int64(st, 8, n->seen_at);
	sqlite3_bind_int64(st, 9, n->created);
}

int db_node_insert(struct db *db, const struct db_node *n)
{
	sqlite3_stmt *st;

	if (prepare(db, "INSERT INTO nodes(name, mac, ip, role, image, state, state_at,"
		    " seen_at, created) VALUES (?,?,?,?,?,?,?,?,?)", &st) < 0)
		return -EIO;
	bind_node(st, n);
	return step_done(db, st, 0);
}

int db_node_update(struct db *db, const char *old_name, const struct db_node *n)
{
	sqlite3_stmt *st;

	if (prepare(db, "UPDATE nodes SET name=?1, mac=?2, ip=?3, role=?4, image=?5,"
		    " state=?6, state_at=?7, seen_at=?8, created=?9 WHERE name=?10", &st) < 0)
		return -EIO;
	bind_node(st, n);
	sqlite3_bind_text(st, 10, old_name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

int db_node_delete(struct db *db, const char *name)
{
	sqlite3_stmt *st;

	if (prepare(db, "DELETE FROM nodes WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

static int node_query_one(struct db *db, sqlite3_stmt *st, struct db_node *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = read_node(st, out) < 0 ? db_err(db, "corrupt node row") : 0;
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = db_err(db, sqlite3_sql(st));
	sqlite3_finalize(st);
	return rc;
}

int db_node_get(struct db *db, const char *name, struct db_node *out)
{
	sqlite3_stmt *st;

	if (prepare(db, "SELECT " NODE_COLS " FROM nodes WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return node_query_one(db, st, out);
}

int db_node_by_mac(struct db *db, const uint8_t mac[MAC_LEN], struct db_node *out)
{
	sqlite3_stmt *st;
	char m[MAC_STR_LEN];

	mac_format(mac, m);
	if (prepare(db, "SELECT " NODE_COLS " FROM nodes WHERE mac=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	return node_query_one(db, st, out);
}

int db_node_by_ip(struct db *db, uint32_t ip, struct db_node *out)
{
	sqlite3_stmt *st;

	if (prepare(db, "SELECT " NODE_COLS " FROM nodes WHERE ip=?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, ip);
	return node_query_one(db, st, out);
}

/* Grows *arr by one element of size sz; returns the new element. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, nc * sz);

		if (!p)
			return NULL;
		*arr = p;
		*cap = nc;
	}
	return (char *)*arr + (*n)++ * sz;
}

/* Fills the list element e from the current row: 0, or a negative errno
 * that ends the listing. */
typedef int (*row_reader)(struct db *db, sqlite3_stmt *st, void *e);

/* Every row of st (prepared and bound) into a new array *arr of sz-byte
 * elements, *n of them; finalizes st. On failure the rows read so far are
 * released with release (NULL: only the array) and *arr, *n are untouched;
 * what names the listing in the log. */
static int list_rows(struct db *db, sqlite3_stmt *st, size_t sz, row_reader read,
		     void (*release)(void *arr, size_t n), const char *what,
		     void **arr, size_t *n)
{
	void *a = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *e = grow(&a, &cnt, &cap, sz);

		if (!e) {
			rc = -ENOMEM;
			goto err;
		}
		rc = read(db, st, e);
		if (rc < 0) {
			cnt--;
			goto err;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(db, what);
		goto err;
	}
	sqlite3_finalize(st);
	*arr = a;
	*n = cnt;
	return 0;
err:
	sqlite3_finalize(st);
	if (release)
		release(a, cnt);
	else
		free(a);
	return rc;
}

static int node_row(struct db *db, sqlite3_stmt *st, void *e)
{
	return read_node(st, e) < 0 ? db_err(db, "corrupt node row") : 0;
}

int db_node_list(struct db *db, struct db_node **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (prepare(db, "SELECT " NODE_COLS " FROM nodes ORDER BY name", &st) < 0)
		return -EIO;
	rc = list_rows(db, st, sizeof(**out), node_row, NULL, "listing nodes", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_i_names(struct db *db, const char *sql, const char *key, char *names, size_t len)
{
	sqlite3_stmt *st;
	size_t used = 0;
	int rc, count = 0;

	if (names && len)
		names[0] = '\0';
	if (prepare(db, sql, &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);

		count++;
		if (!names || !n)
			continue;
		/* Room is kept for ", ..." when the list does not fit. */
		if (used + strlen(n) + 2 + 6 < len) {
			used += (size_t)snprintf(names + used, len - used, "%s%s",
						 count > 1 ? ", " : "", n);
		} else if (used + 6 < len && !strstr(names, "...")) {
			used += (size_t)snprintf(names + used, len - used, ", ...");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? count : db_err(db, sql);
}

int db_node_count_image(struct db *db, const char *image, char *names, size_t len)
{
	return db_i_names(db, "SELECT name FROM nodes WHERE image=? ORDER BY name", image,
			  names, len);
}

int db_node_set_report(struct db *db, const char *name, const char *json)
{
	sqlite3_stmt *st;

	if (prepare(db, "UPDATE nodes SET report=? WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

int db_node_get_report(struct db *db, const char *name, char **json)
{
	sqlite3_stmt *st;
	int rc;

	*json = NULL;
	if (prepare(db, "SELECT report FROM nodes WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);

		*json = strdup(s ? (const char *)s : "{}");
		rc = *json ? 0 : -ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, "reading report");
	}
	sqlite3_finalize(st);
	return rc;
}

/* --- events ------------------------------------------------------------ */

int db_event_add(struct db *db, const char *node, const char *event,
		 const char *detail, int64_t at)
{
	sqlite3_stmt *st;

	if (prepare(db, "INSERT INTO events(node, event, detail, at) VALUES (?,?,?,?)", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, event, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, detail ? detail : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, at);
	return step_done(db, st, 0);
}

static int event_row(struct db *db, sqlite3_stmt *st, void *p)
{
	struct db_event *e = p;

	(void)db;
	e->id = sqlite3_column_int64(st, 0);
	copy_col(e->node, sizeof(e->node), st, 1);
	copy_col(e->event, sizeof(e->event), st, 2);
	copy_col(e->detail, sizeof(e->detail), st, 3);
	e->at = sqlite3_column_int64(st, 4);
	return 0;
}

int db_event_list(struct db *db, const char *node, struct db_event **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (prepare(db, "SELECT id, node, event, detail, at FROM events WHERE node=? ORDER BY id",
		    &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	rc = list_rows(db, st, sizeof(**out), event_row, NULL, "listing events", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

/* --- images and roles -------------------------------------------------- */

int db_image_insert(struct db *db, const struct prov_image *img, int64_t now)
{
	sqlite3_stmt *st;

	if (prepare(db, "INSERT INTO images(name, kernel, initrd, xen, xen_cmdline, cmdline,"
		    " created) VALUES (?,?,?,?,?,?,?)", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, img->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, img->kernel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, img->initrd, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, img->xen, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, img->xen_cmdline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, img->cmdline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	return step_done(db, st, 0);
}

int db_image_update(struct db *db, const struct prov_image *img)
{
	sqlite3_stmt *st;

	if (prepare(db, "UPDATE images SET kernel=?, initrd=?, xen=?, xen_cmdline=?, cmdline=?"
		    " WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, img->kernel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, img->initrd, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, img->xen, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, img->xen_cmdline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, img->cmdline, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, img->name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

int db_image_delete(struct db *db, const char *name)
{
	sqlite3_stmt *st;

	if (prepare(db, "DELETE FROM images WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

static void read_image(sqlite3_stmt *st, struct prov_image *img)
{
	memset(img, 0, sizeof(*img));
	copy_col(img->name, sizeof(img->name), st, 0);
	copy_col(img->kernel, sizeof(img->kernel), st, 1);
	copy_col(img->initrd, sizeof(img->initrd), st, 2);
	copy_col(img->xen, sizeof(img->xen), st, 3);
	copy_col(img->xen_cmdline, sizeof(img->xen_cmdline), st, 4);
	copy_col(img->cmdline, sizeof(img->cmdline), st, 5);
}

#define IMAGE_COLS "name, kernel, initrd, xen, xen_cmdline, cmdline"

int db_image_get(struct db *db, const char *name, struct prov_image *out)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT " IMAGE_COLS " FROM images WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_image(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, "reading image");
	}
	sqlite3_finalize(st);
	return rc;
}

static int image_row(struct db *db, sqlite3_stmt *st, void *e)
{
	(void)db;
	read_image(st, e);
	return 0;
}

int db_image_list(struct db *db, struct prov_image **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (prepare(db, "SELECT " IMAGE_COLS " FROM images ORDER BY name", &st) < 0)
		return -EIO;
	rc = list_rows(db, st, sizeof(**out), image_row, NULL, "listing images", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_role_get(struct db *db, enum node_role role, char image[PROV_NAME_MAX])
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(db, "SELECT COALESCE(image, '') FROM roles WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, role_name(role), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_col(image, PROV_NAME_MAX, st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, "reading role");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_role_set(struct db *db, enum node_role role, const char *image)
{
	sqlite3_stmt *st;

	if (prepare(db, "UPDATE roles SET image=? WHERE name=?", &st) < 0)
		return -EIO;
	if (image && image[0])
		sqlite3_bind_text(st, 1, image, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_text(st, 2, role_name(role), -1, SQLITE_STATIC);
	return step_done(db, st, 1);
}

/* --- discovered machines ----------------------------------------------- */

int db_discovered_upsert(struct db *db, const struct db_discovered *d)
{
	sqlite3_stmt *st;
	char mac[MAC_STR_LEN];

	mac_format(d->mac, mac);
	if (prepare(db, "INSERT INTO discovered(mac, ip, cpus, memory_mb, nics, info,"
		    " first_seen, last_seen) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
		    " ON CONFLICT(mac) DO UPDATE SET ip=?2, cpus=?3, memory_mb=?4,"
		    " nics=?5, info=?6, last_seen=?8", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, d->ip);
	sqlite3_bind_int(st, 3, d->cpus);
	sqlite3_bind_int64(st, 4, d->memory_mb);
	sqlite3_bind_text(st, 5, d->nics_json ? d->nics_json : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, d->info_json ? d->info_json : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, d->first_seen);
	sqlite3_bind_int64(st, 8, d->last_seen);
	return step_done(db, st, 0);
}

static int read_discovered(sqlite3_stmt *st, struct db_discovered *d)
{
	const unsigned char *nics = sqlite3_column_text(st, 4);
	const unsigned char *info = sqlite3_column_text(st, 5);

	memset(d, 0, sizeof(*d));
	if (mac_parse((const char *)sqlite3_column_text(st, 0), d->mac) < 0)
		return -EIO;
	d->ip = (uint32_t)sqlite3_column_int64(st, 1);
	d->cpus = sqlite3_column_int(st, 2);
	d->memory_mb = sqlite3_column_int64(st, 3);
	d->nics_json = strdup(nics ? (const char *)nics : "[]");
	d->info_json = strdup(info ? (const char *)info : "{}");
	d->first_seen = sqlite3_column_int64(st, 6);
	d->last_seen = sqlite3_column_int64(st, 7);
	if (!d->nics_json || !d->info_json) {
		db_discovered_free(d);
		return -ENOMEM;
	}
	return 0;
}

#define DISC_COLS "mac, ip, cpus, memory_mb, nics, info, first_seen, last_seen"

int db_discovered_get(struct db *db, const uint8_t mac[MAC_LEN], struct db_discovered *out)
{
	sqlite3_stmt *st;
	char m[MAC_STR_LEN];
	int rc;

	mac_format(mac, m);
	if (prepare(db, "SELECT " DISC_COLS " FROM discovered WHERE mac=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_discovered(st, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(db, "reading discovered");
	sqlite3_finalize(st);
	return rc;
}

int db_discovered_delete(struct db *db, const uint8_t mac[MAC_LEN])
{
	sqlite3_stmt *st;
	char m[MAC_STR_LEN];

	mac_format(mac, m);
	if (prepare(db, "DELETE FROM discovered WHERE mac=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	return step_done(db, st, 1);
}

int db_discovered_clear(struct db *db)
{
	if (exec(db, "DELETE FROM discovered") < 0)
		return -EIO;
	return sqlite3_changes(db->h);
}

/* Any row that cannot be read (a bad MAC as well) reports -ENOMEM, as
 * the listing always has. */
static int discovered_row(struct db *db, sqlite3_stmt *st, void *e)
{
	(void)db;
	return read_discovered(st, e) < 0 ? -ENOMEM : 0;
}

static void release_discovered(void *arr, size_t n)
{
	db_discovered_free_list(arr, n);
}

int db_discovered_list(struct db *db, struct db_discovered **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (prepare(db, "SELECT " DISC_COLS " FROM discovered ORDER BY mac", &st) < 0)
		return -EIO;
	rc = list_rows(db, st, sizeof(**out), discovered_row, release_discovered,
		       "listing discovered machines", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_discovered_count(struct db *db)
{
	sqlite3_stmt *st;
	int n = -EIO;

	if (prepare(db, "SELECT COUNT(*) FROM discovered", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

void db_discovered_free(struct db_discovered *d)
{
	free(d->nics_json);
	free(d->info_json);
	d->nics_json = d->info_json = NULL;
}

void db_discovered_free_list(struct db_discovered *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		db_discovered_free(&d[i]);
	free(d);
}

/* --- for the other db_*.c files (db_internal.h) ------------------------ */

sqlite3 *db_i_handle(struct db *db) { return db->h; }
int db_i_err(struct db *db, const char *what) { return db_err(db, what); }
int db_i_exec(struct db *db, const char *sql) { return exec(db, sql); }
int db_i_prepare(struct db *db, const char *sql, sqlite3_stmt **st) { return prepare(db, sql, st); }
int db_i_step_done(struct db *db, sqlite3_stmt *st, int want_change)
{
	return step_done(db, st, want_change);
}
void db_i_copy_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	copy_col(dst, len, st, col);
}
void db_i_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int db_i_run1(struct db *db, const char *sql, const char *arg, int want_change)
{
	sqlite3_stmt *st;

	if (prepare(db, sql, &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	return step_done(db, st, want_change);
}

int db_i_one_row(struct db *db, sqlite3_stmt *st, int (*read)(struct db *, sqlite3_stmt *, void *),
		 void *out, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = read(db, st, out);
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = db_err(db, what);
	sqlite3_finalize(st);
	return rc;
}

int db_i_list_rows(struct db *db, sqlite3_stmt *st, size_t sz,
		   int (*read)(struct db *, sqlite3_stmt *, void *), const char *what,
		   void **arr, size_t *n)
{
	return list_rows(db, st, sz, read, NULL, what, arr, n);
}
