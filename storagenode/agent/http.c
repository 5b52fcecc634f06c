#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_init(struct http_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void http_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c->in);
	http_init(c);
}

int http_parse_response(const char *buf, size_t len, int at_eof, int *status,
			const char **body, size_t *body_len)
{
	const char *end = NULL, *p;
	long clen = -1;
	int st;

	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i;
			break;
		}
	if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0)
		return -EPROTO;
	if (len < 5 && memcmp(buf, "HTTP/", len) != 0)
		return -EPROTO;
	if (!end)
		return at_eof ? -EPROTO : 0;
	/* "HTTP/1.x NNN" */
	if ((size_t)(end - buf) < 12 || buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	st = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	/* Content-Length, if any */
	for (p = buf; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (ll > 15 && strncasecmp(p, "content-length:", 15) == 0) {
			const char *q = p + 15;
			long v = 0;

			while (q < p + ll && (*q == ' ' || *q == '\t'))
				q++;
			if (q >= p + ll || *q < '0' || *q > '9')
				return -EPROTO;
			while (q < p + ll && *q >= '0' && *q <= '9') {
				v = v * 10 + (*q++ - '0');
				if (v > HTTP_RESP_MAX)
					return -EPROTO;
			}
			clen = v;
		}
		p = nl ? nl + 1 : end;
	}
	*status = st;
	*body = end + 4;
	*body_len = len - (size_t)(end + 4 - buf);
	if (clen >= 0) {
		if (*body_len < (size_t)clen)
			return at_eof ? -EPROTO : 0;
		*body_len = (size_t)clen;
		return 1;
	}
	return at_eof ? 1 : 0;
}

int http_start(struct http_conn *c, uint32_t ip, uint16_t port, const char *method,
	       const char *path, const char *body, int64_t deadline_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	size_t blen = body ? strlen(body) : 0;
	int n;

	http_close(c);
	n = asprintf(&c->out,
		     "%s %s HTTP/1.0\r\nHost: %u.%u.%u.%u:%u\r\nConnection: close\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port,
		     blen, body ? body : "");
	if (n < 0) {
		c->out = NULL;
		return -ENOMEM;
	}
	c->out_len = (size_t)n;
	c->deadline_ms = deadline_ms;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		n = -errno;
		http_close(c);
		return n;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		n = -errno;
		http_close(c);
		return n;
	}
	return 0;
}

int http_io(struct http_conn *c)
{
	int rc;

	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)
				return 0;
			rc = -errno;
			goto fail;
		}
		c->out_off += (size_t)w;
	}
	for (;;) {
		char buf[4096];
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		char *nb;

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			rc = -errno;
			goto fail;
		}
		if (r == 0) {
			rc = http_parse_response(c->in ? c->in : "", c->in_len, 1, &c->status,
						 &c->body, &c->body_len);
			if (rc != 1) {
				rc = -EPROTO;
				goto fail;
			}
			close(c->fd);
			c->fd = -1;
			return 1;
		}
		if (c->in_len + (size_t)r > HTTP_RESP_MAX) {
			rc = -EMSGSIZE;
			goto fail;
		}
		nb = realloc(c->in, c->in_len + (size_t)r + 1);
		if (!nb) {
			rc = -ENOMEM;
			goto fail;
		}
		c->in = nb;
		memcpy(c->in + c->in_len, buf, (size_t)r);
		c->in_len += (size_t)r;
		c->in[c->in_len] = '\0';
	}
	rc = http_parse_response(c->in ? c->in : "", c->in_len, 0, &c->status, &c->body,
				 &c->body_len);
	if (rc == 1) {
		close(c->fd);
		c->fd = -1;
		return 1;
	}
	if (rc == 0)
		return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return rc;
}

int http_run(struct http_conn *c, uint32_t ip, uint16_t port, const char *method,
	     const char *path, const char *body, int timeout_ms)
{
	int64_t deadline = http_now_ms() + timeout_ms;
	int rc = http_start(c, ip, port, method, path, body, deadline);

	while (rc == 0) {
		struct pollfd p = { .fd = c->fd,
				    .events = c->out_off < c->out_len ? POLLOUT : POLLIN };
		int64_t left = deadline - http_now_ms();

		if (left <= 0) {
			http_close(c);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		rc = http_io(c);
	}
	return rc;
}
