/* nimbusd's HTTP/JSON API, without HTTP: a request (method, path, body,
 * where it came from) in, a status and a JSON body out. httpd.c feeds it
 * from libmicrohttpd; the unit tests call api_handle() directly. */
#ifndef NIMBUS_API_H
#define NIMBUS_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "node_state.h"
#include "prov_queue.h"

#define API_REPORT_BODY_MAX (16 * 1024)  /* node reports (TCP) */
#define API_ADMIN_BODY_MAX  (64 * 1024)  /* operator requests (Unix socket) */
#define API_DISCOVERED_MAX  1024         /* bound on unknown machines kept */
#define API_STORAGE_BODY_MAX (256 * 1024) /* a storage node's observed state (TCP):
					   * about 230 bytes per volume, 1024 volumes */

enum api_origin {
	API_ADMIN,   /* the Unix socket: socket permissions decided who */
	API_REPORT,  /* the TCP listener: anyone on the provisioning net */
};

struct api_response;

struct api_request {
	enum api_origin origin;
	const char *method;
	const char *path;
	const char *body;       /* not NUL-terminated; may be NULL */
	size_t body_len;
	uint32_t peer_ip;       /* API_REPORT: source address, host order */
	/* Node changes are answered when their provisioning transaction has
	 * finished: api_handle() then leaves status API_PENDING and calls this
	 * later (possibly before it returns) with the answer, whose body the
	 * callee owns. */
	void (*reply_later)(void *arg, struct api_response *resp);
	void *reply_arg;
};

#define API_PENDING 0

struct api_response {
	int status;             /* API_PENDING: see api_request.reply_later */
	json_t *body;           /* owned; json_decref() after sending */
};

/* Regenerating every file in place (images, roles, start-up), through a
 * pointer so tests can make it fail. */
struct prov_ops {
	int (*write_files)(const struct prov_config *, const struct prov_node *, size_t);
};

extern const struct prov_ops prov_ops_real;

struct api_ctx {
	struct db *db;
	const struct nimbusd_config *cfg;
	const struct prov_ops *prov;
	struct prov_queue *queue;    /* node changes: one transaction at a time */
	int64_t (*now)(void);
	/* Called just before (true) and after (false) the files are rewritten,
	 * so the TFTP watcher can tell nimbusd's own opens from a node's.
	 * May be NULL. */
	void (*around_write)(void *arg, bool before);
	void *around_arg;
	/* Storage agents' long-polls (storage_wait.h) and the monotonic clock
	 * in ms their deadlines use; both NULL: GET /v1/storage/desired is
	 * answered at once. */
	struct storage_wait *swait;
	int64_t (*now_ms)(void);
	/* Signs the hardware nodes' libvirt certificates (tls_ca.h); NULL:
	 * POST /v1/host/certificate is refused (503), saying ca_error. */
	struct tls_ca *ca;
	const char *ca_error;
};

void api_handle(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp);

/* The largest body api_handle() accepts for a request to path from origin
 * (the storage endpoints take more than node reports). */
size_t api_body_max(enum api_origin origin, const char *path);

/* A lifecycle event for the node with this MAC (from the DHCP hook, the
 * TFTP watcher or a report). Returns 0, -ENOENT (no such node), or another
 * negative errno. */
int api_node_event(struct api_ctx *ctx, const uint8_t mac[MAC_LEN],
		   enum node_event ev, const char *detail);

/* Answers the held GET /v1/storage/desired requests whose node's
 * generation grew or whose hold ran out (all of them when flush, for a
 * shutdown); returns how many. api_storage_wait_timeout_ms: until the next
 * hold runs out, -1 for none. */
int api_storage_wait_run(struct api_ctx *ctx, bool flush);
int api_storage_wait_timeout_ms(struct api_ctx *ctx);

/* Marks nodes silent for lost-after seconds as lost; returns how many. */
int api_check_lost(struct api_ctx *ctx);

/* Regenerates every provisioning file from the database (at start-up). */
int api_provision_all(struct api_ctx *ctx);

#endif
