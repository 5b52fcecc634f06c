/* status.c - the control socket's status answers, text and JSON, from
 * aoetd's run-time state (format in docs/aoetd.md). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "mac.h"

static const char *flags_str(const struct export *ex, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", ex->cfg.read_only ? "ro" : "rw",
		 ex->cfg.direct ? ",direct" : "", ex->cfg.sync ? ",sync" : "");
	return buf;
}

static void text(const struct daemon *d, struct outbuf *o)
{
	unsigned nex = 0, nif = 0;
	char flags[32], mac[MAC_STR_LEN];

	for (const struct export *ex = d->exports; ex; ex = ex->next)
		nex++;
	for (const struct iface *i = d->ifaces; i; i = i->next)
		nif++;
	outbuf_printf(o, "aoetd pid %d version %s uptime %lld exports %u "
		      "interfaces %u\n", (int)getpid(), AOETD_VERSION,
		      (long long)(time(NULL) - d->started), nex, nif);
	for (const struct export *ex = d->exports; ex; ex = ex->next) {
		const struct target_counters *c = &ex->t.stats;

		outbuf_printf(o, "export %u.%u path %s sectors %llu offset %llu "
			      "flags %s bufcnt %u iface ", ex->cfg.shelf,
			      ex->cfg.slot, ex->cfg.path,
			      (unsigned long long)ex->t.sectors,
			      (unsigned long long)ex->cfg.offset,
			      flags_str(ex, flags, sizeof(flags)), ex->t.bufcnt);
		for (unsigned k = 0; k < ex->cfg.nifaces; k++)
			outbuf_printf(o, "%s%s", k ? "," : "", ex->cfg.ifaces[k]);
		outbuf_printf(o, " mask %u reserved %u config_len %u requests %llu "
			      "read_bytes %llu write_bytes %llu errors %llu "
			      "dropped %llu inflight %u\n", ex->t.nmask,
			      ex->t.nresv, ex->t.cfg_len,
			      (unsigned long long)c->requests,
			      (unsigned long long)c->read_bytes,
			      (unsigned long long)c->write_bytes,
			      (unsigned long long)c->errors,
			      (unsigned long long)c->dropped, ex->inflight);
	}
	for (const struct iface *i = d->ifaces; i; i = i->next) {
		unsigned mtu = i->n.mtu < SLOT_FRAME_MAX - 14 ? i->n.mtu
							     : SLOT_FRAME_MAX - 14;

		mac_format(i->n.mac, mac);
		outbuf_printf(o, "iface %s index %d mac %s mtu %u "
			      "sectors_per_frame %u up %d rx_frames %llu "
			      "tx_frames %llu rx_dropped %llu tx_errors %llu "
			      "kernel_drops %llu\n",
			      i->n.name, i->n.ifindex, mac, i->n.mtu,
			      aoe_sectors_per_frame(mtu), i->n.up ? 1 : 0,
			      (unsigned long long)i->rx_frames,
			      (unsigned long long)i->tx_frames,
			      (unsigned long long)i->rx_dropped,
			      (unsigned long long)i->tx_errors,
			      (unsigned long long)i->kernel_drops);
	}
}

static void json(const struct daemon *d, struct outbuf *o)
{
	char mac[MAC_STR_LEN], name[16];
	const char *sep = "";

	outbuf_printf(o, "{\"pid\":%d,\"version\":\"%s\",\"uptime\":%lld,"
		      "\"exports\":[", (int)getpid(), AOETD_VERSION,
		      (long long)(time(NULL) - d->started));
	for (const struct export *ex = d->exports; ex; ex = ex->next) {
		const struct target_counters *c = &ex->t.stats;

		snprintf(name, sizeof(name), "%u.%u", ex->cfg.shelf, ex->cfg.slot);
		outbuf_printf(o, "%s{\"name\":\"%s\",\"shelf\":%u,\"slot\":%u,"
			      "\"path\":", sep, name, ex->cfg.shelf, ex->cfg.slot);
		outbuf_json_str(o, ex->cfg.path);
		outbuf_printf(o, ",\"sectors\":%llu,\"offset\":%llu,"
			      "\"read_only\":%s,\"direct\":%s,\"sync\":%s,"
			      "\"bufcnt\":%u,\"interfaces\":[",
			      (unsigned long long)ex->t.sectors,
			      (unsigned long long)ex->cfg.offset,
			      ex->cfg.read_only ? "true" : "false",
			      ex->cfg.direct ? "true" : "false",
			      ex->cfg.sync ? "true" : "false", ex->t.bufcnt);
		for (unsigned k = 0; k < ex->cfg.nifaces; k++) {
			outbuf_printf(o, "%s", k ? "," : "");
			outbuf_json_str(o, ex->cfg.ifaces[k]);
		}
		outbuf_printf(o, "],\"mask\":%u,\"reserved\":%u,\"config_len\":%u,"
			      "\"requests\":%llu,\"read_bytes\":%llu,"
			      "\"write_bytes\":%llu,\"errors\":%llu,"
			      "\"dropped\":%llu,\"inflight\":%u}", ex->t.nmask,
			      ex->t.nresv, ex->t.cfg_len,
			      (unsigned long long)c->requests,
			      (unsigned long long)c->read_bytes,
			      (unsigned long long)c->write_bytes,
			      (unsigned long long)c->errors,
			      (unsigned long long)c->dropped, ex->inflight);
		sep = ",";
	}
	outbuf_printf(o, "],\"interfaces\":[");
	sep = "";
	for (const struct iface *i = d->ifaces; i; i = i->next) {
		unsigned mtu = i->n.mtu < SLOT_FRAME_MAX - 14 ? i->n.mtu
							     : SLOT_FRAME_MAX - 14;

		mac_format(i->n.mac, mac);
		outbuf_printf(o, "%s{\"name\":", sep);
		outbuf_json_str(o, i->n.name);
		outbuf_printf(o, ",\"index\":%d,\"mac\":\"%s\",\"mtu\":%u,"
			      "\"sectors_per_frame\":%u,\"up\":%s,"
			      "\"rx_frames\":%llu,\"tx_frames\":%llu,"
			      "\"rx_dropped\":%llu,\"tx_errors\":%llu,"
			      "\"kernel_drops\":%llu}",
			      i->n.ifindex, mac, i->n.mtu,
			      aoe_sectors_per_frame(mtu),
			      i->n.up ? "true" : "false",
			      (unsigned long long)i->rx_frames,
			      (unsigned long long)i->tx_frames,
			      (unsigned long long)i->rx_dropped,
			      (unsigned long long)i->tx_errors,
			      (unsigned long long)i->kernel_drops);
		sep = ",";
	}
	outbuf_printf(o, "]}\n");
}

void status_format(struct daemon *d, bool as_json, struct outbuf *o)
{
	/* The kernel's counter resets when read: accumulate it. */
	for (struct iface *i = d->ifaces; i; i = i->next)
		i->kernel_drops += netif_kernel_drops(&i->n);
	if (as_json)
		json(d, o);
	else
		text(d, o);
}
