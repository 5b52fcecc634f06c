/* Routing and the helpers every resource uses. */
#include "api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api_internal.h"
#include "api_storage.h"
#include "api_host.h"
#include "log.h"

const struct prov_ops prov_ops_real = {
	.write_files = provision_write_files,
};

int api_error(struct api_response *resp, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!resp)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote what the client sent (and jansson's parse errors quote
	 * the bad bytes, possibly half a UTF-8 sequence); jansson refuses
	 * invalid UTF-8, so keep the message printable ASCII or the client would
	 * get no error body at all. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	json_decref(resp->body);
	resp->status = status;
	resp->body = json_pack("{s:s}", "error", msg);
	return -1;
}

int api_reply(struct api_response *resp, int status, json_t *body)
{
	json_decref(resp->body);
	resp->status = status;
	resp->body = body;
	if (!body)
		return api_error(resp, 500, "out of memory");
	return 0;
}

json_t *api_parse_object(const struct api_request *req, struct api_response *resp)
{
	json_error_t jerr;
	json_t *obj;

	if (!req->body || req->body_len == 0) {
		api_error(resp, 400, "request body is empty: a JSON object is required");
		return NULL;
	}
	/* JSON_REJECT_DUPLICATES: {"mac":A,"mac":B} must not mean either. */
	obj = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		api_error(resp, 400, "bad JSON at line %d column %d: %s", jerr.line,
			  jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		api_error(resp, 400, "request body must be a JSON object");
		return NULL;
	}
	return obj;
}

int api_only_keys(json_t *obj, const char *const *allowed, struct api_response *resp)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (strcmp(key, *a) == 0)
				ok = true;
		if (!ok) {
			char shown[68];

			snprintf(shown, sizeof(shown), "%s", key);
			for (char *p = shown; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
					*p = '?';
			return api_error(resp, 400, "unknown field '%s'", shown);
		}
	}
	return 0;
}

int api_get_str(json_t *obj, const char *key, bool required, const char **out,
		struct api_response *resp)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return api_error(resp, 400, "missing field '%s'", key);
		return 0;
	}
	if (!json_is_string(v))
		return api_error(resp, 400, "field '%s' must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return api_error(resp, 400, "field '%s' contains a NUL character", key);
	*out = json_string_value(v);
	return 1;
}

const char *api_ip_str(uint32_t ip, char buf[16])
{
	ipv4_format(ip, buf);
	return buf;
}

/* "/v1/nodes/web1" with prefix "/v1/nodes" -> sub "web1"; "" for the
 * collection; NULL when the path is not under prefix. */
static const char *under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return "";
	if (path[n] == '/' && path[n + 1] && !strchr(path + n + 1, '/'))
		return path + n + 1;
	return NULL;
}

size_t api_body_max(enum api_origin origin, const char *path)
{
	if (origin != API_REPORT)
		return API_ADMIN_BODY_MAX;
	return strncmp(path, "/v1/storage/", 12) == 0 || strncmp(path, "/v1/host/", 9) == 0 ?
		API_STORAGE_BODY_MAX : API_REPORT_BODY_MAX;
}

void api_handle(struct api_ctx *ctx, const struct api_request *req,
		struct api_response *resp)
{
	const char *sub;
	size_t max = api_body_max(req->origin, req->path);

	resp->status = 500;
	resp->body = NULL;
	if (req->body_len > max) {
		api_error(resp, 413, "request body of %zu bytes is larger than %zu", req->body_len, max);
		return;
	}
	/* The TCP listener is reachable by every machine on the provisioning
	 * network: it accepts reports and nothing else. */
	if (req->origin == API_REPORT) {
		if (strncmp(req->path, "/v1/storage/", 12) == 0)
			api_storage_node(ctx, req, resp); /* storage agents (api_storage_node.c) */
		else if (strncmp(req->path, "/v1/host/", 9) == 0)
			api_host_node(ctx, req, resp); /* hardware-node agents (api_host.c) */
		else if (strcmp(req->path, "/v1/report") != 0)
			api_error(resp, 404, "no such endpoint '%.100s' (only POST /v1/report here)",
				  req->path);
		else if (strcmp(req->method, "POST") != 0)
			api_error(resp, 405, "method %.20s not allowed on /v1/report (POST only)",
				  req->method);
		else
			api_report(ctx, req, resp);
		return;
	}
	if ((sub = under(req->path, "/v1/nodes")))
		api_nodes(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/discovered")))
		api_discovered(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/images")))
		api_images(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/roles")))
		api_roles(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/pairs")))
		api_pairs(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/volumes")))
		api_volumes(ctx, req, sub, resp);
	else if ((sub = under(req->path, "/v1/templates")))
		api_templates(ctx, req, sub, resp);
	else if (strncmp(req->path, "/v1/instances", 13) == 0 &&
		 (req->path[13] == '\0' || req->path[13] == '/'))
		api_instances(ctx, req, req->path[13] ? req->path + 14 : "", resp);
	else if (strcmp(req->path, "/v1/events") == 0)
		api_events(ctx, req, resp);
	else
		api_error(resp, 404, "no such endpoint '%.100s'", req->path);
	if (!resp->body && resp->status != API_PENDING)
		api_error(resp, 500, "out of memory");
}
