/* Unit tests of the /proc/drbd parser (storagenode/agent/procdrbd.c): the
 * DRBD 8.4.11 layout of Debian 12's kernel in each state the agent meets
 * (connecting, connected, resyncing either way, alone, unconfigured),
 * and broken entry lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "procdrbd.h"

#define HEAD "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 211FB288A383ED945B83420 \n"

struct want {
	uint32_t minor;
	enum smsg_drbd_conn conn;
	enum smsg_drbd_role role, peer_role;
	enum smsg_drbd_disk disk, peer_disk;
	double pct;
	int64_t eta;
	uint64_t oos, speed;
	bool susp;
};

struct pcase {
	const char *what;
	const char *text;
	int n;                 /* expected return */
	struct want w[3];
};

static void test_parse(void **state)
{
	static const struct pcase cases[] = {
		{ "empty", "", 0, { { 0 } } },
		{ "only the header", HEAD, 0, { { 0 } } },
		{ "connecting, just up", HEAD
		  " 0: cs:WFConnection ro:Secondary/Unknown ds:Inconsistent/DUnknown C r----s\n"
		  "    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:65532\n",
		  1, { { 0, SMSG_CONN_WFCONNECTION, SMSG_ROLE_SECONDARY, SMSG_ROLE_UNKNOWN,
			 SMSG_DSK_INCONSISTENT, SMSG_DSK_DUNKNOWN, 100.0, -1, 65532, 0, false } } },
		{ "connected, both primary", HEAD
		  " 3: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----\n"
		  "    ns:4 nr:8 dw:12 dr:2120 al:1 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n",
		  1, { { 3, SMSG_CONN_CONNECTED, SMSG_ROLE_PRIMARY, SMSG_ROLE_PRIMARY,
			 SMSG_DSK_UPTODATE, SMSG_DSK_UPTODATE, 100.0, -1, 0, 0, false } } },
		{ "resync source and target, an unconfigured minor between", HEAD
		  " 0: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----\n"
		  "    ns:10240 nr:0 dw:2048 dr:11000 al:8 bm:0 lo:0 pe:2 ua:0 ap:0 ep:1 wo:f oos:55296\n"
		  "\t[==>.................] sync'ed: 15.6% (54/64)M\n"
		  "\tfinish: 0:00:12 speed: 4,608 (4,608) K/sec\n"
		  " 1: cs:Unconfigured\n"
		  " 2: cs:SyncTarget ro:Primary/Primary ds:Inconsistent/UpToDate C r-----\n"
		  "    ns:0 nr:1048576 dw:1048576 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:1048576\n"
		  "\t[=========>..........] sync'ed: 50.0% (1024/2048)M\n"
		  "\tfinish: 1:02:03 speed: 102,400 (98,000) want: 102,400 K/sec\n",
		  2, { { 0, SMSG_CONN_SYNCSOURCE, SMSG_ROLE_PRIMARY, SMSG_ROLE_PRIMARY,
			 SMSG_DSK_UPTODATE, SMSG_DSK_INCONSISTENT, 15.6, 12, 55296, 4608, false },
		       { 2, SMSG_CONN_SYNCTARGET, SMSG_ROLE_PRIMARY, SMSG_ROLE_PRIMARY,
			 SMSG_DSK_INCONSISTENT, SMSG_DSK_UPTODATE, 50.0, 3723, 1048576, 102400, false } } },
		{ "alone after a fence, outdated", HEAD
		  " 0: cs:StandAlone ro:Secondary/Unknown ds:Outdated/DUnknown   r-----\n"
		  "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n",
		  1, { { 0, SMSG_CONN_STANDALONE, SMSG_ROLE_SECONDARY, SMSG_ROLE_UNKNOWN,
			 SMSG_DSK_OUTDATED, SMSG_DSK_DUNKNOWN, 100.0, -1, 0, 0, false } } },
		{ "a fenced primary: I/O frozen, protocol blank while StandAlone", HEAD
		  " 0: cs:StandAlone ro:Primary/Unknown ds:UpToDate/DUnknown   s-----\n",
		  1, { { 0, SMSG_CONN_STANDALONE, SMSG_ROLE_PRIMARY, SMSG_ROLE_UNKNOWN,
			 SMSG_DSK_UPTODATE, SMSG_DSK_DUNKNOWN, 100.0, -1, 0, 0, true } } },
		{ "frozen while connecting", " 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C s----s\n",
		  1, { { 0, SMSG_CONN_WFCONNECTION, SMSG_ROLE_PRIMARY, SMSG_ROLE_UNKNOWN,
			 SMSG_DSK_UPTODATE, SMSG_DSK_DUNKNOWN, 100.0, -1, 0, 0, true } } },
		{ "no trailing newline", " 7: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----",
		  1, { { 7, SMSG_CONN_CONNECTED, SMSG_ROLE_SECONDARY, SMSG_ROLE_SECONDARY,
			 SMSG_DSK_UPTODATE, SMSG_DSK_UPTODATE, 100.0, -1, 0, 0, false } } },
		{ "a percent beyond 100 is ignored", " 0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n"
		  "\t[>] sync'ed: 250.0% (1/1)M\n\tfinish: 9:99:99 speed: x K/sec\n",
		  1, { { 0, SMSG_CONN_SYNCTARGET, SMSG_ROLE_SECONDARY, SMSG_ROLE_PRIMARY,
			 SMSG_DSK_INCONSISTENT, SMSG_DSK_UPTODATE, 100.0, -1, 0, 0, false } } },
		{ "unknown connection state", " 0: cs:Dancing ro:Primary/Primary ds:UpToDate/UpToDate C\n", -EINVAL, { { 0 } } },
		{ "unknown role", " 0: cs:Connected ro:Boss/Primary ds:UpToDate/UpToDate C\n", -EINVAL, { { 0 } } },
		{ "ro without a slash", " 0: cs:Connected ro:Primary ds:UpToDate/UpToDate C\n", -EINVAL, { { 0 } } },
		{ "ds missing", " 0: cs:Connected ro:Primary/Primary\n", -EINVAL, { { 0 } } },
		{ "minor twice", " 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C\n"
		  " 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C\n", -EINVAL, { { 0 } } },
		{ "minor out of range", " 1048576: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C\n",
		  -EINVAL, { { 0 } } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct procdrbd_minor m[4];
		int n = procdrbd_parse(c->text, strlen(c->text), m, 4);

		if (n != c->n)
			fail_msg("%s: returned %d, want %d", c->what, n, c->n);
		for (int j = 0; j < n; j++) {
			const struct want *w = &c->w[j];

			if (m[j].minor != w->minor || m[j].conn != w->conn || m[j].role != w->role ||
			    m[j].peer_role != w->peer_role || m[j].disk != w->disk ||
			    m[j].peer_disk != w->peer_disk || m[j].sync_percent < w->pct - 0.01 ||
			    m[j].sync_percent > w->pct + 0.01 || m[j].sync_eta_s != w->eta ||
			    m[j].oos_kib != w->oos || m[j].speed_kib_s != w->speed ||
			    m[j].suspended != w->susp)
				fail_msg("%s: entry %d: minor %u conn %s role %s/%s disk %s/%s %.1f%% eta %lld oos %llu speed %llu susp %d",
					 c->what, j, m[j].minor, smsg_conn_name(m[j].conn),
					 smsg_role_name(m[j].role), smsg_role_name(m[j].peer_role),
					 smsg_dsk_name(m[j].disk), smsg_dsk_name(m[j].peer_disk),
					 m[j].sync_percent, (long long)m[j].sync_eta_s,
					 (unsigned long long)m[j].oos_kib,
					 (unsigned long long)m[j].speed_kib_s, m[j].suspended);
		}
	}
}

static void test_max_and_find(void **state)
{
	static const char text[] =
		" 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C\n"
		" 5: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C\n";
	struct procdrbd_minor m[2];

	(void)state;
	assert_int_equal(procdrbd_parse(text, strlen(text), m, 1), -EINVAL);
	assert_int_equal(procdrbd_parse(text, strlen(text), m, 2), 2);
	assert_non_null(procdrbd_find(m, 2, 5));
	assert_null(procdrbd_find(m, 2, 1));
}

/* Superblock magics as drbdmeta writes them (drbd_meta_data.h): 08 clean,
 * 84 unclean after a crash; 07 and zeros (a new thin LV) are not ours. */
static void test_md_magic(void **state)
{
	static const struct { uint32_t magic; bool want; } cases[] = {
		{ 0x8374026b, true }, { 0x8374026c, true }, { 0x8374026a, false },
		{ 0x83740267, false }, { 0, false }, { 0x6b027483, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char sb[64] = { 0 };

		sb[60] = (unsigned char)(cases[i].magic >> 24);
		sb[61] = (unsigned char)(cases[i].magic >> 16);
		sb[62] = (unsigned char)(cases[i].magic >> 8);
		sb[63] = (unsigned char)cases[i].magic;
		if (drbd_md_superblock_ok(sb) != cases[i].want)
			fail_msg("magic 0x%08x: %d", cases[i].magic, !cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_max_and_find),
		cmocka_unit_test(test_md_magic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
