#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define REPORT_CONN_LIMIT   64
#define REPORT_PER_IP_LIMIT 4
#define CONN_TIMEOUT_S      10

struct httpd {
	struct MHD_Daemon *mhd;
	enum api_origin origin;
	struct api_ctx *ctx;
	const struct admin_policy *policy;
};

/* Per-request state, kept by MHD between calls of the access handler. */
struct request {
	char *body;
	size_t len;
	int too_big;
	int refused;      /* the admin policy refused the peer */
	uid_t uid;        /* the peer, for the refusal */
	pid_t pid;
	/* A node change is answered when its provisioning transaction ends:
	 * the connection is suspended meanwhile, the event loop goes on. */
	struct MHD_Connection *conn;
	bool suspended;
	bool answered;    /* resp holds the answer, not yet sent */
	struct api_response resp;
};

/* The admin socket's caller, from the kernel; refused unless the policy
 * lets it in (or the kernel cannot tell). */
static void check_peer(struct httpd *h, struct MHD_Connection *conn, struct request *rq)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	bool allowed = false;
	int rc = ci ? admin_peer_check(ci->connect_fd, h->policy, &rq->uid, &rq->pid, &allowed) :
		      -EBADF;

	if (rc < 0) {
		rq->refused = 1;
		rq->uid = (uid_t)-1;
		rq->pid = 0;
		log_warn("admin socket: cannot read the caller's credentials: %s", strerror(-rc));
	} else if (!allowed) {
		rq->refused = 1;
	}
}

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!text)
		return MHD_NO;
	/* jansson's text is ours: MHD frees it with free(). */
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static uint32_t peer_ip(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)ci->client_addr)->sin_addr.s_addr);
	return 0;
}

/* api_request.reply_later: the answer of a suspended (or not yet suspended)
 * request. */
static void reply_later(void *arg, struct api_response *resp)
{
	struct request *rq = arg;

	rq->resp = *resp;
	rq->answered = true;
	if (rq->suspended) {
		rq->suspended = false;
		MHD_resume_connection(rq->conn);
	}
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct request *rq)
{
	enum MHD_Result ret = send_json(conn, rq->resp.status, rq->resp.body);

	json_decref(rq->resp.body);
	rq->resp.body = NULL;
	rq->answered = false;
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct request *rq = *con_cls;
	struct api_request req;
	struct api_response resp = { 0 };
	enum MHD_Result ret;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		if (h->policy)
			check_peer(h, conn, rq);
		return MHD_YES;
	}
	if (rq->answered) /* resumed */
		return send_answer(conn, rq);
	if (*upload_size) {
		/* Keep reading past the limit (so the client gets a 413, not a
		 * reset), but never store more than the endpoint's limit
		 * (api_body_max: a storage node's observed state may be larger
		 * than a report). */
		if (!rq->too_big && !rq->refused &&
		    rq->len + *upload_size <= api_body_max(h->origin, url)) {
			char *nb = realloc(rq->body, rq->len + *upload_size);

			if (!nb)
				return MHD_NO;
			rq->body = nb;
			memcpy(rq->body + rq->len, upload_data, *upload_size);
			rq->len += *upload_size;
		} else {
			rq->too_big = 1;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->refused) {
		json_t *e;

		log_warn("admin socket: refused %s %s from uid %d pid %d: not root, nimbusd's user, admin-user or a member of the admin group",
			 method, url, (int)rq->uid, (int)rq->pid);
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "permission denied: uid %d may not administer nimbusd (root, admin-user or admin-group only)",
			 (int)rq->uid);
		e = json_pack("{s:s}", "error", msg);
		ret = send_json(conn, 403, e);
		json_decref(e);
		return ret;
	}
	if (rq->too_big) {
		json_t *e = json_pack("{s:s}", "error", "request body too large");

		ret = send_json(conn, 413, e);
		json_decref(e);
		return ret;
	}
	req.origin = h->origin;
	req.method = method;
	req.path = url;
	req.body = rq->body;
	req.body_len = rq->len;
	req.peer_ip = h->origin == API_REPORT ? peer_ip(conn) : 0;
	req.reply_later = reply_later;
	req.reply_arg = rq;
	rq->conn = conn;
	api_handle(h->ctx, &req, &resp);
	if (resp.status == API_PENDING) {
		if (rq->answered) /* it finished at once */
			return send_answer(conn, rq);
		rq->suspended = true;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	ret = send_json(conn, resp.status, resp.body);
	json_decref(resp.body);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		json_decref(rq->resp.body);
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_LVL_WARN, fmt, ap);
}

int httpd_start(struct httpd **out, int listen_fd, enum api_origin origin,
		struct api_ctx *ctx, const struct admin_policy *policy)
{
	struct httpd *h = calloc(1, sizeof(*h));
	unsigned limit = origin == API_REPORT ? REPORT_CONN_LIMIT : 16;
	unsigned per_ip = origin == API_REPORT ? REPORT_PER_IP_LIMIT : 0;

	if (!h) {
		close(listen_fd);
		return -ENOMEM;
	}
	h->origin = origin;
	h->ctx = ctx;
	h->policy = origin == API_ADMIN ? policy : NULL;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, listen_fd,
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
				  MHD_OPTION_CONNECTION_LIMIT, limit,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!h->mhd) {
		log_err("cannot start the %s HTTP listener (libmicrohttpd)",
			origin == API_REPORT ? "report" : "admin");
		close(listen_fd);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}

int httpd_fd(struct httpd *h)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return di ? di->epoll_fd : -1;
}

int httpd_run(struct httpd *h)
{
	return MHD_run(h->mhd) == MHD_YES ? 0 : -EIO;
}

int httpd_timeout_ms(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(h->mhd, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

int httpd_listen_unix(const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path %s is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	/* Replace a stale socket from a previous run, never another file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("socket path %s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Created with no permissions, then opened up to mode: no window in
	 * which another user could connect. */
	{
		mode_t old = umask(0777);

		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
	}
	if (rc < 0 || chmod(path, mode) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		log_err("socket %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

int httpd_listen_tcp(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	int fd, one = 1, rc;
	char a[INET_ADDRSTRLEN];

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
		log_err("report listener %s:%u: %s", a, port, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}
