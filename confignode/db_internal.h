/* db.c's statement helpers for the other db_*.c files (db_storage.c), and
 * the storage schema migration db.c applies; not for other users. */
#ifndef NIMBUS_DB_INTERNAL_H
#define NIMBUS_DB_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "db.h"

/* Schema version 3. A node is in at most one pair: pair_members is keyed by
 * node; a pair has slots 0 and 1 only. Volumes keep their pair, which
 * cannot go while it holds one; an origin cannot go while a snapshot of it
 * exists. AoE addresses are unique in the cloud, minors and ports on the
 * pair. ready_at: when both nodes first served the volume (0: never), which
 * tells a volume still being created from one that failed. */
#define DB_STORAGE_MIGRATION_3 \
	"CREATE TABLE pairs (name TEXT PRIMARY KEY, created INTEGER NOT NULL);" \
	"CREATE TABLE pair_members (" \
	"  node TEXT PRIMARY KEY REFERENCES nodes(name) ON UPDATE CASCADE," \
	"  pair TEXT NOT NULL REFERENCES pairs(name) ON DELETE CASCADE," \
	"  idx INTEGER NOT NULL CHECK (idx IN (0, 1))," \
	"  repl_ip INTEGER NOT NULL UNIQUE," \
	"  UNIQUE (pair, idx));" \
	"CREATE TRIGGER pair_members_storage BEFORE INSERT ON pair_members" \
	"  WHEN (SELECT role FROM nodes WHERE name = NEW.node) IS NOT 'storage'" \
	"  BEGIN SELECT RAISE(ABORT, 'pair member is not a storage node'); END;" \
	"CREATE TRIGGER pair_members_keep_role BEFORE UPDATE OF role ON nodes" \
	"  WHEN NEW.role IS NOT 'storage' AND EXISTS" \
	"    (SELECT 1 FROM pair_members WHERE node = OLD.name)" \
	"  BEGIN SELECT RAISE(ABORT, 'a pair member stays a storage node'); END;" \
	"CREATE TABLE volumes (" \
	"  name TEXT PRIMARY KEY," \
	"  pair TEXT NOT NULL REFERENCES pairs(name)," \
	"  kind TEXT NOT NULL CHECK (kind IN ('volume', 'snapshot'))," \
	"  origin TEXT REFERENCES volumes(name)," \
	"  size INTEGER NOT NULL CHECK (size > 0 AND size % 512 = 0)," \
	"  shelf INTEGER NOT NULL, slot INTEGER NOT NULL," \
	"  minor INTEGER NOT NULL, port INTEGER NOT NULL," \
	"  desired TEXT NOT NULL DEFAULT 'present'," \
	"  ready_at INTEGER NOT NULL DEFAULT 0," \
	"  created INTEGER NOT NULL," \
	"  UNIQUE (shelf, slot), UNIQUE (pair, minor), UNIQUE (pair, port));" \
	"CREATE TABLE storage_state (" \
	"  node TEXT PRIMARY KEY REFERENCES nodes(name) ON DELETE CASCADE ON UPDATE CASCADE," \
	"  generation INTEGER NOT NULL DEFAULT 1," \
	"  observed TEXT NOT NULL DEFAULT ''," \
	"  observed_at INTEGER NOT NULL DEFAULT 0);" \
	"CREATE TABLE fences (" \
	"  volume TEXT PRIMARY KEY REFERENCES volumes(name) ON DELETE CASCADE," \
	"  node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE ON UPDATE CASCADE," \
	"  at INTEGER NOT NULL);"

/* Schema version 4: a volume made by `volume import` keeps its import's
 * state: '' (not imported), 'importing', 'done' or 'failed', the source
 * file, bytes done of total, and the error that failed it. */
#define DB_STORAGE_MIGRATION_4 \
	"ALTER TABLE volumes ADD COLUMN import_state TEXT NOT NULL DEFAULT ''" \
	"  CHECK (import_state IN ('', 'importing', 'done', 'failed'));" \
	"ALTER TABLE volumes ADD COLUMN import_file TEXT NOT NULL DEFAULT '';" \
	"ALTER TABLE volumes ADD COLUMN import_done INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE volumes ADD COLUMN import_total INTEGER NOT NULL DEFAULT 0;" \
	"ALTER TABLE volumes ADD COLUMN import_error TEXT NOT NULL DEFAULT '';"

/* Schema version 6.
 * - templates: a volume marked as an instance template (read-only by rule:
 *   nothing attaches it, instances get clones);
 * - instances: the desired state of each instance; node is where it
 *   should run, which only a finished migration changes;
 * - migrations: at most one running per instance (the partial unique
 *   index), every one kept for the instance's history;
 * - instance_events: what happened, for `instance show`;
 * - host_seen: the last agent event of each hardware node already
 *   recorded, so every event is recorded once. */
#define DB_INSTANCE_MIGRATION_6 \
	"CREATE TABLE templates (" \
	"  name TEXT PRIMARY KEY," \
	"  volume TEXT NOT NULL UNIQUE REFERENCES volumes(name)," \
	"  created INTEGER NOT NULL);" \
	"CREATE TABLE instances (" \
	"  name TEXT PRIMARY KEY," \
	"  template TEXT REFERENCES templates(name)," \
	"  volume TEXT NOT NULL UNIQUE REFERENCES volumes(name)," \
	"  memory_mib INTEGER NOT NULL CHECK (memory_mib > 0)," \
	"  vcpus INTEGER NOT NULL CHECK (vcpus > 0)," \
	"  mac TEXT NOT NULL UNIQUE, uuid TEXT NOT NULL UNIQUE," \
	"  ip INTEGER NOT NULL DEFAULT 0, prefix INTEGER NOT NULL DEFAULT 0," \
	"  gw INTEGER NOT NULL DEFAULT 0," \
	"  node TEXT REFERENCES nodes(name) ON UPDATE CASCADE," \
	"  desired TEXT NOT NULL CHECK (desired IN ('running', 'stopped', 'deleting'))," \
	"  stop TEXT NOT NULL DEFAULT 'shutdown' CHECK (stop IN ('shutdown', 'destroy'))," \
	"  stop_timeout INTEGER NOT NULL DEFAULT 60," \
	"  reboot_seq INTEGER NOT NULL DEFAULT 0," \
	"  keep_disk INTEGER NOT NULL DEFAULT 0," \
	"  created INTEGER NOT NULL);" \
	"CREATE INDEX instances_node ON instances(node);" \
	"CREATE TABLE migrations (" \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  instance TEXT NOT NULL REFERENCES instances(name) ON DELETE CASCADE," \
	"  src TEXT NOT NULL, dst TEXT NOT NULL," \
	"  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed'))," \
	"  started INTEGER NOT NULL, ended INTEGER NOT NULL DEFAULT 0," \
	"  total_ms INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '');" \
	"CREATE UNIQUE INDEX migrations_one ON migrations(instance) WHERE state = 'running';" \
	"CREATE TABLE instance_events (" \
	"  id INTEGER PRIMARY KEY AUTOINCREMENT," \
	"  instance TEXT NOT NULL REFERENCES instances(name) ON DELETE CASCADE," \
	"  node TEXT NOT NULL DEFAULT '', text TEXT NOT NULL, at INTEGER NOT NULL);" \
	"CREATE INDEX instance_events_instance ON instance_events(instance, id);" \
	"CREATE TABLE host_seen (" \
	"  node TEXT PRIMARY KEY REFERENCES nodes(name) ON DELETE CASCADE ON UPDATE CASCADE," \
	"  started_ms INTEGER NOT NULL, seq INTEGER NOT NULL);"

/* Schema version 5: a volume's kind may be 'clone' (a replicated volume
 * made as a copy of origin, which it holds as a snapshot does). SQLite
 * cannot change a CHECK constraint in place, so the table is made again
 * with the same columns and constraints but that one: its rows are kept
 * aside, and so are the fences, which the DROP's implicit delete takes
 * with their volume (ON DELETE CASCADE; foreign keys stay on: a migration
 * runs in a transaction, where PRAGMA foreign_keys cannot change). Every
 * row is checked again as it goes back (one statement each: an origin and
 * its snapshots arrive together). */
#define DB_VOLUME_COLS_5 "name, pair, kind, origin, size, shelf, slot, minor, port, desired," \
	" ready_at, created, import_state, import_file, import_done, import_total, import_error"
#define DB_STORAGE_MIGRATION_5 \
	"CREATE TEMP TABLE volumes_keep AS SELECT " DB_VOLUME_COLS_5 " FROM volumes;" \
	"CREATE TEMP TABLE fences_keep AS SELECT volume, node, at FROM fences;" \
	"DROP TABLE volumes;" \
	"CREATE TABLE volumes (" \
	"  name TEXT PRIMARY KEY," \
	"  pair TEXT NOT NULL REFERENCES pairs(name)," \
	"  kind TEXT NOT NULL CHECK (kind IN ('volume', 'snapshot', 'clone'))," \
	"  origin TEXT REFERENCES volumes(name)," \
	"  size INTEGER NOT NULL CHECK (size > 0 AND size % 512 = 0)," \
	"  shelf INTEGER NOT NULL, slot INTEGER NOT NULL," \
	"  minor INTEGER NOT NULL, port INTEGER NOT NULL," \
	"  desired TEXT NOT NULL DEFAULT 'present'," \
	"  ready_at INTEGER NOT NULL DEFAULT 0," \
	"  created INTEGER NOT NULL," \
	"  import_state TEXT NOT NULL DEFAULT ''" \
	"    CHECK (import_state IN ('', 'importing', 'done', 'failed'))," \
	"  import_file TEXT NOT NULL DEFAULT ''," \
	"  import_done INTEGER NOT NULL DEFAULT 0," \
	"  import_total INTEGER NOT NULL DEFAULT 0," \
	"  import_error TEXT NOT NULL DEFAULT ''," \
	"  UNIQUE (shelf, slot), UNIQUE (pair, minor), UNIQUE (pair, port));" \
	"INSERT INTO volumes (" DB_VOLUME_COLS_5 ") SELECT " DB_VOLUME_COLS_5 " FROM volumes_keep;" \
	"INSERT INTO fences (volume, node, at) SELECT volume, node, at FROM fences_keep;" \
	"DROP TABLE volumes_keep;" \
	"DROP TABLE fences_keep;"

sqlite3 *db_i_handle(struct db *db);
int db_i_err(struct db *db, const char *what);
int db_i_exec(struct db *db, const char *sql);
int db_i_prepare(struct db *db, const char *sql, sqlite3_stmt **st);
int db_i_step_done(struct db *db, sqlite3_stmt *st, int want_change);
void db_i_copy_col(char *dst, size_t len, sqlite3_stmt *st, int col);
void db_i_bind_text(sqlite3_stmt *st, int i, const char *s);
/* A statement with one text parameter that must change a row (want_change). */
int db_i_run1(struct db *db, const char *sql, const char *arg, int want_change);
/* The one row of a bound query through read, or -ENOENT; finalizes st. */
int db_i_one_row(struct db *db, sqlite3_stmt *st, int (*read)(struct db *, sqlite3_stmt *, void *),
		 void *out, const char *what);
/* Runs sql (one text parameter, key; one column of names) and returns how
 * many rows it gave, their names comma-separated in names when not NULL
 * (", ..." when they do not fit), or -EIO. */
int db_i_names(struct db *db, const char *sql, const char *key, char *names, size_t len);
int db_i_list_rows(struct db *db, sqlite3_stmt *st, size_t sz,
		   int (*read)(struct db *, sqlite3_stmt *, void *), const char *what,
		   void **arr, size_t *n);

#endif
