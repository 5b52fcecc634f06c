#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int child_spawn(struct child *c, char *const argv[], int64_t deadline_ms)
{
	int p[2], rc;
	pid_t pid;
	size_t off = 0;

	child_init(c);
	for (int i = 0; argv[i] && off + 2 < sizeof(c->what); i++)
		off += (size_t)snprintf(c->what + off, sizeof(c->what) - off, "%s%s", i ? " " : "",
					argv[i]);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
		dup2(p[1], 1);
		dup2(p[1], 2);
		/* LVM warns on stderr (here: into the output) about any other
		 * open descriptor; none is left, but inherited ones may be. */
		setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->fd = p[0];
	c->deadline_ms = deadline_ms;
	return 0;
}

int child_poll(struct child *c, int64_t now_ms)
{
	int st;
	pid_t r;

	if (!c->pid)
		return 1;
	while (c->fd >= 0) {
		char buf[4096];
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			close(c->fd);
			c->fd = -1;
			break;
		}
		if (c->out_len + (size_t)n >= sizeof(c->out))
			n = (ssize_t)(sizeof(c->out) - 1 - c->out_len);
		memcpy(c->out + c->out_len, buf, (size_t)n);
		c->out_len += (size_t)n;
		c->out[c->out_len] = '\0';
	}
	if (now_ms >= c->deadline_ms)
		kill(c->pid, SIGKILL);
	r = waitpid(c->pid, &st, WNOHANG);
	if (r == 0)
		return 0;
	if (r < 0) {
		c->status = 128;
	} else {
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->pid = 0;
	return 1;
}
