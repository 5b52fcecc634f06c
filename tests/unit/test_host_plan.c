/* Unit tests of the hardware-node agent's planner (hwnode/agent/host_plan.c):
 * one table row per rule - what nimbusd wants of an instance, what libvirt
 * has, what the agent remembers - and the one next step. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "host_plan.h"

#define XML_A "<domain type='xen'><name>inst1</name></domain>\n"
#define XML_B "<domain type='xen'><name>inst1</name><vcpu>2</vcpu></domain>\n"

/* states, short */
#define RUN   HMSG_DOM_RUNNING
#define BLK   HMSG_DOM_BLOCKED
#define PAU   HMSG_DOM_PAUSED
#define SDN   HMSG_DOM_SHUTDOWN
#define OFF   HMSG_DOM_SHUTOFF
#define CRA   HMSG_DOM_CRASHED
#define PMS   HMSG_DOM_PMSUSPENDED
#define NOS   HMSG_DOM_NOSTATE

#define W_RUNNING  HMSG_WANT_RUNNING
#define W_STOPPED  HMSG_WANT_STOPPED
#define W_INCOMING HMSG_WANT_INCOMING
#define W_ABSENT   HMSG_WANT_ABSENT

/* The agent's memory; KNOWN: it defined XML_A, and reboot_seq 3 is done. */
#define KNOWN .xml_known = true, .reboot_known = true, .reboot_seq = 3
#define NOW 1000000

/* libvirt's side */
#define NONE_H { .exists = false }
#define H(st, pers) { .exists = true, .state = (st), .persistent = (pers) }

struct wspec {
	bool named;
	enum hmsg_want_state state;
	enum hmsg_stop_mode stop;
	uint32_t timeout_s;
	uint64_t reboot_seq;
	uint64_t migrate;
	const char *xml;                 /* NULL: XML_A for running/stopped */
};

#define WANT(st) { .named = true, .state = (st), .timeout_s = 60, .reboot_seq = 3 }

struct pcase {
	const char *what;
	struct wspec w;
	struct host_have h;
	struct host_mem m;
	bool xml_b_defined;              /* memory says XML_B was the last defined */
	enum host_action want;
	bool settled;
	bool timed_out;
};

static const struct pcase cases[] = {
	/* 1. not named: reported, never touched */
	{ "not named, running here", { .named = false }, H(RUN, true), { KNOWN }, false, HA_NONE, true, false },
	{ "not named, shut off here", { .named = false }, H(OFF, true), { 0 }, false, HA_NONE, true, false },
	{ "not named, nothing here", { .named = false }, NONE_H, { 0 }, false, HA_NONE, true, false },
	/* 2. our migration child runs */
	{ "migration running", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(PAU, true), { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_TRANSFER,
			  .migration_running = true }, false, HA_NONE, false, false },
	{ "migration running, even when nimbusd wants it stopped", WANT(W_STOPPED), H(RUN, true),
	  { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_TRANSFER, .migration_running = true },
	  false, HA_NONE, false, false },
	/* 3. incoming: never defined, never started */
	{ "incoming, nothing here yet", WANT(W_INCOMING), NONE_H, { 0 }, false, HA_NONE, true, false },
	{ "incoming, arrived and running", WANT(W_INCOMING), H(RUN, true), { 0 }, false, HA_NONE, true, false },
	{ "incoming, paused while it arrives", WANT(W_INCOMING), H(PAU, false), { 0 }, false, HA_NONE, true, false },
	{ "incoming, a shut-off definition", WANT(W_INCOMING), H(OFF, true), { 0 }, false, HA_NONE, true, false },
	/* 4. this node is the source of a migration */
	{ "migrate, running", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(RUN, true), { KNOWN }, false, HA_MIGRATE, false, false },
	{ "migrate, blocked (idle guest)", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(BLK, true), { KNOWN }, false, HA_MIGRATE, false, false },
	{ "migrate, transient and running", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(RUN, false), { 0 }, false, HA_MIGRATE, false, false },
	{ "migrate, an older one failed: this id runs", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 8 },
	  H(RUN, true), { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_FAILED }, false,
	  HA_MIGRATE, false, false },
	{ "migrate, done: gone from here, nothing started", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  NONE_H, { .migration_id = 7, .migration_phase = HMSG_MIG_DONE }, false, HA_NONE, true, false },
	{ "migrate, failed: left running, not again", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(RUN, true), { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_FAILED }, false,
	  HA_NONE, true, false },
	{ "migrate, failed and shut off: not started while nimbusd moves it",
	  { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(OFF, true), { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_FAILED }, false,
	  HA_NONE, true, false },
	{ "migrate, the agent restarted mid-transfer", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(RUN, true), { KNOWN, .migration_id = 7, .migration_phase = HMSG_MIG_TRANSFER }, false,
	  HA_NONE, false, false },
	{ "migrate, no domain here: refused, never defined",
	  { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 }, NONE_H, { 0 }, false,
	  HA_MIGRATE_REFUSE, false, false },
	{ "migrate, shut off here: refused, not started", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(OFF, true), { KNOWN }, false, HA_MIGRATE_REFUSE, false, false },
	{ "migrate, crashed here: refused", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(CRA, true), { KNOWN }, false, HA_MIGRATE_REFUSE, false, false },
	{ "migrate, paused here: refused", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(PAU, true), { KNOWN }, false, HA_MIGRATE_REFUSE, false, false },
	{ "migrate, shutting down here: refused", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(SDN, true), { KNOWN }, false, HA_MIGRATE_REFUSE, false, false },
	{ "migrate, no state here: refused", { .named = true, .state = W_RUNNING, .timeout_s = 60, .migrate = 7 },
	  H(NOS, true), { KNOWN }, false, HA_MIGRATE_REFUSE, false, false },
	{ "migrate wanted of a stopped instance that runs", { .named = true, .state = W_STOPPED, .timeout_s = 60, .migrate = 7 },
	  H(RUN, true), { KNOWN }, false, HA_MIGRATE, false, false },
	/* 5. absent: destroy first, then undefine */
	{ "absent, nothing here", WANT(W_ABSENT), NONE_H, { 0 }, false, HA_NONE, true, false },
	{ "absent, running", WANT(W_ABSENT), H(RUN, true), { KNOWN }, false, HA_DESTROY, false, false },
	{ "absent, running transient", WANT(W_ABSENT), H(RUN, false), { 0 }, false, HA_DESTROY, false, false },
	{ "absent, paused", WANT(W_ABSENT), H(PAU, true), { KNOWN }, false, HA_DESTROY, false, false },
	{ "absent, shutting down", WANT(W_ABSENT), H(SDN, true), { KNOWN }, false, HA_DESTROY, false, false },
	{ "absent, shut off", WANT(W_ABSENT), H(OFF, true), { KNOWN }, false, HA_UNDEFINE, false, false },
	{ "absent, crashed", WANT(W_ABSENT), H(CRA, true), { KNOWN }, false, HA_UNDEFINE, false, false },
	{ "absent, shut off and not persistent (going)", WANT(W_ABSENT), H(OFF, false), { 0 }, false,
	  HA_NONE, true, false },
	/* 5b. gone after a migration without a verdict: never again here */
	{ "running wanted, gone after a migration without a verdict", WANT(W_RUNNING), NONE_H,
	  { KNOWN, .migration_uncertain = true }, false, HA_NONE, true, false },
	{ "stopped wanted, gone after a migration without a verdict", WANT(W_STOPPED), NONE_H,
	  { KNOWN, .migration_uncertain = true }, false, HA_NONE, true, false },
	{ "running wanted, still here after a migration without a verdict", WANT(W_RUNNING),
	  H(RUN, true), { KNOWN, .migration_uncertain = true }, false, HA_NONE, true, false },
	{ "absent wanted, after a migration without a verdict", WANT(W_ABSENT), H(OFF, true),
	  { KNOWN, .migration_uncertain = true }, false, HA_UNDEFINE, false, false },
	/* 6. running */
	{ "running wanted, nothing here", WANT(W_RUNNING), NONE_H, { 0 }, false, HA_DEFINE, false, false },
	{ "running wanted, transient running", WANT(W_RUNNING), H(RUN, false), { KNOWN }, false,
	  HA_DEFINE, false, false },
	{ "running wanted, defined by someone else", WANT(W_RUNNING), H(OFF, true),
	  { .reboot_known = true, .reboot_seq = 3 }, false, HA_DEFINE, false, false },
	{ "running wanted, XML changed while running", WANT(W_RUNNING), H(RUN, true), { KNOWN },
	  true, HA_DEFINE, false, false },
	{ "running wanted, XML changed while shutting down", WANT(W_RUNNING), H(SDN, true), { KNOWN },
	  true, HA_DEFINE, false, false },
	{ "running wanted, defined, shut off", WANT(W_RUNNING), H(OFF, true), { KNOWN }, false,
	  HA_START, false, false },
	{ "running wanted, crashed", WANT(W_RUNNING), H(CRA, true), { KNOWN }, false, HA_START, false, false },
	{ "running wanted, paused: not resumed", WANT(W_RUNNING), H(PAU, true), { KNOWN }, false,
	  HA_NONE, true, false },
	{ "running wanted, paused, reboot asked: still not touched",
	  { .named = true, .state = W_RUNNING, .timeout_s = 60, .reboot_seq = 4 }, H(PAU, true),
	  { KNOWN }, false, HA_NONE, true, false },
	{ "running wanted, shutting down: wait", WANT(W_RUNNING), H(SDN, true), { KNOWN }, false,
	  HA_NONE, false, false },
	{ "running wanted, pmsuspended", WANT(W_RUNNING), H(PMS, true), { KNOWN }, false, HA_NONE, true, false },
	{ "running wanted, no state yet", WANT(W_RUNNING), H(NOS, true), { KNOWN }, false, HA_NONE, false, false },
	{ "running wanted, running", WANT(W_RUNNING), H(RUN, true), { KNOWN }, false, HA_NONE, true, false },
	{ "running wanted, blocked", WANT(W_RUNNING), H(BLK, true), { KNOWN }, false, HA_NONE, true, false },
	{ "running, reboot_seq grew", { .named = true, .state = W_RUNNING, .timeout_s = 60, .reboot_seq = 4 },
	  H(RUN, true), { KNOWN }, false, HA_REBOOT, false, false },
	{ "running, reboot_seq grew, never seen before (first sight is adopted by the loop)",
	  { .named = true, .state = W_RUNNING, .timeout_s = 60, .reboot_seq = 4 }, H(RUN, true),
	  { .xml_known = true }, false, HA_NONE, true, false },
	{ "running, reboot_seq lower than done (nimbusd restored?)",
	  { .named = true, .state = W_RUNNING, .timeout_s = 60, .reboot_seq = 2 }, H(RUN, true),
	  { KNOWN }, false, HA_NONE, true, false },
	{ "running wanted, off just after a reboot: libvirt restarts it",
	  WANT(W_RUNNING), H(OFF, true), { KNOWN, .reboot_sent_ms = NOW - 5000 }, false, HA_NONE,
	  false, false },
	{ "running wanted, off long after a reboot", WANT(W_RUNNING), H(OFF, true),
	  { KNOWN, .reboot_sent_ms = NOW - HOST_REBOOT_GRACE_MS }, false, HA_START, false, false },
	/* 7. stopped */
	{ "stopped, running, stop=destroy", { .named = true, .state = W_STOPPED, .stop = HMSG_STOP_DESTROY, .timeout_s = 60, .reboot_seq = 3 },
	  H(RUN, true), { KNOWN }, false, HA_DESTROY, false, false },
	{ "stopped, running, no shutdown sent", WANT(W_STOPPED), H(RUN, true), { KNOWN }, false,
	  HA_SHUTDOWN, false, false },
	{ "stopped, blocked, no shutdown sent", WANT(W_STOPPED), H(BLK, true), { KNOWN }, false,
	  HA_SHUTDOWN, false, false },
	{ "stopped, transient running: shut down first", WANT(W_STOPPED), H(RUN, false), { 0 }, false,
	  HA_SHUTDOWN, false, false },
	{ "stopped, paused", WANT(W_STOPPED), H(PAU, true), { KNOWN }, false, HA_SHUTDOWN, false, false },
	{ "stopped, shutting down by itself", WANT(W_STOPPED), H(SDN, true), { KNOWN }, false,
	  HA_SHUTDOWN, false, false },
	{ "stopped, shutdown sent 10 s ago: wait", WANT(W_STOPPED), H(RUN, true),
	  { KNOWN, .shutdown_sent_ms = NOW - 10000 }, false, HA_NONE, false, false },
	{ "stopped, shutdown sent 59.9 s ago: wait", WANT(W_STOPPED), H(SDN, true),
	  { KNOWN, .shutdown_sent_ms = NOW - 59900 }, false, HA_NONE, false, false },
	{ "stopped, no clean shutdown within 60 s", WANT(W_STOPPED), H(RUN, true),
	  { KNOWN, .shutdown_sent_ms = NOW - 60000 }, false, HA_DESTROY, false, true },
	{ "stopped, stop_timeout_s 5 passed", { .named = true, .state = W_STOPPED, .timeout_s = 5, .reboot_seq = 3 },
	  H(SDN, true), { KNOWN, .shutdown_sent_ms = NOW - 6000 }, false, HA_DESTROY, false, true },
	{ "stopped, nothing here", WANT(W_STOPPED), NONE_H, { 0 }, false, HA_DEFINE, false, false },
	{ "stopped, shut off, XML changed", WANT(W_STOPPED), H(OFF, true), { KNOWN }, true, HA_DEFINE,
	  false, false },
	{ "stopped, shut off, defined by someone else", WANT(W_STOPPED), H(OFF, true), { 0 }, false,
	  HA_DEFINE, false, false },
	{ "stopped, shut off as wanted", WANT(W_STOPPED), H(OFF, true), { KNOWN }, false, HA_NONE, true, false },
	{ "stopped, crashed, defined as wanted", WANT(W_STOPPED), H(CRA, true), { KNOWN }, false,
	  HA_NONE, true, false },
	{ "stopped, reboot asked: nothing to reboot",
	  { .named = true, .state = W_STOPPED, .timeout_s = 60, .reboot_seq = 9 }, H(OFF, true),
	  { KNOWN }, false, HA_NONE, true, false },
};

static void fill_want(const struct wspec *s, struct hmsg_want_instance *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "inst1");
	w->state = s->state;
	w->stop = s->stop;
	w->stop_timeout_s = s->timeout_s;
	w->reboot_seq = s->reboot_seq;
	w->memory_mib = 256;
	w->vcpus = 1;
	w->shelf = 1;
	w->slot = 1;
	if (s->migrate) {
		w->migrate.id = s->migrate;
		snprintf(w->migrate.to, sizeof(w->migrate.to), "hw2");
		w->migrate.to_addr.s_addr = htonl(0x0a4d0033);
	}
	if (s->state == W_RUNNING || s->state == W_STOPPED)
		snprintf(w->domain_xml, sizeof(w->domain_xml), "%s", s->xml ? s->xml : XML_A);
}

static void test_rules(void **state)
{
	static struct hmsg_want_instance w;
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct host_mem m = c->m;
		struct host_plan p;

		fill_want(&c->w, &w);
		if (m.xml_known)
			m.xml_hash = host_plan_xml_hash(c->xml_b_defined ? XML_B : XML_A);
		p = host_plan_next(c->w.named ? &w : NULL, &c->h, &m, NOW);
		if (p.action != c->want || p.settled != c->settled || p.timed_out != c->timed_out ||
		    !p.reason || !p.reason[0]) {
			print_error("case '%s': got %s (%s) settled %d timed_out %d, want %s settled %d timed_out %d\n",
				    c->what, host_action_name(p.action), p.reason ? p.reason : "(null)",
				    p.settled, p.timed_out, host_action_name(c->want), c->settled,
				    c->timed_out);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Every action is reached by some row of the table. */
static void test_every_action_covered(void **state)
{
	bool seen[HA_MIGRATE_REFUSE + 1] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		seen[cases[i].want] = true;
	for (int a = HA_NONE; a <= HA_MIGRATE_REFUSE; a++)
		if (!seen[a])
			fail_msg("no case plans %s", host_action_name((enum host_action)a));
}

/* NULL have and memory mean "nothing": the same as empty structs. */
static void test_null_inputs(void **state)
{
	static struct hmsg_want_instance w;
	struct wspec s = WANT(W_RUNNING);
	struct host_plan p;

	(void)state;
	fill_want(&s, &w);
	p = host_plan_next(&w, NULL, NULL, NOW);
	assert_int_equal(p.action, HA_DEFINE);
	p = host_plan_next(NULL, NULL, NULL, NOW);
	assert_int_equal(p.action, HA_NONE);
	assert_true(p.settled);
	s = (struct wspec)WANT(W_ABSENT);
	fill_want(&s, &w);
	p = host_plan_next(&w, NULL, NULL, NOW);
	assert_int_equal(p.action, HA_NONE);
	assert_true(p.settled);
}

/* A converging sequence: each step's result fed back as libvirt would
 * report it, until nothing is left to do. */
static void test_converge_new_instance(void **state)
{
	static struct hmsg_want_instance w;
	struct wspec s = WANT(W_RUNNING);
	struct host_have h = NONE_H;
	struct host_mem m = { .reboot_known = true, .reboot_seq = 3 };
	static const enum host_action steps[] = { HA_DEFINE, HA_START, HA_NONE };
	struct host_plan p;

	(void)state;
	fill_want(&s, &w);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		p = host_plan_next(&w, &h, &m, NOW);
		assert_int_equal(p.action, steps[i]);
		if (p.action == HA_DEFINE) {
			h = (struct host_have)H(OFF, true);
			m.xml_known = true;
			m.xml_hash = host_plan_xml_hash(w.domain_xml);
		} else if (p.action == HA_START) {
			h.state = RUN;
		}
	}
	assert_true(p.settled);
	/* then nimbusd wants it stopped: shutdown, wait, destroy at the timeout */
	w.state = W_STOPPED;
	p = host_plan_next(&w, &h, &m, NOW);
	assert_int_equal(p.action, HA_SHUTDOWN);
	m.shutdown_sent_ms = NOW;
	p = host_plan_next(&w, &h, &m, NOW + 30000);
	assert_int_equal(p.action, HA_NONE);
	assert_false(p.settled);
	p = host_plan_next(&w, &h, &m, NOW + 60000);
	assert_int_equal(p.action, HA_DESTROY);
	assert_true(p.timed_out);
	/* and then deleted */
	h.state = OFF;
	m.shutdown_sent_ms = 0;
	w.state = W_ABSENT;
	w.domain_xml[0] = '\0';
	p = host_plan_next(&w, &h, &m, NOW);
	assert_int_equal(p.action, HA_UNDEFINE);
	h.exists = false;
	p = host_plan_next(&w, &h, &m, NOW);
	assert_int_equal(p.action, HA_NONE);
	assert_true(p.settled);
}

static void test_helpers(void **state)
{
	(void)state;
	/* FNV-1a 64's published values */
	assert_true(host_plan_xml_hash("") == 0xcbf29ce484222325ULL);
	assert_true(host_plan_xml_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(host_plan_xml_hash(XML_A) != host_plan_xml_hash(XML_B));
	assert_true(host_dom_active(RUN));
	assert_true(host_dom_active(BLK));
	assert_true(host_dom_active(PAU));
	assert_true(host_dom_active(SDN));
	assert_true(host_dom_active(PMS));
	assert_true(host_dom_active(NOS));
	assert_false(host_dom_active(OFF));
	assert_false(host_dom_active(CRA));
	/* the names double as virsh's verbs */
	assert_string_equal(host_action_name(HA_DEFINE), "define");
	assert_string_equal(host_action_name(HA_START), "start");
	assert_string_equal(host_action_name(HA_SHUTDOWN), "shutdown");
	assert_string_equal(host_action_name(HA_DESTROY), "destroy");
	assert_string_equal(host_action_name(HA_UNDEFINE), "undefine");
	assert_string_equal(host_action_name(HA_REBOOT), "reboot");
	assert_string_equal(host_action_name(HA_MIGRATE), "migrate");
	assert_string_equal(host_action_name((enum host_action)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_every_action_covered),
		cmocka_unit_test(test_null_inputs),
		cmocka_unit_test(test_converge_new_instance),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
