/* netio.h - aoetd's network boundary: one AF_PACKET socket per interface
 * (ethertype 0x88A2, kernel filter, no qdisc), the interface's MAC, MTU and
 * link state, and a netlink socket that reports links coming up.
 */
#ifndef NIMBUS_AOETD_NETIO_H
#define NIMBUS_AOETD_NETIO_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif {
	char name[IFNAMSIZ];
	int ifindex;
	int fd;
	uint8_t mac[6];
	unsigned mtu;
	bool up;           /* administratively up and carrier present */
};

/* Does an interface of this name exist (in our network namespace)? */
bool netif_exists(const char *name);

/* Opens the packet socket for name and reads its MAC/MTU/state. On error
 * returns a negative errno and one line naming the problem in err. */
int netif_open(struct netif *n, const char *name, char *err, size_t errlen);

/* Re-reads MAC, MTU and link state. */
int netif_refresh(struct netif *n);

void netif_close(struct netif *n);

/* Frames the kernel dropped for this socket (full receive buffer) since
 * the last call; 0 when unknown. */
uint64_t netif_kernel_drops(struct netif *n);

/* A NETLINK_ROUTE socket subscribed to link changes (non-blocking). */
int netlink_open(void);

/* Reads pending link messages and calls cb(ctx, ifindex, up) for each
 * RTM_NEWLINK, up being the link state that message reports (a quick
 * down/up shows as two calls even when both happened before we read).
 * Returns 0 or a negative errno. */
int netlink_drain(int fd, void (*cb)(void *ctx, int ifindex, bool up),
		  void *ctx);

#endif
