/* nimbus-storaged run: the storage node's agent, its only control path
 * (docs/storage.md). One epoll loop that never blocks: a long-poll of
 * nimbusd for the desired state, the observed state posted after every
 * change and periodically, one child process at a time (lvs, lvcreate,
 * drbdadm, aoetctl reload) with a deadline, and a control socket for
 * DRBD's handlers (fence-peer, after-resync-target). What to do next is
 * decided by volume_fsm.c from what was probed. */
#ifndef NIMBUS_STORAGE_AGENT_H
#define NIMBUS_STORAGE_AGENT_H

#include <stdint.h>

#include "mac.h"
#include "agent/storage_msg.h"

#define AGENT_CTRL_DEFAULT "/run/nimbus/storaged.sock"
#define AGENT_ENV_DEFAULT  "/run/nimbus/storaged.env"

struct agent_opts {
	uint32_t server_ip;          /* nimbusd's report listener */
	uint16_t server_port;
	uint8_t mac[MAC_LEN];        /* the management NIC: the node's identity */
	const char *iface;           /* aoetd serves volumes on it */
	const char *repl_iface;      /* the replication link's NIC (NULL: set up by hand) */
	const char *vg, *pool;
	const char *aoetd_conf, *aoetd_sock;
	const char *drbd_dir;        /* /etc/drbd.d */
	const char *drbd_check_dir;  /* candidates checked by drbdadm before drbd_dir (res_check.h) */
	const char *ctrl;            /* the control socket */
	const char *env;             /* where the handlers find the above */
	const struct smsg_disk *disks; /* the node's disks as probed when the agent started */
	size_t n_disks;
};

int agent_run(const struct agent_opts *o);

/* The handlers DRBD runs (resource in DRBD_RESOURCE): exit codes as DRBD
 * 8.4 reads them (fence-peer: 7 peer fenced, 6 outdate myself). */
int agent_fence_peer(const char *env_path);
int agent_after_resync(const char *env_path);

#endif
