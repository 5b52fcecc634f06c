/* The report's JSON body, built with jansson (which escapes strings). */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* nimbusd keeps info as an object of printable strings of at most
 * REPORT_INFO_VAL_MAX bytes: numbers and the path list are formatted. */
#define REPORT_INFO_VAL_MAX 255

static void set_str(json_t *info, const char *key, const char *val)
{
	char buf[REPORT_INFO_VAL_MAX + 1];

	snprintf(buf, sizeof(buf), "%s", val);
	json_object_set_new(info, key, json_string(buf));
}

static void set_num(json_t *info, const char *key, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	json_object_set_new(info, key, json_string(buf));
}

/* "TARGET via IFACES" for each path, separated by "; ". */
static void set_paths(json_t *info, const struct hw_report *r)
{
	char buf[REPORT_INFO_VAL_MAX + 1] = "";
	size_t len = 0;

	for (size_t i = 0; i < r->n_paths && len < sizeof(buf); i++) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s via %s", i ? "; " : "",
				 r->paths[i].target, r->paths[i].ifaces[0] ? r->paths[i].ifaces : "?");

		if (n < 0)
			break;
		len += (size_t)n;
	}
	json_object_set_new(info, "aoe_paths", json_string(buf));
	set_num(info, "aoe_path_count", (long)r->n_paths);
}

int report_json(const struct hw_report *r, char **json)
{
	json_t *root = NULL, *nics, *info;
	int ret = -ENOMEM;

	*json = NULL;
	nics = json_array();
	info = json_object();
	if (!nics || !info)
		goto out;
	/* nimbusd takes the NICs as a list of MACs. */
	for (size_t i = 0; i < r->n_nics; i++)
		json_array_append_new(nics, json_string(r->nics[i].mac));

	if (r->node[0])
		set_str(info, "node", r->node);
	set_str(info, "kernel", r->kernel);
	set_num(info, "uptime_s", r->uptime_s);
	set_str(info, "xl_info", r->xl_ok ? "ok" : "failed");
	if (r->xl_ok) {
		set_str(info, "xen_version", r->xl.xen_version);
		set_str(info, "xen_caps", r->xl.xen_caps);
		set_num(info, "total_memory_mb", r->xl.total_memory_mb);
		set_num(info, "free_memory_mb", r->xl.free_memory_mb);
	} else {
		set_str(info, "xl_error", r->xl_error);
	}
	if (r->root[0])
		set_str(info, "aoe_root", r->root);
	set_paths(info, r);

	root = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}",
			 "mac", r->mac, "state", r->state,
			 "cpus", (json_int_t)r->cpus,
			 "memory_mb", (json_int_t)r->memory_mb,
			 "nics", nics, "info", info);
	nics = info = NULL;  /* "o" stole the references */
	if (!root)
		goto out;
	*json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (*json)
		ret = 0;
out:
	json_decref(nics);
	json_decref(info);
	json_decref(root);
	return ret;
}
