/* Provisioning transactions, one at a time, inside nimbusd's event loop.
 *
 * A node change (add, set, remove) becomes a job: when its turn comes the
 * job reads the database as it is then (prepare), its prov_txn's steps run
 * one after the other, each helper program (dhcpd -t, omshell) as a child
 * whose output pipe the event loop watches, so reports and reads are served
 * while it runs; the database change is the last step (commit). When a step
 * fails, the completed ones are undone in reverse. Jobs never interleave:
 * the next starts when the previous one has finished or been unwound.
 *
 * The steps themselves are a table of functions (prov_step_ops): the real
 * ones (prov_steps.c) run the programs, the API unit tests' ones make up
 * outcomes. */
#ifndef NIMBUS_PROV_QUEUE_H
#define NIMBUS_PROV_QUEUE_H

#include <stdbool.h>

#include "prov_exec.h"
#include "prov_txn.h"
#include "provision.h"

struct prov_job {
	/* set by the submitter */
	char what[96];                    /* "node web1 add", for the log */
	/* The job's turn: fill the fields below from the database as it is
	 * now. 0, or a negative errno: refused, nothing done. */
	int (*prepare)(struct prov_job *job);
	/* The last step (the database change). 0 or a negative errno. */
	int (*commit)(struct prov_job *job);
	/* The end: rc 0 or the failure (job->txn says which step and whether
	 * the unwinding was complete). The queue is done with job. */
	void (*done)(struct prov_job *job, int rc);

	/* set by prepare */
	struct prov_config cfg;
	enum prov_change change;
	struct prov_node old, new;        /* SET/REMOVE: old; ADD/SET: new */
	struct prov_node *old_list, *new_list; /* every node before/after (malloc) */
	size_t n_old, n_new;
	bool omapi;                       /* tell the running dhcpd */

	/* the queue's */
	bool started;
	struct prov_txn txn;
	struct prov_files *files;         /* new_list's, from CHECK to INSTALL */
	struct prov_job *next;
};

#define PROV_PENDING 1

struct prov_step_ops {
	/* Performs a (DO or UNDO) for job: 0 or a negative errno when done at
	 * once, or PROV_PENDING after starting *child, whose end goes to
	 * finish(). COMMIT is the queue's own (job->commit). */
	int (*start)(void *arg, struct prov_job *job, const struct prov_action *a,
		     struct prov_child **child);
	/* The child's outcome (prov_child_end's rc, output, exit status) as
	 * the step's 0 or negative errno. */
	int (*finish)(void *arg, struct prov_job *job, const struct prov_action *a,
		      int run_rc, const char *out, int status);
};

struct prov_queue;

int prov_queue_new(struct prov_queue **out, const struct prov_step_ops *ops, void *arg);
/* Gives up a running child (its step fails) and ends every job. */
void prov_queue_free(struct prov_queue *q);

/* Queues job (the caller's until done() is called); starts it when idle.
 * done() may be called before this returns. */
void prov_queue_submit(struct prov_queue *q, struct prov_job *job);
bool prov_queue_busy(const struct prov_queue *q);

/* For the event loop: the running child's fd (-1: none; it changes from
 * one step to the next), the milliseconds until its deadline (-1: none),
 * and what to call when the fd is readable or the deadline passed. */
int prov_queue_fd(const struct prov_queue *q);
int prov_queue_timeout_ms(const struct prov_queue *q);
void prov_queue_run(struct prov_queue *q);

/* The real steps (prov_steps.c). around_write (may be NULL) brackets every
 * file install, so the TFTP watcher can tell nimbusd's own opens. */
struct prov_steps_ctx {
	void (*around_write)(void *arg, bool before);
	void *around_arg;
};
extern const struct prov_step_ops prov_steps_real;

#endif
