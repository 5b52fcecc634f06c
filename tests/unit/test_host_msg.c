/* The hardware-node agent's messages (lib/agent/host_msg.c): full messages
 * survive encode -> decode unchanged, encoders refuse what decoders would
 * refuse, and a table of bad messages - each a good message with one
 * field changed - is refused with the field named, word for word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/host_msg.h"

static const char XML[] = "<domain type='xen'>\n\t<name>web1</name>\n</domain>\n";

/* 16 KiB each: static, not on cmocka's stack */
static struct hmsg_want_instance wi[4];

static void want(struct hmsg_want_instance *w, const char *name, enum hmsg_want_state s,
		 uint8_t slot)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->state = s;
	w->stop = HMSG_STOP_SHUTDOWN;
	w->stop_timeout_s = 60;
	w->memory_mib = 512;
	w->vcpus = 1;
	w->shelf = 7;
	w->slot = slot;
	if (s == HMSG_WANT_RUNNING || s == HMSG_WANT_STOPPED)
		snprintf(w->domain_xml, sizeof(w->domain_xml), "%s", XML);
}

/* One instance in each state, the limits at both ends, a migration. */
static void desired_fixture(struct hmsg_desired *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->node, "hw1");
	d->generation = 7;
	want(&wi[0], "web1", HMSG_WANT_RUNNING, 1);
	wi[0].reboot_seq = 2;
	wi[0].memory_mib = 2048;
	wi[0].vcpus = 2;
	wi[0].migrate.id = 5;
	strcpy(wi[0].migrate.to, "hw2");
	inet_pton(AF_INET, "10.77.0.12", &wi[0].migrate.to_addr);
	want(&wi[1], "db1", HMSG_WANT_STOPPED, 2);
	wi[1].stop = HMSG_STOP_DESTROY;
	wi[1].stop_timeout_s = 1;
	wi[1].memory_mib = 128;
	want(&wi[2], "web2", HMSG_WANT_INCOMING, 254);
	wi[2].shelf = SMSG_SHELF_MAX;
	wi[2].memory_mib = HMSG_MEMORY_MAX_MIB;
	wi[2].vcpus = HMSG_VCPUS_MAX;
	wi[2].stop_timeout_s = 3600;
	want(&wi[3], "old1", HMSG_WANT_ABSENT, 0);
	wi[3].reboot_seq = INT64_MAX;
	d->instances = wi;
	d->n_instances = 4;
}

static void test_desired_round_trip(void **state)
{
	struct hmsg_desired d, back;
	char err[HMSG_ERR_MAX], *json;

	(void)state;
	desired_fixture(&d);
	assert_int_equal(hmsg_desired_encode(&d, &json), 0);
	assert_int_equal(hmsg_desired_decode(json, strlen(json), &back, err), 0);
	assert_string_equal(back.node, "hw1");
	assert_true(back.generation == 7);
	assert_int_equal(back.n_instances, 4);
	for (size_t i = 0; i < 4; i++)
		assert_memory_equal(&back.instances[i], &wi[i], sizeof(wi[i]));
	hmsg_desired_free(&back);
	assert_null(back.instances);
	free(json);
}

/* The wire form, key for key: what docs/host-agent.md shows. */
static void test_desired_wire(void **state)
{
	struct hmsg_desired d = { .node = "hw1", .generation = 1 }, back;
	char err[HMSG_ERR_MAX], *json;

	(void)state;
	assert_int_equal(hmsg_desired_encode(&d, &json), 0);
	assert_string_equal(json, "{\"node\":\"hw1\",\"generation\":1,\"instances\":[]}");
	assert_int_equal(hmsg_desired_decode(json, strlen(json), &back, err), 0);
	assert_null(back.instances);
	assert_int_equal(back.n_instances, 0);
	free(json);

	want(&wi[0], "old1", HMSG_WANT_ABSENT, 4);
	/* no migration: the object is null, whatever else is in it */
	strcpy(wi[0].migrate.to, "not sent");
	d.instances = wi;
	d.n_instances = 1;
	assert_int_equal(hmsg_desired_encode(&d, &json), 0);
	assert_string_equal(json, "{\"node\":\"hw1\",\"generation\":1,\"instances\":[{"
			    "\"name\":\"old1\",\"state\":\"absent\",\"stop\":\"shutdown\","
			    "\"stop_timeout_s\":60,\"reboot_seq\":0,\"memory_mib\":512,\"vcpus\":1,"
			    "\"shelf\":7,\"slot\":4,\"migrate\":null,\"domain_xml\":\"\"}]}");
	free(json);
}

#define REFUSED(enc, msg, fixture, change)                                   \
	do {                                                                 \
		char *json_ = (char *)1;                                     \
		fixture;                                                     \
		change;                                                      \
		if (enc(&msg, &json_) != -EINVAL || json_)                   \
			fail_msg("encoder took: %s", #change);               \
	} while (0)

/* Each encoder refuses a message its decoder would refuse. */
static void test_desired_encode_refuses(void **state)
{
	struct hmsg_desired d;

	(void)state;
#define R(change) REFUSED(hmsg_desired_encode, d, desired_fixture(&d), change)
	R(strcpy(d.node, "HW1"));
	R(d.node[0] = '\0');
	R(d.generation = 0);
	R(d.generation = (uint64_t)INT64_MAX + 1);
	R(d.n_instances = HMSG_MAX_INSTANCES + 1);
	R(d.instances = NULL);
	R(strcpy(wi[1].name, "db_1"));
	R(strcpy(wi[3].name, "web1"));          /* a duplicate */
	R(wi[0].state = HMSG_WANT_ABSENT + 1);
	R(wi[0].stop = HMSG_STOP_DESTROY + 1);
	R(wi[0].stop_timeout_s = 0);
	R(wi[0].stop_timeout_s = 3601);
	R(wi[0].memory_mib = 127);
	R(wi[0].memory_mib = HMSG_MEMORY_MAX_MIB + 1);
	R(wi[0].vcpus = 0);
	R(wi[0].vcpus = HMSG_VCPUS_MAX + 1);
	R(wi[0].shelf = 65535);
	R(wi[0].slot = 255);
	R(wi[0].reboot_seq = UINT64_MAX);
	R(wi[0].migrate.to[0] = '\0');
	R(strcpy(wi[0].migrate.to, "hw 2"));
	R(wi[0].migrate.to_addr.s_addr = 0);
	R(wi[0].migrate.id = (uint64_t)INT64_MAX + 1);
	R(wi[0].domain_xml[0] = '\0');          /* running needs its XML */
	R(wi[1].domain_xml[0] = '\0');          /* so does stopped */
	R(strcpy(wi[2].domain_xml, XML));       /* incoming has none */
	R(strcpy(wi[3].domain_xml, XML));       /* absent neither */
	R(strcpy(wi[0].domain_xml, "<a>\x1b[2J</a>"));
	R(strcpy(wi[0].domain_xml, "<a>\r\n</a>"));
	R(strcpy(wi[0].domain_xml, "<a>\xc3</a>"));     /* cut UTF-8 */
	R(memset(wi[0].domain_xml, 'x', sizeof(wi[0].domain_xml)));  /* no NUL */
	R(memset(wi[0].name, 'a', sizeof(wi[0].name)));
#undef R
}

struct bad_case {
	const char *path;    /* the field changed in the good message */
	const char *value;   /* its new JSON value; NULL: the field removed */
	const char *err;     /* the decoder's message, exactly */
};

/* The good message's JSON with path ("instances[1].migrate.to") set to
 * value, or removed; the caller frees it. */
static char *patched(const char *good, const char *path, const char *value)
{
	json_t *root = json_loads(good, 0, NULL), *cur = root, *v = NULL;
	char buf[128], *tok, *save = NULL, *next;
	char *out;

	assert_non_null(root);
	if (value)
		assert_non_null(v = json_loads(value, JSON_DECODE_ANY, NULL));
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = next) {
		char *bracket = strchr(tok, '[');
		size_t idx = bracket ? strtoul(bracket + 1, NULL, 10) : 0;

		next = strtok_r(NULL, ".", &save);
		if (bracket)
			*bracket = '\0';
		if (!next && !bracket) {         /* the field itself */
			if (v)
				json_object_set_new(cur, tok, v);
			else
				json_object_del(cur, tok);
			break;
		}
		cur = json_object_get(cur, tok);
		assert_non_null(cur);
		if (bracket && !next) {          /* an array entry itself */
			assert_int_equal(json_array_set_new(cur, idx, v), 0);
			break;
		}
		if (bracket)
			assert_non_null(cur = json_array_get(cur, idx));
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static const struct bad_case desired_bad[] = {
	{ "node", NULL, "node: missing" },
	{ "node", "\"Hw1\"", "node: 'Hw1' is not a lower-case DNS label" },
	{ "node", "\"\"", "node: empty" },
	{ "node", "7", "node: not a string" },
	{ "generation", "0", "generation: 0 is out of range 1..9223372036854775807" },
	{ "generation", "\"7\"", "generation: not an integer" },
	{ "instances", "{}", "instances: not an array" },
	{ "instances", NULL, "instances: missing" },
	{ "instances[0]", "3", "instances[0]: not an object" },
	{ "instances[1].memory_mib", "70000000",
	  "instances[1].memory_mib: 70000000 is out of range 128..16777216" },
	{ "instances[1].memory_mib", "127", "instances[1].memory_mib: 127 is out of range 128..16777216" },
	{ "instances[1].memory_mib", "2048.0", "instances[1].memory_mib: not an integer" },
	{ "instances[1].vcpus", "0", "instances[1].vcpus: 0 is out of range 1..512" },
	{ "instances[0].stop_timeout_s", "3601", "instances[0].stop_timeout_s: 3601 is out of range 1..3600" },
	{ "instances[0].reboot_seq", "-1",
	  "instances[0].reboot_seq: -1 is out of range 0..9223372036854775807" },
	{ "instances[0].state", "\"paused\"",
	  "instances[0].state: 'paused' is not one of running, stopped, incoming, absent" },
	{ "instances[0].stop", "\"kill\"", "instances[0].stop: 'kill' is not one of shutdown, destroy" },
	{ "instances[0].shelf", "65535", "instances[0].shelf: 65535 is out of range 0..65534" },
	{ "instances[0].slot", "255", "instances[0].slot: 255 is out of range 0..254" },
	{ "instances[1].name", "\"db_1\"", "instances[1].name: 'db_1' is not a lower-case DNS label" },
	{ "instances[3].name", "\"web1\"", "instances[3].name: 'web1' is also instances[0]'s name" },
	{ "instances[0].migrate", "3", "instances[0].migrate: not an object or null" },
	{ "instances[0].migrate.id", "0",
	  "instances[0].migrate.id: 0 is out of range 1..9223372036854775807" },
	{ "instances[0].migrate.to", "\"\"", "instances[0].migrate.to: empty" },
	{ "instances[0].migrate.to", NULL, "instances[0].migrate.to: missing" },
	{ "instances[0].migrate.to_addr", "\"0.0.0.0\"",
	  "instances[0].migrate.to_addr: '0.0.0.0' is not a host's address" },
	{ "instances[0].migrate.to_addr", "\"10.0.0.256\"",
	  "instances[0].migrate.to_addr: '10.0.0.256' is not an IPv4 address" },
	{ "instances[0].domain_xml", "\"\"",
	  "instances[0].domain_xml: empty, but state running needs the domain" },
	{ "instances[2].domain_xml", "\"<domain/>\"",
	  "instances[2].domain_xml: must be empty for state incoming" },
	{ "instances[3].domain_xml", "\"<domain/>\"",
	  "instances[3].domain_xml: must be empty for state absent" },
	{ "instances[0].domain_xml", "\"<a>\\u001b[2J</a>\"",
	  "instances[0].domain_xml: '<a>?[2J</a>' has a control character other than newline or "
	  "tab, or bad UTF-8" },
	{ "instances[0].domain_xml", NULL, "instances[0].domain_xml: missing" },
};

/* Messages that are not JSON at all, or not objects: jansson's own words
 * follow "not JSON: ", so only that much is compared. */
static const char *const not_json[] = {
	"", "{", "{\"node\":\"hw1\",\"node\":\"hw2\"}", "{\"node\":\"\xff\"}",
	"{\"node\":\"a\\u0000b\"}", "{} x",
};

static void run_cases(const char *good, const struct bad_case *t, size_t n,
		      int (*decode)(const char *, size_t, void *, char *), void (*fr)(void *))
{
	static union {
		struct hmsg_desired d;
		struct hmsg_observed o;
		struct hmsg_cert_req q;
		struct hmsg_cert_reply r;
	} msg;

	for (size_t i = 0; i < n; i++) {
		char err[HMSG_ERR_MAX], *json = patched(good, t[i].path, t[i].value);
		int rc = decode(json, strlen(json), &msg, err);

		if (rc != -EINVAL || strcmp(err, t[i].err) != 0)
			fail_msg("%s = %s: rc %d, message '%s', want '%s'", t[i].path,
				 t[i].value ? t[i].value : "(removed)", rc, err, t[i].err);
		fr(&msg);
		free(json);
	}
}

static int desired_decode_v(const char *t, size_t n, void *m, char *err)
{
	return hmsg_desired_decode(t, n, m, err);
}
static void desired_free_v(void *m) { hmsg_desired_free(m); }
static int observed_decode_v(const char *t, size_t n, void *m, char *err)
{
	return hmsg_observed_decode(t, n, m, err);
}
static void observed_free_v(void *m) { hmsg_observed_free(m); }

/* n copies of entry as a JSON array */
static char *json_repeat(const char *entry, size_t n)
{
	size_t len = strlen(entry) + 1;
	char *s = malloc(n * len + 3), *p = s;

	assert_non_null(s);
	*p++ = '[';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", entry);
	strcpy(p, "]");
	return s;
}

static void test_desired_refusals(void **state)
{
	struct hmsg_desired d;
	char err[HMSG_ERR_MAX], *good, *many, *big, *json;

	(void)state;
	desired_fixture(&d);
	assert_int_equal(hmsg_desired_encode(&d, &good), 0);
	run_cases(good, desired_bad, sizeof(desired_bad) / sizeof(desired_bad[0]),
		  desired_decode_v, desired_free_v);

	/* too many entries: refused before any is looked at */
	many = json_repeat("{}", HMSG_MAX_INSTANCES + 1);
	json = patched(good, "instances", many);
	assert_int_equal(hmsg_desired_decode(json, strlen(json), &d, err), -EINVAL);
	assert_string_equal(err, "instances: 513 entries, at most 512");
	hmsg_desired_free(&d);
	free(json);
	free(many);

	/* an XML one byte too long */
	big = malloc(HMSG_XML_MAX + 3);
	assert_non_null(big);
	big[0] = '"';
	memset(big + 1, 'x', HMSG_XML_MAX);
	strcpy(big + 1 + HMSG_XML_MAX, "\"");
	json = patched(good, "instances[0].domain_xml", big);
	assert_int_equal(hmsg_desired_decode(json, strlen(json), &d, err), -EINVAL);
	assert_string_equal(err, "instances[0].domain_xml: longer than 16383 bytes");
	hmsg_desired_free(&d);
	free(json);
	/* ... and one that just fits */
	big[HMSG_XML_MAX] = '"';
	big[HMSG_XML_MAX + 1] = '\0';
	json = patched(good, "instances[0].domain_xml", big);
	assert_int_equal(hmsg_desired_decode(json, strlen(json), &d, err), 0);
	assert_int_equal(strlen(d.instances[0].domain_xml), HMSG_XML_MAX - 1);
	hmsg_desired_free(&d);
	free(json);
	free(big);

	for (size_t i = 0; i < sizeof(not_json) / sizeof(not_json[0]); i++) {
		assert_int_equal(hmsg_desired_decode(not_json[i], strlen(not_json[i]), &d, err),
				 -EINVAL);
		if (strncmp(err, "not JSON: ", 10) != 0)
			fail_msg("'%s': message '%s'", not_json[i], err);
		hmsg_desired_free(&d);
	}
	assert_int_equal(hmsg_desired_decode("[]", 2, &d, err), -EINVAL);
	assert_string_equal(err, "not a JSON object");
	/* the length is what counts, not a NUL */
	assert_int_equal(hmsg_desired_decode(good, strlen(good) - 1, &d, err), -EINVAL);
	free(good);
}

static struct hmsg_have_instance hi[3];
static struct hmsg_target tg[2];

static void observed_fixture(struct hmsg_observed *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->mac, (uint8_t[]){ 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, MAC_LEN);
	strcpy(o->node, "hw1");
	o->generation = 7;
	o->started_ms = 1764800000123;
	o->libvirt = true;
	strcpy(o->xen_version, "4.17.5-pre");
	o->xen_major = 4;
	o->xen_minor = 17;
	o->cpus = 8;
	o->memory_total_mib = 16384;
	o->memory_free_mib = 9000;
	o->instance_bridge = true;
	memset(tg, 0, sizeof(tg));
	tg[0] = (struct hmsg_target){ .shelf = 7, .slot = 1, .size_bytes = 8ULL << 30, .paths = 2 };
	tg[1] = (struct hmsg_target){ .shelf = SMSG_SHELF_MAX, .slot = SMSG_SLOT_MAX,
				      .size_bytes = INT64_MAX, .paths = HMSG_MAX_PATHS };
	o->targets = tg;
	o->n_targets = 2;
	memset(hi, 0, sizeof(hi));
	strcpy(hi[0].name, "web1");
	hi[0].state = HMSG_DOM_RUNNING;
	hi[0].persistent = true;
	hi[0].memory_mib = 2048;
	hi[0].vcpus = 2;
	hi[0].migration = (struct hmsg_have_migration){ .id = 5, .phase = HMSG_MIG_TRANSFER,
		.started_ms = 1764800100000, .elapsed_ms = 1234 };
	strcpy(hi[1].name, "db1");
	hi[1].state = HMSG_DOM_SHUTOFF;
	hi[1].persistent = true;
	strcpy(hi[1].error, "virDomainShutdown: Timed out during operation");
	strcpy(hi[2].name, "stray");
	hi[2].state = HMSG_DOM_PMSUSPENDED;
	hi[2].memory_mib = HMSG_MEMORY_MAX_MIB;
	hi[2].vcpus = HMSG_VCPUS_MAX;
	hi[2].migration = (struct hmsg_have_migration){ .id = 4, .phase = HMSG_MIG_FAILED,
		.started_ms = 1, .elapsed_ms = INT64_MAX };
	strcpy(hi[2].migration.error, "unable to connect to server at 'hw2:16514'");
	o->instances = hi;
	o->n_instances = 3;
	o->n_events = HMSG_MAX_EVENTS;
	for (size_t i = 0; i < HMSG_MAX_EVENTS; i++) {
		o->events[i].seq = 100 + i;
		o->events[i].at_ms = 1764800000123 + (int64_t)i;
		snprintf(o->events[i].text, sizeof(o->events[i].text), "event %zu", i);
	}
	strcpy(o->events[1].instance, "db1");
	strcpy(o->events[1].text, "destroyed: no shutdown within 60 s");
	strcpy(o->events[2].instance, "web1");
	strcpy(o->events[2].text, "migrated to hw2 in 35.2 s \xe2\x80\x94 caf\xc3\xa9");
}

static void test_observed_round_trip(void **state)
{
	struct hmsg_observed o, back, cmp;
	char err[HMSG_ERR_MAX], *json;

	(void)state;
	observed_fixture(&o);
	assert_int_equal(hmsg_observed_encode(&o, &json), 0);
	assert_non_null(strstr(json, "\"state\":\"pmsuspended\""));
	assert_non_null(strstr(json, "\"phase\":\"transfer\""));
	assert_non_null(strstr(json, "\"migration\":null"));
	assert_int_equal(hmsg_observed_decode(json, strlen(json), &back, err), 0);
	assert_int_equal(back.n_targets, 2);
	assert_memory_equal(back.targets, tg, sizeof(tg));
	assert_int_equal(back.n_instances, 3);
	assert_memory_equal(back.instances, hi, sizeof(hi));
	/* and everything else, byte for byte */
	memcpy(&cmp, &back, sizeof(cmp));
	cmp.targets = tg;
	cmp.instances = hi;
	assert_memory_equal(&cmp, &o, sizeof(o));
	hmsg_observed_free(&back);
	free(json);

	/* nothing to report yet: all empty */
	observed_fixture(&o);
	o.generation = 0;
	o.libvirt = false;
	strcpy(o.libvirt_error, "Failed to connect socket to '/var/run/libvirt/libvirt-sock'");
	o.xen_version[0] = '\0';
	o.memory_total_mib = o.memory_free_mib = 0;
	o.n_targets = o.n_instances = o.n_events = 0;
	o.targets = NULL;
	o.instances = NULL;
	assert_int_equal(hmsg_observed_encode(&o, &json), 0);
	assert_int_equal(hmsg_observed_decode(json, strlen(json), &back, err), 0);
	assert_null(back.targets);
	assert_null(back.instances);
	assert_int_equal(back.n_events, 0);
	assert_string_equal(back.libvirt_error, o.libvirt_error);
	hmsg_observed_free(&back);
	free(json);
}

static void test_observed_encode_refuses(void **state)
{
	struct hmsg_observed o;

	(void)state;
#define R(change) REFUSED(hmsg_observed_encode, o, observed_fixture(&o), change)
	R(memset(o.mac, 0, MAC_LEN));
	R(o.mac[0] = 0x01);                     /* multicast */
	R(memset(o.mac, 0xff, MAC_LEN));
	R(strcpy(o.node, "hw1."));
	R(o.generation = UINT64_MAX);
	R(o.started_ms = -1);
	R(strcpy(o.libvirt_error, "two\nlines"));
	R(strcpy(o.libvirt_error, "bell\a"));
	R(strcpy(o.xen_version, "4.17\x7f"));
	R(strcpy(o.xen_version, "\xc2\x9b" "2J"));      /* C1 CSI */
	R(strcpy(o.xen_version, "\xed\xa0\x80"));       /* a surrogate */
	R(strcpy(o.xen_version, "\xc0\xaf"));           /* overlong '/' */
	R(memset(o.xen_version, '4', sizeof(o.xen_version)));
	R(o.memory_free_mib = o.memory_total_mib + 1);
	R(o.memory_total_mib = (uint64_t)INT64_MAX + 1);
	R(o.n_targets = HMSG_MAX_TARGETS + 1);
	R(tg[0].paths = HMSG_MAX_PATHS + 1);
	R(tg[1].shelf = 65535);
	R(tg[1].slot = 255);
	R(o.n_instances = HMSG_MAX_INSTANCES + 1);
	R(o.instances = NULL);
	R(strcpy(hi[2].name, "db1"));           /* a duplicate */
	R(hi[0].name[0] = '\0');
	R(hi[0].state = HMSG_DOM_PMSUSPENDED + 1);
	R(hi[0].memory_mib = HMSG_MEMORY_MAX_MIB + 1);
	R(hi[0].vcpus = HMSG_VCPUS_MAX + 1);
	R(hi[0].migration.phase = HMSG_MIG_FAILED + 1);
	R(hi[0].migration.elapsed_ms = -1);
	R(strcpy(hi[2].migration.error, "\x1b[31m"));
	R(strcpy(hi[1].error, "tab\there"));
	R(o.n_events = HMSG_MAX_EVENTS + 1);
	R(o.events[5].seq = o.events[4].seq);
	R(o.events[0].seq = 0);
	R(o.events[0].at_ms = INT64_MIN);
	R(strcpy(o.events[3].instance, "Web1"));
	R(o.events[3].text[0] = '\0');
#undef R
}

static const struct bad_case observed_bad[] = {
	{ "mac", "\"ff:ff:ff:ff:ff:ff\"", "mac: 'ff:ff:ff:ff:ff:ff' is not a unicast MAC address" },
	{ "mac", "\"00-00-00-00-00-00\"", "mac: '00:00:00:00:00:00' is not a unicast MAC address" },
	{ "mac", "\"52:54:00\"", "mac: '52:54:00' is not a MAC address" },
	{ "mac", NULL, "mac: missing" },
	{ "node", "\"hw1-\"", "node: 'hw1-' is not a lower-case DNS label" },
	{ "generation", "-1", "generation: -1 is out of range 0..9223372036854775807" },
	{ "started_ms", "1.5", "started_ms: not an integer" },
	{ "libvirt", "1", "libvirt: not true or false" },
	{ "libvirt_error", "\"a\\nb\"", "libvirt_error: 'a?b' has a control character or bad UTF-8" },
	{ "xen_version", "\"\\u0085x\"", "xen_version: '??x' has a control character or bad UTF-8" },
	{ "xen_version", "\"4.17.5-pre-0123456789abcdefghijk\"", "xen_version: longer than 31 bytes" },
	{ "xen_major", "4294967296", "xen_major: 4294967296 is out of range 0..4294967295" },
	{ "cpus", NULL, "cpus: missing" },
	{ "memory_free_mib", "20000", "memory_free_mib: 20000 is larger than memory_total_mib 16384" },
	{ "instance_bridge", "null", "instance_bridge: not true or false" },
	{ "targets", "null", "targets: not an array" },
	{ "targets[1].paths", "17", "targets[1].paths: 17 is out of range 0..16" },
	{ "targets[0].shelf", "65535", "targets[0].shelf: 65535 is out of range 0..65534" },
	{ "targets[0].size_bytes", "\"8G\"", "targets[0].size_bytes: not an integer" },
	{ "targets[1]", "[]", "targets[1]: not an object" },
	{ "instances[2].state", "\"shut off\"",
	  "instances[2].state: 'shut off' is not one of nostate, running, blocked, paused, "
	  "shutdown, shutoff, crashed, pmsuspended" },
	{ "instances[0].memory_mib", "16777217",
	  "instances[0].memory_mib: 16777217 is out of range 0..16777216" },
	{ "instances[0].vcpus", "513", "instances[0].vcpus: 513 is out of range 0..512" },
	{ "instances[0].persistent", NULL, "instances[0].persistent: missing" },
	{ "instances[0].migration", "[]", "instances[0].migration: not an object or null" },
	{ "instances[0].migration.id", "0",
	  "instances[0].migration.id: 0 is out of range 1..9223372036854775807" },
	{ "instances[0].migration.phase", "\"copying\"",
	  "instances[0].migration.phase: 'copying' is not one of starting, transfer, done, failed" },
	{ "instances[0].migration.elapsed_ms", "-5",
	  "instances[0].migration.elapsed_ms: -5 is out of range 0..9223372036854775807" },
	{ "instances[2].migration.error", "\"\\u001b]0;pwned\\u0007\"",
	  "instances[2].migration.error: '?]0;pwned?' has a control character or bad UTF-8" },
	{ "instances[1].error", "\"\\u007f\"", "instances[1].error: '?' has a control character or bad UTF-8" },
	{ "instances[2].name", "\"web1\"", "instances[2].name: 'web1' is also instances[0]'s name" },
	{ "instances[2].name", "\"db1\"", "instances[2].name: 'db1' is also instances[1]'s name" },
	{ "events", "{}", "events: not an array" },
	{ "events[1].seq", "100", "events[1].seq: 100 does not follow events[0].seq 100" },
	{ "events[0].seq", "0", "events[0].seq: 0 is out of range 1..9223372036854775807" },
	{ "events[1].instance", "\"Web1\"", "events[1].instance: 'Web1' is not a lower-case DNS label" },
	{ "events[1].text", "\"\"", "events[1].text: empty" },
	{ "events[31].at_ms", "-1", "events[31].at_ms: -1 is out of range 0..9223372036854775807" },
};

static void test_observed_refusals(void **state)
{
	static struct hmsg_observed o;
	char err[HMSG_ERR_MAX], *good, *many, *json;

	(void)state;
	observed_fixture(&o);
	assert_int_equal(hmsg_observed_encode(&o, &good), 0);
	run_cases(good, observed_bad, sizeof(observed_bad) / sizeof(observed_bad[0]),
		  observed_decode_v, observed_free_v);

	many = json_repeat("{}", HMSG_MAX_EVENTS + 1);
	json = patched(good, "events", many);
	assert_int_equal(hmsg_observed_decode(json, strlen(json), &o, err), -EINVAL);
	assert_string_equal(err, "events: 33 entries, at most 32");
	hmsg_observed_free(&o);
	free(json);
	free(many);

	many = json_repeat("{}", HMSG_MAX_TARGETS + 1);
	json = patched(good, "targets", many);
	assert_int_equal(hmsg_observed_decode(json, strlen(json), &o, err), -EINVAL);
	assert_string_equal(err, "targets: 1025 entries, at most 1024");
	hmsg_observed_free(&o);
	free(json);
	free(many);

	/* a refusal deep in an array after good entries: _free releases them */
	json = patched(good, "instances[2].vcpus", "-1");
	assert_int_equal(hmsg_observed_decode(json, strlen(json), &o, err), -EINVAL);
	assert_string_equal(err, "instances[2].vcpus: -1 is out of range 0..512");
	assert_int_equal(o.n_instances, 2);
	hmsg_observed_free(&o);
	assert_null(o.instances);
	free(json);
	free(good);
}

/* --- the libvirt certificate ------------------------------------------------ */

static const char CSR[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIHaMIGBAgEAMA4xDDAKBgNVBAMMA2h3MTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABF2Q+/lz6c1yNbQF0s0Q8yAqLhGo7Jm1Yd2WqE0bP0r3k5VY0e2aJb0y0Q==\n"
	"-----END CERTIFICATE REQUEST-----\n";
static const char CERT[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBkTCCATegAwIBAgIUW0p3c2l0ZS1uaW1idXMtdGVzdC1jZXJ0MAoGCCqGSM49\n"
	"-----END CERTIFICATE-----\n";

static void cert_req_fixture(struct hmsg_cert_req *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->mac, (uint8_t[]){ 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, MAC_LEN);
	strcpy(r->node, "hw1");
	strcpy(r->csr, CSR);
}

static void cert_reply_fixture(struct hmsg_cert_reply *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->ca, CERT);
	strcpy(r->cert, CERT);
	r->cert[28] = 'X';   /* not the CA's */
	r->not_after = 1796336000;
}

static void test_cert_round_trip(void **state)
{
	static struct hmsg_cert_req q, qb;
	static struct hmsg_cert_reply r, rb;
	char err[HMSG_ERR_MAX], *json;

	(void)state;
	cert_req_fixture(&q);
	assert_int_equal(hmsg_cert_req_encode(&q, &json), 0);
	{
		static const char head[] = "{\"mac\":\"52:54:00:12:34:56\",\"node\":\"hw1\","
			"\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIHa";

		assert_int_equal(strncmp(json, head, strlen(head)), 0);
	}
	assert_int_equal(hmsg_cert_req_decode(json, strlen(json), &qb, err), 0);
	assert_memory_equal(&qb, &q, sizeof(q));
	free(json);

	cert_reply_fixture(&r);
	assert_int_equal(hmsg_cert_reply_encode(&r, &json), 0);
	assert_int_equal(strncmp(json, "{\"ca\":\"-----BEGIN CERTIFICATE-----\\n",
				 strlen("{\"ca\":\"-----BEGIN CERTIFICATE-----\\n")), 0);
	assert_non_null(strstr(json, "-----END CERTIFICATE-----\\n\",\"not_after\":1796336000}"));
	assert_int_equal(hmsg_cert_reply_decode(json, strlen(json), &rb, err), 0);
	assert_memory_equal(&rb, &r, sizeof(r));
	free(json);

	/* the limits: a PEM of HMSG_PEM_MAX - 1 bytes, the latest not_after */
	memset(q.csr, 'A', HMSG_PEM_MAX - 1);
	memcpy(q.csr, "-----BEGIN X", 12);
	q.csr[HMSG_PEM_MAX - 1] = '\0';
	assert_int_equal(hmsg_cert_req_encode(&q, &json), 0);
	assert_int_equal(hmsg_cert_req_decode(json, strlen(json), &qb, err), 0);
	assert_int_equal(strlen(qb.csr), HMSG_PEM_MAX - 1);
	free(json);
	r.not_after = INT64_MAX;
	assert_int_equal(hmsg_cert_reply_encode(&r, &json), 0);
	assert_int_equal(hmsg_cert_reply_decode(json, strlen(json), &rb, err), 0);
	assert_true(rb.not_after == INT64_MAX);
	free(json);
}

static void test_cert_encode_refuses(void **state)
{
	static struct hmsg_cert_req q;
	static struct hmsg_cert_reply r;

	(void)state;
#define R(change) REFUSED(hmsg_cert_req_encode, q, cert_req_fixture(&q), change)
	R(memset(q.mac, 0, MAC_LEN));
	R(q.mac[0] = 0x01);
	R(q.node[0] = '\0');
	R(strcpy(q.node, "hw_1"));
	R(q.csr[0] = '\0');
	R(strcpy(q.csr, "MIHaMIGBAgEAMA4x\n"));                 /* no BEGIN line */
	R(strcpy(q.csr, " -----BEGIN CERTIFICATE REQUEST-----\n"));
	R(strcpy(q.csr, "-----BEGIN CERTIFICATE REQUEST-----\r\nMIHa\r\n"));
	R(strcpy(q.csr, "-----BEGIN CERTIFICATE REQUEST-----\n\tMIHa\n"));
	R(strcpy(q.csr, "-----BEGIN CERTIFICATE REQUEST-----\n\x1b[2J\n"));
	R(strcpy(q.csr, "-----BEGIN CERTIFICATE REQUEST-----\n\x7f\n"));
	R(strcpy(q.csr, "-----BEGIN CERTIFICATE REQUEST-----\ncaf\xc3\xa9\n"));  /* UTF-8 */
	R(memset(q.csr, 'A', sizeof(q.csr)));                    /* no NUL */
#undef R
#define R(change) REFUSED(hmsg_cert_reply_encode, r, cert_reply_fixture(&r), change)
	R(r.ca[0] = '\0');
	R(r.cert[0] = '\0');
	R(strcpy(r.ca, "-----END CERTIFICATE-----\n"));
	R(strcpy(r.cert, "-----BEGIN CERTIFICATE-----\r\n"));
	R(r.cert[40] = '\x80');
	R(memset(r.ca, '-', sizeof(r.ca)));
	R(r.not_after = 0);
	R(r.not_after = -1);
	R(r.not_after = INT64_MIN);
#undef R
}

static const struct bad_case cert_req_bad[] = {
	{ "mac", NULL, "mac: missing" },
	{ "mac", "\"01:00:5e:00:00:01\"", "mac: '01:00:5e:00:00:01' is not a unicast MAC address" },
	{ "node", "\"\"", "node: empty" },
	{ "node", "\"HW1\"", "node: 'HW1' is not a lower-case DNS label" },
	{ "node", NULL, "node: missing" },
	{ "csr", NULL, "csr: missing" },
	{ "csr", "\"\"", "csr: empty" },
	{ "csr", "7", "csr: not a string" },
	{ "csr", "\"MIHaMIGBAgEA\\n\"", "csr: 'MIHaMIGBAgEA?' does not start with '-----BEGIN '" },
	{ "csr", "\"-----begin CERTIFICATE REQUEST-----\\n\"",
	  "csr: '-----begin CERTIFICATE REQUEST-----?' does not start with '-----BEGIN '" },
	{ "csr", "\"-----BEGIN CERTIFICATE REQUEST-----\\r\\nMIHa\\r\\n\"",
	  "csr: '-----BEGIN CERTIFICATE REQUEST-----??MIH...' has a character other than "
	  "printable ASCII or newline" },
	{ "csr", "\"-----BEGIN X\\u00e9\"",
	  "csr: '-----BEGIN X?" "?' has a character other than printable ASCII or newline" },
};

static const struct bad_case cert_reply_bad[] = {
	{ "ca", NULL, "ca: missing" },
	{ "ca", "\"\"", "ca: empty" },
	{ "ca", "null", "ca: not a string" },
	{ "ca", "\"-----BEGIN CERTIFICATE-----\\n\\t\"",
	  "ca: '-----BEGIN CERTIFICATE-----?" "?' has a character other than printable ASCII or "
	  "newline" },
	{ "cert", "\"\\n-----BEGIN CERTIFICATE-----\\n\"",
	  "cert: '?-----BEGIN CERTIFICATE-----?' does not start with '-----BEGIN '" },
	{ "cert", NULL, "cert: missing" },
	{ "not_after", "0", "not_after: 0 is out of range 1..9223372036854775807" },
	{ "not_after", "-1", "not_after: -1 is out of range 1..9223372036854775807" },
	{ "not_after", "1796336000.5", "not_after: not an integer" },
	{ "not_after", "\"2026-12-01\"", "not_after: not an integer" },
	{ "not_after", NULL, "not_after: missing" },
};

static int cert_req_decode_v(const char *t, size_t n, void *m, char *err)
{
	return hmsg_cert_req_decode(t, n, m, err);
}
static int cert_reply_decode_v(const char *t, size_t n, void *m, char *err)
{
	return hmsg_cert_reply_decode(t, n, m, err);
}
static void no_free_v(void *m) { (void)m; }

static void test_cert_refusals(void **state)
{
	static struct hmsg_cert_req q;
	static struct hmsg_cert_reply r;
	char err[HMSG_ERR_MAX], *good, *big, *json;

	(void)state;
	cert_req_fixture(&q);
	assert_int_equal(hmsg_cert_req_encode(&q, &good), 0);
	run_cases(good, cert_req_bad, sizeof(cert_req_bad) / sizeof(cert_req_bad[0]),
		  cert_req_decode_v, no_free_v);

	/* a CSR one byte too long */
	big = malloc(HMSG_PEM_MAX + 3);
	assert_non_null(big);
	memset(big, 'A', HMSG_PEM_MAX + 1);
	memcpy(big, "\"-----BEGIN X", 13);
	strcpy(big + 1 + HMSG_PEM_MAX, "\"");
	json = patched(good, "csr", big);
	assert_int_equal(hmsg_cert_req_decode(json, strlen(json), &q, err), -EINVAL);
	assert_string_equal(err, "csr: longer than 8191 bytes");
	free(json);
	free(good);

	cert_reply_fixture(&r);
	assert_int_equal(hmsg_cert_reply_encode(&r, &good), 0);
	run_cases(good, cert_reply_bad, sizeof(cert_reply_bad) / sizeof(cert_reply_bad[0]),
		  cert_reply_decode_v, no_free_v);
	json = patched(good, "cert", big);
	assert_int_equal(hmsg_cert_reply_decode(json, strlen(json), &r, err), -EINVAL);
	assert_string_equal(err, "cert: longer than 8191 bytes");
	free(json);
	free(big);

	assert_int_equal(hmsg_cert_reply_decode("[]", 2, &r, err), -EINVAL);
	assert_string_equal(err, "not a JSON object");
	assert_int_equal(hmsg_cert_reply_decode(good, strlen(good) - 1, &r, err), -EINVAL);
	assert_int_equal(strncmp(err, "not JSON: ", 10), 0);
	free(good);
}

static void test_words(void **state)
{
	enum hmsg_dom_state s;
	static const struct { const char *word; enum hmsg_dom_state state; } virsh[] = {
		{ "no state", HMSG_DOM_NOSTATE }, { "running", HMSG_DOM_RUNNING },
		{ "idle", HMSG_DOM_BLOCKED }, { "blocked", HMSG_DOM_BLOCKED },
		{ "paused", HMSG_DOM_PAUSED }, { "in shutdown", HMSG_DOM_SHUTDOWN },
		{ "shut off", HMSG_DOM_SHUTOFF }, { "crashed", HMSG_DOM_CRASHED },
		{ "pmsuspended", HMSG_DOM_PMSUSPENDED },
	};

	(void)state;
	for (unsigned i = 0; i <= HMSG_DOM_PMSUSPENDED; i++) {
		assert_int_equal(hmsg_dom_state_parse(hmsg_dom_state_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	for (size_t i = 0; i < sizeof(virsh) / sizeof(virsh[0]); i++) {
		assert_int_equal(hmsg_dom_state_parse(virsh[i].word, &s), 0);
		assert_int_equal(s, virsh[i].state);
	}
	assert_int_equal(hmsg_dom_state_parse("Running", &s), -EINVAL);
	assert_int_equal(hmsg_dom_state_parse("shut off\n", &s), -EINVAL);
	assert_int_equal(hmsg_dom_state_parse("", &s), -EINVAL);
	assert_null(hmsg_dom_state_name(HMSG_DOM_PMSUSPENDED + 1));
	assert_string_equal(hmsg_dom_state_name(HMSG_DOM_SHUTOFF), "shutoff");
	assert_string_equal(hmsg_want_state_name(HMSG_WANT_INCOMING), "incoming");
	assert_null(hmsg_want_state_name(HMSG_WANT_ABSENT + 1));
	assert_string_equal(hmsg_stop_mode_name(HMSG_STOP_DESTROY), "destroy");
	assert_null(hmsg_stop_mode_name(HMSG_STOP_DESTROY + 1));
	assert_string_equal(hmsg_mig_phase_name(HMSG_MIG_DONE), "done");
	assert_null(hmsg_mig_phase_name(HMSG_MIG_FAILED + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desired_round_trip),
		cmocka_unit_test(test_desired_wire),
		cmocka_unit_test(test_desired_encode_refuses),
		cmocka_unit_test(test_desired_refusals),
		cmocka_unit_test(test_observed_round_trip),
		cmocka_unit_test(test_observed_encode_refuses),
		cmocka_unit_test(test_observed_refusals),
		cmocka_unit_test(test_cert_round_trip),
		cmocka_unit_test(test_cert_encode_refuses),
		cmocka_unit_test(test_cert_refusals),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
