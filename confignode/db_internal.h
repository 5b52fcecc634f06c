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

sqlite3 *db_i_handle(struct db *db);
int db_i_err(struct db *db, const char *what);
int db_i_exec(struct db *db, const char *sql);
int db_i_prepare(struct db *db, const char *sql, sqlite3_stmt **st);
int db_i_step_done(struct db *db, sqlite3_stmt *st, int want_change);
void db_i_copy_col(char *dst, size_t len, sqlite3_stmt *st, int col);
/* Runs sql (one text parameter, key; one column of names) and returns how
 * many rows it gave, their names comma-separated in names when not NULL
 * (", ..." when they do not fit), or -EIO. */
int db_i_names(struct db *db, const char *sql, const char *key, char *names, size_t len);
int db_i_list_rows(struct db *db, sqlite3_stmt *st, size_t sz,
		   int (*read)(struct db *, sqlite3_stmt *, void *), const char *what,
		   void **arr, size_t *n);

#endif
