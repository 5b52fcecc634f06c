/* target_cfg.c - AoE command 1: Query Config, all five subcommands, and
 * the reply that also serves as the announcement. Choices:
 * docs/aoe-protocol.md, "Query Config".
 */
#include <string.h>

#include "target_priv.h"

int target_cfg_encode(const struct target_export *ex, const struct aoe_hdr *h,
		      uint8_t ccmd, unsigned mtu, uint8_t *reply, size_t cap)
{
	struct aoe_cfg c = {
		.bufcnt = ex->bufcnt, .fwver = ex->fwver,
		.scnt = (uint8_t)aoe_sectors_per_frame(mtu),
		.aoever = AOE_VERSION, .ccmd = ccmd, .cslen = ex->cfg_len,
		.str = ex->cfg,
	};

	return aoe_encode_cfg(reply, cap, h, &c);
}

static void cfg_reply(struct target_req *r, uint8_t ccmd)
{
	struct aoe_hdr h = target_reply_hdr(r);
	int n = target_cfg_encode(r->ex, &h, ccmd, r->mtu, r->reply, r->cap);

	if (n < 0) {	/* a 1 KiB string does not fit a tiny MTU */
		r->io->action = TARGET_DROP;
		return;
	}
	target_reply_ready(r, (size_t)n);
}

static bool cfg_equals(const struct target_export *ex, const struct aoe_cfg *c)
{
	return c->cslen == ex->cfg_len && memcmp(c->str, ex->cfg, c->cslen) == 0;
}

void target_cfg(struct target_req *r)
{
	struct target_export *ex = r->ex;
	struct aoe_cfg c;

	if (aoe_decode_cfg(r->frame, r->len, &c) < 0 ||
	    c.cslen > AOE_CFG_STR_MAX) {
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	switch (c.ccmd) {
	case AOE_CCMD_READ:
		break;
	case AOE_CCMD_TEST_EXACT:
		/* The spec: a server whose string does not match is silent,
		 * which is how initiators find "their" targets. */
		if (!cfg_equals(ex, &c))
			return;
		break;
	case AOE_CCMD_TEST_PREFIX:
		if (c.cslen > ex->cfg_len ||
		    memcmp(c.str, ex->cfg, c.cslen) != 0)
			return;
		break;
	case AOE_CCMD_SET:
	case AOE_CCMD_FORCE_SET:
		if (target_reserved_against(ex, r->hdr.src)) {
			target_aoe_error(r, AOE_ERR_RESERVED);
			return;
		}
		/* Setting the string it already has succeeds, so that a set
		 * retransmitted after a lost reply is not an error. */
		if (c.ccmd == AOE_CCMD_SET && ex->cfg_len != 0 &&
		    !cfg_equals(ex, &c)) {
			target_aoe_error(r, AOE_ERR_CFGSET);
			return;
		}
		memcpy(ex->cfg, c.str, c.cslen);
		ex->cfg_len = c.cslen;
		break;
	default:
		target_aoe_error(r, AOE_ERR_BADARG);
		return;
	}
	cfg_reply(r, c.ccmd);
}
