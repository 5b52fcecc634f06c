/* The OS boundary of provisioning's helper programs (dhcpd -t, omshell):
 * the one place provisioning forks. */
#ifndef NIMBUS_PROV_EXEC_H
#define NIMBUS_PROV_EXEC_H

#include <stddef.h>

#define PROV_RUN_OUT_MAX (64 * 1024)

/* A running helper whose stdout+stderr an event loop collects. */
struct prov_child;

/* Starts argv (argv[0] an absolute path) with input (may be NULL, a few
 * hundred bytes: it fits the pipe) on its stdin. SIGPIPE: the caller should
 * ignore it (nimbusd does) in case the child exits without reading. */
int prov_child_start(struct prov_child **out, const char *const argv[], const char *input,
		     int timeout_ms);
/* Readable when the child wrote or exited: then call prov_child_read(). */
int prov_child_fd(const struct prov_child *c);
/* Takes what the child wrote (at most PROV_RUN_OUT_MAX bytes kept, the
 * rest drained): 1 when it closed its output (it exited), 0 while it runs,
 * or a negative errno. Never blocks. */
int prov_child_read(struct prov_child *c);
/* What the child wrote so far (what prov_child_read() kept), for callers
 * that parse it as it comes (volume import's progress). */
const char *prov_child_output(const struct prov_child *c, size_t *len);
/* Milliseconds until the child's deadline (0: passed). */
int prov_child_left_ms(const struct prov_child *c);
/* Ends c: kills the child if still running (deadline passed, or the caller
 * gives up), reaps it and frees c. Returns 0 with *out (malloc()ed,
 * NUL-terminated) and *exit_status (128+signal when killed by one), or
 * -ETIMEDOUT (killed at the deadline), -ENOEXEC (could not exec), -errno;
 * *out NULL then. */
int prov_child_end(struct prov_child *c, char **out, int *exit_status);

/* prov_child_*() waited for in place, for callers outside an event loop
 * (start-up, SIGHUP, the CLI-less tests). Same results as prov_child_end(). */
int prov_run(const char *const argv[], const char *input, int timeout_ms,
	     char **out, int *exit_status);

#endif
