/* The HTTP side of nimbusd's API: libmicrohttpd on a listening socket that
 * nimbusd bound itself (Unix socket for operators, TCP for node reports),
 * run from nimbusd's own epoll loop (MHD_USE_EPOLL, no threads). Requests
 * are collected up to a body limit and handed to api_handle(); a node change
 * it answers later (API_PENDING) suspends its connection until the answer
 * comes (MHD_ALLOW_SUSPEND_RESUME), while other requests are served. */
#ifndef NIMBUS_HTTPD_H
#define NIMBUS_HTTPD_H

#include <stdint.h>
#include <sys/types.h>

#include "admin_auth.h"
#include "api.h"

struct httpd;

/* Takes ownership of listen_fd. policy (API_ADMIN only, may change while
 * running; NULL: no credential check) decides which peers are served. */
int httpd_start(struct httpd **out, int listen_fd, enum api_origin origin,
		struct api_ctx *ctx, const struct admin_policy *policy);
void httpd_stop(struct httpd *h);
int httpd_fd(struct httpd *h);            /* for epoll: readable -> httpd_run */
int httpd_run(struct httpd *h);
int httpd_timeout_ms(struct httpd *h);    /* -1: none */

/* A listening Unix socket at path (a stale one is replaced) with mode. */
int httpd_listen_unix(const char *path, mode_t mode);
/* A listening TCP socket on ip:port (host byte order). */
int httpd_listen_tcp(uint32_t ip, uint16_t port);

#endif
