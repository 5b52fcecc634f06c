/* One provisioning transaction: the steps that carry a node change (add,
 * set, remove) to the running dhcpd and the TFTP root, and the one
 * compensation path that unwinds the completed ones in reverse when a later
 * step fails. Pure: no I/O, no clock. prov_queue.c performs the actions it
 * hands out and feeds their outcomes back; unit tests feed made-up ones.
 *
 * The order is chosen so that what cannot be undone comes first or last:
 *   CHECK        candidate dhcpd.conf through `dhcpd -t`  (no side effect)
 *   OMAPI_REMOVE the host object by name                   (undo: add it back,
 *                                                            if it existed and
 *                                                            was the node's)
 *   OMAPI_ADD    the node's host object                    (undo: remove it)
 *   INSTALL      dhcpd.conf and pxelinux.cfg/ files       (undo: reinstall
 *                                                            the old set)
 *   COMMIT       the database change                       (last, no undo) */
#ifndef NIMBUS_PROV_TXN_H
#define NIMBUS_PROV_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "provision.h"

enum prov_change {
	PROV_ADD, PROV_SET, PROV_REMOVE,  /* a node: its host object and files */
	PROV_FILES,                       /* an image or role: every node's files */
};

/* What a step (or its undo) does. */
enum prov_op {
	PROV_OP_CHECK,
	PROV_OP_OMAPI_REMOVE,
	PROV_OP_OMAPI_ADD,
	PROV_OP_INSTALL_NEW,
	PROV_OP_INSTALL_OLD,   /* only as the undo of INSTALL_NEW */
	PROV_OP_COMMIT,
};

struct prov_step {
	enum prov_op op;
	const struct prov_node *node;  /* OMAPI steps: whose host object */
	bool done;
	bool existed;                  /* OMAPI_REMOVE: there was one to remove */
	bool stale;                    /* OMAPI_REMOVE of add: not the database's,
					* so nothing to put back */
};

#define PROV_TXN_STEPS_MAX 6

enum prov_act_kind { PROV_ACT_DO, PROV_ACT_UNDO, PROV_ACT_OK, PROV_ACT_FAILED };

struct prov_action {
	enum prov_act_kind kind;
	enum prov_op op;               /* DO/UNDO: what to perform */
	const struct prov_node *node;  /* OMAPI ops */
};

struct prov_txn {
	struct prov_step steps[PROV_TXN_STEPS_MAX];
	size_t n;
	size_t cur;         /* forward: the step under way; undoing: one past it */
	bool undoing;
	int err;            /* the failure that started the compensation, 0 */
	size_t failed;      /* its step */
	int undo_failures;  /* compensation actions that failed too */
};

/* The steps of a change. old: the node as it is (SET, REMOVE), new: as it
 * will be (ADD, SET); both must outlive the transaction. omapi false
 * (omapi-port 0): no OMAPI steps, dhcpd reads the file when it starts. */
void prov_txn_plan(struct prov_txn *t, enum prov_change c, const struct prov_node *old,
		   const struct prov_node *new, bool omapi);

/* What to perform now: DO/UNDO an op, or the end (OK, FAILED: t->err). */
struct prov_action prov_txn_next(const struct prov_txn *t);

/* The outcome of the action prov_txn_next() returned: 0 or a negative
 * errno. OMAPI_REMOVE's -ENOENT (no such host) counts as done. A failed
 * compensation action is counted and the unwinding goes on. */
void prov_txn_result(struct prov_txn *t, int rc);

const char *prov_op_name(enum prov_op op);

#endif
