/* control.c - the control socket's plumbing (see control.h). */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CONN_MAX  32
#define LINE_MAX_ 256

struct control_conn {
	struct evsrc src;
	struct control *ctl;
	int fd;
	char in[LINE_MAX_];
	size_t inlen;
	struct outbuf out;
	size_t sent;
	bool answering;
	struct control_conn *next;
};

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		size_t room = o->cap - o->len;

		va_start(ap, fmt);
		n = vsnprintf(o->p ? o->p + o->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 4096;

		while (cap - o->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(o->p, cap);

		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
}

void outbuf_json_str(struct outbuf *o, const char *s)
{
	outbuf_printf(o, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			outbuf_printf(o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			outbuf_printf(o, "\\u%04x", ch);
		else
			outbuf_printf(o, "%c", ch);
	}
	outbuf_printf(o, "\"");
}

void outbuf_free(struct outbuf *o)
{
	free(o->p);
	memset(o, 0, sizeof(*o));
}

static void conn_free(struct control_conn *cc)
{
	struct control *c = cc->ctl;

	for (struct control_conn **pp = &c->conns; *pp; pp = &(*pp)->next) {
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	}
	c->nconns--;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cc->fd, NULL);
	close(cc->fd);
	outbuf_free(&cc->out);
	free(cc);
}

/* Writes what the socket takes now; frees the connection when done. */
static void conn_flush(struct control_conn *cc)
{
	while (cc->sent < cc->out.len) {
		ssize_t n = send(cc->fd, cc->out.p + cc->sent,
				 cc->out.len - cc->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = { .events = EPOLLOUT,
						  .data.ptr = &cc->src };

			epoll_ctl(cc->ctl->epfd, EPOLL_CTL_MOD, cc->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		cc->sent += (size_t)n;
	}
	conn_free(cc);
}

static void conn_answer(struct control_conn *cc)
{
	size_t len = cc->inlen;

	while (len && (cc->in[len - 1] == '\n' || cc->in[len - 1] == '\r' ||
		       cc->in[len - 1] == ' '))
		len--;
	cc->in[len] = '\0';
	cc->answering = true;
	cc->ctl->handler(cc->ctl->ctx, cc->in, &cc->out);
	if (cc->out.oom) {
		outbuf_free(&cc->out);
		outbuf_printf(&cc->out, "error: out of memory\n");
	}
	conn_flush(cc);
}

static void conn_event(struct evsrc *src, uint32_t events)
{
	struct control_conn *cc = (struct control_conn *)src;

	if (cc->answering) {
		conn_flush(cc);
		return;
	}
	for (;;) {
		ssize_t n = recv(cc->fd, cc->in + cc->inlen,
				 sizeof(cc->in) - 1 - cc->inlen, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (events & (EPOLLHUP | EPOLLERR))
				conn_free(cc);
			return;
		}
		if (n <= 0) {
			/* EOF without a newline: answer what we got. */
			if (n == 0 && cc->inlen)
				conn_answer(cc);
			else
				conn_free(cc);
			return;
		}
		cc->inlen += (size_t)n;
		if (memchr(cc->in, '\n', cc->inlen)) {
			*(char *)memchr(cc->in, '\n', cc->inlen) = '\0';
			cc->inlen = strlen(cc->in);
			conn_answer(cc);
			return;
		}
		if (cc->inlen == sizeof(cc->in) - 1) {
			outbuf_printf(&cc->out, "error: command line too long\n");
			cc->answering = true;
			conn_flush(cc);
			return;
		}
	}
}

static void listen_event(struct evsrc *src, uint32_t events)
{
	struct control *c = (struct control *)src;

	(void)events;
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct control_conn *cc;
		struct ucred cred;
		socklen_t clen = sizeof(cred);

		if (fd < 0)
			return;
		/* The socket is 0600, but a caller in another user namespace
		 * or with a passed descriptor is checked anyway. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			log_warn("control: refused connection from uid %u",
				 (unsigned)cred.uid);
			close(fd);
			continue;
		}
		if (c->nconns >= CONN_MAX) {
			log_warn("control: too many connections, refusing one");
			close(fd);
			continue;
		}
		cc = calloc(1, sizeof(*cc));
		if (!cc) {
			close(fd);
			continue;
		}
		cc->src.fn = conn_event;
		cc->ctl = c;
		cc->fd = fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cc->src };

		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(cc);
			continue;
		}
		cc->next = c->conns;
		c->conns = cc;
		c->nconns++;
	}
}

int control_open(struct control *c, const char *path, int epfd,
		 control_handler h, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	mode_t old;
	int rc, probe;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->src.fn = listen_event;
	c->epfd = epfd;
	c->handler = h;
	c->ctx = ctx;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(c->path, sizeof(c->path), "%s", path);

	/* A socket file nobody answers on is left over from a crash. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "control socket %s is in use by "
				 "another aoetd (use -C PATH)", path);
			return -EADDRINUSE;
		}
		if (errno == ECONNREFUSED)
			unlink(path);
		close(probe);
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto fail;
	}
	old = umask(0177);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(c->fd, 16) < 0) {
		rc = -errno;
		goto fail;
	}
	ev.data.ptr = &c->src;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "control socket %s: %s", path, strerror(-rc));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->path[0] = '\0';
	return rc;
}

void control_close(struct control *c)
{
	while (c->conns)
		conn_free(c->conns);
	if (c->fd >= 0) {
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->path[0])
		unlink(c->path);
	c->path[0] = '\0';
}
