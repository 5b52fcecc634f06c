/* Unit tests of the storage node's disk rule and plan
 * (storagenode/agent/disks.c): candidates, signatures in the first and last
 * MiB, blkid and pvs output, classification and the LVM plan. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "disks.h"

#define EDGE 8192

static void test_candidates(void **state)
{
	static const struct { const char *name; bool want; } cases[] = {
		{ "vda", true }, { "sdb", true }, { "nvme0n1", true }, { "xvda", true },
		{ "hda", true },
		{ "ram0", false }, { "loop3", false }, { "dm-0", false }, { "drbd0", false },
		{ "md127", false }, { "zram0", false }, { "nbd0", false }, { "sr0", false },
		{ "fd0", false }, { "etherd!e1.0", false }, { "", false }, { ".", false },
		{ "a/b", false }, { "nullb0", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (disk_is_candidate(cases[i].name) != cases[i].want)
			fail_msg("disk_is_candidate(\"%s\") != %d", cases[i].name, cases[i].want);
}

/* One signature written at an offset of the head (or, off < 0, at
 * EDGE + off of the tail), and the magic name expected back. */
struct sig_case {
	const char *what;
	long off;
	const char *bytes;
	size_t len;
	const char *want;
};

static void test_scan_edges(void **state)
{
	static const struct sig_case cases[] = {
		{ "blank", 0, "", 0, "" },
		{ "MBR", 510, "\x55\xaa", 2, "dos" },
		{ "GPT in LBA 1", 512, "EFI PART", 8, "gpt" },
		{ "GPT, 4K sectors", 4096, "EFI PART", 8, "gpt" },
		{ "backup GPT at the end", -512, "EFI PART", 8, "gpt" },
		{ "ext4", 1080, "\x53\xef", 2, "ext4" },
		{ "xfs", 0, "XFSB", 4, "xfs" },
		{ "swap", 4086, "SWAPSPACE2", 10, "swap" },
		{ "LUKS", 0, "LUKS\xba\xbe", 6, "crypto_LUKS" },
		{ "md 1.2", 4096, "\xfc\x4e\x2b\xa9", 4, "linux_raid_member" },
		{ "LVM label in sector 1", 512, "LABELONE\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0LVM2 001", 32,
		  "LVM2_member" },
		{ "LABELONE without LVM2 001", 512, "LABELONE", 8, "" },
		{ "random bytes", 100, "\x01\x02", 2, "" },
		{ "byte in the tail", -1, "\x01", 1, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sig_case *c = &cases[i];
		static uint8_t head[EDGE], tail[EDGE];
		char magic[DISK_SIG_MAX];
		bool hz, tz;

		memset(head, 0, sizeof(head));
		memset(tail, 0, sizeof(tail));
		if (c->off >= 0)
			memcpy(head + c->off, c->bytes, c->len);
		else
			memcpy(tail + EDGE + c->off, c->bytes, c->len);
		disk_scan_edges(head, EDGE, tail, EDGE, magic, &hz, &tz);
		if (strcmp(magic, c->want) != 0)
			fail_msg("%s: magic '%s', want '%s'", c->what, magic, c->want);
		if (hz != (c->off < 0 || c->len == 0) || tz != (c->off >= 0))
			fail_msg("%s: head_zero %d tail_zero %d", c->what, hz, tz);
	}
}

static void test_scan_short_edges(void **state)
{
	uint8_t b[16] = { 0 };
	char magic[DISK_SIG_MAX];
	bool hz, tz;

	(void)state;
	/* Shorter than every signature offset: nothing read past the end. */
	disk_scan_edges(b, sizeof(b), b, sizeof(b), magic, &hz, &tz);
	assert_string_equal(magic, "");
	assert_true(hz && tz);
	disk_scan_edges(b, 0, b, 0, magic, &hz, &tz);
	assert_string_equal(magic, "");
}

static void test_parse_blkid(void **state)
{
	struct disk_probe p;
	const char *t1 = "DEVNAME=/dev/vdb\nPTUUID=1234\nPTTYPE=dos\n";
	const char *t2 = "DEVNAME=/dev/vdc\nUUID=abc\nVERSION=1.0\nTYPE=ext4\nUSAGE=filesystem\n";
	const char *t3 = "DEVNAME=/dev/vdd\nTYPE=LVM2_member\n";

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(disk_parse_blkid(t1, strlen(t1), &p), 0);
	assert_string_equal(p.pt_type, "dos");
	assert_string_equal(p.sig_type, "");
	assert_int_equal(disk_parse_blkid(t2, strlen(t2), &p), 0);
	assert_string_equal(p.sig_type, "ext4");
	assert_string_equal(p.pt_type, "");
	assert_int_equal(disk_parse_blkid(t3, strlen(t3), &p), 0);
	assert_string_equal(p.sig_type, "LVM2_member");
	assert_int_equal(disk_parse_blkid("", 0, &p), 0);
	assert_string_equal(p.sig_type, "");
	/* No trailing newline, blank lines. */
	assert_int_equal(disk_parse_blkid("\nTYPE=xfs", 9, &p), 0);
	assert_string_equal(p.sig_type, "xfs");
	assert_int_equal(disk_parse_blkid("TYPE\n", 5, &p), -EINVAL);
	assert_int_equal(disk_parse_blkid("=x\n", 3, &p), -EINVAL);
	/* A long value is truncated, not overrun. */
	char longv[200];
	snprintf(longv, sizeof(longv), "TYPE=%0150d\n", 0);
	assert_int_equal(disk_parse_blkid(longv, strlen(longv), &p), 0);
	assert_int_equal(strlen(p.sig_type), DISK_SIG_MAX - 1);
}

static void test_parse_pvs(void **state)
{
	struct disk_probe p;
	const char *t = "  /dev/vda|nimbus\n  /dev/vdb|\n  /dev/vdc|data  \n";

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(disk_parse_pvs(t, strlen(t), "/dev/vda", &p), 0);
	assert_true(p.is_pv);
	assert_string_equal(p.pv_vg, "nimbus");
	assert_int_equal(disk_parse_pvs(t, strlen(t), "/dev/vdb", &p), 0);
	assert_true(p.is_pv);
	assert_string_equal(p.pv_vg, "");
	assert_int_equal(disk_parse_pvs(t, strlen(t), "/dev/vdc", &p), 0);
	assert_string_equal(p.pv_vg, "data");
	/* A prefix of a listed name is not that PV. */
	assert_int_equal(disk_parse_pvs(t, strlen(t), "/dev/vd", &p), 0);
	assert_false(p.is_pv);
	assert_int_equal(disk_parse_pvs("", 0, "/dev/vda", &p), 0);
	assert_false(p.is_pv);
	assert_int_equal(disk_parse_pvs("  /dev/vda nimbus\n", 18, "/dev/vda", &p), -EINVAL);
}

struct class_case {
	const char *what;
	struct disk_probe p;
	enum disk_class want;
	const char *reason;
};

#define GIB (1024ULL * 1024 * 1024)
#define BLANK .size = GIB, .head_zero = true, .tail_zero = true

static void test_classify(void **state)
{
	static const struct class_case cases[] = {
		{ "blank disk", { BLANK }, DISK_BLANK,
		  "blank (no signature, first and last MiB zero)" },
		{ "PV of our VG", { .size = GIB, .tail_zero = true, .is_pv = true, .pv_vg = "nimbus",
				    .sig_type = "LVM2_member", .magic = "LVM2_member" },
		  DISK_OURS, "LVM physical volume of VG 'nimbus'" },
		{ "PV of another VG", { BLANK, .is_pv = true, .pv_vg = "data" }, DISK_FOREIGN,
		  "LVM physical volume of VG 'data'" },
		{ "orphan PV", { BLANK, .is_pv = true }, DISK_FOREIGN, "LVM physical volume in no VG" },
		{ "partition table", { BLANK, .pt_type = "gpt", .sig_type = "x" }, DISK_FOREIGN,
		  "partition table (gpt)" },
		{ "filesystem", { BLANK, .sig_type = "ext4" }, DISK_FOREIGN, "signature ext4 (blkid)" },
		{ "LVM label blkid missed", { BLANK, .magic = "LVM2_member" }, DISK_FOREIGN,
		  "signature LVM2_member" },
		{ "data at the start", { .size = GIB, .tail_zero = true }, DISK_FOREIGN,
		  "non-zero data in the first MiB, no known signature" },
		{ "data at the end (DRBD metadata, md 1.0)", { .size = GIB, .head_zero = true },
		  DISK_FOREIGN, "non-zero data in the last MiB, no known signature" },
		{ "probe failed", { BLANK, .probe_err = -EIO }, DISK_FOREIGN,
		  "could not be probed (Input/output error)" },
		{ "no medium", { .size = 0 }, DISK_SKIP, "no medium (size 0)" },
		{ "read-only", { BLANK, .ro = true }, DISK_SKIP, "read-only device" },
		{ "removable", { BLANK, .removable = true }, DISK_SKIP, "removable medium" },
		{ "tiny", { .size = 1024 * 1024, .head_zero = true, .tail_zero = true }, DISK_SKIP, "too small (1048576 bytes)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char reason[DISK_REASON_MAX];
		enum disk_class got = disk_classify(&cases[i].p, "nimbus", reason);

		if (got != cases[i].want || strcmp(reason, cases[i].reason) != 0)
			fail_msg("%s: %s '%s', want %s '%s'", cases[i].what, disk_class_name(got),
				 reason, disk_class_name(cases[i].want), cases[i].reason);
	}
}

struct plan_case {
	const char *what;
	size_t n;
	enum disk_class cls[4];
	bool pool_exists;
	const char *want;   /* steps as "K:dev" words; K one of C E A P */
};

static void test_plan(void **state)
{
	static const struct plan_case cases[] = {
		{ "first boot, one blank", 1, { DISK_BLANK }, false, "C:/dev/d0 P:" },
		{ "first boot, two blank, one foreign", 3, { DISK_BLANK, DISK_FOREIGN, DISK_BLANK },
		  false, "C:/dev/d0 E:/dev/d2 P:" },
		{ "reboot", 2, { DISK_OURS, DISK_FOREIGN }, true, "A:" },
		{ "reboot, a new blank disk", 2, { DISK_BLANK, DISK_OURS }, true, "A: E:/dev/d0" },
		{ "VG without its pool (first boot cut short)", 1, { DISK_OURS }, false, "A: P:" },
		{ "only foreign", 2, { DISK_FOREIGN, DISK_SKIP }, false, "" },
		{ "nothing", 0, { 0 }, false, "" },
	};
	static const char kind[] = { [STEP_VG_CREATE] = 'C', [STEP_VG_EXTEND] = 'E',
				     [STEP_VG_ACTIVATE] = 'A', [STEP_POOL_CREATE] = 'P' };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct disk_probe p[4];
		struct disk_step steps[DISK_STEPS_MAX];
		char got[256] = "";
		size_t ns, len = 0;

		memset(p, 0, sizeof(p));
		for (size_t k = 0; k < 4; k++)
			snprintf(p[k].name, sizeof(p[k].name), "d%zu", k);
		ns = disks_plan(cases[i].cls, p, cases[i].n, cases[i].pool_exists, steps);
		for (size_t k = 0; k < ns; k++)
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%c:%s", k ? " " : "",
						kind[steps[k].kind], steps[k].dev);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: plan '%s', want '%s'", cases[i].what, got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_scan_edges),
		cmocka_unit_test(test_scan_short_edges),
		cmocka_unit_test(test_parse_blkid),
		cmocka_unit_test(test_parse_pvs),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
