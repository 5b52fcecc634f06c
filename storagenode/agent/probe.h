/* The storage node's OS boundary for disk preparation: sysfs, reading the
 * ends of each disk, and blkid/LVM run as child processes. Decisions are
 * in disks.c. */
#ifndef NIMBUS_STORAGE_PROBE_H
#define NIMBUS_STORAGE_PROBE_H

#include "disks.h"

/* probe_disks: every candidate under sysblock ("/sys/block") with what
 * disk_classify needs; devices are opened under devdir ("/dev"), read-only.
 * A device that cannot be read is still listed, with probe_err set.
 * Returns the number of disks (at most max) or a negative errno. */
int probe_disks(const char *sysblock, const char *devdir, struct disk_probe *out, size_t max);

/* probe_pool_exists: 1 when LVM lists VG/POOL, 0 when not, negative errno
 * when lvm could not be run. */
int probe_pool_exists(const char *vg, const char *pool);

/* run_step: carry out one step of disks_plan. pool_pct: the share of the
 * VG the pool's data gets (the rest: its metadata and LVM's spare copy of
 * it, and room to grow). Returns 0 or a negative errno (logged). */
int run_step(const struct disk_step *s, const char *vg, const char *pool, int pool_pct);

/* run_capture: run argv (argv[0] searched on PATH) with stdin from
 * /dev/null, stdout into buf (NUL-terminated, truncated to cap - 1),
 * stderr inherited (or /dev/null when quiet). *status gets the exit status
 * (or 128 + signal). Returns 0 or a negative errno when the program could
 * not be run. */
int run_capture(char *const argv[], char *buf, size_t cap, int *status, bool quiet);

#endif
