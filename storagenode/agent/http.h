/* The agent's HTTP/1.0 client for nimbusd: one request per connection
 * ("Connection: close"), non-blocking, driven by the agent's epoll loop
 * (http_io on every event of c->fd), or to completion with poll() by the
 * short-lived handlers (http_run). Messages are small, so a request and
 * its response are held whole in memory. The response parser is pure
 * (http_parse_response), tested in tests/unit/test_storage_http.c. */
#ifndef NIMBUS_STORAGE_HTTP_H
#define NIMBUS_STORAGE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_RESP_MAX (256 * 1024)

struct http_conn {
	int fd;                /* -1: idle */
	char *out;             /* the request */
	size_t out_len, out_off;
	char *in;              /* the response so far */
	size_t in_len;
	int64_t deadline_ms;   /* monotonic */
	int status;            /* set by http_io when done */
	const char *body;      /* into in */
	size_t body_len;
};

/* http_start: connect to ip:port (host order) and queue the request
 * (body may be NULL). 0, or a negative errno. */
int http_start(struct http_conn *c, uint32_t ip, uint16_t port, const char *method,
	       const char *path, const char *body, int64_t deadline_ms);

/* http_io: progress on c->fd. 0: not done (c->out_off < c->out_len: wait
 * for EPOLLOUT, else EPOLLIN); 1: done (status, body set); a negative
 * errno on failure (the connection is closed then). */
int http_io(struct http_conn *c);

/* http_run: http_start + http_io until done or the deadline, blocking in
 * poll(). 1 or a negative errno (-ETIMEDOUT). */
int http_run(struct http_conn *c, uint32_t ip, uint16_t port, const char *method,
	     const char *path, const char *body, int timeout_ms);

/* http_close: back to idle, buffers freed (the body is gone too). */
void http_close(struct http_conn *c);
void http_init(struct http_conn *c);

/* http_parse_response: "HTTP/1.x NNN ..." with headers and a body (up to
 * Content-Length when given, else to the end of buf). 1: complete, 0: more
 * bytes needed (a Content-Length not yet reached, or headers not ended;
 * at_eof: the peer closed, so whatever came is the body), -EPROTO: not an
 * HTTP response. */
int http_parse_response(const char *buf, size_t len, int at_eof, int *status,
			const char **body, size_t *body_len);

int64_t http_now_ms(void);

#endif
