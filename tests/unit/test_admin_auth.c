/* confignode/admin_auth.c: who may use the admin socket (a table), the
 * configured names resolved, and the credentials of a real socketpair. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../confignode/admin_auth.h"

static void test_policy_table(void **state)
{
	static const gid_t sup[] = { 27, 4242, 100 };
	const struct admin_policy with_group = { .self_uid = 0, .have_gid = true, .gid = 4242 };
	const struct admin_policy with_user = { .self_uid = 0, .have_uid = true, .uid = 1000,
						.have_gid = true, .gid = 0 };
	const struct admin_policy as_nimbus = { .self_uid = 990, .have_gid = true, .gid = 990 };
	const struct admin_policy no_group = { .self_uid = 0 };
	const struct {
		const struct admin_policy *p;
		uid_t uid;
		gid_t gid;
		size_t nsup;   /* how many of sup[] the peer has */
		bool want;
		int line;
	} t[] = {
		{ &with_group, 0, 0, 0, true, __LINE__ },         /* root */
		{ &with_group, 65534, 65534, 0, false, __LINE__ }, /* nobody */
		{ &with_group, 1000, 4242, 0, true, __LINE__ },    /* primary group */
		{ &with_group, 1000, 1000, 3, true, __LINE__ },    /* supplementary */
		{ &with_group, 1000, 1000, 1, false, __LINE__ },   /* other groups only */
		{ &with_user, 1000, 1000, 0, true, __LINE__ },     /* admin-user */
		{ &with_user, 1001, 1000, 0, false, __LINE__ },
		{ &with_user, 1001, 0, 0, true, __LINE__ },        /* root's group */
		{ &as_nimbus, 990, 990, 0, true, __LINE__ },       /* nimbusd's own user */
		{ &as_nimbus, 991, 991, 0, false, __LINE__ },
		{ &as_nimbus, 0, 0, 0, true, __LINE__ },
		{ &no_group, 1000, 0, 3, false, __LINE__ },        /* no group: root only */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (admin_peer_allowed(t[i].p, t[i].uid, t[i].gid, sup, t[i].nsup) != t[i].want)
			fail_msg("line %d: uid %u gid %u: want %s", t[i].line, (unsigned)t[i].uid,
				 (unsigned)t[i].gid, t[i].want ? "allowed" : "refused");
}

static void test_resolve(void **state)
{
	struct admin_policy p;
	char err[128] = "";

	(void)state;
	assert_int_equal(admin_policy_resolve(NULL, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p.self_uid, geteuid());
	assert_true(p.have_gid);
	assert_int_equal(p.gid, getegid());     /* default: nimbusd's group */
	assert_false(p.have_uid);
	assert_int_equal(admin_policy_resolve("1234", "4242", &p, err, sizeof(err)), 0);
	assert_true(p.have_uid);
	assert_int_equal(p.uid, 1234);
	assert_int_equal(p.gid, 4242);
	assert_int_equal(admin_policy_resolve("root", "root", &p, err, sizeof(err)), 0);
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.gid, 0);
	assert_int_equal(admin_policy_resolve(NULL, "no-such-group-x", &p, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "admin-group: no group named 'no-such-group-x'"));
	assert_int_equal(admin_policy_resolve("no-such-user-x", NULL, &p, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "admin-user: no user named 'no-such-user-x'"));
}

/* The kernel's answer for a socketpair: our own uid and pid. */
static void test_peer_check(void **state)
{
	int sv[2];
	uid_t uid;
	pid_t pid;
	bool allowed;
	struct admin_policy self = { .self_uid = geteuid() }, other = { .self_uid = 12345 };

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(admin_peer_check(sv[0], &self, &uid, &pid, &allowed), 0);
	assert_int_equal(uid, geteuid());
	assert_int_equal(pid, getpid());
	assert_true(allowed);
	if (geteuid() != 0) {
		assert_int_equal(admin_peer_check(sv[0], &other, &uid, &pid, &allowed), 0);
		assert_false(allowed);
	}
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(admin_peer_check(-1, &self, &uid, &pid, &allowed), -EBADF);
	assert_false(allowed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_peer_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
