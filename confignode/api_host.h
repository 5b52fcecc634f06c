/* Shared by api_host.c (the hardware nodes' endpoints) and api_instances.c
 * (templates and instances, for operators); not for other users. */
#ifndef NIMBUS_API_HOST_H
#define NIMBUS_API_HOST_H

#include <stdbool.h>

#include "api_storage.h"
#include "db_instance.h"
#include "host_logic.h"

/* A hardware node as nimbusd knows it: the node, the generation of its
 * desired state and its agent's last observed state (fresh: newer than
 * lost-after). */
struct host_view {
	struct db_node n;
	uint64_t gen;
	struct hmsg_observed obs;
	bool have_obs, fresh;
	int64_t at;
};

int host_view_load(struct api_ctx *ctx, const struct db_node *n, struct host_view *hv);
void host_view_free(struct host_view *hv);
/* Every hardware node, by name: *out malloc()ed. */
int host_views_all(struct api_ctx *ctx, struct host_view **out, size_t *n);
void host_views_free(struct host_view *hv, size_t n);
/* Whether instances can run there now; why not (static text) otherwise. */
bool host_usable(const struct host_view *hv, const char **why);

/* A hardware node's agent as `node show` gives it: reporting, what it
 * observed (libvirt, Xen, memory, instbr0, its domains), whether instances
 * can run there and why not. */
json_t *api_host_json(struct api_ctx *ctx, const struct db_node *n);

/* Every instance with what the desired state needs (host_logic.h). */
struct host_insts {
	struct db_instance *insts;
	size_t n;
	struct db_migration *migs;
	size_t n_migs;
	struct hl_inst *hl;            /* n entries, one per instance */
};

int host_insts_load(struct api_ctx *ctx, struct host_insts *hi);
void host_insts_free(struct host_insts *hi);

/* The operators' /v1/templates and /v1/instances (admin socket). */
void api_templates(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		   struct api_response *resp);
void api_instances(struct api_ctx *ctx, const struct api_request *req, const char *sub,
		   struct api_response *resp);

#endif
