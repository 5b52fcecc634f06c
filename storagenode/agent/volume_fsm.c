#include "volume_fsm.h"

#include <string.h>

static void say(const char **why, const char *s)
{
	if (why)
		*why = s;
}

static bool resyncing(enum smsg_drbd_conn c)
{
	return c == SMSG_CONN_SYNCSOURCE || c == SMSG_CONN_SYNCTARGET ||
	       c == SMSG_CONN_PAUSEDSYNCS || c == SMSG_CONN_PAUSEDSYNCT ||
	       c == SMSG_CONN_STARTINGSYNCS || c == SMSG_CONN_STARTINGSYNCT ||
	       c == SMSG_CONN_WFBITMAPS || c == SMSG_CONN_WFBITMAPT || c == SMSG_CONN_WFSYNCUUID;
}

/* Talking to the peer: connected, or in a resync's handshake or run. */
static bool connected(enum smsg_drbd_conn c)
{
	return c == SMSG_CONN_CONNECTED || resyncing(c);
}

static enum vol_action snapshot_next(const struct smsg_want_volume *w, const struct vol_have *h,
				     const char **why)
{
	if (h->exported && !w->export) {
		say(why, "export not wanted");
		return VA_UNEXPORT;
	}
	if (!h->lv) {
		say(why, "no snapshot LV");
		return VA_SNAP_CREATE;
	}
	if (w->export && !h->exported) {
		say(why, "snapshot ready");
		return VA_EXPORT;
	}
	say(why, w->export ? "exported read-only" : "kept, not exported");
	return VA_NONE;
}

/* DRBD 8.4's internal meta-data for a backing device of lv bytes: the
 * bitmap (one bit per 4 KiB, in 4 KiB units), the 32 KiB activity log and
 * the 4 KiB superblock, all at the end of the LV. */
uint64_t vol_drbd_md_bytes(uint64_t lv)
{
	uint64_t bitmap = (lv + 32767) / 32768;

	return ((bitmap + 4095) & ~4095ULL) + 32768 + 4096;
}

/* A DRBD device this much smaller than its LV sits on a grown LV: the
 * meta-data, and 1 MiB of slack for DRBD's own rounding (an LV grows by
 * whole 4 MiB extents, so a real grow is always more). */
static uint64_t md_room(uint64_t lv_size)
{
	return vol_drbd_md_bytes(lv_size) + (1ULL << 20);
}

uint64_t vol_lv_bytes(uint64_t size)
{
	uint64_t md = vol_drbd_md_bytes(size), next;

	/* The bitmap covers the meta-data too: grow until it fits (two or
	 * three rounds). */
	while ((next = vol_drbd_md_bytes(size + md)) != md)
		md = next;
	return size + md;
}

enum vol_action vol_next(const struct smsg_want_volume *w, const struct vol_have *h, bool first,
			 const char **why)
{
	if (w->kind == SMSG_VOLUME_SNAPSHOT)
		return snapshot_next(w, h, why);

	/* 1. Withdraw what must not be served: a stale copy must never answer
	 * an initiator, and a fenced node leaves the volume to its peer. */
	if (h->exported) {
		if (!w->export) {
			say(why, "export not wanted");
			return VA_UNEXPORT;
		}
		if (h->fenced) {
			say(why, "lost the fence");
			return VA_UNEXPORT;
		}
		if (!h->drbd || h->disk != SMSG_DSK_UPTODATE || h->role != SMSG_ROLE_PRIMARY) {
			say(why, "local disk not UpToDate or not primary");
			return VA_UNEXPORT;
		}
	}
	/* 1b. A node that lost the fence steps down while disconnected. Its
	 * peer went on alone, so on reconnection this half must become the
	 * resync target, which DRBD refuses a primary ("I shall become
	 * SyncTarget, but I am primary!": StandAlone for ever). A primary
	 * cannot be demoted while its I/O is frozen (aoetd's last writes hold
	 * the device open) nor outdated, so: resume the I/O (the frozen
	 * writes finish locally, unanswered since the export is gone, and are
	 * out of sync for the resync to overwrite), demote, outdate (kept in
	 * the meta-data across a reboot, so it never serves stale data). On
	 * reconnection after-sb-1pri discard-secondary resyncs this half. */
	if (h->fenced && !h->exported && h->drbd && !connected(h->conn)) {
		if (h->role == SMSG_ROLE_PRIMARY && h->suspended) {
			say(why, "lost the fence: let the frozen writes finish");
			return VA_RESUME_IO;
		}
		if (h->role == SMSG_ROLE_PRIMARY) {
			say(why, "lost the fence: step down");
			return VA_SECONDARY;
		}
		if (h->disk == SMSG_DSK_UPTODATE) {
			say(why, "lost the fence: outdate this half");
			return VA_OUTDATE;
		}
	}
	/* 2. The backing LV, at least as large as wanted. A clone's LV is a
	 * thin snapshot of its origin's, taken while this node's copy of the
	 * origin is current (Connected, both UpToDate): nimbusd checked that
	 * when it made the clone, but a node that was away takes its snapshot
	 * later. Both halves then hold the same bytes (an origin that nobody
	 * writes, as a template), so the clone starts like a blank volume,
	 * without an initial sync (rule 4). Its copy of the origin's DRBD
	 * meta-data is wiped by the same step, so it gets its own (rule 3). */
	if (!h->lv && w->kind == SMSG_VOLUME_CLONE) {
		if (!h->origin_synced) {
			say(why, "clone: waiting for the origin to be Connected and UpToDate here");
			return VA_NONE;
		}
		say(why, "no LV: snapshot the origin");
		return VA_CLONE_CREATE;
	}
	if (!h->lv) {
		say(why, "no LV");
		return VA_LV_CREATE;
	}
	if (h->lv_size < vol_lv_bytes(w->size_bytes)) {
		say(why, "LV smaller than wanted");
		return VA_LV_EXTEND;
	}
	/* 3. The resource file, meta-data, the resource up. A grown clone
	 * was extended above first: internal meta-data sits at the LV's end. */
	if (!h->res_current) {
		say(why, "resource file differs");
		return VA_WRITE_RES;
	}
	if (!h->md) {
		say(why, "no DRBD meta-data");
		return VA_CREATE_MD;
	}
	if (!h->drbd) {
		say(why, "resource down");
		return VA_UP;
	}
	if (h->conn == SMSG_CONN_STANDALONE) {
		/* A changed resource file or a refused handshake: adjust
		 * applies the file and connects again. After a split brain
		 * with two primaries DRBD stays StandAlone by policy
		 * (after-sb-2pri disconnect): adjust retries, an operator
		 * decides (docs/storage.md). */
		say(why, "StandAlone: connect again");
		return VA_ADJUST;
	}
	/* 4. A new blank volume, or a new clone: both halves Inconsistent
	 * (fresh meta-data) and connected. The first member declares its data
	 * current without a sync: zeros on both, or for a clone the same
	 * snapshot of an origin that was in sync and not written. */
	if (h->conn == SMSG_CONN_CONNECTED && h->disk == SMSG_DSK_INCONSISTENT &&
	    h->peer_disk == SMSG_DSK_INCONSISTENT) {
		if (first) {
			say(why, "new volume: skip the initial sync");
			return VA_NEW_UUID;
		}
		say(why, "new volume: waiting for the peer to clear the bitmap");
		return VA_NONE;
	}
	if (h->disk == SMSG_DSK_INCONSISTENT && !resyncing(h->conn)) {
		say(why, "Inconsistent: waiting for the peer");
		return VA_NONE;
	}
	/* 5. Primary: with good data, or as a resync target (DRBD reads
	 * through to the peer's UpToDate copy meanwhile). */
	if (h->role != SMSG_ROLE_PRIMARY &&
	    ((h->disk == SMSG_DSK_UPTODATE && !(h->fenced && !connected(h->conn))) ||
	     (h->disk == SMSG_DSK_INCONSISTENT && h->conn == SMSG_CONN_SYNCTARGET))) {
		say(why, "secondary");
		return VA_PRIMARY;
	}
	/* 6. Grow the device once the LV has grown (DRBD needs the peer
	 * connected for an online resize). */
	if (h->drbd_size && h->drbd_size + md_room(h->lv_size) < h->lv_size &&
	    h->conn == SMSG_CONN_CONNECTED) {
		say(why, "DRBD device smaller than the LV");
		return VA_RESIZE;
	}
	/* 7. Export only an UpToDate primary, not fenced, when wanted. */
	if (w->export && !h->exported && !h->fenced && h->role == SMSG_ROLE_PRIMARY &&
	    h->disk == SMSG_DSK_UPTODATE) {
		say(why, "ready");
		return VA_EXPORT;
	}
	if (resyncing(h->conn))
		say(why, "resyncing");
	else if (h->fenced)
		say(why, "fenced: waiting for a resync");
	else if (h->exported)
		say(why, h->conn == SMSG_CONN_CONNECTED ? "exported" : "exported, peer away");
	else if (!w->export)
		say(why, "kept, not exported");
	else
		say(why, "waiting");
	return VA_NONE;
}

enum vol_action vol_next_removal(const struct vol_have *h)
{
	if (h->exported)
		return VA_UNEXPORT;
	if (h->drbd)
		return VA_DOWN;
	if (h->lv)
		return VA_LV_REMOVE;
	return VA_NONE;
}

bool vol_first_member(const struct smsg_desired *d)
{
	return d->pair[0] && strcmp(d->node, d->peer) < 0;
}

bool vol_export_resized(uint64_t *seen, bool exported, uint64_t dev_size)
{
	if (!exported) {
		*seen = 0;
		return false;
	}
	if (dev_size == 0 || *seen == dev_size)
		return false;
	if (*seen == 0) {
		*seen = dev_size;
		return false;
	}
	*seen = dev_size;
	return true;
}

const char *vol_action_name(enum vol_action a)
{
	static const char *const names[] = {
		[VA_NONE] = "none", [VA_UNEXPORT] = "unexport", [VA_LV_CREATE] = "lv-create",
		[VA_SNAP_CREATE] = "snapshot-create", [VA_LV_EXTEND] = "lv-extend",
		[VA_WRITE_RES] = "write-resource", [VA_CREATE_MD] = "create-md", [VA_UP] = "up",
		[VA_ADJUST] = "adjust", [VA_NEW_UUID] = "new-current-uuid", [VA_PRIMARY] = "primary",
		[VA_RESIZE] = "resize", [VA_EXPORT] = "export", [VA_DOWN] = "down",
		[VA_LV_REMOVE] = "lv-remove", [VA_RESUME_IO] = "resume-io",
		[VA_SECONDARY] = "secondary", [VA_OUTDATE] = "outdate",
		[VA_CLONE_CREATE] = "clone-create",
	};

	if ((unsigned)a >= sizeof(names) / sizeof(names[0]) || !names[a])
		return "?";
	return names[a];
}
