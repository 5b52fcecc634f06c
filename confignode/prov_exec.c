/* Running a helper program (dhcpd -t, omshell) with a bounded input,
 * output and time: the one place provisioning forks. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "prov_exec.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int prov_run(const char *const argv[], const char *input, int timeout_ms,
	     char **out, int *exit_status)
{
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, status, rc = 0;
	size_t len = 0, slen = input ? strlen(input) : 0;
	long deadline = now_ms() + timeout_ms;
	char *buf = NULL;
	pid_t pid = -1;

	*out = NULL;
	buf = malloc(PROV_RUN_OUT_MAX + 1);
	if (!buf)
		return -ENOMEM;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0 || dup2(res[1], 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	/* inputs are a few hundred bytes: they fit the pipe, no deadlock */
	if (slen && write(in[1], input, slen) != (ssize_t)slen) {
		rc = -EIO;
		goto out_kill;
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		struct pollfd p = { .fd = res[0], .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			rc = -ETIMEDOUT;
			goto out_kill;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out_kill;
		}
		if (r == 0)
			continue;
		if (len == PROV_RUN_OUT_MAX) { /* keep draining, drop the rest */
			char sink[512];

			r = read(res[0], sink, sizeof(sink));
		} else {
			r = read(res[0], buf + len, PROV_RUN_OUT_MAX - len);
			if (r > 0)
				len += (size_t)r;
		}
		if (r == 0)
			break;
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			goto out_kill;
		}
	}
	buf[len] = '\0';
	if (waitpid(pid, &status, 0) < 0) {
		rc = -errno;
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		log_err("cannot run %s", argv[0]);
		rc = -ENOEXEC;
		goto out;
	}
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	*out = buf;
	buf = NULL;
	goto out;
out_kill:
	log_err("%s: %s", argv[0], rc == -ETIMEDOUT ? "timed out, killed" : "failed, killed");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	free(buf);
	return rc;
}
