/* The DRBD handlers, short-lived processes DRBD runs for a resource
 * (DRBD_RESOURCE in the environment); they find nimbusd and the agent in
 * the file the agent wrote at start (agent.h). Blocking is fine here: DRBD
 * waits for the handler's exit code (the volume's I/O is frozen meanwhile
 * under fencing resource-and-stonith), bounded by the timeouts below. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "agent/storage_msg.h"
#include "http.h"
#include "log.h"

#define FENCE_HTTP_MS 5000
#define CTRL_MS       10000

/* DRBD 8.4's fence-peer exit codes (drbd_nl.c conn_try_outdate_peer). */
#define FENCE_PEER_STONITHED 7
#define FENCE_OUTDATE_ME     6

struct env {
	uint32_t ip;
	uint16_t port;
	uint8_t mac[MAC_LEN];
	char ctrl[108];
};

static int read_env(const char *path, struct env *e)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int got = 0;

	if (!f)
		return -errno;
	memset(e, 0, sizeof(*e));
	while (fgets(line, sizeof(line), f)) {
		unsigned a, b, c, d, p;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "server=%u.%u.%u.%u:%u", &a, &b, &c, &d, &p) == 5 && a < 256 &&
		    b < 256 && c < 256 && d < 256 && p > 0 && p < 65536) {
			e->ip = a << 24 | b << 16 | c << 8 | d;
			e->port = (uint16_t)p;
			got |= 1;
		} else if (strncmp(line, "mac=", 4) == 0 && mac_parse(line + 4, e->mac) == 0) {
			got |= 2;
		} else if (strncmp(line, "ctrl=", 5) == 0) {
			snprintf(e->ctrl, sizeof(e->ctrl), "%.100s", line + 5);
			got |= 4;
		}
	}
	fclose(f);
	return got == 7 ? 0 : -EINVAL;
}

/* One line to the agent and its one-line answer. */
static int tell_agent(const char *ctrl, const char *line, char *answer, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p;
	ssize_t n;
	int fd, rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctrl);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, CTRL_MS) <= 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	n = read(fd, answer, cap - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	answer[n] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	return strcmp(answer, "ok") == 0 ? 0 : -EIO;
}

static const char *resource(void)
{
	const char *r = getenv("DRBD_RESOURCE");

	return r && smsg_name_ok(r) ? r : NULL;
}

int agent_fence_peer(const char *env_path)
{
	const char *vol = resource();
	struct smsg_fence_req rq = { 0 };
	struct smsg_fence_reply rep = { 0 };
	struct http_conn c;
	struct env e;
	char err[SMSG_ERR_MAX], line[96], answer[128], *body = NULL;
	int rc;

	if (!vol) {
		log_err("fence-peer: no usable DRBD_RESOURCE in the environment");
		return FENCE_OUTDATE_ME;
	}
	rc = read_env(env_path, &e);
	if (rc < 0) {
		log_err("fence-peer %s: cannot read %s: %s; outdating myself", vol, env_path,
			strerror(-rc));
		return FENCE_OUTDATE_ME;
	}
	memcpy(rq.mac, e.mac, MAC_LEN);
	{
		char host[SMSG_NAME_MAX];

		if (gethostname(host, sizeof(host)) < 0 || !smsg_name_ok(host))
			snprintf(host, sizeof(host), "unknown");
		snprintf(rq.node, sizeof(rq.node), "%s", host);
	}
	snprintf(rq.volume, sizeof(rq.volume), "%s", vol);
	http_init(&c);
	if (smsg_fence_req_encode(&rq, &body) == 0) {
		rc = http_run(&c, e.ip, e.port, "POST", "/v1/storage/fence", body, FENCE_HTTP_MS);
		free(body);
		if (rc == 1 && c.status == 200 &&
		    smsg_fence_reply_decode(c.body, c.body_len, &rep, err) == 0 && rep.granted) {
			log_warn("fence-peer %s: granted (%s): going on alone", vol, rep.reason);
			http_close(&c);
			return FENCE_PEER_STONITHED;
		}
		if (rc == 1 && c.status == 200)
			log_warn("fence-peer %s: refused: %s", vol, rep.reason);
		else
			log_warn("fence-peer %s: nimbusd unreachable or refused (%s, status %d)", vol,
				 rc < 0 ? strerror(-rc) : "answered", c.status);
		http_close(&c);
	}
	/* Lost: stop serving before DRBD outdates this copy and thaws the I/O. */
	snprintf(line, sizeof(line), "fence %s\n", vol);
	rc = tell_agent(e.ctrl, line, answer, sizeof(answer));
	if (rc < 0)
		log_err("fence-peer %s: the agent did not confirm the unexport: %s (%s)", vol,
			strerror(-rc), answer);
	return FENCE_OUTDATE_ME;
}

int agent_after_resync(const char *env_path)
{
	const char *vol = resource();
	struct env e;
	char line[96], answer[128] = "";
	int rc;

	if (!vol || read_env(env_path, &e) < 0)
		return 0;
	snprintf(line, sizeof(line), "recheck %s\n", vol);
	rc = tell_agent(e.ctrl, line, answer, sizeof(answer));
	if (rc < 0)
		log_warn("after-resync-target %s: the agent did not answer: %s", vol, strerror(-rc));
	/* DRBD ignores this handler's exit code; 0 either way. */
	return 0;
}
