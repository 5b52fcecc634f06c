/* daemon.h - aoetd's run-time state and its one event loop: exports,
 * interfaces, the request slots that carry a frame from the wire through
 * the protocol logic and the disk back to the wire, signals, netlink and
 * the control socket.
 */
#ifndef NIMBUS_AOETD_DAEMON_H
#define NIMBUS_AOETD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "control.h"
#include "evsrc.h"
#include "export.h"
#include "ioeng.h"
#include "netio.h"
#include "target.h"
#include "wbatch.h"

#define AOETD_VERSION "0.1"

/* Largest frame handled (a jumbo frame of MTU 9000 fits; bigger MTUs are
 * served with as many sectors per frame as fit here). */
#define SLOT_FRAME_MAX 16384
/* Data (at frame + 36) is placed on a page boundary for O_DIRECT. */
#define SLOT_ALIGN     4096
#define SLOT_COUNT     512
#define RX_BATCH       64

struct export;
struct iface;

/* One request in progress: received frame, its reply, and where it is. */
struct slot {
	uint8_t *rx;          /* frame as received; rx + 36 is page-aligned */
	uint8_t *tx;          /* reply; tx + 36 is page-aligned */
	size_t rx_len;
	size_t tx_len;
	struct export *ex;    /* held (ex->inflight) while the slot is busy */
	struct iface *ifc;    /* held (ifc->refs) likewise */
	struct target_io io;
	size_t done;          /* bytes transferred so far (short transfers) */
	bool fallback;        /* O_DIRECT refused: use the buffered fd */
	bool final_sync;      /* the closing fdatasync of a retired export */
	const uint8_t *zc;    /* read reply data straight from the export's
			       * mapping (tx holds only the header), or NULL */
	struct slot *next;    /* free list or an interface's send queue */
};

struct export {
	struct export_cfg cfg;
	struct backing b;
	struct target_export t;
	unsigned inflight;
	bool removed;         /* no longer configured: freed when idle */
	uint64_t late_dropped; /* completions after removal, not answered */
	bool synced;          /* its closing fdatasync done: close without another */
	bool inline_io;       /* page-cache export: written in the loop */
	bool warned_unaligned;
	uint64_t io_errors;   /* disk errors, for rate-limited logging */
	struct export *next;
};

struct iface {
	struct evsrc src;
	struct daemon *d;
	struct netif n;
	unsigned refs;        /* slots using it */
	bool in_use;          /* some configured export is served on it */
	bool polling;         /* registered for EPOLLIN */
	struct export **exports;
	unsigned nexports, capexports;
	struct slot *txq_head, *txq_tail;
	unsigned ntx;
	uint64_t rx_frames, tx_frames, rx_dropped, tx_errors;
	uint64_t kernel_drops;  /* receive buffer overflows (PACKET_STATISTICS) */
	struct iface *next;
};

struct daemon {
	int epfd;
	struct evsrc sig_src;
	int sigfd;
	struct evsrc nl_src;
	int nlfd;
	struct evsrc io_src;
	struct ioeng io;
	bool have_uring;
	struct control ctl;
	bool have_ctl;
	struct aoetd_config cfg;
	const char *cfgfile;      /* NULL: positional form */
	struct export *exports;   /* configured, in configuration order */
	struct export *zombies;   /* removed, waiting for in-flight I/O */
	struct iface *ifaces;
	uint8_t *pool;
	size_t pool_len;
	struct slot *slots;
	struct slot *free;
	unsigned nfree;
	bool stopping;
	bool rx_paused;
	time_t started;
	/* Page-cache writes of the current receive round that continue each
	 * other; written before anything else is dispatched and at the end
	 * of the round. */
	struct wbatch wb;
};

/* -t: checks a parsed configuration against the system (backing files,
 * sizes and offsets, interfaces) without changing anything. 0 or -errno
 * with one line "FILE:LINE: what" (or "what" for the command line). */
int daemon_check(const struct aoetd_config *cfg, char *err, size_t errlen);

/* Takes ownership of *cfg. cfgfile is the file SIGHUP re-reads (NULL in
 * the positional form). 0 or -errno with one line in err. */
int daemon_init(struct daemon *d, struct aoetd_config *cfg,
		const char *cfgfile, char *err, size_t errlen);

/* Runs until SIGTERM/SIGINT and a clean stop; returns the exit status. */
int daemon_run(struct daemon *d);

void daemon_fini(struct daemon *d);

/* Status answers for the control socket (status.c). */
void status_format(struct daemon *d, bool json, struct outbuf *o);

/* Reads a whole configuration file and parses it. */
int config_load(struct aoetd_config *c, const char *path, char *err,
		size_t errlen);

#endif
