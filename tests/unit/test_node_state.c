/* confignode/node_state.c: the lifecycle as a transition table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../confignode/node_state.h"

#define E -EINVAL

/* next[state][event]: dhcp, config-fetched, booted, lost, failed */
#define F NODE_FAILED
static const int next[NODE_STATE_COUNT][NODE_EV_COUNT] = {
	[NODE_ADDED]          = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, E, F },
	[NODE_DHCP]           = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, NODE_LOST, F },
	[NODE_CONFIG_FETCHED] = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, NODE_LOST, F },
	[NODE_BOOTED]         = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, NODE_LOST, F },
	[NODE_LOST]           = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, E, F },
	[NODE_FAILED]         = { NODE_DHCP, NODE_CONFIG_FETCHED, NODE_BOOTED, E, F },
};

static void test_transitions(void **state)
{
	(void)state;
	for (int s = 0; s < NODE_STATE_COUNT; s++)
		for (int e = 0; e < NODE_EV_COUNT; e++) {
			int got = node_state_next((enum node_state)s, (enum node_event)e);

			if (got != next[s][e])
				fail_msg("%s + %s: got %d, want %d", node_state_name((enum node_state)s),
					 node_event_name((enum node_event)e), got, next[s][e]);
		}
	assert_int_equal(node_state_next((enum node_state)99, NODE_EV_DHCP), -EINVAL);
	assert_int_equal(node_state_next(NODE_ADDED, (enum node_event)99), -EINVAL);
}

static void test_names(void **state)
{
	enum node_state s;
	enum node_event e;

	(void)state;
	for (int i = 0; i < NODE_STATE_COUNT; i++) {
		assert_int_equal(node_state_parse(node_state_name((enum node_state)i), &s), 0);
		assert_int_equal(s, i);
	}
	for (int i = 0; i < NODE_EV_COUNT; i++) {
		assert_int_equal(node_event_parse(node_event_name((enum node_event)i), &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(node_state_name(NODE_CONFIG_FETCHED), "config-fetched");
	assert_int_equal(node_state_parse("Booted", &s), -EINVAL);
	assert_int_equal(node_state_parse(NULL, &s), -EINVAL);
	assert_int_equal(node_event_parse("", &e), -EINVAL);
	assert_string_equal(node_state_name((enum node_state)42), "?");
}

static void test_lost(void **state)
{
	(void)state;
	/* silent for exactly lost_after: not yet */
	assert_false(node_state_is_lost(NODE_BOOTED, 1000, 1120, 120));
	assert_true(node_state_is_lost(NODE_BOOTED, 1000, 1121, 120));
	assert_true(node_state_is_lost(NODE_DHCP, 1000, 2000, 120));
	assert_true(node_state_is_lost(NODE_CONFIG_FETCHED, 1000, 2000, 120));
	/* never seen, or already lost: never (again) */
	assert_false(node_state_is_lost(NODE_ADDED, 1000, 99999, 120));
	assert_false(node_state_is_lost(NODE_LOST, 1000, 99999, 120));
	/* a node that said it failed is failed, not lost */
	assert_false(node_state_is_lost(NODE_FAILED, 1000, 99999, 120));
	/* a clock going backwards is not silence */
	assert_false(node_state_is_lost(NODE_BOOTED, 2000, 1000, 120));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
