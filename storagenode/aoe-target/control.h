/* control.h - aoetd's control socket: a Unix stream socket where a client
 * sends one command line and reads the answer until the server closes.
 * The commands themselves are the daemon's (a handler callback); this file
 * only does the socket plumbing, never blocking the event loop.
 */
#ifndef NIMBUS_AOETD_CONTROL_H
#define NIMBUS_AOETD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "evsrc.h"

/* A growing text buffer for answers. */
struct outbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes and escapes). */
void outbuf_json_str(struct outbuf *o, const char *s);
void outbuf_free(struct outbuf *o);

typedef void (*control_handler)(void *ctx, const char *cmd, struct outbuf *out);

struct control_conn;

struct control {
	struct evsrc src;
	int fd;
	int epfd;
	char path[AOETD_CONTROL_PATH_MAX];
	control_handler handler;
	void *ctx;
	struct control_conn *conns;
	unsigned nconns;
};

/* Creates the socket at path (mode 0600), replacing a stale one but never a
 * live one, and registers it with epfd. 0 or -errno with a message. */
int control_open(struct control *c, const char *path, int epfd,
		 control_handler h, void *ctx, char *err, size_t errlen);

/* Closes every connection and the socket, and removes the file. */
void control_close(struct control *c);

#endif
