#include "storage_logic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- allocation --------------------------------------------------------- */

int sl_alloc_addr(uint16_t lo, uint16_t hi, const struct sl_addr *used, size_t n,
		  struct sl_addr *out)
{
	/* One bit per address of the range: linear in the range and the
	 * cloud's volumes (the range may hold 65535 * 255 addresses). */
	size_t per = SMSG_SLOT_MAX + 1, total = ((size_t)hi - lo + 1) * per;
	uint8_t *taken;

	if (lo > hi)
		return -ENOSPC;
	taken = calloc((total + 7) / 8, 1);
	if (!taken)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t bit;

		if (used[i].shelf < lo || used[i].shelf > hi || used[i].slot > SMSG_SLOT_MAX)
			continue;
		bit = (size_t)(used[i].shelf - lo) * per + used[i].slot;
		taken[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < total; bit++) {
		if (taken[bit / 8] & (1u << (bit % 8)))
			continue;
		out->shelf = (uint16_t)(lo + bit / per);
		out->slot = (uint8_t)(bit % per);
		free(taken);
		return 0;
	}
	free(taken);
	return -ENOSPC;
}

int sl_alloc_minor(const uint32_t *used, size_t n, uint16_t base, uint32_t *minor,
		   uint16_t *port)
{
	for (uint32_t m = 0; m <= SMSG_MINOR_MAX && base + m <= 65535; m++) {
		bool taken = false;

		for (size_t i = 0; i < n && !taken; i++)
			taken = used[i] == m;
		if (!taken) {
			*minor = m;
			*port = (uint16_t)(base + m);
			return 0;
		}
	}
	return -ENOSPC;
}

int sl_alloc_ip(uint32_t net, unsigned prefix, const uint32_t *used, size_t n, uint32_t *out)
{
	uint32_t hosts = prefix >= 31 ? 0 : (UINT32_C(1) << (32 - prefix)) - 2;

	for (uint32_t h = 1; h <= hosts; h++) {
		bool taken = false;

		for (size_t i = 0; i < n && !taken; i++)
			taken = used[i] == net + h;
		if (!taken) {
			*out = net + h;
			return 0;
		}
	}
	return -ENOSPC;
}

int sl_cmdline_root(const char *cmdline, struct sl_addr *out)
{
	const char *p = cmdline, *found = NULL;
	unsigned long shelf, slot;
	char *end;

	/* Words are blank-separated; only a word starting with the key. */
	while ((p = strstr(p, "nimbus.root=")) != NULL) {
		if (p == cmdline || p[-1] == ' ' || p[-1] == '\t')
			found = p + strlen("nimbus.root=");
		p++;
	}
	if (!found)
		return -ENOENT;
	if (found[0] != 'e' || found[1] < '0' || found[1] > '9')
		return -EINVAL;
	shelf = strtoul(found + 1, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	slot = strtoul(end + 1, &end, 10);
	if ((*end && *end != ' ' && *end != '\t') || shelf > SMSG_SHELF_MAX || slot > SMSG_SLOT_MAX)
		return -EINVAL;
	out->shelf = (uint16_t)shelf;
	out->slot = (uint8_t)slot;
	return 0;
}

/* --- space -------------------------------------------------------------- */

const struct smsg_have_volume *sl_find_have(const struct smsg_observed *o, const char *name)
{
	for (size_t i = 0; o && i < o->n_volumes; i++)
		if (strcmp(o->volumes[i].name, name) == 0)
			return &o->volumes[i];
	return NULL;
}

uint64_t sl_node_free(const struct smsg_observed *o, const struct db_volume *vols, size_t n)
{
	uint64_t free_b;

	if (!o || !o->vg || o->pool_used >= o->pool_size)
		return 0;
	free_b = o->pool_size - o->pool_used;
	for (size_t i = 0; i < n; i++) {
		const struct smsg_have_volume *h = sl_find_have(o, vols[i].name);

		if (h && h->lv)
			continue;
		if (vols[i].size >= free_b)
			return 0;
		free_b -= vols[i].size;
	}
	return free_b;
}

int sl_place(const struct sl_pair_free *p, size_t n, uint64_t size, size_t *idx,
	     uint64_t *largest)
{
	size_t best = 0;

	if (n == 0)
		return -ENOENT;
	for (size_t i = 1; i < n; i++)
		if (p[i].free > p[best].free)
			best = i;
	*largest = p[best].free;
	*idx = best;
	return p[best].free < size ? -ENOSPC : 0;
}

/* --- state -------------------------------------------------------------- */

const char *sl_vstate_name(enum sl_vstate s)
{
	static const char *const names[] = { "creating", "ready", "degraded", "resyncing",
					     "failed" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

bool sl_serving(const struct db_volume *v, const struct smsg_have_volume *h)
{
	if (!h || !h->lv || !h->exported)
		return false;
	if (v->kind == SMSG_VOLUME_SNAPSHOT)
		return true;
	return h->drbd && h->disk == SMSG_DSK_UPTODATE;
}

static bool resyncing(const struct smsg_have_volume *h)
{
	if (!h || !h->drbd)
		return false;
	switch (h->conn) {
	case SMSG_CONN_STARTINGSYNCS: case SMSG_CONN_STARTINGSYNCT:
	case SMSG_CONN_WFBITMAPS: case SMSG_CONN_WFBITMAPT: case SMSG_CONN_WFSYNCUUID:
	case SMSG_CONN_SYNCSOURCE: case SMSG_CONN_SYNCTARGET:
	case SMSG_CONN_PAUSEDSYNCS: case SMSG_CONN_PAUSEDSYNCT:
		return true;
	default:
		return false;
	}
}

void sl_volume_state(const struct db_volume *v, const struct smsg_have_volume *const h[2],
		     struct sl_state *out)
{
	bool sync = false, error = false, connected = true;
	int serving = 0;

	memset(out, 0, sizeof(*out));
	out->percent = 100;
	out->eta_s = -1;
	for (int i = 0; i < 2; i++) {
		out->serving[i] = sl_serving(v, h[i]);
		serving += out->serving[i];
		if (h[i] && h[i]->error[0])
			error = true;
		if (v->kind != SMSG_VOLUME_SNAPSHOT && (!h[i] || h[i]->conn != SMSG_CONN_CONNECTED))
			connected = false;
		if (resyncing(h[i])) {
			if (!sync || h[i]->sync_percent < out->percent)
				out->percent = h[i]->sync_percent;
			if (h[i]->sync_eta_s > out->eta_s)
				out->eta_s = h[i]->sync_eta_s;
			sync = true;
		}
	}
	if (sync)
		out->state = SL_RESYNCING;
	else if (serving == 2 && connected)
		out->state = SL_READY;
	else if (serving >= 1)
		out->state = SL_DEGRADED;
	else if (v->ready_at || error)
		out->state = SL_FAILED;
	else
		out->state = SL_CREATING;
	if (!sync)
		out->percent = 100;
}

int sl_clone_ready(const char *const nodes[2], const struct smsg_have_volume *const h[2],
		   char *why, size_t len)
{
	for (int i = 0; i < 2; i++) {
		if (!h[i])
			snprintf(why, len, "%s does not report it (not in a current report of %s)",
				 nodes[i], nodes[i]);
		else if (!h[i]->lv || !h[i]->drbd)
			snprintf(why, len, "%s reports it without %s", nodes[i],
				 h[i]->lv ? "its DRBD resource up" : "its LV");
		else if (h[i]->conn != SMSG_CONN_CONNECTED || h[i]->disk != SMSG_DSK_UPTODATE ||
			 h[i]->peer_disk != SMSG_DSK_UPTODATE)
			snprintf(why, len, "%s reports it %s/%s, %s", nodes[i], smsg_dsk_name(h[i]->disk),
				 smsg_dsk_name(h[i]->peer_disk), smsg_conn_name(h[i]->conn));
		else
			continue;
		return -EAGAIN;
	}
	return 0;
}

/* --- fencing ------------------------------------------------------------ */

bool sl_fence_decide(const char *asker, const char *volume,
		     const struct smsg_have_volume *asker_have, const struct db_fence *holder,
		     char reason[SMSG_DETAIL_MAX])
{
	if (holder && strcmp(holder->node, asker) == 0) {
		snprintf(reason, SMSG_DETAIL_MAX, "%s holds %s already", asker, volume);
		return true;
	}
	if (holder) {
		char when[32] = "?";
		time_t at = (time_t)holder->at;
		struct tm tm;

		if (gmtime_r(&at, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(reason, SMSG_DETAIL_MAX, "%s holds %s since %s", holder->node, volume, when);
		return false;
	}
	if (!asker_have || !asker_have->drbd || asker_have->disk != SMSG_DSK_UPTODATE) {
		snprintf(reason, SMSG_DETAIL_MAX, "%s's disk of %s is %s, not UpToDate", asker,
			 volume, asker_have && asker_have->drbd ? smsg_dsk_name(asker_have->disk) :
			 "unknown");
		return false;
	}
	snprintf(reason, SMSG_DETAIL_MAX, "%s goes on alone with %s; its peer is outdated",
		 asker, volume);
	return true;
}

bool sl_fence_release(const struct smsg_have_volume *const h[2], const bool converged[2])
{
	for (int i = 0; i < 2; i++)
		if (!converged[i] || !h[i] || !h[i]->drbd || h[i]->conn != SMSG_CONN_CONNECTED ||
		    h[i]->disk != SMSG_DSK_UPTODATE || h[i]->peer_disk != SMSG_DSK_UPTODATE)
			return false;
	return true;
}

/* --- desired state ------------------------------------------------------ */

static int want_volume(const struct sl_desired_in *in, const struct db_volume *v,
		       struct smsg_want_volume *w)
{
	const struct db_pair *p = in->pair;
	struct gen_drbd_res r = *in->tmpl;
	char *text;
	int rc;

	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", v->name);
	w->kind = v->kind;
	snprintf(w->origin, sizeof(w->origin), "%s", v->origin);
	w->size_bytes = v->size;
	w->shelf = v->shelf;
	w->slot = v->slot;
	w->minor = v->minor;
	w->port = v->port;
	w->export = true;
	for (size_t i = 0; i < in->n_fences; i++)
		if (strcmp(in->fences[i].volume, v->name) == 0 &&
		    strcmp(in->fences[i].node, in->node) != 0)
			w->export = false;
	if (v->kind == SMSG_VOLUME_SNAPSHOT)
		return 0;
	snprintf(r.name, sizeof(r.name), "%s", v->name);
	r.minor = v->minor;
	r.port = v->port;
	for (int i = 0; i < 2; i++) {
		snprintf(r.host[i].name, sizeof(r.host[i].name), "%s", p->node[i]);
		r.host[i].addr = p->repl_ip[i];
	}
	rc = gen_drbd_resource(&r, &text);
	if (rc < 0)
		return rc;
	if (strlen(text) >= sizeof(w->resource)) {
		free(text);
		return -EINVAL;
	}
	memcpy(w->resource, text, strlen(text) + 1);
	free(text);
	return 0;
}

int sl_build_desired(const struct sl_desired_in *in, struct smsg_desired *out)
{
	int self = -1, rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->node, sizeof(out->node), "%s", in->node);
	out->generation = in->generation;
	if (!in->pair)
		return 0;
	for (int i = 0; i < 2; i++)
		if (strcmp(in->pair->node[i], in->node) == 0)
			self = i;
	if (self < 0)
		return -EINVAL;
	snprintf(out->pair, sizeof(out->pair), "%s", in->pair->name);
	snprintf(out->peer, sizeof(out->peer), "%s", in->pair->node[1 - self]);
	out->repl_self.s_addr = htonl(in->pair->repl_ip[self]);
	out->repl_peer.s_addr = htonl(in->pair->repl_ip[1 - self]);
	if (in->n_vols == 0)
		return 0;
	if (in->n_vols > SMSG_MAX_VOLUMES)
		return -EINVAL;
	out->volumes = calloc(in->n_vols, sizeof(*out->volumes));
	if (!out->volumes)
		return -ENOMEM;
	out->n_volumes = in->n_vols;
	for (size_t i = 0; i < in->n_vols; i++) {
		rc = want_volume(in, &in->vols[i], &out->volumes[i]);
		if (rc < 0) {
			smsg_desired_free(out);
			return rc;
		}
	}
	return 0;
}
