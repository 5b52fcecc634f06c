/* gen_domain: the libvirt domain XML of an instance. The expected text is
 * the definition tests/vm/hwnode_boot.sh has libvirt's libxl driver create
 * (a PVH guest on /dev/etherd/e1.1, vif on instbr0 through vif-nimbus),
 * plus a UUID; then every value the generator must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../confignode/gen_domain.h"

static const char expected_inst1[] =
	"<domain type='xen'>\n"
	"  <name>inst1</name>\n"
	"  <uuid>5e1f0000-0000-4000-8000-00000000a001</uuid>\n"
	"  <memory unit='MiB'>256</memory>\n"
	"  <vcpu>1</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='xenpvh'>xenpvh</type>\n"
	"    <kernel>/usr/lib/nimbus/guest/vmlinuz</kernel>\n"
	"    <initrd>/usr/lib/nimbus/guest/initrd.gz</initrd>\n"
	"    <cmdline>console=hvc0 root=/dev/xvda nimbus.hostname=inst1 nimbus.ip=10.78.0.10/24</cmdline>\n"
	"  </os>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>restart</on_reboot>\n"
	"  <on_crash>destroy</on_crash>\n"
	"  <devices>\n"
	"    <disk type='block' device='disk'>\n"
	"      <driver name='phy'/>\n"
	"      <source dev='/dev/etherd/e1.1'/>\n"
	"      <target dev='xvda' bus='xen'/>\n"
	"    </disk>\n"
	"    <interface type='bridge'>\n"
	"      <source bridge='instbr0'/>\n"
	"      <mac address='00:16:3e:4e:00:01'/>\n"
	"      <script path='vif-nimbus'/>\n"
	"    </interface>\n"
	"    <console type='pty'>\n"
	"      <target type='xen' port='0'/>\n"
	"    </console>\n"
	"  </devices>\n"
	"</domain>\n";

static void inst1(struct gen_domain *d)
{
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x4e, 0x00, 0x01 };
	static const uint8_t uuid[16] = { 0x5e, 0x1f, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0xa0, 0x01 };

	gen_domain_defaults(d);
	snprintf(d->name, sizeof(d->name), "inst1");
	memcpy(d->uuid, uuid, sizeof(uuid));
	snprintf(d->disk, sizeof(d->disk), "/dev/etherd/e1.1");
	memcpy(d->mac, mac, sizeof(mac));
	d->addr = (10u << 24) | (78u << 16) | 10u;
	d->prefix = 24;
}

static void test_expected_text(void **state)
{
	struct gen_domain d;
	char *t;

	(void)state;
	inst1(&d);
	assert_int_equal(gen_domain_xml(&d, &t), 0);
	assert_string_equal(t, expected_inst1);
	free(t);
}

static void test_without_uuid_gw_and_sizes(void **state)
{
	struct gen_domain d;
	char *t;

	(void)state;
	inst1(&d);
	memset(d.uuid, 0, sizeof(d.uuid));
	d.gw = (10u << 24) | (78u << 16) | 1u;
	d.memory_mib = 2048;
	d.vcpus = 4;
	assert_int_equal(gen_domain_xml(&d, &t), 0);
	assert_null(strstr(t, "<uuid>"));
	assert_non_null(strstr(t, "nimbus.ip=10.78.0.10/24 nimbus.gw=10.78.0.1</cmdline>"));
	assert_non_null(strstr(t, "<memory unit='MiB'>2048</memory>"));
	assert_non_null(strstr(t, "<vcpu>4</vcpu>"));
	free(t);

	/* No address: the initramfs leaves eth0 alone. */
	d.addr = 0;
	d.prefix = 0;
	d.gw = 0;
	assert_int_equal(gen_domain_xml(&d, &t), 0);
	assert_non_null(strstr(t, "<cmdline>console=hvc0 root=/dev/xvda nimbus.hostname=inst1</cmdline>"));
	free(t);
}

enum field { F_NAME, F_DISK, F_BRIDGE, F_KERNEL, F_INITRD, F_SCRIPT };

static const struct bad_case {
	enum field field;
	const char *value;
} bad_strings[] = {
	{ F_NAME, "" },
	{ F_NAME, "Inst1" },
	{ F_NAME, "inst_1" },
	{ F_NAME, "-inst" },
	{ F_NAME, "a<b" },
	{ F_NAME, "inst1'" },
	{ F_DISK, "" },
	{ F_DISK, "/dev/sda" },
	{ F_DISK, "/dev/etherd/e1" },
	{ F_DISK, "/dev/etherd/e1." },
	{ F_DISK, "/dev/etherd/e.1" },
	{ F_DISK, "/dev/etherd/e01.1" },
	{ F_DISK, "/dev/etherd/e1.01" },
	{ F_DISK, "/dev/etherd/e65535.1" },
	{ F_DISK, "/dev/etherd/e1.255" },
	{ F_DISK, "/dev/etherd/e1.1p1" },
	{ F_DISK, "/dev/etherd/e1.1'/>" },
	/* The storage network, or no bridge: never for an instance. */
	{ F_BRIDGE, "xenbr0" },
	{ F_BRIDGE, "" },
	{ F_BRIDGE, "instbr0'" },
	{ F_BRIDGE, "instBR0" },
	{ F_KERNEL, "vmlinuz" },
	{ F_KERNEL, "/usr/lib/../vmlinuz" },
	{ F_KERNEL, "/boot/vm linuz" },
	{ F_INITRD, "" },
	{ F_INITRD, "/boot/initrd<" },
	{ F_SCRIPT, "" },
	{ F_SCRIPT, "-x" },
	{ F_SCRIPT, "../vif-bridge" },
	{ F_SCRIPT, "vif nimbus" },
};

static void set_field(struct gen_domain *d, enum field f, const char *v)
{
	switch (f) {
	case F_NAME: snprintf(d->name, sizeof(d->name), "%s", v); break;
	case F_DISK: snprintf(d->disk, sizeof(d->disk), "%s", v); break;
	case F_BRIDGE: snprintf(d->bridge, sizeof(d->bridge), "%s", v); break;
	case F_KERNEL: snprintf(d->kernel, sizeof(d->kernel), "%s", v); break;
	case F_INITRD: snprintf(d->initrd, sizeof(d->initrd), "%s", v); break;
	case F_SCRIPT: snprintf(d->vif_script, sizeof(d->vif_script), "%s", v); break;
	}
}

static void test_bad_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_strings) / sizeof(bad_strings[0]); i++) {
		struct gen_domain d;
		char *t = (char *)1;

		inst1(&d);
		set_field(&d, bad_strings[i].field, bad_strings[i].value);
		if (gen_domain_xml(&d, &t) != -EINVAL || t != NULL)
			fail_msg("case %zu (field %d, '%s') was not refused", i, bad_strings[i].field,
				 bad_strings[i].value);
	}
}

static void test_good_edges(void **state)
{
	static const char *const disks[] = { "/dev/etherd/e0.0", "/dev/etherd/e65534.254",
					     "/dev/etherd/e10.1" };
	struct gen_domain d;
	char *t;

	(void)state;
	for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]); i++) {
		inst1(&d);
		set_field(&d, F_DISK, disks[i]);
		assert_int_equal(gen_domain_xml(&d, &t), 0);
		free(t);
	}
	inst1(&d);
	set_field(&d, F_BRIDGE, "instbr12");
	d.memory_mib = GEN_DOMAIN_MEMORY_MIN_MIB;
	d.vcpus = GEN_DOMAIN_VCPUS_MAX;
	d.prefix = 32;
	assert_int_equal(gen_domain_xml(&d, &t), 0);
	free(t);
}

static void test_bad_numbers(void **state)
{
	struct gen_domain d;
	char *t;

	(void)state;
	inst1(&d);
	d.memory_mib = GEN_DOMAIN_MEMORY_MIN_MIB - 1;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.memory_mib = GEN_DOMAIN_MEMORY_MAX_MIB + 1;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.vcpus = 0;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.vcpus = GEN_DOMAIN_VCPUS_MAX + 1;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.prefix = 0;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.prefix = 33;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	/* A gateway, or a prefix, without an address. */
	inst1(&d);
	d.addr = 0;
	d.prefix = 0;
	d.gw = 1;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	d.addr = 0;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	/* Multicast and all-zero MACs. */
	inst1(&d);
	d.mac[0] = 0x01;
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
	inst1(&d);
	memset(d.mac, 0, sizeof(d.mac));
	assert_int_equal(gen_domain_xml(&d, &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_text),
		cmocka_unit_test(test_without_uuid_gw_and_sizes),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_good_edges),
		cmocka_unit_test(test_bad_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
