/* nimbusd's decisions for hardware nodes (confignode/host_logic.c): each
 * node's desired state, placement, and reading a node's observations. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host_logic.h"

static struct db_instance inst(const char *name, const char *node, enum db_inst_desired d)
{
	struct db_instance in;

	memset(&in, 0, sizeof(in));
	snprintf(in.name, sizeof(in.name), "%s", name);
	snprintf(in.node, sizeof(in.node), "%s", node);
	snprintf(in.volume, sizeof(in.volume), "%s-disk", name);
	in.memory_mib = 256;
	in.vcpus = 1;
	in.mac[0] = 0x5e;
	in.mac[5] = 0x01;
	in.desired = d;
	in.stop_timeout_s = 60;
	in.ip = 0x0a4e000a; /* 10.78.0.10 */
	in.prefix = 24;
	return in;
}

static const struct hmsg_want_instance *want(const struct hmsg_desired *d, const char *name)
{
	for (size_t i = 0; i < d->n_instances; i++)
		if (strcmp(d->instances[i].name, name) == 0)
			return &d->instances[i];
	return NULL;
}

static void test_desired_states(void **state)
{
	struct db_instance a = inst("web1", "hw1", DB_INST_RUNNING),
			   b = inst("web2", "hw1", DB_INST_STOPPED),
			   c = inst("web3", "hw1", DB_INST_RUNNING),   /* volume not ready */
			   d = inst("web4", "hw1", DB_INST_DELETING),  /* volume not ready */
			   e = inst("web5", "hw2", DB_INST_RUNNING);   /* elsewhere */
	struct hl_inst hi[] = {
		{ &a, 7, 1, true, NULL, 0 }, { &b, 7, 2, true, NULL, 0 },
		{ &c, 7, 3, false, NULL, 0 }, { &d, 7, 4, false, NULL, 0 },
		{ &e, 7, 5, true, NULL, 0 },
	};
	struct hmsg_desired out;
	char err[HMSG_ERR_MAX];
	const struct hmsg_want_instance *w;

	(void)state;
	assert_int_equal(hl_build_desired("hw1", 9, hi, 5, &out, err), 0);
	assert_string_equal(out.node, "hw1");
	assert_int_equal(out.generation, 9);
	assert_int_equal(out.n_instances, 3);
	w = want(&out, "web1");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_RUNNING);
	assert_int_equal(w->shelf, 7);
	assert_int_equal(w->slot, 1);
	assert_non_null(strstr(w->domain_xml, "/dev/etherd/e7.1"));
	assert_non_null(strstr(w->domain_xml, "nimbus.ip=10.78.0.10/24"));
	assert_int_equal(w->migrate.id, 0);
	w = want(&out, "web2");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_STOPPED);
	assert_true(w->domain_xml[0] != '\0');
	assert_null(want(&out, "web3"));   /* pending: not sent */
	w = want(&out, "web4");
	assert_non_null(w);
	assert_int_equal(w->state, HMSG_WANT_ABSENT);
	assert_string_equal(w->domain_xml, "");
	assert_null(want(&out, "web5"));
	hmsg_desired_free(&out);
}

static void test_desired_migration(void **state)
{
	struct db_instance a = inst("web1", "hw1", DB_INST_RUNNING);
	struct db_migration m = { .id = 42, .state = DB_MIG_RUNNING };
	struct hl_inst hi = { &a, 7, 1, true, &m, 0x0a4d000c };
	struct hmsg_desired src, dst, other;
	char err[HMSG_ERR_MAX], addr[16];

	(void)state;
	snprintf(m.instance, sizeof(m.instance), "web1");
	snprintf(m.src, sizeof(m.src), "hw1");
	snprintf(m.dst, sizeof(m.dst), "hw2");
	assert_int_equal(hl_build_desired("hw1", 3, &hi, 1, &src, err), 0);
	assert_int_equal(src.n_instances, 1);
	assert_int_equal(src.instances[0].state, HMSG_WANT_RUNNING);
	assert_int_equal(src.instances[0].migrate.id, 42);
	assert_string_equal(src.instances[0].migrate.to, "hw2");
	inet_ntop(AF_INET, &src.instances[0].migrate.to_addr, addr, sizeof(addr));
	assert_string_equal(addr, "10.77.0.12");
	assert_int_equal(hl_build_desired("hw2", 5, &hi, 1, &dst, err), 0);
	assert_int_equal(dst.n_instances, 1);
	assert_int_equal(dst.instances[0].state, HMSG_WANT_INCOMING);
	assert_string_equal(dst.instances[0].domain_xml, "");
	assert_int_equal(hl_build_desired("hw3", 1, &hi, 1, &other, err), 0);
	assert_int_equal(other.n_instances, 0);
	hmsg_desired_free(&src);
	hmsg_desired_free(&dst);
	hmsg_desired_free(&other);
}

static void test_desired_bad_domain(void **state)
{
	struct db_instance a = inst("web1", "hw1", DB_INST_RUNNING);
	struct hl_inst hi = { &a, 7, 1, true, NULL, 0 };
	struct hmsg_desired out;
	char err[HMSG_ERR_MAX];

	(void)state;
	a.memory_mib = 64;   /* below what libxl can boot */
	assert_int_equal(hl_build_desired("hw1", 1, &hi, 1, &out, err), -EINVAL);
	assert_non_null(strstr(err, "instance web1"));
}

static void test_place(void **state)
{
	struct hl_host h[] = {
		{ "hw1", true, false, true, 1000, NULL },
		{ "hw2", true, false, true, 3000, NULL },
		{ "hw3", true, true, true, 9000, NULL },    /* drained */
		{ "hw4", false, false, true, 8000, "not booted" },
		{ "hw5", true, false, false, 7000, NULL },  /* does not see the volume */
	};
	size_t idx = 99, li;
	uint64_t largest;

	(void)state;
	assert_int_equal(hl_place(h, 5, 256, &idx, &largest, &li), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(hl_place(h, 5, 2000, &idx, &largest, &li), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(hl_place(h, 5, 4000, &idx, &largest, &li), -ENOSPC);
	assert_int_equal(largest, 3000);
	assert_int_equal(li, 1);
	assert_int_equal(hl_place(h + 2, 3, 256, &idx, &largest, &li), -ENOENT);
	assert_int_equal(hl_place(h, 0, 256, &idx, &largest, &li), -ENOENT);
}

static void test_xen_versions(void **state)
{
	static const struct { uint32_t a, b, c, d; bool ok; } t[] = {
		{ 4, 17, 4, 17, true }, { 4, 17, 4, 18, true }, { 4, 17, 4, 19, false },
		{ 4, 18, 4, 17, false }, { 4, 17, 5, 17, false }, { 4, 17, 5, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(hl_xen_compatible(t[i].a, t[i].b, t[i].c, t[i].d), t[i].ok);
}

static void test_find(void **state)
{
	struct hmsg_have_instance hs[3];
	struct hmsg_target ts[1] = { { 7, 1, 268435456, 2 } };
	struct hmsg_observed o;

	(void)state;
	memset(&o, 0, sizeof(o));
	memset(hs, 0, sizeof(hs));
	snprintf(hs[0].name, sizeof(hs[0].name), "web1");
	hs[0].state = HMSG_DOM_RUNNING;
	hs[0].persistent = true;
	/* what the source keeps after a migration: the result, no domain */
	snprintf(hs[1].name, sizeof(hs[1].name), "web2");
	hs[1].state = HMSG_DOM_SHUTOFF;
	hs[1].migration.id = 3;
	hs[1].migration.phase = HMSG_MIG_DONE;
	snprintf(hs[2].name, sizeof(hs[2].name), "web3");
	hs[2].state = HMSG_DOM_SHUTOFF;
	hs[2].persistent = true;
	o.instances = hs;
	o.n_instances = 3;
	o.targets = ts;
	o.n_targets = 1;
	assert_ptr_equal(hl_find(&o, "web1"), &hs[0]);
	assert_true(hl_active(hl_find(&o, "web1")));
	assert_null(hl_find(&o, "web2"));
	assert_ptr_equal(hl_find(&o, "web3"), &hs[2]);
	assert_false(hl_active(&hs[2]));
	assert_null(hl_find(&o, "nope"));
	assert_null(hl_find(NULL, "web1"));
	assert_ptr_equal(hl_target(&o, 7, 1), &ts[0]);
	assert_null(hl_target(&o, 7, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desired_states),
		cmocka_unit_test(test_desired_migration),
		cmocka_unit_test(test_desired_bad_domain),
		cmocka_unit_test(test_place),
		cmocka_unit_test(test_xen_versions),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
