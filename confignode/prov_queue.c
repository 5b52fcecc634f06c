/* The provisioning queue: see prov_queue.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prov_queue.h"

struct prov_queue {
	const struct prov_step_ops *ops;
	void *arg;
	struct prov_job *head, *tail;
	struct prov_child *child;     /* the head job's running step */
	struct prov_action act;       /* what child is doing */
};

int prov_queue_new(struct prov_queue **out, const struct prov_step_ops *ops, void *arg)
{
	struct prov_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->ops = ops;
	q->arg = arg;
	*out = q;
	return 0;
}

static void finish_job(struct prov_queue *q, int rc)
{
	struct prov_job *job = q->head;

	q->head = job->next;
	if (!q->head)
		q->tail = NULL;
	provision_files_free(job->files);
	job->files = NULL;
	free(job->old_list);
	free(job->new_list);
	job->old_list = job->new_list = NULL;
	if (rc < 0 && job->txn.undoing)
		log_err("%s: %s failed (%s); %s", job->what, prov_op_name(job->txn.steps[job->txn.failed].op),
			strerror(-rc), job->txn.undo_failures ?
			"undoing it was incomplete: dhcpd or the files may differ from the database (see above)" :
			"every completed step undone");
	job->done(job, rc);
}

static void log_action(const struct prov_job *job, const struct prov_action *a)
{
	log_debug("%s: %s%s", job->what, a->kind == PROV_ACT_UNDO ? "undo: " : "",
		  prov_op_name(a->op));
}

/* Runs the head job's steps until one waits for a child or the queue is
 * empty. */
static void advance(struct prov_queue *q)
{
	while (q->head && !q->child) {
		struct prov_job *job = q->head;
		struct prov_action a;
		int rc;

		if (!job->started) {
			job->started = true;
			rc = job->prepare(job);
			if (rc < 0) {
				finish_job(q, rc);
				continue;
			}
			prov_txn_plan(&job->txn, job->change, &job->old, &job->new, job->omapi);
		}
		a = prov_txn_next(&job->txn);
		if (a.kind == PROV_ACT_OK || a.kind == PROV_ACT_FAILED) {
			finish_job(q, a.kind == PROV_ACT_OK ? 0 : job->txn.err);
			continue;
		}
		log_action(job, &a);
		if (a.op == PROV_OP_COMMIT)
			rc = job->commit(job);
		else
			rc = q->ops->start(q->arg, job, &a, &q->child);
		if (rc == PROV_PENDING) {
			q->act = a;
			return;
		}
		q->child = NULL;
		if (rc < 0 && a.kind == PROV_ACT_DO)
			log_warn("%s: %s failed: %s; undoing what was done", job->what,
				 prov_op_name(a.op), strerror(-rc));
		else if (rc < 0)
			log_err("%s: undo: %s failed: %s", job->what, prov_op_name(a.op),
				strerror(-rc));
		prov_txn_result(&job->txn, rc);
	}
}

/* The running child is done (or given up): its outcome into the txn. */
static void child_end(struct prov_queue *q)
{
	struct prov_job *job = q->head;
	char *out = NULL;
	int status = -1, rc;

	rc = prov_child_end(q->child, &out, &status);
	q->child = NULL;
	rc = q->ops->finish(q->arg, job, &q->act, rc, out, status);
	free(out);
	if (rc < 0 && q->act.kind == PROV_ACT_DO)
		log_warn("%s: %s failed: %s; undoing what was done", job->what,
			 prov_op_name(q->act.op), strerror(-rc));
	else if (rc < 0)
		log_err("%s: undo: %s failed: %s", job->what, prov_op_name(q->act.op),
			strerror(-rc));
	prov_txn_result(&job->txn, rc);
}

void prov_queue_submit(struct prov_queue *q, struct prov_job *job)
{
	job->next = NULL;
	job->started = false;
	job->files = NULL;
	job->old_list = job->new_list = NULL;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	advance(q);
}

bool prov_queue_busy(const struct prov_queue *q)
{
	return q->head != NULL;
}

int prov_queue_fd(const struct prov_queue *q)
{
	return q->child ? prov_child_fd(q->child) : -1;
}

int prov_queue_timeout_ms(const struct prov_queue *q)
{
	return q->child ? prov_child_left_ms(q->child) : -1;
}

void prov_queue_run(struct prov_queue *q)
{
	int rc;

	if (!q->child)
		return;
	rc = prov_child_read(q->child);
	if (rc == 0 && prov_child_left_ms(q->child) > 0)
		return; /* still running */
	child_end(q);
	advance(q);
}

void prov_queue_free(struct prov_queue *q)
{
	if (!q)
		return;
	while (q->head) {
		if (q->child) {
			char *out = NULL;
			int status;

			prov_child_end(q->child, &out, &status);
			free(out);
			q->child = NULL;
		}
		log_err("%s: abandoned at shutdown: the next start regenerates the files from the database",
			q->head->what);
		q->head->txn.undoing = false;
		finish_job(q, -ECANCELED);
	}
	free(q);
}
