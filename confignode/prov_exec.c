/* Running a helper program (dhcpd -t, omshell) with a bounded input,
 * output and time, without blocking the caller's event loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "prov_exec.h"

struct prov_child {
	pid_t pid;
	int fd;            /* read end of its stdout+stderr, O_NONBLOCK */
	bool eof;
	long deadline;     /* CLOCK_MONOTONIC ms */
	size_t len;
	char *buf;         /* PROV_RUN_OUT_MAX + 1 */
	char name[64];     /* argv[0], for the log */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int prov_child_start(struct prov_child **out, const char *const argv[], const char *input,
		     int timeout_ms)
{
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, rc = 0, status;
	size_t slen = input ? strlen(input) : 0;
	struct prov_child *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c || !(c->buf = malloc(PROV_RUN_OUT_MAX + 1))) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	c->deadline = now_ms() + timeout_ms;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (c->pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0 || dup2(res[1], 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (slen && write(in[1], input, slen) != (ssize_t)slen) {
		rc = -EIO;
		log_err("%s: cannot write its input", c->name);
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		goto fail;
	}
	close(in[1]);
	c->fd = res[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	*out = c;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	if (c)
		free(c->buf);
	free(c);
	return rc;
}

int prov_child_fd(const struct prov_child *c)
{
	return c->fd;
}

const char *prov_child_output(const struct prov_child *c, size_t *len)
{
	*len = c->len;
	return c->buf;
}

int prov_child_left_ms(const struct prov_child *c)
{
	long left = c->deadline - now_ms();

	return left < 0 ? 0 : (int)left;
}

int prov_child_read(struct prov_child *c)
{
	while (!c->eof) {
		char sink[512];
		ssize_t r;

		if (c->len == PROV_RUN_OUT_MAX) /* keep draining, drop the rest */
			r = read(c->fd, sink, sizeof(sink));
		else
			r = read(c->fd, c->buf + c->len, PROV_RUN_OUT_MAX - c->len);
		if (r == 0) {
			c->eof = true;
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (c->len < PROV_RUN_OUT_MAX)
			c->len += (size_t)r;
	}
	return 1;
}

int prov_child_end(struct prov_child *c, char **out, int *exit_status)
{
	int status, rc = 0;

	*out = NULL;
	if (!c->eof) {
		rc = prov_child_left_ms(c) == 0 ? -ETIMEDOUT : -ECANCELED;
		log_err("%s: %s, killed", c->name, rc == -ETIMEDOUT ? "timed out" : "given up");
		kill(c->pid, SIGKILL);
	}
	/* output closed: the child has exited (or is being killed), so this
	 * wait is short */
	while (waitpid(c->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = rc ? rc : -errno;
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		log_err("cannot run %s", c->name);
		rc = -ENOEXEC;
		goto out;
	}
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	c->buf[c->len] = '\0';
	*out = c->buf;
	c->buf = NULL;
out:
	close(c->fd);
	free(c->buf);
	free(c);
	return rc;
}

int prov_run(const char *const argv[], const char *input, int timeout_ms,
	     char **out, int *exit_status)
{
	struct prov_child *c;
	int rc;

	*out = NULL;
	rc = prov_child_start(&c, argv, input, timeout_ms);
	if (rc < 0)
		return rc;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int left = prov_child_left_ms(c);

		if (left == 0)
			break;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			break;
		rc = prov_child_read(c);
		if (rc != 0)
			break;
	}
	return prov_child_end(c, out, exit_status);
}
