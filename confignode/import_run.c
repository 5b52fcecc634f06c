/* Volume import's child process, driven from nimbusd's loop (import_run.h). */
#include "import_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_storage.h"
#include "config.h"
#include "db_storage.h"
#include "log.h"
#include "storage_logic.h"

/* Progress goes to the database at most this often (and at the end). */
#define SAVE_EVERY_MS 500
/* How often a running import checks its volume still wants it. */
#define CHECK_EVERY_MS 1000

void import_run_start_up(struct api_ctx *ctx)
{
	int n = db_volume_fail_imports(ctx->db, "nimbusd restarted during the import:"
				       " delete the volume and import again");

	if (n > 0)
		log_warn("volume import: %d import%s under way when nimbusd stopped marked failed"
			 " (delete and import again)", n, n == 1 ? "" : "s");
	else if (n < 0)
		log_err("volume import: cannot mark interrupted imports failed: %s", strerror(-n));
}

int import_run_fd(const struct import_run *r)
{
	return r->child ? prov_child_fd(r->child) : -1;
}

static void save(struct api_ctx *ctx, const char *name, enum db_import_state state,
		 uint64_t done, const char *error)
{
	struct db_volume v;
	int rc = db_volume_get(ctx->db, name, &v);

	if (rc == 0) {
		v.import.state = state;
		/* aoe-bench counts whole sectors: the file's last one is
		 * partly beyond it */
		v.import.done = state == DB_IMPORT_DONE || done > v.import.total ? v.import.total : done;
		if (error)
			snprintf(v.import.error, sizeof(v.import.error), "%s", error);
		rc = db_volume_set_import(ctx->db, name, &v.import);
	}
	if (rc < 0 && rc != -ENOENT)
		log_err("volume %s: cannot save its import's state: %s", name, strerror(-rc));
}

/* Ends the child and records how it went. */
static void finish(struct import_run *r, struct api_ctx *ctx, int read_rc)
{
	char *out = NULL, err[DB_IMPORT_ERROR_MAX + 256];
	int status = -1, rc = prov_child_end(r->child, &out, &status);

	r->child = NULL;
	import_progress_finish(&r->p);
	if (rc == 0 && status == 0 && read_rc >= 0) {
		log_info("volume %s: import done, %llu bytes written", r->volume,
			 (unsigned long long)r->p.total);
		save(ctx, r->volume, DB_IMPORT_DONE, r->p.total, NULL);
	} else {
		if (rc == -ETIMEDOUT)
			snprintf(err, sizeof(err), "aoe-bench ran longer than %d hours: killed",
				 IMPORT_RUN_MAX_MS / 3600000);
		else if (rc == -ENOEXEC)
			snprintf(err, sizeof(err), "cannot run %s (aoe-bench in nimbusd's configuration)",
				 ctx->cfg->aoe_bench);
		else if (rc < 0 || read_rc < 0)
			snprintf(err, sizeof(err), "aoe-bench: %s", strerror(rc < 0 ? -rc : -read_rc));
		else
			snprintf(err, sizeof(err), "aoe-bench exited with status %d: %s", status,
				 r->p.msg[0] ? r->p.msg : "(it said nothing)");
		log_err("volume %s: import failed: %s", r->volume, err);
		save(ctx, r->volume, DB_IMPORT_FAILED, r->p.done, err);
	}
	free(out);
}

/* The volume's state as volume show tells it; -ENOENT when it went. */
static int volume_ready(struct api_ctx *ctx, const struct db_volume *v)
{
	const struct smsg_have_volume *h[2];
	struct pair_view pv;
	struct sl_state st;

	if (pair_view_load(ctx, v->pair, &pv) < 0)
		return -EIO;
	pair_view_have(&pv, v->name, h);
	sl_volume_state(v, h, &st);
	pair_view_free(&pv);
	return st.state == SL_READY;
}

static void start(struct import_run *r, struct api_ctx *ctx, const struct db_volume *v)
{
	char target[16];
	const char *argv[] = { ctx->cfg->aoe_bench, "write", "-t", target, "--input", v->import.file,
			       "--sparse", "--progress", "-i", ctx->cfg->aoe_interface, NULL };
	int rc;

	snprintf(target, sizeof(target), "%u.%u", v->shelf, v->slot);
	memset(r, 0, sizeof(*r));
	snprintf(r->volume, sizeof(r->volume), "%s", v->name);
	import_progress_init(&r->p);
	rc = prov_child_start(&r->child, argv, NULL, IMPORT_RUN_MAX_MS);
	if (rc < 0) {
		char err[DB_IMPORT_ERROR_MAX + 256];

		r->child = NULL;
		snprintf(err, sizeof(err), "cannot start %s: %s", ctx->cfg->aoe_bench, strerror(-rc));
		log_err("volume %s: import failed: %s", v->name, err);
		save(ctx, v->name, DB_IMPORT_FAILED, 0, err);
		return;
	}
	log_info("volume %s: importing %s (%llu bytes) through e%s on %s", v->name, v->import.file,
		 (unsigned long long)v->import.total, target, ctx->cfg->aoe_interface);
	r->saved_ms = r->checked_ms = ctx->now_ms ? ctx->now_ms() : 0;
}

/* The first volume waiting for its import whose volume is ready. */
static void pick(struct import_run *r, struct api_ctx *ctx)
{
	struct db_volume *all = NULL;
	size_t n = 0;

	if (db_volume_list(ctx->db, NULL, &all, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (all[i].import.state != DB_IMPORT_RUNNING)
			continue;
		if (!ctx->cfg->aoe_interface[0]) {
			log_err("volume %s: import failed: aoe-interface is not set", all[i].name);
			save(ctx, all[i].name, DB_IMPORT_FAILED, 0,
			     "aoe-interface is not set in nimbusd's configuration");
			continue;
		}
		if (volume_ready(ctx, &all[i]) == 1) {
			start(r, ctx, &all[i]);
			break;
		}
	}
	free(all);
}

void import_run_step(struct import_run *r, struct api_ctx *ctx)
{
	int64_t now = ctx->now_ms ? ctx->now_ms() : 0;
	const char *out;
	size_t len;
	int rc;

	if (!r->child) {
		pick(r, ctx);
		return;
	}
	rc = prov_child_read(r->child);
	out = prov_child_output(r->child, &len);
	if (len > r->seen) {
		import_progress_feed(&r->p, out + r->seen, len - r->seen);
		r->seen = len;
	}
	if (rc != 0 || prov_child_left_ms(r->child) == 0) {
		finish(r, ctx, rc < 0 ? rc : 0);
		return;
	}
	if (r->p.done != r->saved_done && now - r->saved_ms >= SAVE_EVERY_MS) {
		save(ctx, r->volume, DB_IMPORT_RUNNING, r->p.done, NULL);
		r->saved_done = r->p.done;
		r->saved_ms = now;
	}
	if (now - r->checked_ms >= CHECK_EVERY_MS) {
		struct db_volume v;

		r->checked_ms = now;
		/* deleted (or failed) under the import: stop writing to it */
		if (db_volume_get(ctx->db, r->volume, &v) < 0 || v.import.state != DB_IMPORT_RUNNING) {
			char *o = NULL;
			int st;

			log_info("volume %s: gone or no longer importing: aoe-bench stopped", r->volume);
			prov_child_end(r->child, &o, &st);
			free(o);
			r->child = NULL;
		}
	}
}

void import_run_stop(struct import_run *r, struct api_ctx *ctx)
{
	char *o = NULL;
	int st;

	if (!r->child)
		return;
	prov_child_end(r->child, &o, &st);
	free(o);
	r->child = NULL;
	log_warn("volume %s: import stopped with nimbusd, marked failed", r->volume);
	save(ctx, r->volume, DB_IMPORT_FAILED, r->p.done,
	     "nimbusd stopped during the import: delete the volume and import again");
}
