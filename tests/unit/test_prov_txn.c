/* confignode/prov_txn.c (the provisioning transaction's steps and their one
 * compensation path) driven with made-up outcomes, as a table: the change,
 * the outcome of each action in turn, the actions it must hand out; and
 * prov_queue.c with real children (/bin/sh) standing in for dhcpd -t and
 * omshell: one transaction at a time, a slow child waited for without
 * blocking, a child past its deadline killed. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "../../confignode/prov_queue.h"
#include "../../confignode/prov_txn.h"
#include "log.h"

static const char *op_short(enum prov_op op)
{
	switch (op) {
	case PROV_OP_CHECK: return "check";
	case PROV_OP_OMAPI_REMOVE: return "rm";
	case PROV_OP_OMAPI_ADD: return "add";
	case PROV_OP_INSTALL_NEW: return "install";
	case PROV_OP_INSTALL_OLD: return "install-old";
	case PROV_OP_COMMIT: return "commit";
	}
	return "?";
}

/* Runs t to its end with outcomes[] (0 or -errno, one per action; missing
 * ones are 0) and writes the actions: "check rm(old) add(new) ... =ok". */
static void drive(struct prov_txn *t, const int *outcomes, size_t n, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 32; i++) {
		struct prov_action a = prov_txn_next(t);

		if (a.kind == PROV_ACT_OK || a.kind == PROV_ACT_FAILED) {
			snprintf(out + o, len - o, "=%s", a.kind == PROV_ACT_OK ? "ok" : "failed");
			return;
		}
		o += (size_t)snprintf(out + o, len - o, "%s%s%s%s%s ",
				      a.kind == PROV_ACT_UNDO ? "undo:" : "", op_short(a.op),
				      a.node ? "(" : "", a.node ? a.node->name : "",
				      a.node ? ")" : "");
		prov_txn_result(t, i < n ? outcomes[i] : 0);
	}
	fail_msg("transaction did not end: %s", out);
}

static void test_txn_table(void **state)
{
	static const struct {
		enum prov_change change;
		bool omapi;
		int outcomes[8];
		size_t n;
		const char *want;
		int undo_failures;
	} cases[] = {
		/* everything works */
		{ PROV_ADD, true, { 0 }, 0, "check rm(new) add(new) install commit =ok", 0 },
		{ PROV_SET, true, { 0 }, 0, "check rm(old) add(new) install commit =ok", 0 },
		{ PROV_REMOVE, true, { 0 }, 0, "check rm(old) install commit =ok", 0 },
		{ PROV_SET, false, { 0 }, 0, "check install commit =ok", 0 },
		/* an absent host object is no failure, and nothing to put back */
		{ PROV_ADD, true, { 0, -ENOENT, 0, -EIO }, 4,
		  "check rm(new) add(new) install undo:install-old undo:rm(new) =failed", 0 },
		/* a stale host of the new name was removed: not put back */
		{ PROV_ADD, true, { 0, 0, 0, -EIO }, 4,
		  "check rm(new) add(new) install undo:install-old undo:rm(new) =failed", 0 },
		{ PROV_ADD, true, { 0, 0, -EEXIST }, 3, "check rm(new) add(new) =failed", 0 },
		/* dhcpd -t refuses: nothing was done */
		{ PROV_SET, true, { -EINVAL }, 1, "check =failed", 0 },
		/* the new host refused: the old one goes back */
		{ PROV_SET, true, { 0, 0, -EEXIST }, 3,
		  "check rm(old) add(new) undo:add(old) =failed", 0 },
		/* the install fails half-way: old files, new host out, old host in */
		{ PROV_SET, true, { 0, 0, 0, -EIO }, 4,
		  "check rm(old) add(new) install undo:install-old undo:rm(new) undo:add(old) =failed", 0 },
		/* the commit fails: all of it unwound */
		{ PROV_SET, true, { 0, 0, 0, 0, -EBUSY }, 5,
		  "check rm(old) add(new) install commit undo:install-old undo:rm(new) undo:add(old) =failed", 0 },
		{ PROV_REMOVE, true, { 0, 0, 0, -EBUSY }, 4,
		  "check rm(old) install commit undo:install-old undo:add(old) =failed", 0 },
		/* a failing undo is counted, the rest still undone */
		{ PROV_SET, true, { 0, 0, 0, 0, -EBUSY, -EIO, -ECONNREFUSED, 0 }, 8,
		  "check rm(old) add(new) install commit undo:install-old undo:rm(new) undo:add(old) =failed", 2 },
		/* taking back a host that is already gone is done */
		{ PROV_ADD, true, { 0, -ENOENT, 0, -EIO, 0, -ENOENT }, 6,
		  "check rm(new) add(new) install undo:install-old undo:rm(new) =failed", 0 },
	};
	struct prov_node old = { .name = "old" }, new = { .name = "new" };
	char got[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prov_txn t;

		prov_txn_plan(&t, cases[i].change, &old, &new, cases[i].omapi);
		drive(&t, cases[i].outcomes, cases[i].n, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got\n  %s\nwant\n  %s", i, got, cases[i].want);
		if (t.undo_failures != cases[i].undo_failures)
			fail_msg("case %zu: %d undo failures, want %d", i, t.undo_failures,
				 cases[i].undo_failures);
		if (strstr(got, "failed") && t.err == 0)
			fail_msg("case %zu: failed without an error", i);
	}
}

/* --- the queue, with /bin/sh children ------------------------------------ */

struct qjob {
	struct prov_job job;
	const char *script;      /* what "dhcpd -t" runs */
	int rc;                  /* done()'s */
	bool done;
};

static char qlog[256];           /* "a:start a:done b:start ..." */

static int q_prepare(struct prov_job *job)
{
	job->change = PROV_ADD;
	job->omapi = false;
	snprintf(qlog + strlen(qlog), sizeof(qlog) - strlen(qlog), "%s:start ", job->what);
	return 0;
}

static int q_commit(struct prov_job *job)
{
	(void)job;
	return 0;
}

static void q_done(struct prov_job *job, int rc)
{
	struct qjob *j = (struct qjob *)job;

	j->rc = rc;
	j->done = true;
	snprintf(qlog + strlen(qlog), sizeof(qlog) - strlen(qlog), "%s:%s ", job->what,
		 rc ? "failed" : "done");
}

static int q_start(void *arg, struct prov_job *job, const struct prov_action *a,
		   struct prov_child **child)
{
	struct qjob *j = (struct qjob *)job;
	const char *argv[] = { "/bin/sh", "-c", j->script, NULL };
	int timeout = *(int *)arg;
	int rc;

	if (a->op != PROV_OP_CHECK)
		return 0;
	rc = prov_child_start(child, argv, NULL, timeout);
	return rc < 0 ? rc : PROV_PENDING;
}

static int q_finish(void *arg, struct prov_job *job, const struct prov_action *a, int run_rc,
		    const char *out, int status)
{
	(void)arg, (void)job, (void)a, (void)out;
	if (run_rc < 0)
		return run_rc;
	return status == 0 ? 0 : -EINVAL;
}

static const struct prov_step_ops q_ops = { .start = q_start, .finish = q_finish };

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* What nimbusd's loop does, until the queue is idle; returns the longest
 * time one turn of it took (ms): it must never wait for a child. */
static long spin(struct prov_queue *q, long *turns)
{
	long worst = 0;

	*turns = 0;
	while (prov_queue_busy(q)) {
		struct pollfd p = { .fd = prov_queue_fd(q), .events = POLLIN };
		long t0;

		poll(&p, p.fd >= 0 ? 1 : 0, 50); /* the loop's other work every 50 ms */
		t0 = ms_now();
		prov_queue_run(q);
		if (ms_now() - t0 > worst)
			worst = ms_now() - t0;
		(*turns)++;
	}
	return worst;
}

static void qjob_init(struct qjob *j, const char *what, const char *script)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->job.what, sizeof(j->job.what), "%s", what);
	j->script = script;
	j->job.prepare = q_prepare;
	j->job.commit = q_commit;
	j->job.done = q_done;
}

static void test_queue_serializes_without_blocking(void **state)
{
	int timeout = 5000;
	struct prov_queue *q;
	struct qjob a, b;
	long turns, worst, t0 = ms_now();

	(void)state;
	qlog[0] = '\0';
	assert_int_equal(prov_queue_new(&q, &q_ops, &timeout), 0);
	qjob_init(&a, "a", "sleep 0.6");
	qjob_init(&b, "b", "exit 3");
	prov_queue_submit(q, &a.job);
	prov_queue_submit(q, &b.job);
	/* a's child runs; b waits; submit returned at once */
	assert_true(ms_now() - t0 < 300);
	assert_false(a.done);
	assert_string_equal(qlog, "a:start ");
	assert_true(prov_queue_fd(q) >= 0);
	worst = spin(q, &turns);
	assert_true(a.done && b.done);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, -EINVAL);
	assert_string_equal(qlog, "a:start a:done b:start b:failed ");
	/* the 0.6 s child took several turns of the loop, none of them long */
	assert_true(turns >= 5);
	assert_true(worst < 100);
	prov_queue_free(q);
}

static void test_queue_deadline(void **state)
{
	int timeout = 300;
	struct prov_queue *q;
	struct qjob a;
	long turns, t0 = ms_now();

	(void)state;
	qlog[0] = '\0';
	assert_int_equal(prov_queue_new(&q, &q_ops, &timeout), 0);
	qjob_init(&a, "a", "exec sleep 30");
	prov_queue_submit(q, &a.job);
	assert_true(prov_queue_timeout_ms(q) <= 300);
	spin(q, &turns);
	assert_int_equal(a.rc, -ETIMEDOUT);
	assert_true(ms_now() - t0 < 2000);
	prov_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txn_table),
		cmocka_unit_test(test_queue_serializes_without_blocking),
		cmocka_unit_test(test_queue_deadline),
	};

	log_init("test_prov_txn", LOG_LVL_ERR + 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
