#include "node_state.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[NODE_STATE_COUNT] = {
	[NODE_ADDED] = "added",
	[NODE_DHCP] = "dhcp",
	[NODE_CONFIG_FETCHED] = "config-fetched",
	[NODE_BOOTED] = "booted",
	[NODE_LOST] = "lost",
	[NODE_FAILED] = "failed",
};

static const char *const event_names[NODE_EV_COUNT] = {
	[NODE_EV_DHCP] = "dhcp",
	[NODE_EV_CONFIG_FETCHED] = "config-fetched",
	[NODE_EV_BOOTED] = "booted",
	[NODE_EV_LOST] = "lost",
	[NODE_EV_FAILED] = "failed",
};

const char *node_state_name(enum node_state s)
{
	return (unsigned)s < NODE_STATE_COUNT ? state_names[s] : "?";
}

int node_state_parse(const char *s, enum node_state *out)
{
	for (int i = 0; i < NODE_STATE_COUNT; i++)
		if (s && strcmp(s, state_names[i]) == 0) {
			*out = (enum node_state)i;
			return 0;
		}
	return -EINVAL;
}

const char *node_event_name(enum node_event e)
{
	return (unsigned)e < NODE_EV_COUNT ? event_names[e] : "?";
}

int node_event_parse(const char *s, enum node_event *out)
{
	for (int i = 0; i < NODE_EV_COUNT; i++)
		if (s && strcmp(s, event_names[i]) == 0) {
			*out = (enum node_event)i;
			return 0;
		}
	return -EINVAL;
}

int node_state_next(enum node_state cur, enum node_event ev)
{
	if ((unsigned)cur >= NODE_STATE_COUNT)
		return -EINVAL;
	switch (ev) {
	case NODE_EV_DHCP:
		return NODE_DHCP;
	case NODE_EV_CONFIG_FETCHED:
		return NODE_CONFIG_FETCHED;
	case NODE_EV_BOOTED:
		return NODE_BOOTED;
	case NODE_EV_LOST:
		if (cur == NODE_ADDED || cur == NODE_LOST || cur == NODE_FAILED)
			return -EINVAL;
		return NODE_LOST;
	case NODE_EV_FAILED:
		return NODE_FAILED;
	default:
		return -EINVAL;
	}
}

bool node_state_is_lost(enum node_state cur, int64_t last_seen, int64_t now,
			unsigned lost_after)
{
	if (cur == NODE_ADDED || cur == NODE_LOST || cur == NODE_FAILED ||
	    (unsigned)cur >= NODE_STATE_COUNT)
		return false;
	return now - last_seen > (int64_t)lost_after;
}
