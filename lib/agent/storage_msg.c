/* The storage agent's messages as JSON (jansson). Decoders go field by
 * field through one set of helpers, so every refusal names its field in
 * the same form ("volumes[3].shelf: ..."). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage_msg.h"

/* --- words ------------------------------------------------------------------ */

static const char *const disk_state_names[] = {
	[SMSG_DISK_CLAIMED] = "claimed", [SMSG_DISK_BLANK] = "blank",
	[SMSG_DISK_FOREIGN] = "foreign",
};
static const char *const role_names[] = {
	[SMSG_ROLE_UNKNOWN] = "Unknown", [SMSG_ROLE_PRIMARY] = "Primary",
	[SMSG_ROLE_SECONDARY] = "Secondary",
};
static const char *const dsk_names[] = {
	[SMSG_DSK_DISKLESS] = "Diskless", [SMSG_DSK_ATTACHING] = "Attaching",
	[SMSG_DSK_FAILED] = "Failed", [SMSG_DSK_NEGOTIATING] = "Negotiating",
	[SMSG_DSK_INCONSISTENT] = "Inconsistent", [SMSG_DSK_OUTDATED] = "Outdated",
	[SMSG_DSK_DUNKNOWN] = "DUnknown", [SMSG_DSK_CONSISTENT] = "Consistent",
	[SMSG_DSK_UPTODATE] = "UpToDate",
};
static const char *const conn_names[] = {
	[SMSG_CONN_STANDALONE] = "StandAlone", [SMSG_CONN_DISCONNECTING] = "Disconnecting",
	[SMSG_CONN_UNCONNECTED] = "Unconnected", [SMSG_CONN_TIMEOUT] = "Timeout",
	[SMSG_CONN_BROKENPIPE] = "BrokenPipe", [SMSG_CONN_NETWORKFAILURE] = "NetworkFailure",
	[SMSG_CONN_PROTOCOLERROR] = "ProtocolError", [SMSG_CONN_TEARDOWN] = "TearDown",
	[SMSG_CONN_WFCONNECTION] = "WFConnection", [SMSG_CONN_WFREPORTPARAMS] = "WFReportParams",
	[SMSG_CONN_CONNECTED] = "Connected", [SMSG_CONN_STARTINGSYNCS] = "StartingSyncS",
	[SMSG_CONN_STARTINGSYNCT] = "StartingSyncT", [SMSG_CONN_WFBITMAPS] = "WFBitMapS",
	[SMSG_CONN_WFBITMAPT] = "WFBitMapT", [SMSG_CONN_WFSYNCUUID] = "WFSyncUUID",
	[SMSG_CONN_SYNCSOURCE] = "SyncSource", [SMSG_CONN_SYNCTARGET] = "SyncTarget",
	[SMSG_CONN_PAUSEDSYNCS] = "PausedSyncS", [SMSG_CONN_PAUSEDSYNCT] = "PausedSyncT",
	[SMSG_CONN_VERIFYS] = "VerifyS", [SMSG_CONN_VERIFYT] = "VerifyT",
};
static const char *const kind_names[] = {
	[SMSG_VOLUME_PLAIN] = "volume", [SMSG_VOLUME_SNAPSHOT] = "snapshot",
	[SMSG_VOLUME_CLONE] = "clone",
};

#define NWORDS(t) (sizeof(t) / sizeof((t)[0]))

static const char *word(const char *const *t, size_t n, unsigned i)
{
	return i < n ? t[i] : NULL;
}

static int word_parse(const char *const *t, size_t n, const char *s, unsigned *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i], s) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	return -EINVAL;
}

const char *smsg_disk_state_name(enum smsg_disk_state s)
{
	return word(disk_state_names, NWORDS(disk_state_names), s);
}
const char *smsg_role_name(enum smsg_drbd_role r)
{
	return word(role_names, NWORDS(role_names), r);
}
const char *smsg_dsk_name(enum smsg_drbd_disk d)
{
	return word(dsk_names, NWORDS(dsk_names), d);
}
const char *smsg_conn_name(enum smsg_drbd_conn c)
{
	return word(conn_names, NWORDS(conn_names), c);
}
const char *smsg_volume_kind_name(enum smsg_volume_kind k)
{
	return word(kind_names, NWORDS(kind_names), k);
}

bool smsg_kind_replicated(enum smsg_volume_kind k)
{
	return k == SMSG_VOLUME_PLAIN || k == SMSG_VOLUME_CLONE;
}

#define DEFINE_PARSE(fn, type, table)                                  \
	int fn(const char *s, type *out)                               \
	{                                                              \
		unsigned v;                                            \
		if (word_parse(table, NWORDS(table), s, &v) < 0)       \
			return -EINVAL;                                \
		*out = (type)v;                                        \
		return 0;                                              \
	}
DEFINE_PARSE(smsg_role_parse, enum smsg_drbd_role, role_names)
DEFINE_PARSE(smsg_dsk_parse, enum smsg_drbd_disk, dsk_names)
DEFINE_PARSE(smsg_conn_parse, enum smsg_drbd_conn, conn_names)
DEFINE_PARSE(smsg_volume_kind_parse, enum smsg_volume_kind, kind_names)

/* --- the rules for strings ---------------------------------------------------- */

bool smsg_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Free text for an operator: no control characters (so it cannot forge a
 * log line), UTF-8 above 0x7f as jansson already checked. */
static bool text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A DRBD resource file: text lines, tabs allowed. */
static bool resource_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static bool dev_ok(const char *s)
{
	if (strncmp(s, "/dev/", 5) != 0 || strstr(s, ".."))
		return false;
	for (s += 5; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '/' || c == '.'))
			return false;
	}
	return true;
}

/* --- decoding helpers ---------------------------------------------------------- */

/* snprintf that may cut: messages longer than SMSG_ERR_MAX are cut on
 * purpose, and vsnprintf keeps gcc from warning about it. */
__attribute__((format(printf, 2, 3)))
static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, SMSG_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* A decoder's position, for messages like "volumes[2].name". */
struct dec {
	char *err;
	char where[64];
};

__attribute__((format(printf, 3, 4)))
static int bad(struct dec *d, const char *key, const char *fmt, ...)
{
	char msg[SMSG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(d->err, "%s%s%s: %s", d->where, d->where[0] && key ? "." : "",
		 key ? key : "", msg);
	return -EINVAL;
}

static int get_str(struct dec *d, json_t *obj, const char *key, char *out, size_t max,
		   bool required, bool (*ok)(const char *))
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	out[0] = '\0';
	if (!v) {
		if (required)
			return bad(d, key, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return bad(d, key, "not a string");
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s))
		return bad(d, key, "contains a NUL byte");
	if (strlen(s) >= max)
		return bad(d, key, "longer than %zu bytes", max - 1);
	if (ok && s[0] && !ok(s)) {
		char shown[41];
		size_t i;

		/* the refused value goes into logs: never its control characters */
		for (i = 0; s[i] && i < sizeof(shown) - 1; i++)
			shown[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
		shown[i] = '\0';
		return bad(d, key, "'%s' has characters or a form not allowed here", shown);
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int get_name(struct dec *d, json_t *obj, const char *key, char *out, bool required)
{
	int rc = get_str(d, obj, key, out, SMSG_NAME_MAX, required, smsg_name_ok);

	if (rc == 0 && required && !out[0])
		return bad(d, key, "empty");
	return rc;
}

static int get_u64(struct dec *d, json_t *obj, const char *key, uint64_t max,
		   uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (!v)
		return bad(d, key, "missing");
	if (!json_is_integer(v))
		return bad(d, key, "not an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return bad(d, key, "%lld is out of range 0..%llu", (long long)i,
			   (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int get_bool(struct dec *d, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return bad(d, key, "missing");
	if (!json_is_boolean(v))
		return bad(d, key, "not true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_addr(struct dec *d, json_t *obj, const char *key, struct in_addr *out)
{
	char s[INET_ADDRSTRLEN];
	int rc = get_str(d, obj, key, s, sizeof(s), true, NULL);

	if (rc < 0)
		return rc;
	if (inet_pton(AF_INET, s, out) != 1)
		return bad(d, key, "'%s' is not an IPv4 address", s);
	return 0;
}

static int get_mac(struct dec *d, json_t *obj, const char *key, uint8_t mac[MAC_LEN])
{
	char s[MAC_STR_LEN + 8];
	int rc = get_str(d, obj, key, s, sizeof(s), true, NULL);

	if (rc < 0)
		return rc;
	if (mac_parse(s, mac) < 0 || !mac_is_unicast(mac))
		return bad(d, key, "'%s' is not a unicast MAC address", s);
	return 0;
}

static int get_word(struct dec *d, json_t *obj, const char *key, const char *const *t,
		    size_t n, unsigned *out)
{
	char s[32];
	int rc = get_str(d, obj, key, s, sizeof(s), true, NULL);

	if (rc < 0)
		return rc;
	if (word_parse(t, n, s, out) < 0)
		return bad(d, key, "'%s' is not one of the known states", s);
	return 0;
}

/* obj[key] as an array of at most max entries. */
static int get_array(struct dec *d, json_t *obj, const char *key, size_t max, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return bad(d, key, "missing");
	if (!json_is_array(v))
		return bad(d, key, "not an array");
	if (json_array_size(v) > max)
		return bad(d, key, "%zu entries, at most %zu", json_array_size(v), max);
	*out = v;
	return 0;
}

static int load(struct dec *d, const char *text, size_t len, json_t **root)
{
	json_error_t je;

	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		set_err(d->err, "not JSON: %s (line %d)", je.text, je.line);
		return -EINVAL;
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		set_err(d->err, "not a JSON object");
		return -EINVAL;
	}
	return 0;
}

static void enter(struct dec *d, const char *key, size_t i)
{
	snprintf(d->where, sizeof(d->where), "%s[%zu]", key, i);
}

/* Decodes each entry of arr (already checked to be an array within its
 * bound) with fn into base (entries of size bytes; allocated into *heap
 * when base is NULL), counting the decoded ones in *n so a _free after a
 * failure releases what was made. */
typedef int (*entry_decoder)(struct dec *d, json_t *o, void *entry);

static int decode_entries(struct dec *d, json_t *arr, const char *key, void *base,
			  void **heap, size_t size, size_t *n, entry_decoder fn)
{
	size_t count = json_array_size(arr);
	int rc;

	if (!base && count) {
		*heap = calloc(count, size);
		if (!*heap)
			return -ENOMEM;
		base = *heap;
	}
	for (size_t i = 0; i < count; i++) {
		enter(d, key, i);
		rc = fn(d, json_array_get(arr, i), (char *)base + i * size);
		if (rc < 0)
			return rc;
		*n = i + 1;
	}
	return 0;
}

/* --- encoding helpers ------------------------------------------------------------ */

static int dump(json_t *root, char **json)
{
	if (!root)
		return -ENOMEM;
	*json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return *json ? 0 : -ENOMEM;
}

static json_t *jmac(const uint8_t mac[MAC_LEN])
{
	char s[MAC_STR_LEN];

	mac_format(mac, s);
	return json_string(s);
}

static json_t *jaddr(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return json_string(s);
}

/* Appends v (which may be NULL after a failed json_pack) to a; on any
 * failure a is released and set to NULL, so the caller checks once. */
static void append(json_t **a, json_t *v)
{
	if (!*a || !v || json_array_append_new(*a, v) < 0) {
		/* json_array_append_new released v already when it failed */
		if (!*a)
			json_decref(v);
		json_decref(*a);
		*a = NULL;
	}
}

/* json_pack with "I" takes json_int_t; sizes above INT64_MAX cannot be
 * sent, and the decoders refuse them too. */
#define JI(x) ((json_int_t)(x))

/* --- desired ---------------------------------------------------------------------- */

static int want_volume_check(const struct smsg_want_volume *v)
{
	if (!smsg_name_ok(v->name) || v->kind > SMSG_VOLUME_CLONE ||
	    v->size_bytes == 0 || v->size_bytes % 512 || v->size_bytes > INT64_MAX ||
	    v->shelf > SMSG_SHELF_MAX || v->slot > SMSG_SLOT_MAX || v->minor > SMSG_MINOR_MAX ||
	    !resource_ok(v->resource))
		return -EINVAL;
	/* a snapshot and a clone name their origin, a plain volume has none */
	if (v->kind != SMSG_VOLUME_PLAIN ? !smsg_name_ok(v->origin) : v->origin[0] != '\0')
		return -EINVAL;
	if (smsg_kind_replicated(v->kind) && (!v->resource[0] || v->port == 0))
		return -EINVAL;
	return 0;
}

int smsg_desired_encode(const struct smsg_desired *d, char **json)
{
	json_t *root, *vols;

	*json = NULL;
	if (!smsg_name_ok(d->node) || d->generation > INT64_MAX ||
	    (d->pair[0] && (!smsg_name_ok(d->pair) || !smsg_name_ok(d->peer))) ||
	    (!d->pair[0] && d->n_volumes) || d->n_volumes > SMSG_MAX_VOLUMES)
		return -EINVAL;
	for (size_t i = 0; i < d->n_volumes; i++)
		if (want_volume_check(&d->volumes[i]) < 0)
			return -EINVAL;
	vols = json_array();
	for (size_t i = 0; vols && i < d->n_volumes; i++) {
		const struct smsg_want_volume *v = &d->volumes[i];

		append(&vols, json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:I, s:i, s:b, s:s}",
			"name", v->name, "kind", kind_names[v->kind], "origin", v->origin,
			"size_bytes", JI(v->size_bytes), "shelf", (int)v->shelf, "slot", (int)v->slot,
			"minor", JI(v->minor), "port", (int)v->port, "export", (int)v->export,
			"resource", v->resource));
	}
	if (!vols)
		return -ENOMEM;
	if (!d->pair[0])
		root = json_pack("{s:s, s:I, s:n, s:o}", "node", d->node, "generation",
				 JI(d->generation), "pair", "volumes", vols);
	else
		root = json_pack("{s:s, s:I, s:{s:s, s:s, s:o, s:o}, s:o}", "node", d->node,
				 "generation", JI(d->generation), "pair", "name", d->pair,
				 "peer", d->peer, "repl_self", jaddr(d->repl_self),
				 "repl_peer", jaddr(d->repl_peer), "volumes", vols);
	return dump(root, json);
}

static int want_volume_decode(struct dec *d, json_t *o, void *entry)
{
	struct smsg_want_volume *v = entry;
	uint64_t u;
	unsigned k;
	int rc;

	if (!json_is_object(o))
		return bad(d, NULL, "not an object");
	if ((rc = get_name(d, o, "name", v->name, true)) < 0 ||
	    (rc = get_word(d, o, "kind", kind_names, NWORDS(kind_names), &k)) < 0)
		return rc;
	v->kind = (enum smsg_volume_kind)k;
	if ((rc = get_name(d, o, "origin", v->origin, false)) < 0)
		return rc;
	if (v->kind == SMSG_VOLUME_SNAPSHOT && !v->origin[0])
		return bad(d, "origin", "a snapshot needs the volume it froze");
	if (v->kind == SMSG_VOLUME_CLONE && !v->origin[0])
		return bad(d, "origin", "a clone needs the volume it copies");
	if (v->kind == SMSG_VOLUME_PLAIN && v->origin[0])
		return bad(d, "origin", "only a snapshot or a clone has one");
	if ((rc = get_u64(d, o, "size_bytes", INT64_MAX, &v->size_bytes)) < 0)
		return rc;
	if (v->size_bytes == 0 || v->size_bytes % 512)
		return bad(d, "size_bytes", "%llu is not a positive multiple of 512",
			   (unsigned long long)v->size_bytes);
	if ((rc = get_u64(d, o, "shelf", SMSG_SHELF_MAX, &u)) < 0)
		return rc;
	v->shelf = (uint16_t)u;
	if ((rc = get_u64(d, o, "slot", SMSG_SLOT_MAX, &u)) < 0)
		return rc;
	v->slot = (uint8_t)u;
	if ((rc = get_u64(d, o, "minor", SMSG_MINOR_MAX, &u)) < 0)
		return rc;
	v->minor = (uint32_t)u;
	if ((rc = get_u64(d, o, "port", 65535, &u)) < 0)
		return rc;
	v->port = (uint16_t)u;
	if ((rc = get_bool(d, o, "export", &v->export)) < 0 ||
	    (rc = get_str(d, o, "resource", v->resource, SMSG_RESOURCE_MAX, true, resource_ok)) < 0)
		return rc;
	if (smsg_kind_replicated(v->kind) && (!v->resource[0] || v->port == 0))
		return bad(d, v->port ? "resource" : "port", "a replicated volume needs one");
	return 0;
}

int smsg_desired_decode(const char *text, size_t len, struct smsg_desired *out,
			char err[SMSG_ERR_MAX])
{
	struct dec d = { .err = err };
	json_t *root, *pair, *vols;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((rc = load(&d, text, len, &root)) < 0)
		return rc;
	if ((rc = get_name(&d, root, "node", out->node, true)) < 0 ||
	    (rc = get_u64(&d, root, "generation", INT64_MAX, &out->generation)) < 0)
		goto out;
	pair = json_object_get(root, "pair");
	if (!pair) {
		rc = bad(&d, "pair", "missing (null when the node is in no pair)");
		goto out;
	}
	if (!json_is_null(pair)) {
		if (!json_is_object(pair)) {
			rc = bad(&d, "pair", "not an object or null");
			goto out;
		}
		snprintf(d.where, sizeof(d.where), "pair");
		if ((rc = get_name(&d, pair, "name", out->pair, true)) < 0 ||
		    (rc = get_name(&d, pair, "peer", out->peer, true)) < 0 ||
		    (rc = get_addr(&d, pair, "repl_self", &out->repl_self)) < 0 ||
		    (rc = get_addr(&d, pair, "repl_peer", &out->repl_peer)) < 0)
			goto out;
		d.where[0] = '\0';
	}
	if ((rc = get_array(&d, root, "volumes", SMSG_MAX_VOLUMES, &vols)) < 0)
		goto out;
	if (!out->pair[0] && json_array_size(vols)) {
		rc = bad(&d, "volumes", "a node in no pair has none");
		goto out;
	}
	rc = decode_entries(&d, vols, "volumes", NULL, (void **)&out->volumes,
			    sizeof(*out->volumes), &out->n_volumes, want_volume_decode);
out:
	json_decref(root);
	return rc;
}

void smsg_desired_free(struct smsg_desired *d)
{
	free(d->volumes);
	d->volumes = NULL;
	d->n_volumes = 0;
}

/* --- observed ----------------------------------------------------------------- */

static int have_volume_check(const struct smsg_have_volume *v)
{
	if (!smsg_name_ok(v->name) || v->size_bytes > INT64_MAX || !text_ok(v->error) ||
	    !smsg_role_name(v->role) || !smsg_role_name(v->peer_role) ||
	    !smsg_dsk_name(v->disk) || !smsg_dsk_name(v->peer_disk) || !smsg_conn_name(v->conn) ||
	    !(v->sync_percent >= 0.0 && v->sync_percent <= 100.0) || v->sync_eta_s < -1)
		return -EINVAL;
	return 0;
}

int smsg_observed_encode(const struct smsg_observed *o, char **json)
{
	json_t *root, *disks, *vols;

	*json = NULL;
	if (!mac_is_unicast(o->mac) || !smsg_name_ok(o->node) || o->generation > INT64_MAX ||
	    o->vg_size > INT64_MAX || o->vg_free > INT64_MAX || o->pool_size > INT64_MAX ||
	    o->pool_used > INT64_MAX || o->n_disks > SMSG_MAX_DISKS ||
	    o->n_volumes > SMSG_MAX_VOLUMES)
		return -EINVAL;
	for (size_t i = 0; i < o->n_disks; i++) {
		const struct smsg_disk *k = &o->disks[i];

		if (!dev_ok(k->dev) || !smsg_disk_state_name(k->state) || !text_ok(k->detail) ||
		    k->size_bytes > INT64_MAX)
			return -EINVAL;
	}
	for (size_t i = 0; i < o->n_volumes; i++)
		if (have_volume_check(&o->volumes[i]) < 0)
			return -EINVAL;
	disks = json_array();
	vols = json_array();
	for (size_t i = 0; disks && i < o->n_disks; i++) {
		const struct smsg_disk *k = &o->disks[i];

		append(&disks, json_pack("{s:s, s:s, s:I, s:s}", "dev", k->dev,
			"state", smsg_disk_state_name(k->state), "size_bytes", JI(k->size_bytes),
			"detail", k->detail));
	}
	for (size_t i = 0; vols && i < o->n_volumes; i++) {
		const struct smsg_have_volume *v = &o->volumes[i];

		append(&vols, json_pack(
			"{s:s, s:b, s:I, s:b, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:b, s:s}",
			"name", v->name, "lv", (int)v->lv, "size_bytes", JI(v->size_bytes),
			"drbd", (int)v->drbd, "role", smsg_role_name(v->role),
			"peer_role", smsg_role_name(v->peer_role), "disk", smsg_dsk_name(v->disk),
			"peer_disk", smsg_dsk_name(v->peer_disk), "conn", smsg_conn_name(v->conn),
			"sync_percent", v->sync_percent, "sync_eta_s", JI(v->sync_eta_s),
			"exported", (int)v->exported, "error", v->error));
	}
	if (!disks || !vols) {
		json_decref(disks);
		json_decref(vols);
		return -ENOMEM;
	}
	root = json_pack("{s:o, s:s, s:I, s:b, s:I, s:I, s:I, s:I, s:o, s:o}", "mac", jmac(o->mac),
			 "node", o->node, "generation", JI(o->generation), "vg", (int)o->vg,
			 "vg_size", JI(o->vg_size), "vg_free", JI(o->vg_free),
			 "pool_size", JI(o->pool_size), "pool_used", JI(o->pool_used),
			 "disks", disks, "volumes", vols);
	return dump(root, json);
}

static int disk_decode(struct dec *d, json_t *o, void *entry)
{
	struct smsg_disk *k = entry;
	unsigned s;
	int rc;

	if (!json_is_object(o))
		return bad(d, NULL, "not an object");
	if ((rc = get_str(d, o, "dev", k->dev, SMSG_DEV_MAX, true, dev_ok)) < 0)
		return rc;
	if (!k->dev[0])
		return bad(d, "dev", "empty");
	if ((rc = get_word(d, o, "state", disk_state_names, NWORDS(disk_state_names), &s)) < 0)
		return rc;
	k->state = (enum smsg_disk_state)s;
	if ((rc = get_u64(d, o, "size_bytes", INT64_MAX, &k->size_bytes)) < 0)
		return rc;
	return get_str(d, o, "detail", k->detail, SMSG_DETAIL_MAX, false, text_ok);
}

static int have_volume_decode(struct dec *d, json_t *o, void *entry)
{
	struct smsg_have_volume *v = entry;
	json_t *p, *e;
	unsigned w;
	int rc;

	if (!json_is_object(o))
		return bad(d, NULL, "not an object");
	if ((rc = get_name(d, o, "name", v->name, true)) < 0 ||
	    (rc = get_bool(d, o, "lv", &v->lv)) < 0 ||
	    (rc = get_u64(d, o, "size_bytes", INT64_MAX, &v->size_bytes)) < 0 ||
	    (rc = get_bool(d, o, "drbd", &v->drbd)) < 0)
		return rc;
	if ((rc = get_word(d, o, "role", role_names, NWORDS(role_names), &w)) < 0)
		return rc;
	v->role = (enum smsg_drbd_role)w;
	if ((rc = get_word(d, o, "peer_role", role_names, NWORDS(role_names), &w)) < 0)
		return rc;
	v->peer_role = (enum smsg_drbd_role)w;
	if ((rc = get_word(d, o, "disk", dsk_names, NWORDS(dsk_names), &w)) < 0)
		return rc;
	v->disk = (enum smsg_drbd_disk)w;
	if ((rc = get_word(d, o, "peer_disk", dsk_names, NWORDS(dsk_names), &w)) < 0)
		return rc;
	v->peer_disk = (enum smsg_drbd_disk)w;
	if ((rc = get_word(d, o, "conn", conn_names, NWORDS(conn_names), &w)) < 0)
		return rc;
	v->conn = (enum smsg_drbd_conn)w;
	p = json_object_get(o, "sync_percent");
	if (!p || !json_is_number(p))
		return bad(d, "sync_percent", p ? "not a number" : "missing");
	v->sync_percent = json_number_value(p);
	if (!(v->sync_percent >= 0.0 && v->sync_percent <= 100.0))
		return bad(d, "sync_percent", "out of range 0..100");
	e = json_object_get(o, "sync_eta_s");
	if (!e || !json_is_integer(e))
		return bad(d, "sync_eta_s", e ? "not an integer" : "missing");
	v->sync_eta_s = json_integer_value(e);
	if (v->sync_eta_s < -1)
		return bad(d, "sync_eta_s", "below -1 (unknown)");
	if ((rc = get_bool(d, o, "exported", &v->exported)) < 0)
		return rc;
	return get_str(d, o, "error", v->error, SMSG_DETAIL_MAX, false, text_ok);
}

int smsg_observed_decode(const char *text, size_t len, struct smsg_observed *out,
			 char err[SMSG_ERR_MAX])
{
	struct dec d = { .err = err };
	json_t *root, *disks, *vols;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((rc = load(&d, text, len, &root)) < 0)
		return rc;
	if ((rc = get_mac(&d, root, "mac", out->mac)) < 0 ||
	    (rc = get_name(&d, root, "node", out->node, true)) < 0 ||
	    (rc = get_u64(&d, root, "generation", INT64_MAX, &out->generation)) < 0 ||
	    (rc = get_bool(&d, root, "vg", &out->vg)) < 0 ||
	    (rc = get_u64(&d, root, "vg_size", INT64_MAX, &out->vg_size)) < 0 ||
	    (rc = get_u64(&d, root, "vg_free", INT64_MAX, &out->vg_free)) < 0 ||
	    (rc = get_u64(&d, root, "pool_size", INT64_MAX, &out->pool_size)) < 0 ||
	    (rc = get_u64(&d, root, "pool_used", INT64_MAX, &out->pool_used)) < 0)
		goto out;
	if (out->vg_free > out->vg_size) {
		rc = bad(&d, "vg_free", "larger than vg_size");
		goto out;
	}
	if ((rc = get_array(&d, root, "disks", SMSG_MAX_DISKS, &disks)) < 0 ||
	    (rc = get_array(&d, root, "volumes", SMSG_MAX_VOLUMES, &vols)) < 0)
		goto out;
	rc = decode_entries(&d, disks, "disks", out->disks, NULL, sizeof(out->disks[0]),
			    &out->n_disks, disk_decode);
	if (rc == 0)
		rc = decode_entries(&d, vols, "volumes", NULL, (void **)&out->volumes,
				    sizeof(*out->volumes), &out->n_volumes, have_volume_decode);
out:
	json_decref(root);
	return rc;
}

void smsg_observed_free(struct smsg_observed *o)
{
	free(o->volumes);
	o->volumes = NULL;
	o->n_volumes = 0;
}

/* --- fence ---------------------------------------------------------------------- */

int smsg_fence_req_encode(const struct smsg_fence_req *r, char **json)
{
	*json = NULL;
	if (!mac_is_unicast(r->mac) || !smsg_name_ok(r->node) || !smsg_name_ok(r->volume))
		return -EINVAL;
	return dump(json_pack("{s:o, s:s, s:s}", "mac", jmac(r->mac), "node", r->node,
			      "volume", r->volume), json);
}

int smsg_fence_req_decode(const char *text, size_t len, struct smsg_fence_req *out,
			  char err[SMSG_ERR_MAX])
{
	struct dec d = { .err = err };
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((rc = load(&d, text, len, &root)) < 0)
		return rc;
	if ((rc = get_mac(&d, root, "mac", out->mac)) == 0 &&
	    (rc = get_name(&d, root, "node", out->node, true)) == 0)
		rc = get_name(&d, root, "volume", out->volume, true);
	json_decref(root);
	return rc;
}

int smsg_fence_reply_encode(const struct smsg_fence_reply *r, char **json)
{
	*json = NULL;
	if (!text_ok(r->reason))
		return -EINVAL;
	return dump(json_pack("{s:b, s:s}", "granted", (int)r->granted, "reason", r->reason),
		    json);
}

int smsg_fence_reply_decode(const char *text, size_t len, struct smsg_fence_reply *out,
			    char err[SMSG_ERR_MAX])
{
	struct dec d = { .err = err };
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((rc = load(&d, text, len, &root)) < 0)
		return rc;
	if ((rc = get_bool(&d, root, "granted", &out->granted)) == 0)
		rc = get_str(&d, root, "reason", out->reason, SMSG_DETAIL_MAX, false, text_ok);
	json_decref(root);
	return rc;
}
