/* Storage pairs, volumes, observed state and fences in nimbusd's database
 * (schema versions 3, 4 and 5, DB_STORAGE_MIGRATION_3 to _5 in db_internal.h). */
#include "db_storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "log.h"

/* --- pairs ------------------------------------------------------------- */

int db_pair_insert(struct db *db, const struct db_pair *p)
{
	sqlite3_stmt *st;
	int rc;

	if (strcmp(p->node[0], p->node[1]) == 0)
		return -EINVAL;
	rc = db_begin(db);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 2; i++) {
		struct db_node n;

		rc = db_node_get(db, p->node[i], &n);
		if (rc < 0)
			goto rollback;
		if (n.role != ROLE_STORAGE) {
			rc = -EINVAL;
			goto rollback;
		}
	}
	rc = db_i_prepare(db, "INSERT INTO pairs(name, created) VALUES (?, ?)", &st);
	if (rc < 0)
		goto rollback;
	db_i_bind_text(st, 1, p->name);
	sqlite3_bind_int64(st, 2, p->created);
	rc = db_i_step_done(db, st, 0);
	for (int i = 0; rc == 0 && i < 2; i++) {
		rc = db_i_prepare(db, "INSERT INTO pair_members(node, pair, idx, repl_ip)"
				  " VALUES (?, ?, ?, ?)", &st);
		if (rc < 0)
			break;
		db_i_bind_text(st, 1, p->node[i]);
		db_i_bind_text(st, 2, p->name);
		sqlite3_bind_int(st, 3, i);
		sqlite3_bind_int64(st, 4, p->repl_ip[i]);
		rc = db_i_step_done(db, st, 0);
	}
	if (rc < 0)
		goto rollback;
	return db_commit(db);
rollback:
	db_rollback(db);
	return rc;
}

int db_pair_delete(struct db *db, const char *name)
{
	int rc = db_i_run1(db, "DELETE FROM pairs WHERE name=?", name, 1);

	/* The only constraint a pair's removal can break: its volumes. */
	return rc == -EEXIST ? -EBUSY : rc;
}

#define PAIR_SQL "SELECT p.name, p.created, a.node, a.repl_ip, b.node, b.repl_ip FROM pairs p" \
	" JOIN pair_members a ON a.pair = p.name AND a.idx = 0" \
	" JOIN pair_members b ON b.pair = p.name AND b.idx = 1"

static int pair_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_pair *p = e;

	(void)db;
	memset(p, 0, sizeof(*p));
	db_i_copy_col(p->name, sizeof(p->name), st, 0);
	p->created = sqlite3_column_int64(st, 1);
	db_i_copy_col(p->node[0], sizeof(p->node[0]), st, 2);
	p->repl_ip[0] = (uint32_t)sqlite3_column_int64(st, 3);
	db_i_copy_col(p->node[1], sizeof(p->node[1]), st, 4);
	p->repl_ip[1] = (uint32_t)sqlite3_column_int64(st, 5);
	return 0;
}

int db_pair_get(struct db *db, const char *name, struct db_pair *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, PAIR_SQL " WHERE p.name=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, name);
	return db_i_one_row(db, st, pair_row, out, "reading pair");
}

int db_pair_list(struct db *db, struct db_pair **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, PAIR_SQL " ORDER BY p.name", &st) < 0)
		return -EIO;
	rc = db_i_list_rows(db, st, sizeof(**out), pair_row, "listing pairs", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_pair_of_node(struct db *db, const char *node, struct db_pair *out, int *idx)
{
	sqlite3_stmt *st;
	char pair[SMSG_NAME_MAX];
	int rc;

	if (db_i_prepare(db, "SELECT pair, idx FROM pair_members WHERE node=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, node);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_i_copy_col(pair, sizeof(pair), st, 0);
		if (idx)
			*idx = sqlite3_column_int(st, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : db_i_err(db, "reading pair member");
	}
	sqlite3_finalize(st);
	if (rc == 0)
		rc = db_pair_get(db, pair, out);
	return rc;
}

/* --- volumes ----------------------------------------------------------- */

/* A kind's word in the volumes table, the same as in the agent's messages
 * (storage_msg.c, not linked into every user of this file). */
static const char *kind_word(enum smsg_volume_kind k)
{
	switch (k) {
	case SMSG_VOLUME_PLAIN: return "volume";
	case SMSG_VOLUME_SNAPSHOT: return "snapshot";
	case SMSG_VOLUME_CLONE: return "clone";
	}
	return NULL;
}

int db_volume_insert(struct db *db, const struct db_volume *v)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO volumes(name, pair, kind, origin, size, shelf, slot,"
			 " minor, port, ready_at, created, import_state, import_file, import_done,"
			 " import_total, import_error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			 &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, v->name);
	db_i_bind_text(st, 2, v->pair);
	if (!kind_word(v->kind)) {
		sqlite3_finalize(st);
		return -EINVAL;
	}
	sqlite3_bind_text(st, 3, kind_word(v->kind), -1, SQLITE_STATIC);
	if (v->origin[0])
		db_i_bind_text(st, 4, v->origin);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)v->size);
	sqlite3_bind_int(st, 6, v->shelf);
	sqlite3_bind_int(st, 7, v->slot);
	sqlite3_bind_int64(st, 8, v->minor);
	sqlite3_bind_int(st, 9, v->port);
	sqlite3_bind_int64(st, 10, v->ready_at);
	sqlite3_bind_int64(st, 11, v->created);
	sqlite3_bind_text(st, 12, db_import_state_name(v->import.state), -1, SQLITE_STATIC);
	db_i_bind_text(st, 13, v->import.file);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)v->import.done);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)v->import.total);
	db_i_bind_text(st, 16, v->import.error);
	return db_i_step_done(db, st, 0);
}

#define VOLUME_COLS "name, pair, kind, COALESCE(origin, ''), size, shelf, slot, minor, port," \
	" ready_at, created, import_state, import_file, import_done, import_total, import_error"

const char *db_import_state_name(enum db_import_state s)
{
	switch (s) {
	case DB_IMPORT_RUNNING: return "importing";
	case DB_IMPORT_DONE: return "done";
	case DB_IMPORT_FAILED: return "failed";
	default: return "";
	}
}

static enum db_import_state import_state_of(const unsigned char *s)
{
	if (!s)
		return DB_IMPORT_NONE;
	if (strcmp((const char *)s, "importing") == 0)
		return DB_IMPORT_RUNNING;
	if (strcmp((const char *)s, "done") == 0)
		return DB_IMPORT_DONE;
	if (strcmp((const char *)s, "failed") == 0)
		return DB_IMPORT_FAILED;
	return DB_IMPORT_NONE;
}

static int volume_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_volume *v = e;
	const unsigned char *kind = sqlite3_column_text(st, 2);

	(void)db;
	memset(v, 0, sizeof(*v));
	db_i_copy_col(v->name, sizeof(v->name), st, 0);
	db_i_copy_col(v->pair, sizeof(v->pair), st, 1);
	v->kind = SMSG_VOLUME_PLAIN;   /* the schema's CHECK allows no other word */
	for (int k = SMSG_VOLUME_PLAIN; kind && k <= SMSG_VOLUME_CLONE; k++)
		if (strcmp((const char *)kind, kind_word((enum smsg_volume_kind)k)) == 0)
			v->kind = (enum smsg_volume_kind)k;
	db_i_copy_col(v->origin, sizeof(v->origin), st, 3);
	v->size = (uint64_t)sqlite3_column_int64(st, 4);
	v->shelf = (uint16_t)sqlite3_column_int(st, 5);
	v->slot = (uint8_t)sqlite3_column_int(st, 6);
	v->minor = (uint32_t)sqlite3_column_int64(st, 7);
	v->port = (uint16_t)sqlite3_column_int(st, 8);
	v->ready_at = sqlite3_column_int64(st, 9);
	v->created = sqlite3_column_int64(st, 10);
	v->import.state = import_state_of(sqlite3_column_text(st, 11));
	db_i_copy_col(v->import.file, sizeof(v->import.file), st, 12);
	v->import.done = (uint64_t)sqlite3_column_int64(st, 13);
	v->import.total = (uint64_t)sqlite3_column_int64(st, 14);
	db_i_copy_col(v->import.error, sizeof(v->import.error), st, 15);
	return 0;
}

int db_volume_get(struct db *db, const char *name, struct db_volume *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "SELECT " VOLUME_COLS " FROM volumes WHERE name=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, name);
	return db_i_one_row(db, st, volume_row, out, "reading volume");
}

int db_volume_list(struct db *db, const char *pair, struct db_volume **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, pair ? "SELECT " VOLUME_COLS " FROM volumes WHERE pair=? ORDER BY name" :
			 "SELECT " VOLUME_COLS " FROM volumes ORDER BY name", &st) < 0)
		return -EIO;
	if (pair)
		db_i_bind_text(st, 1, pair);
	rc = db_i_list_rows(db, st, sizeof(**out), volume_row, "listing volumes", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

static int volume_set(struct db *db, const char *sql, const char *name, int64_t v)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, sql, &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, v);
	db_i_bind_text(st, 2, name);
	return db_i_step_done(db, st, 1);
}

int db_volume_set_size(struct db *db, const char *name, uint64_t size)
{
	return volume_set(db, "UPDATE volumes SET size=? WHERE name=?", name, (int64_t)size);
}

int db_volume_set_ready(struct db *db, const char *name, int64_t at)
{
	return volume_set(db, "UPDATE volumes SET ready_at=? WHERE name=?", name, at);
}

int db_volume_set_import(struct db *db, const char *name, const struct db_import *im)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "UPDATE volumes SET import_state=?, import_file=?, import_done=?,"
			 " import_total=?, import_error=? WHERE name=?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, db_import_state_name(im->state), -1, SQLITE_STATIC);
	db_i_bind_text(st, 2, im->file);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)im->done);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)im->total);
	db_i_bind_text(st, 5, im->error);
	db_i_bind_text(st, 6, name);
	return db_i_step_done(db, st, 1);
}

int db_volume_fail_imports(struct db *db, const char *error)
{
	sqlite3_stmt *st;
	int rc;

	if (db_i_prepare(db, "UPDATE volumes SET import_state='failed', import_error=?"
			 " WHERE import_state='importing'", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, error);
	rc = db_i_step_done(db, st, 0);
	return rc < 0 ? rc : sqlite3_changes(db_i_handle(db));
}

int db_volume_delete(struct db *db, const char *name)
{
	int rc = db_i_run1(db, "DELETE FROM volumes WHERE name=?", name, 1);

	/* The only constraint a volume's removal can break: its snapshots and
	 * clones (their origin references it). */
	return rc == -EEXIST ? -EBUSY : rc;
}

/* Every volume naming origin: its snapshots and its clones alike. */
int db_volume_snapshots(struct db *db, const char *origin, char *names, size_t len)
{
	return db_i_names(db, "SELECT name FROM volumes WHERE origin=? ORDER BY name", origin,
			  names, len);
}

/* --- observed state and generations ------------------------------------ */

int db_storage_bump(struct db *db, const char *node)
{
	return db_i_run1(db, "INSERT INTO storage_state(node, generation) VALUES (?1, 2)"
		    " ON CONFLICT(node) DO UPDATE SET generation = generation + 1", node, 0);
}

int db_storage_bump_pair(struct db *db, const char *pair)
{
	struct db_pair p;
	int rc = db_pair_get(db, pair, &p);

	if (rc == 0)
		rc = db_storage_bump(db, p.node[0]);
	if (rc == 0)
		rc = db_storage_bump(db, p.node[1]);
	return rc;
}

int db_storage_get(struct db *db, const char *node, uint64_t *generation,
		   char **observed, int64_t *at)
{
	sqlite3_stmt *st;
	int rc;

	*generation = 1;
	if (at)
		*at = 0;
	if (observed)
		*observed = NULL;
	if (db_i_prepare(db, "SELECT generation, observed, observed_at FROM storage_state"
			 " WHERE node=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, node);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		const unsigned char *s = rc == SQLITE_ROW ? sqlite3_column_text(st, 1) : NULL;

		if (rc == SQLITE_ROW) {
			*generation = (uint64_t)sqlite3_column_int64(st, 0);
			if (at)
				*at = sqlite3_column_int64(st, 2);
		}
		rc = 0;
		if (observed) {
			*observed = strdup(s ? (const char *)s : "");
			if (!*observed)
				rc = -ENOMEM;
		}
	} else {
		rc = db_i_err(db, "reading storage state");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_storage_set_observed(struct db *db, const char *node, const char *json, int64_t at)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO storage_state(node, observed, observed_at)"
			 " VALUES (?1, ?2, ?3) ON CONFLICT(node) DO UPDATE"
			 " SET observed = ?2, observed_at = ?3", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, node);
	db_i_bind_text(st, 2, json);
	sqlite3_bind_int64(st, 3, at);
	return db_i_step_done(db, st, 0);
}

/* --- fences ------------------------------------------------------------ */

static int fence_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_fence *f = e;

	(void)db;
	memset(f, 0, sizeof(*f));
	db_i_copy_col(f->volume, sizeof(f->volume), st, 0);
	db_i_copy_col(f->node, sizeof(f->node), st, 1);
	f->at = sqlite3_column_int64(st, 2);
	return 0;
}

int db_fence_get(struct db *db, const char *volume, struct db_fence *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "SELECT volume, node, at FROM fences WHERE volume=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, volume);
	return db_i_one_row(db, st, fence_row, out, "reading fence");
}

int db_fence_set(struct db *db, const char *volume, const char *node, int64_t at)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO fences(volume, node, at) VALUES (?, ?, ?)", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, volume);
	db_i_bind_text(st, 2, node);
	sqlite3_bind_int64(st, 3, at);
	return db_i_step_done(db, st, 0);
}

int db_fence_clear(struct db *db, const char *volume)
{
	return db_i_run1(db, "DELETE FROM fences WHERE volume=?", volume, 1);
}

int db_fence_list(struct db *db, const char *pair, struct db_fence **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, "SELECT f.volume, f.node, f.at FROM fences f JOIN volumes v"
			 " ON v.name = f.volume WHERE v.pair=? ORDER BY f.volume", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, pair);
	rc = db_i_list_rows(db, st, sizeof(**out), fence_row, "listing fences", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}
