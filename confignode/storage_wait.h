/* Storage agents waiting for a change (long-poll): a GET
 * /v1/storage/desired/MAC/GEN from a node whose generation is still GEN is
 * held until the node's generation grows or the wait's deadline passes,
 * so an agent acts within a second of `nimbus volume create` without
 * polling. The list knows nothing of HTTP or the database: the caller
 * gives the generation of a node (gen_of) and the clock, and answers the
 * entries swait_due hands back (api_storage_node.c). Unit-tested in
 * tests/unit/test_storage_wait.c. */
#ifndef NIMBUS_STORAGE_WAIT_H
#define NIMBUS_STORAGE_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/storage_msg.h"

#define SWAIT_HOLD_MS 25000   /* below the agent's 30 s request deadline */
#define SWAIT_MAX     256     /* waiters at once; more are answered at once */

struct swait_entry {
	char node[SMSG_NAME_MAX];
	uint64_t gen;                 /* the generation the agent has */
	int64_t deadline_ms;          /* monotonic */
	void *req;                    /* the held request (the caller's) */
};

struct storage_wait {
	struct swait_entry e[SWAIT_MAX];
	size_t n;
};

/* swait_add: 0, or -ENOSPC when SWAIT_MAX requests are held already. */
int swait_add(struct storage_wait *w, const char *node, uint64_t gen, int64_t deadline_ms,
	      void *req);

/* swait_due: removes the entries whose node's generation (gen_of; a node
 * it cannot tell about counts as changed) is newer than the entry's, or
 * whose deadline is at or before now_ms, and copies them to out (at most
 * max; the rest stay for the next call). Returns how many. */
size_t swait_due(struct storage_wait *w, int64_t now_ms,
		 int (*gen_of)(void *arg, const char *node, uint64_t *gen), void *arg,
		 struct swait_entry *out, size_t max);

/* swait_take_all: every entry, for a shutdown; returns how many. */
size_t swait_take_all(struct storage_wait *w, struct swait_entry *out, size_t max);

/* swait_timeout_ms: until the earliest deadline (0 if past), -1 if none. */
int swait_timeout_ms(const struct storage_wait *w, int64_t now_ms);

#endif
