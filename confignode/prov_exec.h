/* The OS boundary of provisioning's helper programs. */
#ifndef NIMBUS_PROV_EXEC_H
#define NIMBUS_PROV_EXEC_H

#define PROV_RUN_OUT_MAX (64 * 1024)

/* Runs argv (argv[0] an absolute path) with input (may be NULL) on its stdin
 * and stdout+stderr captured into *out (malloc()ed, NUL-terminated, at most
 * PROV_RUN_OUT_MAX bytes kept). The child is killed after timeout_ms.
 * Returns 0 with *exit_status set (128+signal when killed by one), or
 * -ETIMEDOUT, -ENOEXEC (could not exec), -errno. SIGPIPE: the caller should
 * ignore it (nimbusd does) in case the child exits without reading. */
int prov_run(const char *const argv[], const char *input, int timeout_ms,
	     char **out, int *exit_status);

#endif
