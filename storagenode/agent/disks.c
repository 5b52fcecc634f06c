/* The storage node's disk rule and plan: pure functions over probed facts
 * (see disks.h); storagenode/agent/probe.c gathers the facts and runs the
 * steps. */
#include "disks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *disk_class_name(enum disk_class c)
{
	switch (c) {
	case DISK_SKIP: return "skipped";
	case DISK_OURS: return "ours";
	case DISK_BLANK: return "blank";
	case DISK_FOREIGN: return "foreign";
	}
	return "?";
}

bool disk_is_candidate(const char *name)
{
	static const char *const not_ours[] = {
		"ram", "loop", "dm-", "drbd", "md", "zram", "nbd", "etherd",
		"sr", "fd", "nullb", "zd", "rbd", "mtdblock", NULL
	};

	if (!name[0] || name[0] == '.' || strlen(name) >= DISK_NAME_MAX ||
	    strchr(name, '/'))
		return false;
	for (size_t i = 0; not_ours[i]; i++)
		if (strncmp(name, not_ours[i], strlen(not_ours[i])) == 0)
			return false;
	return true;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool has(const uint8_t *b, size_t len, size_t off, const char *magic, size_t mlen)
{
	return off + mlen <= len && memcmp(b + off, magic, mlen) == 0;
}

static void set_magic(char magic[DISK_SIG_MAX], const char *name)
{
	if (!magic[0])
		snprintf(magic, DISK_SIG_MAX, "%s", name);
}

void disk_scan_edges(const uint8_t *head, size_t head_len, const uint8_t *tail,
		     size_t tail_len, char magic[DISK_SIG_MAX], bool *head_zero,
		     bool *tail_zero)
{
	magic[0] = '\0';
	*head_zero = all_zero(head, head_len);
	*tail_zero = all_zero(tail, tail_len);

	/* The most specific first: an LVM label or a filesystem says more
	 * than the boot-sector signature some of them also carry. */
	for (size_t s = 0; s < 4; s++)
		if (has(head, head_len, s * 512, "LABELONE", 8) &&
		    has(head, head_len, s * 512 + 24, "LVM2 001", 8))
			set_magic(magic, "LVM2_member");
	/* GPT header in LBA 1 (512- or 4096-byte sectors); the backup
	 * header is the disk's last sector. */
	if (has(head, head_len, 512, "EFI PART", 8) || has(head, head_len, 4096, "EFI PART", 8) ||
	    (tail_len >= 512 && has(tail, tail_len, tail_len - 512, "EFI PART", 8)))
		set_magic(magic, "gpt");
	/* ext2/3/4: s_magic 0xEF53 (little-endian) at 1024 + 56. */
	if (head_len > 1081 && head[1080] == 0x53 && head[1081] == 0xEF)
		set_magic(magic, "ext4");
	if (has(head, head_len, 0, "XFSB", 4))
		set_magic(magic, "xfs");
	if (has(head, head_len, 65536 + 64, "_BHRfS_M", 8))
		set_magic(magic, "btrfs");
	if (has(head, head_len, 4086, "SWAPSPACE2", 10) || has(head, head_len, 4086, "SWAP-SPACE", 10))
		set_magic(magic, "swap");
	if (has(head, head_len, 0, "LUKS\xba\xbe", 6))
		set_magic(magic, "crypto_LUKS");
	/* MD RAID superblock 1.1 (offset 0) and 1.2 (offset 4 KiB). */
	if (has(head, head_len, 0, "\xfc\x4e\x2b\xa9", 4) || has(head, head_len, 4096, "\xfc\x4e\x2b\xa9", 4))
		set_magic(magic, "linux_raid_member");
	if (has(head, head_len, 32769, "CD001", 5))
		set_magic(magic, "iso9660");
	if (head_len >= 512 && head[510] == 0x55 && head[511] == 0xAA)
		set_magic(magic, "dos");
}

/* copy_field: VALUE (len bytes) into dst, truncated. */
static void copy_field(char *dst, size_t cap, const char *v, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

int disk_parse_blkid(const char *text, size_t len, struct disk_probe *p)
{
	const char *end = text + len;

	p->sig_type[0] = p->pt_type[0] = '\0';
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		const char *le = nl ? nl : end;
		const char *eq = memchr(text, '=', (size_t)(le - text));

		if (le > text) {
			if (!eq || eq == text)
				return -EINVAL;
			size_t klen = (size_t)(eq - text), vlen = (size_t)(le - eq - 1);

			if (klen == 4 && memcmp(text, "TYPE", 4) == 0)
				copy_field(p->sig_type, sizeof(p->sig_type), eq + 1, vlen);
			else if (klen == 6 && memcmp(text, "PTTYPE", 6) == 0)
				copy_field(p->pt_type, sizeof(p->pt_type), eq + 1, vlen);
		}
		text = nl ? nl + 1 : end;
	}
	return 0;
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end;
}

int disk_parse_pvs(const char *text, size_t len, const char *dev, struct disk_probe *p)
{
	const char *end = text + len;
	size_t dlen = strlen(dev);

	p->is_pv = false;
	p->pv_vg[0] = '\0';
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		const char *le = trim_end(text, nl ? nl : end);
		const char *s = skip_blanks(text, le);

		if (s < le) {
			const char *bar = memchr(s, '|', (size_t)(le - s));

			if (!bar)
				return -EINVAL;
			if ((size_t)(bar - s) == dlen && memcmp(s, dev, dlen) == 0) {
				p->is_pv = true;
				copy_field(p->pv_vg, sizeof(p->pv_vg), bar + 1, (size_t)(le - bar - 1));
			}
		}
		text = nl ? nl + 1 : end;
	}
	return 0;
}

enum disk_class disk_classify(const struct disk_probe *p, const char *vg,
			      char reason[DISK_REASON_MAX])
{
	if (p->size == 0) {
		snprintf(reason, DISK_REASON_MAX, "no medium (size 0)");
		return DISK_SKIP;
	}
	if (p->removable) {
		snprintf(reason, DISK_REASON_MAX, "removable medium");
		return DISK_SKIP;
	}
	if (p->ro) {
		snprintf(reason, DISK_REASON_MAX, "read-only device");
		return DISK_SKIP;
	}
	/* What could not be read is not known to be blank. */
	if (p->probe_err) {
		snprintf(reason, DISK_REASON_MAX, "could not be probed (%s)", strerror(-p->probe_err));
		return DISK_FOREIGN;
	}
	if (p->size < 2 * (uint64_t)DISK_EDGE_BYTES) {
		snprintf(reason, DISK_REASON_MAX, "too small (%llu bytes)", (unsigned long long)p->size);
		return DISK_SKIP;
	}
	if (p->is_pv) {
		if (strcmp(p->pv_vg, vg) == 0) {
			snprintf(reason, DISK_REASON_MAX, "LVM physical volume of VG '%s'", vg);
			return DISK_OURS;
		}
		if (p->pv_vg[0])
			snprintf(reason, DISK_REASON_MAX, "LVM physical volume of VG '%s'", p->pv_vg);
		else
			snprintf(reason, DISK_REASON_MAX, "LVM physical volume in no VG");
		return DISK_FOREIGN;
	}
	if (p->pt_type[0]) {
		snprintf(reason, DISK_REASON_MAX, "partition table (%s)", p->pt_type);
		return DISK_FOREIGN;
	}
	if (p->sig_type[0]) {
		snprintf(reason, DISK_REASON_MAX, "signature %s (blkid)", p->sig_type);
		return DISK_FOREIGN;
	}
	if (p->magic[0]) {
		snprintf(reason, DISK_REASON_MAX, "signature %s", p->magic);
		return DISK_FOREIGN;
	}
	if (!p->head_zero) {
		snprintf(reason, DISK_REASON_MAX, "non-zero data in the first MiB, no known signature");
		return DISK_FOREIGN;
	}
	if (!p->tail_zero) {
		snprintf(reason, DISK_REASON_MAX, "non-zero data in the last MiB, no known signature");
		return DISK_FOREIGN;
	}
	snprintf(reason, DISK_REASON_MAX, "blank (no signature, first and last MiB zero)");
	return DISK_BLANK;
}

static void add_step(struct disk_step *steps, size_t *n, enum disk_step_kind kind, const char *name)
{
	steps[*n].kind = kind;
	if (name)
		snprintf(steps[*n].dev, sizeof(steps[*n].dev), "/dev/%s", name);
	else
		steps[*n].dev[0] = '\0';
	(*n)++;
}

size_t disks_plan(const enum disk_class *cls, const struct disk_probe *p, size_t n,
		  bool pool_exists, struct disk_step steps[DISK_STEPS_MAX])
{
	bool have_vg = false;
	size_t ns = 0;

	if (n > DISKS_MAX)
		n = DISKS_MAX;
	for (size_t i = 0; i < n; i++)
		if (cls[i] == DISK_OURS)
			have_vg = true;
	/* An existing VG is activated before anything is added to it. */
	if (have_vg)
		add_step(steps, &ns, STEP_VG_ACTIVATE, NULL);
	for (size_t i = 0; i < n; i++) {
		if (cls[i] != DISK_BLANK)
			continue;
		add_step(steps, &ns, have_vg ? STEP_VG_EXTEND : STEP_VG_CREATE, p[i].name);
		have_vg = true;
	}
	if (have_vg && !pool_exists)
		add_step(steps, &ns, STEP_POOL_CREATE, NULL);
	return ns;
}
