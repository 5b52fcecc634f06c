#include "admin_auth.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PEER_GROUPS_MAX 256

bool admin_peer_allowed(const struct admin_policy *p, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups)
{
	if (uid == 0 || uid == p->self_uid)
		return true;
	if (p->have_uid && uid == p->uid)
		return true;
	if (!p->have_gid)
		return false;
	if (gid == p->gid)
		return true;
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i] == p->gid)
			return true;
	return false;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int admin_policy_resolve(const char *user, const char *group, struct admin_policy *out,
			 char *err, size_t errlen)
{
	struct admin_policy p = { .self_uid = geteuid(), .have_gid = true, .gid = getegid() };

	if (user && *user) {
		p.have_uid = true;
		if (all_digits(user)) {
			p.uid = (uid_t)strtoul(user, NULL, 10);
		} else {
			struct passwd *pw = getpwnam(user);

			if (!pw) {
				snprintf(err, errlen, "admin-user: no user named '%s'", user);
				return -ENOENT;
			}
			p.uid = pw->pw_uid;
		}
	}
	if (group && *group) {
		if (all_digits(group)) {
			p.gid = (gid_t)strtoul(group, NULL, 10);
		} else {
			struct group *gr = getgrnam(group);

			if (!gr) {
				snprintf(err, errlen, "admin-group: no group named '%s'", group);
				return -ENOENT;
			}
			p.gid = gr->gr_gid;
		}
	}
	*out = p;
	return 0;
}

int admin_peer_check(int fd, const struct admin_policy *p, uid_t *uid, pid_t *pid,
		     bool *allowed)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[PEER_GROUPS_MAX];
	size_t ngroups = 0;

	*allowed = false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	*uid = cred.uid;
	*pid = cred.pid;
	/* The groups the peer had when it connected (Linux >= 4.13). Without
	 * them only the primary group counts: refusing more, never less. */
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		ngroups = len / sizeof(gid_t);
	*allowed = admin_peer_allowed(p, cred.uid, cred.gid, groups, ngroups);
	return 0;
}
