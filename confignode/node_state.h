/* A node's lifecycle: added -> dhcp -> config-fetched -> booted -> lost,
 * or -> failed when the node says its boot failed.
 * Pure functions: the daemon feeds events and the clock in. */
#ifndef NIMBUS_NODE_STATE_H
#define NIMBUS_NODE_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum node_state {
	NODE_ADDED = 0,
	NODE_DHCP,            /* dhcpd answered it */
	NODE_CONFIG_FETCHED,  /* it read its pxelinux.cfg/01-<mac> */
	NODE_BOOTED,          /* the booted system reported in */
	NODE_LOST,            /* no sign of life for lost-after seconds */
	NODE_FAILED,          /* the node reported that its boot failed */
	NODE_STATE_COUNT
};

enum node_event {
	NODE_EV_DHCP = 0,
	NODE_EV_CONFIG_FETCHED,
	NODE_EV_BOOTED,
	NODE_EV_LOST,
	NODE_EV_FAILED,
	NODE_EV_COUNT
};

const char *node_state_name(enum node_state s);
int node_state_parse(const char *s, enum node_state *out);
const char *node_event_name(enum node_event e);
int node_event_parse(const char *s, enum node_event *out);

/* The state after an event. Any boot step may start over (a node reboots:
 * booted -> dhcp), but "lost" only follows a sign of life: a node never
 * seen is "added", not lost, and a lost node stays lost until it speaks.
 * A node that reported failure is failed, not lost, until it boots again.
 * Returns the new state, or -EINVAL when the event does not apply. */
int node_state_next(enum node_state cur, enum node_event ev);

/* Whether a node in state cur, last heard of at last_seen, is lost at now. */
bool node_state_is_lost(enum node_state cur, int64_t last_seen, int64_t now,
			unsigned lost_after);

#endif
