/* DRBD 8.4 resource files for replicated volumes. Pure: a struct in, text
 * in memory out; nimbusd puts the text into a node's desired state and the
 * storage agent checks it with drbdadm before it applies it. */
#ifndef NIMBUS_GEN_DRBD_H
#define NIMBUS_GEN_DRBD_H

#include <stddef.h>
#include <stdint.h>

#define GEN_DRBD_NAME_MAX 64
#define GEN_DRBD_PATH_MAX 128

struct gen_drbd_host {
	char name[GEN_DRBD_NAME_MAX];    /* the storage node's hostname */
	uint32_t addr;                   /* replication address, host order */
};

struct gen_drbd_res {
	char name[GEN_DRBD_NAME_MAX];    /* the volume: resource and LV name */
	uint32_t minor;                  /* /dev/drbdMINOR */
	uint16_t port;                   /* the replication port on both hosts */
	struct gen_drbd_host host[2];
	char resync_rate[16];            /* DRBD's unit syntax: "100M" (bytes/s) */
	char fence_peer[GEN_DRBD_PATH_MAX];         /* the agent's fence-peer handler */
	char after_resync_target[GEN_DRBD_PATH_MAX]; /* and its after-resync-target one */
};

/* The resource's defaults: the handlers where the storage-node image
 * installs them, resync at 100M. */
void gen_drbd_defaults(struct gen_drbd_res *r);

/* Protocol C, both nodes primary (allow-two-primaries) with the
 * after-split-brain policies of a dual-primary pair, fencing
 * resource-and-stonith (I/O freezes on connection loss until fence-peer
 * returns), disk /dev/nimbus/NAME (VG nimbus), meta-disk internal.
 * *text malloc()ed. 0, -EINVAL (a name that is not a lower-case DNS label,
 * the same host twice, a zero port or address, a handler path or rate
 * with characters DRBD's parser would take apart), -ENOMEM. */
int gen_drbd_resource(const struct gen_drbd_res *r, char **text);

#endif
