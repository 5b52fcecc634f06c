/* Volume import in nimbusd's event loop: for a volume whose import is
 * 'importing', waits until both nodes serve it (state ready), then runs
 * `aoe-bench write --input FILE --sparse --progress` against its shelf.slot
 * on aoe-interface as a child the loop watches, keeping its progress in the
 * database, and marks the import done or failed with aoe-bench's last
 * words. One import runs at a time, the others wait their turn. Never
 * blocks. */
#ifndef NIMBUS_IMPORT_RUN_H
#define NIMBUS_IMPORT_RUN_H

#include <stdint.h>

#include "agent/storage_msg.h"
#include "api.h"
#include "import_progress.h"
#include "prov_exec.h"

/* The longest an import may run before it is killed and failed. */
#define IMPORT_RUN_MAX_MS (24 * 3600 * 1000)

struct import_run {
	struct prov_child *child;     /* NULL: none running */
	char volume[SMSG_NAME_MAX];
	struct import_progress p;
	size_t seen;                  /* bytes of the child's output parsed */
	uint64_t saved_done;          /* progress last written to the database */
	int64_t saved_ms, checked_ms;
};

/* At start-up: no child survives a restart, so an import left 'importing'
 * is failed, with a log line naming how many. */
void import_run_start_up(struct api_ctx *ctx);
/* Does what is due (call after every round of the loop). */
void import_run_step(struct import_run *r, struct api_ctx *ctx);
/* The child's output fd to watch, or -1. */
int import_run_fd(const struct import_run *r);
/* Ends a running child (nimbusd stopping): its import is failed. */
void import_run_stop(struct import_run *r, struct api_ctx *ctx);

#endif
