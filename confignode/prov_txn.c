/* The provisioning transaction's state machine: see prov_txn.h. */
#include <errno.h>
#include <string.h>

#include "prov_txn.h"

static void add(struct prov_txn *t, enum prov_op op, const struct prov_node *node)
{
	t->steps[t->n++] = (struct prov_step){ .op = op, .node = node };
}

/* A host object of the new node's name that the database does not know
 * (an earlier attempt's, or dhcpd.conf's after a restart): removed so the
 * add can replace it, never put back (what it held is not known, and it
 * would be the new node's host again). */
static void add_stale_removal(struct prov_txn *t, const struct prov_node *node)
{
	add(t, PROV_OP_OMAPI_REMOVE, node);
	t->steps[t->n - 1].stale = true;
}

void prov_txn_plan(struct prov_txn *t, enum prov_change c, const struct prov_node *old,
		   const struct prov_node *new, bool omapi)
{
	memset(t, 0, sizeof(*t));
	add(t, PROV_OP_CHECK, NULL);
	if (omapi && c != PROV_FILES) {
		/* set and remove take the old host away first so dhcpd stops
		 * answering its MAC */
		if (c == PROV_ADD)
			add_stale_removal(t, new);
		else
			add(t, PROV_OP_OMAPI_REMOVE, old);
		if (c != PROV_REMOVE)
			add(t, PROV_OP_OMAPI_ADD, new);
	}
	add(t, PROV_OP_INSTALL_NEW, NULL);
	add(t, PROV_OP_COMMIT, NULL);
}

/* Whether the completed step s left something to take back. */
static bool has_undo(const struct prov_step *s)
{
	switch (s->op) {
	case PROV_OP_OMAPI_REMOVE:
		return s->done && s->existed && !s->stale;
	case PROV_OP_OMAPI_ADD:
	case PROV_OP_INSTALL_NEW:
		return s->done;
	default:
		return false;
	}
}

/* Undoing: moves cur down to one past the next step with an undo (0: none
 * left). */
static void skip_to_undo(struct prov_txn *t)
{
	while (t->cur > 0 && !has_undo(&t->steps[t->cur - 1]))
		t->cur--;
}

struct prov_action prov_txn_next(const struct prov_txn *t)
{
	const struct prov_step *s;

	if (!t->undoing) {
		if (t->cur >= t->n)
			return (struct prov_action){ .kind = PROV_ACT_OK };
		s = &t->steps[t->cur];
		return (struct prov_action){ .kind = PROV_ACT_DO, .op = s->op, .node = s->node };
	}
	if (t->cur == 0)
		return (struct prov_action){ .kind = PROV_ACT_FAILED };
	s = &t->steps[t->cur - 1];
	switch (s->op) {
	case PROV_OP_OMAPI_REMOVE:
		return (struct prov_action){ .kind = PROV_ACT_UNDO, .op = PROV_OP_OMAPI_ADD,
					     .node = s->node };
	case PROV_OP_OMAPI_ADD:
		return (struct prov_action){ .kind = PROV_ACT_UNDO, .op = PROV_OP_OMAPI_REMOVE,
					     .node = s->node };
	default: /* INSTALL_NEW: the only other step with an undo */
		return (struct prov_action){ .kind = PROV_ACT_UNDO, .op = PROV_OP_INSTALL_OLD };
	}
}

void prov_txn_result(struct prov_txn *t, int rc)
{
	struct prov_step *s;

	if (t->undoing) {
		if (t->cur == 0)
			return;
		/* taking back a host object that is already gone is done */
		if (rc < 0 && !(rc == -ENOENT && t->steps[t->cur - 1].op == PROV_OP_OMAPI_ADD))
			t->undo_failures++;
		t->cur--;
		skip_to_undo(t);
		return;
	}
	if (t->cur >= t->n)
		return;
	s = &t->steps[t->cur];
	if (s->op == PROV_OP_OMAPI_REMOVE && rc == -ENOENT) {
		s->done = true;
		s->existed = false;
		t->cur++;
		return;
	}
	if (rc == 0) {
		s->done = true;
		s->existed = true;
		t->cur++;
		return;
	}
	t->err = rc;
	t->failed = t->cur;
	t->undoing = true;
	/* an install that failed half-way has replaced some files already */
	if (s->op == PROV_OP_INSTALL_NEW) {
		s->done = true;
		t->cur++;
	}
	skip_to_undo(t);
}

const char *prov_op_name(enum prov_op op)
{
	static const char *const names[] = {
		[PROV_OP_CHECK] = "dhcpd -t check",
		[PROV_OP_OMAPI_REMOVE] = "OMAPI remove",
		[PROV_OP_OMAPI_ADD] = "OMAPI add",
		[PROV_OP_INSTALL_NEW] = "install files",
		[PROV_OP_INSTALL_OLD] = "reinstall previous files",
		[PROV_OP_COMMIT] = "database commit",
	};

	return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}
