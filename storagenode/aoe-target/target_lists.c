/* target_lists.c - AoE commands 2 and 3: the Mac Mask List (who may talk
 * to the export) and Reserve/Release (who may change it). Choices:
 * docs/aoe-protocol.md, "Mac Mask List" and "Reserve/Release".
 */
#include <string.h>

#include "target_priv.h"

/* Applies an edit all or nothing, on a scratch copy committed only when
 * every directive succeeded: a failed edit never leaves a half-changed
 * access list. Returns an aoe_mask_err. */
static uint8_t mask_edit(struct target_export *ex, const struct aoe_mask *m)
{
	uint8_t work[AOE_MASK_MAX][TARGET_MAC_LEN];
	unsigned n = ex->nmask;
	struct aoe_mask_dir d;

	for (unsigned i = 0; i < m->dcnt; i++) {
		aoe_mask_dir_get(m, i, &d);
		if (d.dcmd > AOE_DCMD_DEL)
			return AOE_MERR_BADDCMD;
	}
	memcpy(work, ex->mask, n * TARGET_MAC_LEN);
	for (unsigned i = 0; i < m->dcnt; i++) {
		aoe_mask_dir_get(m, i, &d);
		if (d.dcmd == AOE_DCMD_ADD &&
		    !target_mac_in((const uint8_t (*)[TARGET_MAC_LEN])work, n,
				   d.mac)) {
			if (n >= AOE_MASK_MAX)
				return AOE_MERR_FULL;
			memcpy(work[n++], d.mac, TARGET_MAC_LEN);
		} else if (d.dcmd == AOE_DCMD_DEL) {
			for (unsigned j = 0; j < n; j++) {
				if (memcmp(work[j], d.mac, TARGET_MAC_LEN))
					continue;
				memmove(work[j], work[j + 1],
					(n - j - 1) * TARGET_MAC_LEN);
				n--;
				break;
			}
		}
	}
	memcpy(ex->mask, work, n * TARGET_MAC_LEN);
	ex->nmask = n;
	return AOE_MERR_NONE;
}

void target_mask(struct target_req *r)
{
	struct target_export *ex = r->ex;
	struct aoe_hdr h = target_reply_hdr(r);
	struct aoe_mask_dir list[AOE_MASK_MAX];
	struct aoe_mask m;
	uint8_t merr = AOE_MERR_NONE;
	unsigned count;
	int n;

	if (aoe_decode_mask(r->frame, r->len, &m) < 0 ||
	    (m.mcmd != AOE_MCMD_READ && m.mcmd != AOE_MCMD_EDIT)) {
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	/* Another host could otherwise lock the holder out of its own
	 * reservation by editing the access list. */
	if (m.mcmd == AOE_MCMD_EDIT && target_reserved_against(ex, r->hdr.src)) {
		target_aoe_error(r, AOE_ERR_RESERVED);
		return;
	}
	if (m.mcmd == AOE_MCMD_EDIT)
		merr = mask_edit(ex, &m);
	if (merr != AOE_MERR_NONE) {
		/* Echo the directives as sent, so the initiator sees which
		 * edit was refused and why. */
		count = m.dcnt;
		for (unsigned i = 0; i < count; i++)
			aoe_mask_dir_get(&m, i, &list[i]);
		ex->stats.errors++;
	} else {
		count = ex->nmask;
		for (unsigned i = 0; i < count; i++) {
			list[i].dcmd = AOE_DCMD_NONE;
			memcpy(list[i].mac, ex->mask[i], TARGET_MAC_LEN);
		}
	}
	n = aoe_encode_mask(r->reply, r->cap, &h, m.mcmd, merr, (uint8_t)count,
			    list);
	if (n < 0) {	/* a long list does not fit a tiny MTU */
		r->io->action = TARGET_DROP;
		return;
	}
	target_reply_ready(r, (size_t)n);
}

void target_resv(struct target_req *r)
{
	struct target_export *ex = r->ex;
	struct aoe_hdr h = target_reply_hdr(r);
	struct aoe_resv rr;
	int n;

	if (aoe_decode_resv(r->frame, r->len, &rr) < 0 ||
	    rr.rcmd > AOE_RCMD_FORCE) {
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	/* Force set is the spec's way to take over from a dead holder. */
	if (rr.rcmd == AOE_RCMD_SET &&
	    target_reserved_against(ex, r->hdr.src)) {
		target_aoe_error(r, AOE_ERR_RESERVED);
		return;
	}
	if (rr.rcmd != AOE_RCMD_READ) {
		/* nmacs 0 releases the target */
		memcpy(ex->resv, rr.macs, (size_t)rr.nmacs * TARGET_MAC_LEN);
		ex->nresv = rr.nmacs;
	}
	n = aoe_encode_resv(r->reply, r->cap, &h, rr.rcmd, (uint8_t)ex->nresv,
			    (const uint8_t (*)[TARGET_MAC_LEN])ex->resv);
	if (n < 0) {
		r->io->action = TARGET_DROP;
		return;
	}
	target_reply_ready(r, (size_t)n);
}
