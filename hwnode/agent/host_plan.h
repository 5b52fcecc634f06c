/* The hardware-node agent's planner: given what nimbusd wants of one
 * instance (or nothing: it does not name it), what libvirt has under that
 * name (or nothing) and what the agent remembers, the one next step and
 * why. Pure: no I/O, the clock passed in; nimbus-hostd runs the step as a
 * child process, probes libvirt again and asks again until the answer is
 * HA_NONE. Table-tested in tests/unit/test_host_plan.c, one case per rule.
 *
 * The rules, first match wins:
 *
 *  1. not named in the desired state        -> NONE (reported, never touched)
 *  2. a migration of it runs (our child)    -> NONE
 *  3. INCOMING                              -> NONE (libvirt on this node gets
 *                                              it through the migration: never
 *                                              defined or started here)
 *  4. migrate.id != 0 (this node is the source):
 *     already run for that id               -> NONE (done or failed: waiting
 *                                              for nimbusd; nothing is defined
 *                                              or started while nimbusd moves it)
 *     running or blocked here               -> MIGRATE
 *     anything else (absent, shut off, paused, shutting down)
 *                                           -> MIGRATE_REFUSE (recorded as a
 *                                              failed migration, reason says why)
 *  5. ABSENT: active -> DESTROY, then persistent -> UNDEFINE, then NONE
 *  5b. RUNNING or STOPPED, no domain here, and a migration of it ended
 *     without a verdict -> NONE: never defined or started here again (it
 *     may run on the target; two copies on one disk destroy it). nimbusd
 *     lifts this by naming it INCOMING or ABSENT, or not at all
 *  6. RUNNING: not defined, transient, or the XML differs from the one this
 *     agent last defined (or it never defined one) -> DEFINE; shut off or
 *     crashed -> START; paused -> NONE (reported, never resumed: it may be
 *     mid-migration); shutting down -> NONE until off, then START (but
 *     not within HOST_REBOOT_GRACE_MS of a reboot: libvirt restarts it
 *     itself); running and reboot_seq above the one applied -> REBOOT;
 *     else NONE
 *  7. STOPPED: active -> DESTROY (stop=destroy), SHUTDOWN (not sent yet),
 *     DESTROY (stop_timeout_s passed since it was sent) or NONE (waiting);
 *     inactive but not defined as wanted -> DEFINE; else NONE
 */
#ifndef NIMBUS_HOST_PLAN_H
#define NIMBUS_HOST_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/host_msg.h"

/* After `virsh reboot`, libvirt recreates the domain itself (on_reboot
 * restart); a probe in between may see it off, which is no reason to
 * start it. */
#define HOST_REBOOT_GRACE_MS 60000

enum host_action {
	HA_NONE = 0,
	HA_DEFINE,          /* XML to STATE_DIR/NAME.xml.new, virsh define it, then NAME.xml */
	HA_START,           /* virsh start NAME */
	HA_SHUTDOWN,        /* virsh shutdown NAME (clean: the guest is asked) */
	HA_DESTROY,         /* virsh destroy NAME (pull the plug) */
	HA_UNDEFINE,        /* virsh undefine NAME */
	HA_REBOOT,          /* virsh reboot NAME */
	HA_MIGRATE,         /* virsh migrate --live --p2p ... (its own child) */
	HA_MIGRATE_REFUSE,  /* the wanted migration cannot run here: record it failed */
};

/* What libvirt has under the instance's name (from `virsh list`). */
struct host_have {
	bool exists;
	enum hmsg_dom_state state;
	bool persistent;
};

/* What the agent remembers of the instance (kept in its state directory,
 * so a restarted agent remembers it too). */
struct host_mem {
	bool xml_known;                /* this agent defined it: ... */
	uint64_t xml_hash;             /* ... with this XML (host_plan_xml_hash) */
	bool reboot_known;             /* reboot_seq below is meaningful */
	uint64_t reboot_seq;           /* the reboot_seq already applied */
	int64_t shutdown_sent_ms;      /* monotonic ms of `virsh shutdown`; 0: none pending */
	int64_t reboot_sent_ms;        /* monotonic ms of the last `virsh reboot`; 0: none */
	uint64_t migration_id;         /* the migration run (or running) for it; 0: none */
	enum hmsg_mig_phase migration_phase;
	bool migration_running;        /* the migrate child runs now */
	bool migration_uncertain;      /* a migration of it ended without a verdict (virsh
					* killed at its deadline, the agent restarted): if
					* the domain leaves, it may run on the target */
};

struct host_plan {
	enum host_action action;
	const char *reason;            /* static text, for logs and refusals */
	bool settled;                  /* HA_NONE and nothing the agent waits for */
	bool timed_out;                /* HA_DESTROY because stop_timeout_s passed */
};

/* w NULL: nimbusd does not name the instance; h NULL or !h->exists:
 * libvirt does not have it; m NULL: nothing remembered. */
struct host_plan host_plan_next(const struct hmsg_want_instance *w, const struct host_have *h,
				const struct host_mem *m, int64_t now_ms);

/* Running in Xen's sense: libvirt would have to destroy it to stop it
 * (running, blocked, paused, shutting down, pmsuspended, no state). */
bool host_dom_active(enum hmsg_dom_state s);

/* FNV-1a 64 of the XML text: what host_mem.xml_hash holds. */
uint64_t host_plan_xml_hash(const char *xml);

const char *host_action_name(enum host_action a);

#endif
