#include "host_plan.h"

#include <string.h>

static struct host_plan plan(enum host_action a, const char *reason, bool settled)
{
	struct host_plan p = { .action = a, .reason = reason, .settled = settled && a == HA_NONE };

	return p;
}

bool host_dom_active(enum hmsg_dom_state s)
{
	return s != HMSG_DOM_SHUTOFF && s != HMSG_DOM_CRASHED;
}

uint64_t host_plan_xml_hash(const char *xml)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)xml; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

const char *host_action_name(enum host_action a)
{
	static const char *const names[] = {
		[HA_NONE] = "none", [HA_DEFINE] = "define", [HA_START] = "start",
		[HA_SHUTDOWN] = "shutdown", [HA_DESTROY] = "destroy", [HA_UNDEFINE] = "undefine",
		[HA_REBOOT] = "reboot", [HA_MIGRATE] = "migrate",
		[HA_MIGRATE_REFUSE] = "refuse-migration",
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

/* The definition libvirt holds is the one nimbusd wants: defined
 * (persistent) by this agent with the same text. */
static struct host_plan define_check(const struct hmsg_want_instance *w, const struct host_have *h,
				     const struct host_mem *m, bool *ok)
{
	*ok = false;
	if (!h->exists)
		return plan(HA_DEFINE, "not defined", false);
	if (!h->persistent)
		return plan(HA_DEFINE, "transient: define it to make it persistent", false);
	if (!m->xml_known)
		return plan(HA_DEFINE, "not defined by this agent: define the wanted XML", false);
	if (m->xml_hash != host_plan_xml_hash(w->domain_xml))
		return plan(HA_DEFINE, "wanted XML differs from the one last defined", false);
	*ok = true;
	return plan(HA_NONE, "", true);
}

static struct host_plan migrate_next(const struct hmsg_want_instance *w, const struct host_have *h,
				     const struct host_mem *m)
{
	if (m->migration_id == w->migrate.id) {
		if (m->migration_phase == HMSG_MIG_DONE)
			return plan(HA_NONE, "migrated away: waiting for nimbusd", true);
		if (m->migration_phase == HMSG_MIG_FAILED)
			return plan(HA_NONE, "migration failed: left as it is, waiting for nimbusd",
				    true);
		/* starting or transfer without a child: the agent restarted
		 * mid-migration and has not sorted it out yet */
		return plan(HA_NONE, "migration state unknown: waiting", false);
	}
	if (!h->exists)
		return plan(HA_MIGRATE_REFUSE, "no such domain on this node", false);
	switch (h->state) {
	case HMSG_DOM_RUNNING:
	case HMSG_DOM_BLOCKED:
		return plan(HA_MIGRATE, "migration wanted", false);
	case HMSG_DOM_PAUSED:
		return plan(HA_MIGRATE_REFUSE, "the domain is paused here", false);
	case HMSG_DOM_SHUTDOWN:
		return plan(HA_MIGRATE_REFUSE, "the domain is shutting down here", false);
	case HMSG_DOM_SHUTOFF:
	case HMSG_DOM_CRASHED:
		return plan(HA_MIGRATE_REFUSE, "the domain is not running here", false);
	default:
		return plan(HA_MIGRATE_REFUSE, "the domain's state here is not known", false);
	}
}

static struct host_plan absent_next(const struct host_have *h)
{
	if (!h->exists)
		return plan(HA_NONE, "absent", true);
	if (host_dom_active(h->state))
		return plan(HA_DESTROY, "not wanted: destroyed before it is undefined", false);
	if (h->persistent)
		return plan(HA_UNDEFINE, "not wanted", false);
	return plan(HA_NONE, "absent", true);
}

static struct host_plan running_next(const struct hmsg_want_instance *w, const struct host_have *h,
				     const struct host_mem *m, int64_t now_ms)
{
	bool ok;
	struct host_plan p = define_check(w, h, m, &ok);

	if (!ok)
		return p;
	switch (h->state) {
	case HMSG_DOM_SHUTOFF:
	case HMSG_DOM_CRASHED:
		if (m->reboot_sent_ms && now_ms - m->reboot_sent_ms < HOST_REBOOT_GRACE_MS)
			return plan(HA_NONE, "rebooting: libvirt starts it again", false);
		return plan(HA_START, "defined, not running", false);
	case HMSG_DOM_PAUSED:
		return plan(HA_NONE, "paused: reported, not resumed (it may be mid-migration)", true);
	case HMSG_DOM_SHUTDOWN:
		return plan(HA_NONE, "shutting down: started again once off", false);
	case HMSG_DOM_PMSUSPENDED:
		return plan(HA_NONE, "suspended by the guest: reported, left alone", true);
	case HMSG_DOM_NOSTATE:
		return plan(HA_NONE, "no state yet: waiting", false);
	case HMSG_DOM_RUNNING:
	case HMSG_DOM_BLOCKED:
		break;
	}
	if (m->reboot_known && w->reboot_seq > m->reboot_seq)
		return plan(HA_REBOOT, "reboot asked (reboot_seq grew)", false);
	return plan(HA_NONE, "running", true);
}

static struct host_plan stopped_next(const struct hmsg_want_instance *w, const struct host_have *h,
				     const struct host_mem *m, int64_t now_ms)
{
	bool ok;
	struct host_plan p;

	if (h->exists && host_dom_active(h->state)) {
		if (w->stop == HMSG_STOP_DESTROY)
			return plan(HA_DESTROY, "wanted stopped, stop=destroy", false);
		if (!m->shutdown_sent_ms)
			return plan(HA_SHUTDOWN, "wanted stopped", false);
		if (now_ms - m->shutdown_sent_ms >= (int64_t)w->stop_timeout_s * 1000) {
			p = plan(HA_DESTROY, "no clean shutdown within stop_timeout_s", false);
			p.timed_out = true;
			return p;
		}
		return plan(HA_NONE, "waiting for the clean shutdown", false);
	}
	p = define_check(w, h, m, &ok);
	if (!ok)
		return p;
	return plan(HA_NONE, "stopped (defined, not running)", true);
}

struct host_plan host_plan_next(const struct hmsg_want_instance *w, const struct host_have *h,
				const struct host_mem *m, int64_t now_ms)
{
	static const struct host_have none_have = { .exists = false, .state = HMSG_DOM_SHUTOFF };
	static const struct host_mem none_mem;

	if (!h)
		h = &none_have;
	if (!m)
		m = &none_mem;
	if (!w)
		return plan(HA_NONE, "not in the desired state: reported, left alone", true);
	if (m->migration_running)
		return plan(HA_NONE, "migration running", false);
	if (w->state == HMSG_WANT_INCOMING)
		return plan(HA_NONE, "incoming: libvirt gets it through the migration", true);
	if (w->migrate.id != 0)
		return migrate_next(w, h, m);
	if (w->state == HMSG_WANT_ABSENT)
		return absent_next(h);
	if (!h->exists && m->migration_uncertain)
		return plan(HA_NONE, "left this node during a migration without a verdict: "
			    "not defined or started here again (it may run on the target)", true);
	switch (w->state) {
	case HMSG_WANT_ABSENT:
		return absent_next(h);
	case HMSG_WANT_RUNNING:
		return running_next(w, h, m, now_ms);
	case HMSG_WANT_STOPPED:
		return stopped_next(w, h, m, now_ms);
	case HMSG_WANT_INCOMING:
		break;
	}
	return plan(HA_NONE, "unknown wanted state", false);
}
