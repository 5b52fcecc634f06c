/* Shared by api_pairs.c, api_volumes.c (operators) and api_storage_node.c
 * (storage nodes: /v1/storage/...), defined in api_storage.c; not for other
 * users. */
#ifndef NIMBUS_API_STORAGE_H
#define NIMBUS_API_STORAGE_H

#include "api_internal.h"
#include "db_storage.h"
#include "storage_logic.h"

/* A pair as nimbusd knows it: members, their last observed state (absent
 * when never reported or older than lost-after), volumes and fences. */
struct pair_view {
	struct db_pair p;
	struct smsg_observed obs[2];
	bool fresh[2];              /* obs[i] is current */
	int64_t at[2];              /* when it was observed (0: never) */
	uint64_t gen[2];            /* the desired state's generation */
	struct db_volume *vols;
	size_t n_vols;
	struct db_fence *fences;
	size_t n_fences;
	struct image_root *roots;   /* every image naming an AoE root */
	size_t n_roots;
};

/* A boot image whose command line names an AoE root (nimbus.root=), and
 * the nodes that boot it. */
struct image_root {
	char image[PROV_NAME_MAX];
	struct sl_addr at;
	char nodes[160];            /* comma-separated, ", ..." when cut */
};

/* Every image naming a root: *out malloc()ed. */
int api_image_roots(struct api_ctx *ctx, struct image_root **out, size_t *n);

/* The smaller of the members' free space (0 for one not reporting). */
uint64_t pair_free(const struct pair_view *pv);
/* PAIR and VOLUME as docs/confignode.md gives them; full: with VOLUMEs
 * rather than names. */
json_t *pair_json(const struct pair_view *pv, bool full);
json_t *volume_json(const struct pair_view *pv, const struct db_volume *v);

int pair_view_load(struct api_ctx *ctx, const char *name, struct pair_view *pv);
void pair_view_free(struct pair_view *pv);
/* Both nodes' observation of volume name (NULL where absent or stale). */
void pair_view_have(const struct pair_view *pv, const char *name,
		    const struct smsg_have_volume *h[2]);

/* A 200 {key: [...]} with what add puts in the array for every pair. */
void api_list_pairs(struct api_ctx *ctx, const char *key,
		    void (*add)(const struct pair_view *pv, json_t *arr), struct api_response *resp);

/* One method on a collection (item false: /v1/pairs) or on one of its
 * members (/v1/pairs/NAME, the NAME in sub). */
#define API_UNUSED __attribute__((unused))  /* a route that needs less */
typedef void (*api_route_fn)(struct api_ctx *ctx, const struct api_request *req,
			     const char *sub, struct api_response *resp);
struct api_route {
	bool item;
	const char *method;
	api_route_fn fn;
};

/* Runs the route of routes (n) that matches, or answers 405 naming what
 * is allowed (allowed: "GET, POST on /v1/pairs; ..."). */
void api_route(struct api_ctx *ctx, const struct api_request *req, const char *sub,
	       const struct api_route *routes, size_t n, const char *allowed,
	       struct api_response *resp);

/* The operators' resources (admin socket): api_pairs.c, api_volumes.c. */
void api_pairs(struct api_ctx *ctx, const struct api_request *req, const char *sub,
	       struct api_response *resp);
void api_volumes(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		 struct api_response *resp);

/* The node endpoints on the report listener (GET desired, POST observed,
 * POST fence); path under /v1/storage/. */
void api_storage_node(struct api_ctx *ctx, const struct api_request *req,
		      struct api_response *resp);

/* The node of role with this MAC, sending from its own address (the rule
 * for every agent endpoint); 0, or -1 with the refusal in resp. */
int api_agent_auth(struct api_ctx *ctx, const struct api_request *req, const uint8_t mac[MAC_LEN],
		   enum node_role role, struct db_node *n, struct api_response *resp);
/* The name a message gives must be the authenticated node's: 0, or -1
 * with a 403 in resp. */
int api_agent_same_node(const struct db_node *n, const char *claimed, struct api_response *resp);
/* An agent's observed state (text, re-encoded) stored for node, then what
 * it settles (after, in the same transaction), answered with the node's
 * generation and the one it applied. */
typedef int (*api_after_fn)(struct api_ctx *ctx, const char *node, int64_t now, void *arg);
void api_agent_record(struct api_ctx *ctx, const char *node, const char *text, uint64_t applied,
		      api_after_fn after, void *arg, struct api_response *resp);
/* GET .../desired/MAC[/GEN] for an agent of role: answered by reply at once,
 * or held while the node's generation is still GEN. */
typedef void (*api_desired_fn)(struct api_ctx *ctx, const struct db_node *n,
			       struct api_response *resp);
void api_agent_get_desired(struct api_ctx *ctx, const struct api_request *req, const char *arg,
			   enum node_role role, api_desired_fn reply, struct api_response *resp);
/* An agent's GET of its desired state held until its generation grows past
 * have (storage_wait.h): 0 with resp pending, or -EAGAIN when it cannot be
 * held (no long-polls, too many): answer at once. */
int api_agent_hold(struct api_ctx *ctx, const struct api_request *req, const struct db_node *n,
		   uint64_t have, struct api_response *resp);

/* The hardware nodes' endpoints (api_host.c): path under /v1/host/, and
 * the desired state of a hardware node as a reply. */
void api_host_node(struct api_ctx *ctx, const struct api_request *req,
		   struct api_response *resp);
void api_host_reply_desired(struct api_ctx *ctx, const struct db_node *n,
			    struct api_response *resp);

#endif
