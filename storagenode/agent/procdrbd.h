/* /proc/drbd of DRBD 8.4 (the in-kernel driver of Debian 12's kernel):
 * one entry per configured minor with its connection state, roles, disk
 * states and, while resyncing, the progress. A pure parser (no I/O) for the
 * agent's observed state; table-tested (tests/unit/test_storage_procdrbd.c)
 * and fuzzed (tests/fuzz/fuzz_storage_procdrbd.c).
 *
 *  0: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----
 *     ns:1024 nr:0 dw:0 dr:1544 al:8 bm:0 lo:0 pe:2 ua:0 ap:0 ep:1 wo:f oos:64512
 *         [==>.................] sync'ed: 15.6% (64512/65536)K
 *         finish: 0:00:12 speed: 5,120 (5,120) K/sec
 *  1: cs:Unconfigured
 */
#ifndef NIMBUS_STORAGE_PROCDRBD_H
#define NIMBUS_STORAGE_PROCDRBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/storage_msg.h"

#define PROCDRBD_MAX 1024

struct procdrbd_minor {
	uint32_t minor;
	enum smsg_drbd_conn conn;
	enum smsg_drbd_role role, peer_role;
	enum smsg_drbd_disk disk, peer_disk;
	uint64_t oos_kib;          /* out of sync, KiB (0 when not shown) */
	double sync_percent;       /* 100 unless a "sync'ed:" line follows */
	int64_t sync_eta_s;        /* -1 unless a "finish:" line follows */
	uint64_t speed_kib_s;      /* resync speed, KiB/s (0 when not shown) */
	bool suspended;            /* I/O frozen: the flags word starts with 's'
				    * (fencing froze it, or resume-io is due) */
};

/* procdrbd_parse: the text of /proc/drbd (len bytes, need not be
 * NUL-terminated) into out (at most max entries, in the order found).
 * Minors shown as "cs:Unconfigured" are not listed. Lines it does not know
 * are skipped (later 8.4 releases add some); an entry line whose states are
 * not DRBD's words is an error. Returns the number of entries, or -EINVAL
 * (bad entry line, a minor twice, more than max entries). */
int procdrbd_parse(const char *text, size_t len, struct procdrbd_minor *out, size_t max);

/* procdrbd_find: the entry for minor, or NULL. */
const struct procdrbd_minor *procdrbd_find(const struct procdrbd_minor *m, size_t n,
					   uint32_t minor);

/* drbd_md_superblock_ok: the first 64 bytes of the 4 KiB at the end of a
 * backing device (internal meta-data) carry DRBD 8.4's magic, big-endian
 * at byte 60 (struct meta_data_on_disk): DRBD_MAGIC + 4 (clean, 08
 * format) or + 5 (84_UNCLEAN: a primary that crashed). */
#define DRBD_MAGIC 0x83740267u
bool drbd_md_superblock_ok(const unsigned char sb[64]);

#endif
