/* Disk preparation of a storage node: which block devices the node may
 * claim for its LVM volume group, and what to run to claim them.
 *
 * Everything here is pure: it decides over what storagenode/agent/probe.c
 * found (sysfs attributes, the first and last MiB, blkid's and pvs's
 * answers) and never touches a device. The rule it implements: a disk is
 * written only when it is blank (no signature, all zero at both ends) or
 * already a physical volume of our own volume group; anything else is
 * foreign, reported and left alone. */
#ifndef NIMBUS_STORAGE_DISKS_H
#define NIMBUS_STORAGE_DISKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How much of each end of a disk is read and must be zero for "blank". */
#define DISK_EDGE_BYTES  (1024 * 1024)
#define DISK_NAME_MAX    32
#define DISK_SIG_MAX     32
#define DISK_VG_MAX      128
#define DISK_REASON_MAX  160
#define DISKS_MAX        64

/* What the probe found about one block device (a /sys/block entry). */
struct disk_probe {
	char name[DISK_NAME_MAX];   /* kernel name: "vda", "sdb", ... */
	uint64_t size;              /* bytes (0: no medium) */
	bool ro;                    /* /sys/block/NAME/ro */
	bool removable;             /* /sys/block/NAME/removable */
	int probe_err;              /* 0, or the negative errno of a failed probe */
	/* blkid -p: TYPE= and PTTYPE= ("" when absent). */
	char sig_type[DISK_SIG_MAX];
	char pt_type[DISK_SIG_MAX];
	/* Our own look at the first and last MiB (disk_scan_edges). */
	char magic[DISK_SIG_MAX];   /* a signature we know, or "" */
	bool head_zero, tail_zero;
	/* pvs: the VG this physical volume belongs to ("" when orphan). */
	bool is_pv;
	char pv_vg[DISK_VG_MAX];
};

enum disk_class {
	DISK_SKIP = 0,   /* not a candidate at all (no medium, read-only, ...) */
	DISK_OURS,       /* a physical volume of our volume group */
	DISK_BLANK,      /* nothing on it: ours to claim */
	DISK_FOREIGN,    /* holds something else: report, never write */
};

const char *disk_class_name(enum disk_class c);

/* disk_is_candidate: whether a /sys/block name can be one of the node's
 * data disks at all. Whole disks only (partitions are not in /sys/block);
 * never RAM disks, loop devices, device-mapper, DRBD, MD RAID, zram,
 * network block devices (nbd, AoE), CD-ROMs or floppies - those are our own
 * stacking or not local storage. */
bool disk_is_candidate(const char *name);

/* disk_scan_edges: look for known on-disk signatures in the first bytes
 * (head, from offset 0) and last bytes (tail, ending at the disk's end) of
 * a disk, and whether each is entirely zero. magic gets a short name
 * ("dos", "gpt", "LVM2_member", "ext4", ...) or "". A second opinion next
 * to blkid, and what decides when blkid is missing. */
void disk_scan_edges(const uint8_t *head, size_t head_len, const uint8_t *tail,
		     size_t tail_len, char magic[DISK_SIG_MAX], bool *head_zero,
		     bool *tail_zero);

/* disk_parse_blkid: fill sig_type and pt_type from the output of
 * `blkid -p -o export DEV` (KEY=VALUE lines). Unknown keys are ignored.
 * Returns 0, or -EINVAL for a line that is not KEY=VALUE. */
int disk_parse_blkid(const char *text, size_t len, struct disk_probe *p);

/* disk_parse_pvs: from the output of
 * `pvs --noheadings --separator '|' -o pv_name,vg_name`, the VG of the PV
 * named dev ("/dev/vda"): sets is_pv and pv_vg. Returns 0 (also when dev is
 * not listed: not a PV), -EINVAL for a malformed line. */
int disk_parse_pvs(const char *text, size_t len, const char *dev,
		   struct disk_probe *p);

/* disk_classify: the rule. reason gets a sentence for the log and the
 * report ("partition table (gpt)", "LVM physical volume of VG 'data'",
 * "non-zero data in the first MiB, no known signature", ...). */
enum disk_class disk_classify(const struct disk_probe *p, const char *vg,
			      char reason[DISK_REASON_MAX]);

/* --- the plan -------------------------------------------------------------- */

enum disk_step_kind {
	STEP_VG_CREATE,     /* vgcreate VG DEV (also makes DEV a PV) */
	STEP_VG_EXTEND,     /* vgextend VG DEV */
	STEP_VG_ACTIVATE,   /* vgchange -ay VG */
	STEP_POOL_CREATE,   /* lvcreate --type thin-pool ... VG/POOL */
};

struct disk_step {
	enum disk_step_kind kind;
	char dev[DISK_NAME_MAX + 8];   /* "/dev/NAME" for VG_CREATE/EXTEND */
};

#define DISK_STEPS_MAX (DISKS_MAX + 3)

/* disks_plan: the commands that bring the node's disks to "one VG with a
 * thin pool", given each disk's class and whether LVM already lists the
 * pool (lvs reads the metadata of an inactive VG too). A VG on disks of
 * ours is activated, never recreated; blank disks are added to it (the
 * first one creates the VG when no disk is ours); the pool is created only
 * when it does not exist. Returns the number of steps. */
size_t disks_plan(const enum disk_class *cls, const struct disk_probe *p, size_t n,
		  bool pool_exists, struct disk_step steps[DISK_STEPS_MAX]);

#endif
