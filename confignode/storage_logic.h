/* nimbusd's decisions about replicated volumes, without I/O: allocating
 * AoE addresses, DRBD minors and ports and replication addresses; placing
 * a volume on the pair with most free space; a volume's overall state from
 * what both nodes observe; the fence decision; a node's desired state.
 * api_storage.c reads the database, calls these, and writes the result. */
#ifndef NIMBUS_STORAGE_LOGIC_H
#define NIMBUS_STORAGE_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/storage_msg.h"
#include "db_storage.h"
#include "gen_drbd.h"

/* --- allocation: lowest free, -ENOSPC when none --------------------------- */

struct sl_addr {
	uint16_t shelf;
	uint8_t slot;
};

/* A shelf.slot in shelves lo..hi (slots 0..254) that no entry of used has
 * (-ENOMEM possible: the search keeps one bit per address). */
int sl_alloc_addr(uint16_t lo, uint16_t hi, const struct sl_addr *used, size_t n,
		  struct sl_addr *out);
/* A minor no volume of the pair has, with port = base + minor <= 65535. */
int sl_alloc_minor(const uint32_t *used, size_t n, uint16_t base, uint32_t *minor,
		   uint16_t *port);
/* A host address of net/prefix (not network or broadcast) not in used. */
int sl_alloc_ip(uint32_t net, unsigned prefix, const uint32_t *used, size_t n, uint32_t *out);

/* The AoE root a boot image's kernel command line names
 * ("nimbus.root=eSHELF.SLOT", hwnode/initramfs/init): such an address is
 * taken (never given to a volume), and a volume there is in use. 0 with
 * *out, -ENOENT (none), -EINVAL (malformed or out of range). The last
 * nimbus.root= counts, as in the initramfs. */
int sl_cmdline_root(const char *cmdline, struct sl_addr *out);

/* --- space and placement ------------------------------------------------ */

/* What a node can still give: its thin pool's free bytes minus the sizes
 * of the pair's volumes it has not yet shown with an LV (promised, not yet
 * allocated). 0 for a node that never reported (o NULL) or has no VG. */
uint64_t sl_node_free(const struct smsg_observed *o, const struct db_volume *vols, size_t n);

struct sl_pair_free {
	const char *name;
	uint64_t free;       /* the smaller of its two nodes' */
};

/* The pair with most free space that fits size (the first of equals):
 * 0 with *idx; -ENOSPC with *idx the pair with most and *largest its
 * free space; -ENOENT when there is no pair at all. */
int sl_place(const struct sl_pair_free *p, size_t n, uint64_t size, size_t *idx,
	     uint64_t *largest);

/* --- state -------------------------------------------------------------- */

enum sl_vstate { SL_CREATING = 0, SL_READY, SL_DEGRADED, SL_RESYNCING, SL_FAILED };

struct sl_state {
	enum sl_vstate state;
	double percent;      /* resyncing: the lower of the two nodes' */
	int64_t eta_s;       /* resyncing: the longer; -1 unknown */
	bool serving[2];     /* that node exports an UpToDate copy */
};

const char *sl_vstate_name(enum sl_vstate s);

/* A node serves a volume when it has the LV, exports it and (a replicated
 * volume) its DRBD disk is UpToDate: a node whose disk is not UpToDate never
 * counts as serving, whatever it exports. */
bool sl_serving(const struct db_volume *v, const struct smsg_have_volume *h);

/* The overall state from both nodes' observations of v (h[i] NULL: node i
 * does not report the volume, or its report is stale):
 *   resyncing - a node's DRBD resyncs it (percent, time left);
 *   ready     - both nodes serve it, replicating (Connected);
 *   degraded  - one node serves it (or both, not connected);
 *   failed    - none serves it but it was ready once, or a node reports an
 *               error for it;
 *   creating  - none serves it yet and nothing failed. */
void sl_volume_state(const struct db_volume *v, const struct smsg_have_volume *const h[2],
		     struct sl_state *out);

/* Whether origin can be cloned now: each node of its pair reports it (h[i]
 * not NULL: a current report) with its DRBD resource up, Connected, both
 * disks UpToDate. Then both halves hold the same bytes, and each node's
 * thin snapshot of its half starts the clone in sync without a resync (if
 * nobody writes the origin meanwhile: a template). 0, or -EAGAIN with why
 * (len bytes) naming the first node that does not and what it reports
 * ("sn2 reports it Outdated/DUnknown, WFConnection"). */
int sl_clone_ready(const char *const nodes[2], const struct smsg_have_volume *const h[2],
		   char *why, size_t len);

/* One volume in a decoded observed message, or NULL. */
const struct smsg_have_volume *sl_find_have(const struct smsg_observed *o, const char *name);

/* --- fencing ------------------------------------------------------------ */

/* Whether node asker may go on alone with volume when its replication link
 * is lost: the first asker whose own disk is UpToDate wins and holds the
 * fence; the peer (and anyone later) is refused, the holder named. A node
 * asking again while it holds the fence is granted again (the handler may
 * retry). holder NULL: nobody holds it. reason: why not, or what was
 * decided, for the reply and the log. */
bool sl_fence_decide(const char *asker, const char *volume,
		     const struct smsg_have_volume *asker_have, const struct db_fence *holder,
		     char reason[SMSG_DETAIL_MAX]);

/* The fence can go when both nodes replicate again with UpToDate disks
 * (the loser resynced); both export again then. converged[i]: node i's
 * report says it converged to its current desired generation, which the
 * grant bumped - so the report was taken after the fence, not a
 * "Connected" from before the link went that arrived late (that released
 * a fresh fence and let the peer's fence-peer be granted as well). */
bool sl_fence_release(const struct smsg_have_volume *const h[2], const bool converged[2]);

/* --- desired state ------------------------------------------------------ */

struct sl_desired_in {
	const char *node;
	uint64_t generation;
	const struct db_pair *pair;        /* NULL: the node is in no pair */
	const struct db_volume *vols;      /* the pair's volumes */
	size_t n_vols;
	const struct db_fence *fences;     /* the pair's fences */
	size_t n_fences;
	const struct gen_drbd_res *tmpl;   /* rate and handler paths */
};

/* The desired state of in->node: every volume of its pair, exported unless
 * the peer holds the volume's fence, with its DRBD resource file (none for
 * a snapshot). out->volumes malloc()ed (smsg_desired_free). 0, -EINVAL (a
 * volume gen_drbd refuses), -ENOMEM. */
int sl_build_desired(const struct sl_desired_in *in, struct smsg_desired *out);

#endif
