/* Who may use nimbusd's admin socket. The socket's file mode is the first
 * gate; nimbusd also asks the kernel who connected (SO_PEERCRED and
 * SO_PEERGROUPS) and applies this policy, so a socket left world-writable
 * by mistake, or a directory opened up, does not hand out the cluster. */
#ifndef NIMBUS_ADMIN_AUTH_H
#define NIMBUS_ADMIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ADMIN_NAME_MAX 64   /* admin-user / admin-group as written */

struct admin_policy {
	uid_t self_uid;     /* nimbusd's own user: always allowed (as root is) */
	bool have_uid;      /* admin-user */
	uid_t uid;
	bool have_gid;      /* admin-group, else nimbusd's own group */
	gid_t gid;
};

/* Whether a peer (its uid, primary gid and supplementary groups) may
 * administer: root, nimbusd's user, admin-user, or a member of the admin
 * group. Pure. */
bool admin_peer_allowed(const struct admin_policy *p, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups);

/* Builds the policy from the configured names (NULL or "" = not set):
 * numbers are taken as ids, names are looked up (getpwnam/getgrnam).
 * Returns 0, or -ENOENT with "admin-group: no group named 'x'" in err. */
int admin_policy_resolve(const char *user, const char *group, struct admin_policy *out,
			 char *err, size_t errlen);

/* The peer of a connected Unix socket: uid, pid and whether the policy
 * lets it in. Returns 0, or a negative errno when the kernel cannot say
 * (then the caller refuses). */
int admin_peer_check(int fd, const struct admin_policy *p, uid_t *uid, pid_t *pid,
		     bool *allowed);

#endif
