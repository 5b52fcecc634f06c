/* One child process at a time, watched by the agent's loop: its stdout
 * and stderr into one pipe (read when readable: c->fd in epoll), a
 * deadline after which it is killed, its exit status collected without
 * blocking once the pipe closes. */
#ifndef NIMBUS_STORAGE_CHILD_H
#define NIMBUS_STORAGE_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CHILD_OUT_MAX 65536

struct child {
	pid_t pid;            /* 0: none */
	int fd;               /* the output pipe, -1 when closed */
	char out[CHILD_OUT_MAX];
	size_t out_len;
	int64_t deadline_ms;
	int status;           /* exit status, or 128 + signal */
	char what[160];       /* the command line, for logs */
};

void child_init(struct child *c);
/* child_spawn: argv[0] on PATH, stdin /dev/null. 0 or a negative errno. */
int child_spawn(struct child *c, char *const argv[], int64_t deadline_ms);
/* child_poll: read what is there, kill at the deadline, reap when the
 * pipe closed. 1: finished (status set), 0: still running. */
int child_poll(struct child *c, int64_t now_ms);

#endif
