/* The hardware-node agent's messages as JSON (jansson).
 *
 * storage_msg.c walks each message by hand; here every struct is described
 * once, by a table of its fields (the JSON key is the member's name, then
 * its type, range and text rule), and one walker decodes, checks and
 * encodes them all. The encoder runs the very checks the decoder runs, on
 * the same table, so the two cannot drift apart ("nothing invalid leaves
 * either end"). What a table cannot say - a field that depends on another,
 * duplicates across entries - is a shape's rules function, which both
 * directions run too. Every refusal names its field the same way:
 * "instances[1].memory_mib: 70000000 is out of range 128..16777216". */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_msg.h"

/* Limits the header gives only in comments. */
#define MEMORY_MIN_MIB   128u    /* gen_domain's GEN_DOMAIN_MEMORY_MIN_MIB */
#define STOP_TIMEOUT_MAX 3600u   /* an hour: longer is a hung guest */

/* --- words ------------------------------------------------------------------ */

static const char *const want_state_names[] = {
	[HMSG_WANT_RUNNING] = "running", [HMSG_WANT_STOPPED] = "stopped",
	[HMSG_WANT_INCOMING] = "incoming", [HMSG_WANT_ABSENT] = "absent",
};
static const char *const stop_mode_names[] = {
	[HMSG_STOP_SHUTDOWN] = "shutdown", [HMSG_STOP_DESTROY] = "destroy",
};
static const char *const dom_state_names[] = {
	[HMSG_DOM_NOSTATE] = "nostate", [HMSG_DOM_RUNNING] = "running",
	[HMSG_DOM_BLOCKED] = "blocked", [HMSG_DOM_PAUSED] = "paused",
	[HMSG_DOM_SHUTDOWN] = "shutdown", [HMSG_DOM_SHUTOFF] = "shutoff",
	[HMSG_DOM_CRASHED] = "crashed", [HMSG_DOM_PMSUSPENDED] = "pmsuspended",
};
static const char *const mig_phase_names[] = {
	[HMSG_MIG_STARTING] = "starting", [HMSG_MIG_TRANSFER] = "transfer",
	[HMSG_MIG_DONE] = "done", [HMSG_MIG_FAILED] = "failed",
};

/* What `virsh domstate` prints where it differs from the names above. */
static const struct {
	const char *word;
	enum hmsg_dom_state state;
} virsh_words[] = {
	{ "no state", HMSG_DOM_NOSTATE }, { "idle", HMSG_DOM_BLOCKED },
	{ "in shutdown", HMSG_DOM_SHUTDOWN }, { "shut off", HMSG_DOM_SHUTOFF },
};

#define NWORDS(t) (sizeof(t) / sizeof((t)[0]))

static const char *word_at(const char *const *t, size_t n, unsigned i)
{
	return i < n ? t[i] : NULL;
}

static int word_find(const char *const *t, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i], s) == 0)
			return (int)i;
	return -1;
}

const char *hmsg_want_state_name(enum hmsg_want_state s)
{
	return word_at(want_state_names, NWORDS(want_state_names), s);
}
const char *hmsg_stop_mode_name(enum hmsg_stop_mode m)
{
	return word_at(stop_mode_names, NWORDS(stop_mode_names), m);
}
const char *hmsg_dom_state_name(enum hmsg_dom_state s)
{
	return word_at(dom_state_names, NWORDS(dom_state_names), s);
}
const char *hmsg_mig_phase_name(enum hmsg_mig_phase p)
{
	return word_at(mig_phase_names, NWORDS(mig_phase_names), p);
}

int hmsg_dom_state_parse(const char *s, enum hmsg_dom_state *out)
{
	int i = word_find(dom_state_names, NWORDS(dom_state_names), s);

	if (i >= 0) {
		*out = (enum hmsg_dom_state)i;
		return 0;
	}
	for (size_t k = 0; k < NWORDS(virsh_words); k++)
		if (strcmp(virsh_words[k].word, s) == 0) {
			*out = virsh_words[k].state;
			return 0;
		}
	return -EINVAL;
}

/* --- text ----------------------------------------------------------------------- */

enum text_rule {
	T_NAME,   /* smsg_name_ok: a lower-case DNS label */
	T_TEXT,   /* free text for an operator: no control characters */
	T_XML,    /* a domain's XML: newlines and tabs too */
	T_PEM,    /* PEM text: printable ASCII and newlines, PEM_BEGIN first */
};

#define PEM_BEGIN "-----BEGIN "

/* Certificates and requests as openssl writes them: nothing a terminal
 * or a PEM parser could take for something else ('\r' included). */
static bool pem_ok(const char *s)
{
	if (strncmp(s, PEM_BEGIN, strlen(PEM_BEGIN)) != 0)
		return false;
	for (; *s; s++)
		if (*s != '\n' && (*s < 0x20 || *s > 0x7e))
			return false;
	return true;
}

/* The length of the UTF-8 sequence at s as jansson accepts it (no
 * overlong form, no surrogate, nothing above U+10FFFF), 0 if malformed.
 * The decoder has it checked by jansson already; the encoder needs it
 * because json_string() refuses bad UTF-8 with the same NULL it returns
 * when out of memory. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned n, cp, min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Text that goes into logs and onto terminals: no C0 control (but for the
 * XML's newlines and tabs), no DEL, no C1 control (U+0080..U+009F, which a
 * terminal may take for an escape), valid UTF-8. */
static bool text_ok(enum text_rule r, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (r == T_NAME)
		return smsg_name_ok(str);
	if (r == T_PEM)
		return pem_ok(str);
	while (*s) {
		size_t n;

		if (*s == 0x7f || (*s < 0x20 && !(r == T_XML && (*s == '\n' || *s == '\t'))))
			return false;
		if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return false;
		if (!(n = utf8_len(s)))
			return false;
		s += n;
	}
	return true;
}

/* --- errors and the position in a message --------------------------------------- */

struct dec {
	char *err;           /* HMSG_ERR_MAX bytes */
	char path[96];       /* "instances[3].migrate" */
};

/* vsnprintf so messages longer than HMSG_ERR_MAX are cut without gcc's
 * truncation warning; then only printable ASCII is kept, because the
 * message quotes what a peer sent and ends up in logs and HTTP answers. */
__attribute__((format(printf, 2, 3)))
static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, HMSG_ERR_MAX, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

__attribute__((format(printf, 3, 4)))
static int bad(struct dec *d, const char *key, const char *fmt, ...)
{
	char msg[HMSG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(d->err, "%s%s%s: %s", d->path, d->path[0] && key ? "." : "", key ? key : "",
		msg);
	return -EINVAL;
}

/* Into key (or key[i] when i is not NO_INDEX); returns where to come back. */
#define NO_INDEX ((size_t)-1)
static size_t enter(struct dec *d, const char *key, size_t i)
{
	size_t was = strlen(d->path);
	char *end = d->path + was;
	size_t room = sizeof(d->path) - was;

	if (i == NO_INDEX)
		snprintf(end, room, "%s%s", was ? "." : "", key);
	else
		snprintf(end, room, "%s%s[%zu]", was ? "." : "", key, i);
	return was;
}

static void leave(struct dec *d, size_t was)
{
	d->path[was] = '\0';
}

/* --- the tables ------------------------------------------------------------------ */

enum ftype { F_UINT, F_BOOL, F_STR, F_WORD, F_ADDR, F_MAC, F_OBJ, F_ARRAY };

struct shape;

struct field {
	const char *key;
	enum ftype type;
	size_t off, size;          /* the member */
	uint64_t min, max;         /* F_UINT: the range; F_STR: min 1 = not empty;
				      F_ARRAY: max entries */
	enum text_rule text;       /* F_STR */
	const char *const *words;  /* F_WORD */
	size_t nwords;
	const struct shape *sub;   /* F_OBJ, F_ARRAY: the shape inside */
	size_t n_off;              /* F_ARRAY: its size_t count */
	bool fixed;                /* F_ARRAY: an array member, not a malloc()ed pointer */
};

/* An F_OBJ is null in JSON exactly when its first field (an F_UINT id with
 * min 1) is 0 in the struct: "no migration" needs no flag of its own. */
struct shape {
	const struct field *f;
	size_t nf, size;
	int (*rules)(struct dec *d, const void *p);   /* after the fields, or NULL */
};

#define SHAPE(fields, type, rules_fn) \
	{ fields, NWORDS(fields), sizeof(type), rules_fn }

/* Each table #defines REC as its struct; the key is the member's name. */
#define M(m) .key = #m, .off = offsetof(REC, m), .size = sizeof(((REC *)0)->m)
/* A range wider than its member would be stored cut: that does not compile
 * (a negative array size). */
#define MEMBER_MAX(m) (~0ULL >> (64 - 8 * sizeof(((REC *)0)->m)))
#define FITS(m, hi)   (0 * sizeof(char[(hi) <= MEMBER_MAX(m) ? 1 : -1]))
#define UINT(m, lo, hi)   { M(m), .type = F_UINT, .min = (lo), .max = (hi) + FITS(m, hi) }
#define BOOL(m)           { M(m), .type = F_BOOL }
#define STR(m, rule, ne)  { M(m), .type = F_STR, .text = (rule), .min = (ne) }
#define WORD(m, t)        { M(m), .type = F_WORD, .words = (t), .nwords = NWORDS(t) }
#define ADDR(m)           { M(m), .type = F_ADDR }
#define MAC(m)            { M(m), .type = F_MAC }
#define OBJ(m, shp)       { M(m), .type = F_OBJ, .sub = &(shp) }
#define ARRAY(m, n, shp, hi, fx) \
	{ M(m), .type = F_ARRAY, .sub = &(shp), .n_off = offsetof(REC, n), .max = (hi), \
	  .fixed = (fx) }

/* Timestamps and counters are int64_t or uint64_t, sent as JSON integers
 * (json_int_t): 0..INT64_MAX either way. */
#define I64_MAX ((uint64_t)INT64_MAX)

static int want_instance_rules(struct dec *d, const void *p);
static int desired_rules(struct dec *d, const void *p);
static int observed_rules(struct dec *d, const void *p);

#define REC struct hmsg_want_migration
static const struct field want_migration_f[] = {
	UINT(id, 1, I64_MAX), STR(to, T_NAME, 1), ADDR(to_addr),
};
#undef REC
static const struct shape want_migration_s = SHAPE(want_migration_f, struct hmsg_want_migration, NULL);

#define REC struct hmsg_want_instance
static const struct field want_instance_f[] = {
	STR(name, T_NAME, 1), WORD(state, want_state_names), WORD(stop, stop_mode_names),
	UINT(stop_timeout_s, 1, STOP_TIMEOUT_MAX), UINT(reboot_seq, 0, I64_MAX),
	UINT(memory_mib, MEMORY_MIN_MIB, HMSG_MEMORY_MAX_MIB), UINT(vcpus, 1, HMSG_VCPUS_MAX),
	UINT(shelf, 0, SMSG_SHELF_MAX), UINT(slot, 0, SMSG_SLOT_MAX),
	OBJ(migrate, want_migration_s), STR(domain_xml, T_XML, 0),
};
#undef REC
static const struct shape want_instance_s =
	SHAPE(want_instance_f, struct hmsg_want_instance, want_instance_rules);

#define REC struct hmsg_desired
static const struct field desired_f[] = {
	STR(node, T_NAME, 1), UINT(generation, 1, I64_MAX),
	ARRAY(instances, n_instances, want_instance_s, HMSG_MAX_INSTANCES, false),
};
#undef REC
static const struct shape desired_s = SHAPE(desired_f, struct hmsg_desired, desired_rules);

#define REC struct hmsg_have_migration
static const struct field have_migration_f[] = {
	UINT(id, 1, I64_MAX), WORD(phase, mig_phase_names), UINT(started_ms, 0, I64_MAX),
	UINT(elapsed_ms, 0, I64_MAX), STR(error, T_TEXT, 0),
};
#undef REC
static const struct shape have_migration_s = SHAPE(have_migration_f, struct hmsg_have_migration, NULL);

/* A shut-off domain may report 0 memory and 0 vcpus. */
#define REC struct hmsg_have_instance
static const struct field have_instance_f[] = {
	STR(name, T_NAME, 1), WORD(state, dom_state_names), BOOL(persistent),
	UINT(memory_mib, 0, HMSG_MEMORY_MAX_MIB), UINT(vcpus, 0, HMSG_VCPUS_MAX),
	OBJ(migration, have_migration_s), STR(error, T_TEXT, 0),
};
#undef REC
static const struct shape have_instance_s = SHAPE(have_instance_f, struct hmsg_have_instance, NULL);

#define REC struct hmsg_target
static const struct field target_f[] = {
	UINT(shelf, 0, SMSG_SHELF_MAX), UINT(slot, 0, SMSG_SLOT_MAX),
	UINT(size_bytes, 0, I64_MAX), UINT(paths, 0, HMSG_MAX_PATHS),
};
#undef REC
static const struct shape target_s = SHAPE(target_f, struct hmsg_target, NULL);

/* instance "": an event of the node itself. */
#define REC struct hmsg_event
static const struct field event_f[] = {
	UINT(seq, 1, I64_MAX), UINT(at_ms, 0, I64_MAX), STR(instance, T_NAME, 0),
	STR(text, T_TEXT, 1),
};
#undef REC
static const struct shape event_s = SHAPE(event_f, struct hmsg_event, NULL);

/* generation 0: the agent has applied no desired state yet (it reports
 * before its first one converged, as the storage agent does). */
#define REC struct hmsg_observed
static const struct field observed_f[] = {
	MAC(mac), STR(node, T_NAME, 1), UINT(generation, 0, I64_MAX),
	UINT(started_ms, 0, I64_MAX), BOOL(libvirt), STR(libvirt_error, T_TEXT, 0),
	STR(xen_version, T_TEXT, 0), UINT(xen_major, 0, UINT32_MAX),
	UINT(xen_minor, 0, UINT32_MAX), UINT(cpus, 0, UINT32_MAX),
	UINT(memory_total_mib, 0, I64_MAX), UINT(memory_free_mib, 0, I64_MAX),
	BOOL(instance_bridge),
	ARRAY(targets, n_targets, target_s, HMSG_MAX_TARGETS, false),
	ARRAY(instances, n_instances, have_instance_s, HMSG_MAX_INSTANCES, false),
	ARRAY(events, n_events, event_s, HMSG_MAX_EVENTS, true),
};
#undef REC
static const struct shape observed_s = SHAPE(observed_f, struct hmsg_observed, observed_rules);

/* The libvirt certificate: what the PEM says is the CA's and libcrypto's
 * business at either end; here only that it is PEM-looking text. */
#define REC struct hmsg_cert_req
static const struct field cert_req_f[] = {
	MAC(mac), STR(node, T_NAME, 1), STR(csr, T_PEM, 1),
};
#undef REC
static const struct shape cert_req_s = SHAPE(cert_req_f, struct hmsg_cert_req, NULL);

#define REC struct hmsg_cert_reply
static const struct field cert_reply_f[] = {
	STR(ca, T_PEM, 1), STR(cert, T_PEM, 1), UINT(not_after, 1, I64_MAX),
};
#undef REC
static const struct shape cert_reply_s = SHAPE(cert_reply_f, struct hmsg_cert_reply, NULL);

/* --- the rules a table cannot say ------------------------------------------------ */

static int want_instance_rules(struct dec *d, const void *p)
{
	const struct hmsg_want_instance *w = p;
	bool defined = w->state == HMSG_WANT_RUNNING || w->state == HMSG_WANT_STOPPED;

	if (defined && !w->domain_xml[0])
		return bad(d, "domain_xml", "empty, but state %s needs the domain",
			   want_state_names[w->state]);
	if (!defined && w->domain_xml[0])
		return bad(d, "domain_xml", "must be empty for state %s",
			   want_state_names[w->state]);
	return 0;
}

/* Instances are named by their first member (asserted below): the agent
 * keys everything by name, so two entries of one name would fight. */
_Static_assert(offsetof(struct hmsg_want_instance, name) == 0 &&
	       offsetof(struct hmsg_have_instance, name) == 0, "instance name first");

static int unique_names(struct dec *d, const char *key, const void *base, size_t n,
			size_t size)
{
	const char *b = base;

	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(b + i * size, b + j * size) == 0) {
				char where[48];

				snprintf(where, sizeof(where), "%s[%zu].name", key, i);
				return bad(d, where, "'%s' is also %s[%zu]'s name", b + i * size,
					   key, j);
			}
	return 0;
}

static int desired_rules(struct dec *d, const void *p)
{
	const struct hmsg_desired *m = p;

	return unique_names(d, "instances", m->instances, m->n_instances,
			    sizeof(*m->instances));
}

static int observed_rules(struct dec *d, const void *p)
{
	const struct hmsg_observed *o = p;
	int rc;

	if (o->memory_free_mib > o->memory_total_mib)
		return bad(d, "memory_free_mib", "%llu is larger than memory_total_mib %llu",
			   (unsigned long long)o->memory_free_mib,
			   (unsigned long long)o->memory_total_mib);
	if ((rc = unique_names(d, "instances", o->instances, o->n_instances,
			       sizeof(*o->instances))) < 0)
		return rc;
	/* oldest first, each once: nimbusd records the ones above the last seq
	 * it has from this agent's start */
	for (size_t i = 1; i < o->n_events; i++)
		if (o->events[i].seq <= o->events[i - 1].seq) {
			char where[48];

			snprintf(where, sizeof(where), "events[%zu].seq", i);
			return bad(d, where, "%llu does not follow events[%zu].seq %llu",
				   (unsigned long long)o->events[i].seq, i - 1,
				   (unsigned long long)o->events[i - 1].seq);
		}
	return 0;
}

/* --- checking a struct's field (both directions) --------------------------------- */

static uint64_t load_uint(const char *m, size_t size)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;
	uint8_t v1;

	switch (size) {
	case 1: memcpy(&v1, m, 1); return v1;
	case 2: memcpy(&v2, m, 2); return v2;
	case 4: memcpy(&v4, m, 4); return v4;   /* also the enums */
	default: memcpy(&v8, m, 8); return v8;
	}
}

static void store_uint(char *m, size_t size, uint64_t v)
{
	uint32_t v4 = (uint32_t)v;
	uint16_t v2 = (uint16_t)v;
	uint8_t v1 = (uint8_t)v;

	switch (size) {
	case 1: memcpy(m, &v1, 1); break;
	case 2: memcpy(m, &v2, 2); break;
	case 4: memcpy(m, &v4, 4); break;
	default: memcpy(m, &v, 8); break;
	}
}

/* The words of a table, for "... is not one of a, b, c". */
static void word_list(const struct field *f, char *out, size_t room)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < f->nwords && at < room; i++)
		at += (size_t)snprintf(out + at, room - at, "%s%s", i ? ", " : "", f->words[i]);
}

/* A value quoted back: at most 40 bytes (set_err makes it printable). */
#define QUOTE "'%.40s%s'"
#define QUOTED(s) (s), strlen(s) > 40 ? "..." : ""

/* The struct member's value against its field's rule: what the encoder
 * checks, and what the decoder checks once it stored the value. (A
 * number's range the decoder checks before storing, the JSON value being
 * wider than the member.) */
static int check_field(struct dec *d, const struct field *f, const char *p)
{
	const char *m = p + f->off;

	switch (f->type) {
	case F_UINT: {
		uint64_t v = load_uint(m, f->size);

		if (v < f->min || v > f->max)
			return bad(d, f->key, "%llu is out of range %llu..%llu",
				   (unsigned long long)v, (unsigned long long)f->min,
				   (unsigned long long)f->max);
		return 0;
	}
	case F_STR:
		if (strnlen(m, f->size) >= f->size)
			return bad(d, f->key, "longer than %zu bytes", f->size - 1);
		if (f->min && !m[0])
			return bad(d, f->key, "empty");
		if (m[0] && f->text == T_PEM && !text_ok(f->text, m))
			return bad(d, f->key, strncmp(m, PEM_BEGIN, strlen(PEM_BEGIN)) != 0 ?
				   QUOTE " does not start with '" PEM_BEGIN "'" :
				   QUOTE " has a character other than printable ASCII or newline",
				   QUOTED(m));
		if (m[0] && !text_ok(f->text, m))
			return bad(d, f->key, f->text == T_NAME ?
				   QUOTE " is not a lower-case DNS label" :
				   f->text == T_XML ? QUOTE " has a control character other than newline or tab, or bad UTF-8" :
				   QUOTE " has a control character or bad UTF-8", QUOTED(m));
		return 0;
	case F_WORD:
		if (load_uint(m, f->size) >= f->nwords)
			return bad(d, f->key, "%llu is not a known state",
				   (unsigned long long)load_uint(m, f->size));
		return 0;
	case F_ADDR: {
		struct in_addr a;

		memcpy(&a, m, sizeof(a));
		if (a.s_addr == htonl(INADDR_ANY))
			return bad(d, f->key, "'0.0.0.0' is not a host's address");
		return 0;
	}
	case F_MAC:
		if (!mac_is_unicast((const uint8_t *)m)) {
			char s[MAC_STR_LEN];

			mac_format((const uint8_t *)m, s);
			return bad(d, f->key, "'%s' is not a unicast MAC address", s);
		}
		return 0;
	default:
		return 0;
	}
}

/* --- decoding --------------------------------------------------------------------- */

static int dec_obj(struct dec *d, const struct shape *s, json_t *o, char *p);

/* A string field: its text stored, then checked like the encoder does. */
static int dec_string(struct dec *d, const struct field *f, const char *s, size_t n, char *p)
{
	char *m = p + f->off;

	switch (f->type) {
	case F_STR:
		if (n >= f->size)
			return bad(d, f->key, "longer than %zu bytes", f->size - 1);
		memcpy(m, s, n + 1);
		break;
	case F_WORD: {
		int i = word_find(f->words, f->nwords, s);

		if (i < 0) {
			char list[128];

			word_list(f, list, sizeof(list));
			return bad(d, f->key, QUOTE " is not one of %s", QUOTED(s), list);
		}
		store_uint(m, f->size, (uint64_t)i);
		break;
	}
	case F_ADDR:
		if (inet_pton(AF_INET, s, m) != 1)
			return bad(d, f->key, QUOTE " is not an IPv4 address", QUOTED(s));
		break;
	default:   /* F_MAC */
		if (mac_parse(s, (uint8_t *)m) < 0)
			return bad(d, f->key, QUOTE " is not a MAC address", QUOTED(s));
		break;
	}
	return check_field(d, f, p);
}

static int dec_array(struct dec *d, const struct field *f, json_t *v, char *p)
{
	size_t n = json_array_size(v), *count = (size_t *)(p + f->n_off);
	char *base = p + f->off;

	if (!json_is_array(v))
		return bad(d, f->key, "not an array");
	if (n > f->max)
		return bad(d, f->key, "%zu entries, at most %llu", n, (unsigned long long)f->max);
	if (!f->fixed) {
		void *heap = n ? calloc(n, f->sub->size) : NULL;

		if (n && !heap)
			return -ENOMEM;
		memcpy(p + f->off, &heap, sizeof(heap));
		base = heap;
	}
	/* counted as they decode, so a _free after a failure has it all */
	for (size_t i = 0; i < n; i++) {
		size_t was = enter(d, f->key, i);
		int rc = dec_obj(d, f->sub, json_array_get(v, i), base + i * f->sub->size);

		leave(d, was);
		if (rc < 0)
			return rc;
		*count = i + 1;
	}
	return 0;
}

static int dec_field(struct dec *d, const struct field *f, json_t *o, char *p)
{
	json_t *v = json_object_get(o, f->key);

	if (!v)
		return bad(d, f->key, "missing");
	switch (f->type) {
	case F_UINT: {
		json_int_t i;

		if (!json_is_integer(v))
			return bad(d, f->key, "not an integer");
		i = json_integer_value(v);
		if (i < 0 || (uint64_t)i < f->min || (uint64_t)i > f->max)
			return bad(d, f->key, "%lld is out of range %llu..%llu", (long long)i,
				   (unsigned long long)f->min, (unsigned long long)f->max);
		store_uint(p + f->off, f->size, (uint64_t)i);
		return 0;
	}
	case F_BOOL:
		if (!json_is_boolean(v))
			return bad(d, f->key, "not true or false");
		*(bool *)(p + f->off) = json_is_true(v);
		return 0;
	case F_OBJ: {
		size_t was;
		int rc;

		if (json_is_null(v))
			return 0;   /* the struct stays zero: id 0 */
		if (!json_is_object(v))
			return bad(d, f->key, "not an object or null");
		was = enter(d, f->key, NO_INDEX);
		rc = dec_obj(d, f->sub, v, p + f->off);
		leave(d, was);
		return rc;
	}
	case F_ARRAY:
		return dec_array(d, f, v, p);
	default: {
		const char *s;

		if (!json_is_string(v))
			return bad(d, f->key, "not a string");
		s = json_string_value(v);
		/* unreachable without JSON_ALLOW_NUL, kept in case it is ever set */
		if (json_string_length(v) != strlen(s))
			return bad(d, f->key, "contains a NUL byte");
		return dec_string(d, f, s, strlen(s), p);
	}
	}
}

static int dec_obj(struct dec *d, const struct shape *s, json_t *o, char *p)
{
	int rc;

	if (!json_is_object(o))
		return bad(d, NULL, "not an object");
	for (size_t i = 0; i < s->nf; i++)
		if ((rc = dec_field(d, &s->f[i], o, p)) < 0)
			return rc;
	return s->rules ? s->rules(d, p) : 0;
}

static int decode(const struct shape *s, const char *text, size_t len, void *out,
		  char err[HMSG_ERR_MAX])
{
	struct dec d = { .err = err };
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, s->size);
	err[0] = '\0';
	/* a key given twice would let the two ends read different values */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		set_err(err, "not JSON: %s (line %d)", je.text, je.line);
		return -EINVAL;
	}
	if (json_is_object(root)) {
		rc = dec_obj(&d, s, root, out);
	} else {
		set_err(err, "not a JSON object");
		rc = -EINVAL;
	}
	json_decref(root);
	return rc;
}

/* --- encoding --------------------------------------------------------------------- */

static int enc_obj(struct dec *d, const struct shape *s, const char *p, json_t **out);

static int enc_array(struct dec *d, const struct field *f, const char *p, json_t **out)
{
	const char *base = p + f->off;
	json_t *a;
	size_t n;

	memcpy(&n, p + f->n_off, sizeof(n));
	if (n > f->max)
		return bad(d, f->key, "%zu entries, at most %llu", n, (unsigned long long)f->max);
	/* the member holds the entries, or points to them (memcpy: it is a
	 * pointer to the entries' own type) */
	if (!f->fixed)
		memcpy(&base, p + f->off, sizeof(base));
	if (n && !base)
		return bad(d, f->key, "%zu entries but no array", n);
	if (!(a = json_array()))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t was = enter(d, f->key, i);
		json_t *e;
		int rc = enc_obj(d, f->sub, base + i * f->sub->size, &e);

		leave(d, was);
		if (rc == 0 && json_array_append_new(a, e) < 0)
			rc = -ENOMEM;   /* e released by jansson */
		if (rc < 0) {
			json_decref(a);
			return rc;
		}
	}
	*out = a;
	return 0;
}

/* One field's JSON value, after the checks its decoder makes. */
static int enc_field(struct dec *d, const struct field *f, const char *p, json_t **out)
{
	const char *m = p + f->off;
	int rc;

	if (f->type == F_ARRAY)
		return enc_array(d, f, p, out);
	if (f->type == F_OBJ) {
		const struct field *id = &f->sub->f[0];
		size_t was;

		if (load_uint(m + id->off, id->size) == 0) {
			*out = json_null();
			return 0;
		}
		was = enter(d, f->key, NO_INDEX);
		rc = enc_obj(d, f->sub, m, out);
		leave(d, was);
		return rc;
	}
	if ((rc = check_field(d, f, p)) < 0)
		return rc;
	switch (f->type) {
	case F_UINT:
		*out = json_integer((json_int_t)load_uint(m, f->size));
		break;
	case F_BOOL:
		*out = json_boolean(*(const bool *)m);
		break;
	case F_STR:
		*out = json_string(m);
		break;
	case F_WORD:
		*out = json_string(f->words[load_uint(m, f->size)]);
		break;
	case F_ADDR: {
		char s[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, m, s, sizeof(s));
		*out = json_string(s);
		break;
	}
	default: {   /* F_MAC */
		char s[MAC_STR_LEN];

		mac_format((const uint8_t *)m, s);
		*out = json_string(s);
		break;
	}
	}
	return *out ? 0 : -ENOMEM;
}

static int enc_obj(struct dec *d, const struct shape *s, const char *p, json_t **out)
{
	json_t *o = json_object();
	int rc = o ? 0 : -ENOMEM;

	/* keys in table order: jansson keeps insertion order */
	for (size_t i = 0; rc == 0 && i < s->nf; i++) {
		json_t *v = NULL;

		rc = enc_field(d, &s->f[i], p, &v);
		if (rc == 0 && json_object_set_new(o, s->f[i].key, v) < 0)
			rc = -ENOMEM;   /* v released by jansson */
	}
	if (rc == 0 && s->rules)
		rc = s->rules(d, p);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int encode(const struct shape *s, const void *msg, char **json)
{
	char err[HMSG_ERR_MAX];   /* the encoder's API has no message: only -EINVAL */
	struct dec d = { .err = err };
	json_t *root;
	int rc;

	*json = NULL;
	if ((rc = enc_obj(&d, s, msg, &root)) < 0)
		return rc;
	*json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *json ? 0 : -ENOMEM;
}

/* --- the API ------------------------------------------------------------------------ */

int hmsg_desired_encode(const struct hmsg_desired *d, char **json)
{
	return encode(&desired_s, d, json);
}

int hmsg_observed_encode(const struct hmsg_observed *o, char **json)
{
	return encode(&observed_s, o, json);
}

int hmsg_desired_decode(const char *text, size_t len, struct hmsg_desired *d,
			char err[HMSG_ERR_MAX])
{
	return decode(&desired_s, text, len, d, err);
}

int hmsg_observed_decode(const char *text, size_t len, struct hmsg_observed *o,
			 char err[HMSG_ERR_MAX])
{
	return decode(&observed_s, text, len, o, err);
}

void hmsg_desired_free(struct hmsg_desired *d)
{
	free(d->instances);
	d->instances = NULL;
	d->n_instances = 0;
}

void hmsg_observed_free(struct hmsg_observed *o)
{
	free(o->targets);
	free(o->instances);
	o->targets = NULL;
	o->instances = NULL;
	o->n_targets = o->n_instances = 0;
}

int hmsg_cert_req_encode(const struct hmsg_cert_req *r, char **json)
{
	return encode(&cert_req_s, r, json);
}

int hmsg_cert_req_decode(const char *text, size_t len, struct hmsg_cert_req *r,
			 char err[HMSG_ERR_MAX])
{
	return decode(&cert_req_s, text, len, r, err);
}

int hmsg_cert_reply_encode(const struct hmsg_cert_reply *r, char **json)
{
	return encode(&cert_reply_s, r, json);
}

int hmsg_cert_reply_decode(const char *text, size_t len, struct hmsg_cert_reply *r,
			   char err[HMSG_ERR_MAX])
{
	return decode(&cert_reply_s, text, len, r, err);
}
