/* The check a DRBD resource file passes before the agent installs it in
 * /etc/drbd.d: nimbusd's text, written outside drbdadm's include glob, is
 * parsed by `drbdadm -c CONF dump NAME` together with every resource
 * already installed, so a syntax error, or a minor, port or device used
 * twice on this node, is refused while the running file stays as it was.
 * Pure text building; the agent (agent.c) writes the files and runs
 * drbdadm as a watched child. */
#ifndef NIMBUS_STORAGE_RES_CHECK_H
#define NIMBUS_STORAGE_RES_CHECK_H

#include <stddef.h>
#include <sys/types.h>

/* res_check_conf: the drbdadm configuration for the check, into out:
 * DRBD's global section, one include per installed resource file
 * (installed[0..n-1], absolute paths, the checked volume's own old file
 * left out by the caller) and the candidate last. Its length, or -ENOSPC
 * when cap is too small, -EINVAL for a path drbdadm could not read back
 * (a quote or a line end in it). */
ssize_t res_check_conf(char *out, size_t cap, const char *const *installed, size_t n,
		       const char *candidate);

/* res_check_reason: the line of drbdadm's output that says why it refused
 * (the first non-empty one: "conflicting use of ...", "Parse error ..."),
 * at most cap - 1 bytes, into out. */
void res_check_reason(const char *output, size_t len, char *out, size_t cap);

#endif
