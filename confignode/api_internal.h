/* Helpers shared by the api_*.c resource files; not for other users. */
#ifndef NIMBUS_API_INTERNAL_H
#define NIMBUS_API_INTERNAL_H

#include <stdbool.h>

#include "api.h"

/* Sets an {"error": "..."} response; returns -1 so handlers can
 * `return api_error(...)`. */
int api_error(struct api_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets a JSON response (steals body). Returns 0. */
int api_reply(struct api_response *resp, int status, json_t *body);

/* Parses the body as one JSON object; on failure sets a 400 and returns
 * NULL. */
json_t *api_parse_object(const struct api_request *req, struct api_response *resp);

/* Refuses keys not in allowed (NULL-terminated), naming the first. */
int api_only_keys(json_t *obj, const char *const *allowed, struct api_response *resp);

/* Reads an optional string member: 0 (absent: *out NULL), 1 (present), or
 * -1 after setting a 400 naming the key when it is not a string. Required
 * members: api_get_str(..., true) sets a 400 when absent. */
int api_get_str(json_t *obj, const char *key, bool required, const char **out,
		struct api_response *resp);

/* Resources */
void api_nodes(struct api_ctx *ctx, const struct api_request *req,
	       const char *sub, struct api_response *resp);
void api_discovered(struct api_ctx *ctx, const struct api_request *req,
		    const char *sub, struct api_response *resp);
void api_images(struct api_ctx *ctx, const struct api_request *req,
		const char *sub, struct api_response *resp);
void api_roles(struct api_ctx *ctx, const struct api_request *req,
	       const char *sub, struct api_response *resp);
void api_events(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp);
void api_report(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp);

/* Node <-> provisioning */
int api_node_to_prov(struct api_ctx *ctx, const struct db_node *n,
		     struct prov_node *out, struct api_response *resp);
/* Whether a role can boot an image (hw needs Xen); 409 otherwise. */
int api_image_fits_role(enum node_role role, const struct prov_image *img,
			struct api_response *resp);
/* Every node as provisioning sees it, from the database as it is now
 * (inside or outside a transaction): *list malloc()ed. */
int api_prov_list(struct api_ctx *ctx, struct prov_node **list, size_t *n,
		  struct api_response *resp);
/* Rewrites every file from the database as it is now (inside or outside a
 * transaction), in place (start-up). */
int api_write_all(struct api_ctx *ctx, struct api_response *resp);
/* The answer for a provisioning transaction that failed at a step (its
 * prepare or commit having set no answer of their own). */
/* An image's cmdline may not name as its root (nimbus.root=) a volume
 * being imported or whose import failed: 0, or the 409 given. */
int api_root_check(struct api_ctx *ctx, const char *image, const char *cmdline,
		   struct api_response *resp);
void api_prov_failure(const struct prov_job *job, int rc, struct api_response *resp);

json_t *api_node_json(struct api_ctx *ctx, const struct db_node *n);
const char *api_ip_str(uint32_t ip, char buf[16]);

#endif
