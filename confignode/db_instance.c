/* Templates, instances, live migrations and instance history in nimbusd's
 * database (schema version 6). */
#include "db_instance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_storage.h"
#include "log.h"
#include "mac.h"

/* The schema: DB_INSTANCE_MIGRATION_6 in db_internal.h. */

static const char *const desired_names[] = {
	[DB_INST_RUNNING] = "running", [DB_INST_STOPPED] = "stopped",
	[DB_INST_DELETING] = "deleting",
};
static const char *const mig_names[] = {
	[DB_MIG_RUNNING] = "running", [DB_MIG_DONE] = "done", [DB_MIG_FAILED] = "failed",
};

const char *db_inst_desired_name(enum db_inst_desired d)
{
	return (unsigned)d < 3 ? desired_names[d] : "?";
}

const char *db_mig_state_name(enum db_mig_state s)
{
	return (unsigned)s < 3 ? mig_names[s] : "?";
}

static int word_of(const char *const *t, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(t[i], s) == 0)
			return i;
	return 0;
}

/* --- templates ----------------------------------------------------------- */

static int template_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_template *t = e;

	(void)db;
	memset(t, 0, sizeof(*t));
	db_i_copy_col(t->name, sizeof(t->name), st, 0);
	db_i_copy_col(t->volume, sizeof(t->volume), st, 1);
	t->created = sqlite3_column_int64(st, 2);
	return 0;
}

int db_template_insert(struct db *db, const struct db_template *t)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO templates(name, volume, created) VALUES (?, ?, ?)", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, t->name);
	db_i_bind_text(st, 2, t->volume);
	sqlite3_bind_int64(st, 3, t->created);
	return db_i_step_done(db, st, 0);
}

int db_template_get(struct db *db, const char *name, struct db_template *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "SELECT name, volume, created FROM templates WHERE name=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, name);
	return db_i_one_row(db, st, template_row, out, "reading template");
}

int db_template_by_volume(struct db *db, const char *volume, struct db_template *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "SELECT name, volume, created FROM templates WHERE volume=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, volume);
	return db_i_one_row(db, st, template_row, out, "reading template");
}

int db_template_list(struct db *db, struct db_template **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, "SELECT name, volume, created FROM templates ORDER BY name", &st) < 0)
		return -EIO;
	rc = db_i_list_rows(db, st, sizeof(**out), template_row, "listing templates", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_template_delete(struct db *db, const char *name)
{
	int rc = db_i_run1(db, "DELETE FROM templates WHERE name=?", name, 1);

	return rc == -EEXIST ? -EBUSY : rc;
}

int db_template_users(struct db *db, const char *name, char *names, size_t len)
{
	return db_i_names(db, "SELECT name FROM instances WHERE template=? ORDER BY name", name,
			  names, len);
}

/* --- instances ----------------------------------------------------------- */

#define INST_COLS "name, template, volume, memory_mib, vcpus, mac, uuid, ip, prefix, gw," \
	" node, desired, stop, stop_timeout, reboot_seq, keep_disk, created"

static void uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static void uuid_parse(const char *s, uint8_t u[16])
{
	unsigned v;
	int k = 0;

	memset(u, 0, 16);
	for (; s && *s && k < 16; s++) {
		if (*s == '-')
			continue;
		if (sscanf(s, "%2x", &v) != 1)
			return;
		u[k++] = (uint8_t)v;
		s++;
		if (!*s)
			break;
	}
}

static int instance_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_instance *in = e;
	char buf[64];

	(void)db;
	memset(in, 0, sizeof(*in));
	db_i_copy_col(in->name, sizeof(in->name), st, 0);
	db_i_copy_col(in->template_, sizeof(in->template_), st, 1);
	db_i_copy_col(in->volume, sizeof(in->volume), st, 2);
	in->memory_mib = (uint32_t)sqlite3_column_int64(st, 3);
	in->vcpus = (uint32_t)sqlite3_column_int64(st, 4);
	db_i_copy_col(buf, sizeof(buf), st, 5);
	if (mac_parse(buf, in->mac) < 0)
		memset(in->mac, 0, sizeof(in->mac));
	db_i_copy_col(buf, sizeof(buf), st, 6);
	uuid_parse(buf, in->uuid);
	in->ip = (uint32_t)sqlite3_column_int64(st, 7);
	in->prefix = (uint8_t)sqlite3_column_int(st, 8);
	in->gw = (uint32_t)sqlite3_column_int64(st, 9);
	db_i_copy_col(in->node, sizeof(in->node), st, 10);
	db_i_copy_col(buf, sizeof(buf), st, 11);
	in->desired = (enum db_inst_desired)word_of(desired_names, 3, buf);
	db_i_copy_col(buf, sizeof(buf), st, 12);
	in->stop = strcmp(buf, "destroy") == 0 ? HMSG_STOP_DESTROY : HMSG_STOP_SHUTDOWN;
	in->stop_timeout_s = (uint32_t)sqlite3_column_int64(st, 13);
	in->reboot_seq = (uint64_t)sqlite3_column_int64(st, 14);
	in->keep_disk = sqlite3_column_int(st, 15) != 0;
	in->created = sqlite3_column_int64(st, 16);
	return 0;
}

static void bind_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s[0])
		db_i_bind_text(st, i, s);
	else
		sqlite3_bind_null(st, i);
}

int db_instance_insert(struct db *db, const struct db_instance *in)
{
	sqlite3_stmt *st;
	char mac[MAC_STR_LEN], uuid[37];

	if (db_i_prepare(db, "INSERT INTO instances(" INST_COLS ") VALUES"
			 " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st) < 0)
		return -EIO;
	mac_format(in->mac, mac);
	uuid_format(in->uuid, uuid);
	db_i_bind_text(st, 1, in->name);
	bind_or_null(st, 2, in->template_);
	db_i_bind_text(st, 3, in->volume);
	sqlite3_bind_int64(st, 4, in->memory_mib);
	sqlite3_bind_int64(st, 5, in->vcpus);
	db_i_bind_text(st, 6, mac);
	db_i_bind_text(st, 7, uuid);
	sqlite3_bind_int64(st, 8, in->ip);
	sqlite3_bind_int(st, 9, in->prefix);
	sqlite3_bind_int64(st, 10, in->gw);
	bind_or_null(st, 11, in->node);
	db_i_bind_text(st, 12, db_inst_desired_name(in->desired));
	db_i_bind_text(st, 13, hmsg_stop_mode_name(in->stop));
	sqlite3_bind_int64(st, 14, in->stop_timeout_s);
	sqlite3_bind_int64(st, 15, (int64_t)in->reboot_seq);
	sqlite3_bind_int(st, 16, in->keep_disk);
	sqlite3_bind_int64(st, 17, in->created);
	return db_i_step_done(db, st, 0);
}

static int instance_where(struct db *db, const char *where, const char *arg,
			  struct db_instance *out)
{
	char sql[256];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT " INST_COLS " FROM instances WHERE %s=?", where);
	if (db_i_prepare(db, sql, &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, arg);
	return db_i_one_row(db, st, instance_row, out, "reading instance");
}

int db_instance_get(struct db *db, const char *name, struct db_instance *out)
{
	return instance_where(db, "name", name, out);
}

int db_instance_by_volume(struct db *db, const char *volume, struct db_instance *out)
{
	return instance_where(db, "volume", volume, out);
}

int db_instance_list(struct db *db, const char *node, struct db_instance **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, node ? "SELECT " INST_COLS " FROM instances WHERE node=? ORDER BY name" :
			 "SELECT " INST_COLS " FROM instances ORDER BY name", &st) < 0)
		return -EIO;
	if (node)
		db_i_bind_text(st, 1, node);
	rc = db_i_list_rows(db, st, sizeof(**out), instance_row, "listing instances", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_instance_set_desired(struct db *db, const char *name, enum db_inst_desired d,
			    enum hmsg_stop_mode stop, bool keep_disk)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "UPDATE instances SET desired=?, stop=?, keep_disk=? WHERE name=?",
			 &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, db_inst_desired_name(d));
	db_i_bind_text(st, 2, hmsg_stop_mode_name(stop));
	sqlite3_bind_int(st, 3, keep_disk);
	db_i_bind_text(st, 4, name);
	return db_i_step_done(db, st, 1);
}

int db_instance_set_node(struct db *db, const char *name, const char *node)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "UPDATE instances SET node=? WHERE name=?", &st) < 0)
		return -EIO;
	bind_or_null(st, 1, node);
	db_i_bind_text(st, 2, name);
	return db_i_step_done(db, st, 1);
}

int db_instance_bump_reboot(struct db *db, const char *name)
{
	return db_i_run1(db, "UPDATE instances SET reboot_seq = reboot_seq + 1 WHERE name=?", name, 1);
}

int db_instance_delete(struct db *db, const char *name)
{
	return db_i_run1(db, "DELETE FROM instances WHERE name=?", name, 1);
}

int db_instance_mac_taken(struct db *db, const uint8_t mac[6])
{
	char m[MAC_STR_LEN];
	int rc;

	mac_format(mac, m);
	rc = db_i_names(db, "SELECT name FROM instances WHERE mac=?", m, NULL, 0);
	return rc < 0 ? rc : rc > 0;
}

int db_instance_ip_taken(struct db *db, uint32_t ip)
{
	char s[16];
	int rc;

	snprintf(s, sizeof(s), "%u", ip);
	rc = db_i_names(db, "SELECT name FROM instances WHERE ip=CAST(? AS INTEGER)", s, NULL, 0);
	return rc < 0 ? rc : rc > 0;
}

/* --- migrations ---------------------------------------------------------- */

#define MIG_COLS "id, instance, src, dst, state, started, ended, total_ms, error"

static int migration_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_migration *m = e;
	char buf[16];

	(void)db;
	memset(m, 0, sizeof(*m));
	m->id = (uint64_t)sqlite3_column_int64(st, 0);
	db_i_copy_col(m->instance, sizeof(m->instance), st, 1);
	db_i_copy_col(m->src, sizeof(m->src), st, 2);
	db_i_copy_col(m->dst, sizeof(m->dst), st, 3);
	db_i_copy_col(buf, sizeof(buf), st, 4);
	m->state = (enum db_mig_state)word_of(mig_names, 3, buf);
	m->started = sqlite3_column_int64(st, 5);
	m->ended = sqlite3_column_int64(st, 6);
	m->total_ms = sqlite3_column_int64(st, 7);
	db_i_copy_col(m->error, sizeof(m->error), st, 8);
	return 0;
}

int db_migration_insert(struct db *db, struct db_migration *m)
{
	sqlite3_stmt *st;
	int rc;

	if (db_i_prepare(db, "INSERT INTO migrations(instance, src, dst, state, started)"
			 " VALUES (?, ?, ?, 'running', ?)", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, m->instance);
	db_i_bind_text(st, 2, m->src);
	db_i_bind_text(st, 3, m->dst);
	sqlite3_bind_int64(st, 4, m->started);
	rc = db_i_step_done(db, st, 0);
	if (rc == 0) {
		m->id = (uint64_t)sqlite3_last_insert_rowid(db_i_handle(db));
		m->state = DB_MIG_RUNNING;
	}
	return rc;
}

int db_migration_running(struct db *db, const char *instance, struct db_migration *out)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "SELECT " MIG_COLS " FROM migrations WHERE instance=?"
			 " AND state='running'", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, instance);
	return db_i_one_row(db, st, migration_row, out, "reading migration");
}

int db_migration_list_running(struct db *db, struct db_migration **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, "SELECT " MIG_COLS " FROM migrations WHERE state='running' ORDER BY id",
			 &st) < 0)
		return -EIO;
	rc = db_i_list_rows(db, st, sizeof(**out), migration_row, "listing migrations", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_migration_finish(struct db *db, uint64_t id, enum db_mig_state state, int64_t ended,
			int64_t total_ms, const char *error)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "UPDATE migrations SET state=?, ended=?, total_ms=?, error=?"
			 " WHERE id=? AND state='running'", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, db_mig_state_name(state));
	sqlite3_bind_int64(st, 2, ended);
	sqlite3_bind_int64(st, 3, total_ms);
	db_i_bind_text(st, 4, error ? error : "");
	sqlite3_bind_int64(st, 5, (int64_t)id);
	return db_i_step_done(db, st, 1);
}

int db_migration_history(struct db *db, const char *instance, size_t max,
			 struct db_migration **out, size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, "SELECT " MIG_COLS " FROM migrations WHERE instance=?"
			 " ORDER BY id DESC LIMIT ?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, instance);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	rc = db_i_list_rows(db, st, sizeof(**out), migration_row, "listing migrations", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

/* --- history ------------------------------------------------------------- */

int db_inst_event_add(struct db *db, const char *instance, const char *node, const char *text,
		      int64_t at)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO instance_events(instance, node, text, at)"
			 " VALUES (?, ?, ?, ?)", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, instance);
	db_i_bind_text(st, 2, node ? node : "");
	db_i_bind_text(st, 3, text);
	sqlite3_bind_int64(st, 4, at);
	return db_i_step_done(db, st, 0);
}

static int event_row(struct db *db, sqlite3_stmt *st, void *e)
{
	struct db_inst_event *ev = e;

	(void)db;
	memset(ev, 0, sizeof(*ev));
	db_i_copy_col(ev->node, sizeof(ev->node), st, 0);
	db_i_copy_col(ev->text, sizeof(ev->text), st, 1);
	ev->at = sqlite3_column_int64(st, 2);
	return 0;
}

int db_inst_events(struct db *db, const char *instance, size_t max, struct db_inst_event **out,
		   size_t *n)
{
	sqlite3_stmt *st;
	void *arr;
	int rc;

	if (db_i_prepare(db, "SELECT node, text, at FROM (SELECT id, node, text, at FROM"
			 " instance_events WHERE instance=? ORDER BY id DESC LIMIT ?) ORDER BY id",
			 &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, instance);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	rc = db_i_list_rows(db, st, sizeof(**out), event_row, "listing instance events", &arr, n);
	if (rc == 0)
		*out = arr;
	return rc;
}

int db_host_seen_get(struct db *db, const char *node, int64_t *started_ms, uint64_t *seq)
{
	sqlite3_stmt *st;
	int rc;

	*started_ms = 0;
	*seq = 0;
	if (db_i_prepare(db, "SELECT started_ms, seq FROM host_seen WHERE node=?", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, node);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*started_ms = sqlite3_column_int64(st, 0);
		*seq = (uint64_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : db_i_err(db, "reading host_seen");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_host_seen_set(struct db *db, const char *node, int64_t started_ms, uint64_t seq)
{
	sqlite3_stmt *st;

	if (db_i_prepare(db, "INSERT INTO host_seen(node, started_ms, seq) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT(node) DO UPDATE SET started_ms = ?2, seq = ?3", &st) < 0)
		return -EIO;
	db_i_bind_text(st, 1, node);
	sqlite3_bind_int64(st, 2, started_ms);
	sqlite3_bind_int64(st, 3, (int64_t)seq);
	return db_i_step_done(db, st, 0);
}

int db_instance_bump_nodes(struct db *db, const char *name)
{
	struct db_instance in;
	struct db_migration m;
	int rc = db_instance_get(db, name, &in);

	if (rc == 0 && in.node[0])
		rc = db_storage_bump(db, in.node);
	if (rc == 0 && db_migration_running(db, name, &m) == 0) {
		rc = db_storage_bump(db, m.src);
		if (rc == 0)
			rc = db_storage_bump(db, m.dst);
	}
	return rc;
}
