/* The agent's per-volume state machine: given what nimbusd wants for one
 * volume and what the node has (probed: LVM, the resource file,
 * /proc/drbd, aoetd's exports), the one next step. Pure: no I/O, no
 * clock; the event loop runs the step as a child process, probes again and
 * asks again, until the answer is VA_NONE. Table-tested in
 * tests/unit/test_storage_volume_fsm.c; docs/storage.md explains each
 * step and state to an operator.
 *
 * Safety comes first in the order of the rules: an export that must not be
 * (export not wanted, local disk not UpToDate, fenced) is withdrawn before
 * anything else is looked at. */
#ifndef NIMBUS_STORAGE_VOLUME_FSM_H
#define NIMBUS_STORAGE_VOLUME_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/storage_msg.h"

enum vol_action {
	VA_NONE = 0,        /* converged, or waiting for the peer / a resync */
	VA_UNEXPORT,        /* aoetd config without it, reload */
	VA_LV_CREATE,       /* lvcreate -V SIZE -T VG/POOL -n NAME */
	VA_SNAP_CREATE,     /* lvcreate -s VG/ORIGIN -n NAME, activated */
	VA_LV_EXTEND,       /* lvextend -L SIZE VG/NAME */
	VA_WRITE_RES,       /* the desired resource file checked (drbdadm -c CHECK dump), then to /etc/drbd.d/NAME.res */
	VA_CREATE_MD,       /* drbdadm create-md --force NAME (a new LV only) */
	VA_UP,              /* drbdadm up NAME */
	VA_ADJUST,          /* drbdadm adjust NAME (StandAlone: connect again) */
	VA_NEW_UUID,        /* drbdadm new-current-uuid --clear-bitmap NAME: skip the initial sync */
	VA_PRIMARY,         /* drbdadm primary NAME */
	VA_RESIZE,          /* drbdadm resize NAME */
	VA_EXPORT,          /* aoetd config with it, reload */
	VA_DOWN,            /* drbdadm down NAME (a volume no longer wanted) */
	VA_LV_REMOVE,       /* lvremove -f VG/NAME */
	VA_RESUME_IO,       /* drbdadm resume-io NAME (a fenced, unexported primary) */
	VA_SECONDARY,       /* drbdadm secondary NAME (a fenced, unexported primary) */
	VA_OUTDATE,         /* drbdadm outdate NAME (a fenced secondary, disconnected) */
	VA_CLONE_CREATE,    /* a clone's LV: a writable thin snapshot of its origin's LV, made
			     * under a temporary name, its copy of the origin's DRBD superblock
			     * wiped, then renamed to NAME (agent.c, clone_script) */
};

/* What the node has for one volume. */
struct vol_have {
	bool lv;                    /* the LV exists */
	uint64_t lv_size;           /* bytes */
	bool res_current;           /* /etc/drbd.d/NAME.res holds the desired text */
	bool md;                    /* DRBD meta-data on the LV (created, or found) */
	bool drbd;                  /* the minor is configured (listed in /proc/drbd) */
	uint64_t drbd_size;         /* bytes the DRBD device offers (0: unknown) */
	enum smsg_drbd_conn conn;
	enum smsg_drbd_role role;
	enum smsg_drbd_disk disk, peer_disk;
	bool exported;              /* in aoetd's config as loaded */
	bool fenced;                /* the fence-peer handler lost: no export until UpToDate after a resync */
	bool suspended;             /* DRBD froze the device's I/O (fencing) */
	bool origin_synced;         /* a clone: its origin is Connected, UpToDate/UpToDate here,
				     * so a snapshot of its LV holds the pair's current data */
};

/* vol_lv_bytes: the LV size a volume of size bytes needs, so that the DRBD
 * device on it (the LV less its internal meta-data, vol_drbd_md_bytes)
 * offers at least size bytes. LVM rounds it up to whole extents. */
uint64_t vol_lv_bytes(uint64_t size);
uint64_t vol_drbd_md_bytes(uint64_t lv);

/* vol_next: the next step for a volume nimbusd wants (w). first: this node
 * is the one of the pair that clears the bitmap of a new blank volume
 * (vol_first_member). why (may be NULL) gets a short reason for the log
 * and the observed state ("waiting for the peer", "resyncing"). */
enum vol_action vol_next(const struct smsg_want_volume *w, const struct vol_have *h, bool first,
			 const char **why);

/* vol_next_removal: the next step for a volume the node has and nimbusd no
 * longer lists: unexport, down, remove the LV. */
enum vol_action vol_next_removal(const struct vol_have *h);

/* vol_first_member: which node of a pair runs new-current-uuid, decided
 * from the desired message alone so both nodes agree without talking:
 * the one whose name sorts first. */
bool vol_first_member(const struct smsg_desired *d);

/* vol_export_resized: whether aoetd must reload to serve the device's new
 * size (a volume grown under its export: aoetd rereads a kept export's size
 * only at a reload). *seen is the size the export was made with (0: not
 * known; then taken as it is), kept up to date; an export withdrawn forgets
 * it. */
bool vol_export_resized(uint64_t *seen, bool exported, uint64_t dev_size);

const char *vol_action_name(enum vol_action a);

#endif
