/* Fuzzes what provisioning parses and what it refuses to interpolate:
 * - omshell answers (omapi_parse_output) and pxelinux file names from
 *   inotify (provision_pxe_name_parse, which must round-trip);
 * - node fields (name, kernel, initrd, cmdline, Xen cmdline, image name)
 *   from the input: a generator either refuses them or produces a file with
 *   exactly the template's number of lines and quotes - input can never add
 *   a line, a directive or a closing quote to dhcpd.conf or a pxelinux file.
 * Input: fields separated by NUL bytes. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/dhcp_omapi.h"
#include "../../confignode/gen_dhcp.h"
#include "../../confignode/gen_pxe.h"
#include "../../confignode/provision.h"
#include "../unit/fixtures_prov.h"
#include "log.h"

static void node(struct prov_node *n, int xen)
{
	static const uint8_t mac[MAC_LEN] = { 0x52, 0x54, 0, 1, 2, 3 };

	memset(n, 0, sizeof(*n));
	strcpy(n->name, "n");
	memcpy(n->mac, mac, MAC_LEN);
	n->ip = fixture_ip("10.77.0.10");
	strcpy(n->image.kernel, "k");
	strcpy(n->image.initrd, "i");
	if (xen) {
		n->role = ROLE_HW;
		strcpy(n->image.xen, "x");
	}
}

static size_t count(const char *s, char c)
{
	size_t k = 0;

	for (; *s; s++)
		k += *s == c;
	return k;
}

/* next NUL-terminated field of the input, copied into dst (size n) */
static const uint8_t *field(const uint8_t *p, const uint8_t *end, char *dst, size_t n)
{
	size_t i = 0;

	while (p < end && *p && i + 1 < n)
		dst[i++] = (char)*p++;
	dst[i] = '\0';
	while (p < end && *p)
		p++;
	return p < end ? p + 1 : p;
}

static void check_gen(const struct prov_config *c, const struct prov_node *ref,
		      const struct prov_node *n)
{
	char *want = NULL, *got = NULL;

	if (gen_pxe_node(c, ref, &want) != 0)
		abort();
	if (gen_pxe_node(c, n, &got) == 0) {
		/* the fields end up on existing lines, never on new ones */
		if (count(got, '\n') != count(want, '\n'))
			abort();
		free(got);
	}
	free(want);
	if (gen_dhcpd_conf(c, ref, 1, false, &want) != 0)
		abort();
	if (gen_dhcpd_conf(c, n, 1, false, &got) == 0) {
		if (count(got, '\n') != count(want, '\n') ||
		    count(got, '"') != count(want, '"') ||
		    count(got, '{') != count(want, '{') || count(got, ';') != count(want, ';'))
			abort();
		free(got);
	}
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const uint8_t *p = data, *end = data + size;
	struct prov_config c;
	struct prov_node ref, n;
	char text[4096], *s;
	uint8_t mac[MAC_LEN];
	int xen;

	if (!init) {
		log_init("fuzz_provision", LOG_LVL_ERR, 0);
		log_set_level(LOG_LVL_ERR);
		init = 1;
	}
	/* the whole input as an omshell answer and as a file name */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	omapi_parse_output(s, NULL, NULL);
	if (provision_pxe_name_parse(s, mac) == 0) {
		char back[PROV_PXE_NAME_LEN];

		provision_pxe_name(mac, back);
		if (strcmp(back, s) != 0)
			abort();
	}
	free(s);

	if (size < 1)
		return 0;
	xen = data[0] & 1;
	p++;
	fixture_prov_config(&c);
	node(&ref, xen);
	node(&n, xen);
	p = field(p, end, n.name, sizeof(n.name));
	p = field(p, end, n.image.kernel, sizeof(n.image.kernel));
	p = field(p, end, n.image.initrd, sizeof(n.image.initrd));
	p = field(p, end, n.image.cmdline, sizeof(n.image.cmdline));
	p = field(p, end, n.image.xen_cmdline, sizeof(n.image.xen_cmdline));
	p = field(p, end, text, sizeof(text));
	snprintf(n.image.name, sizeof(n.image.name), "%s", text);
	if (!n.image.initrd[0]) /* no initrd: one line less, by design */
		strcpy(n.image.initrd, "i");
	check_gen(&c, &ref, &n);
	return 0;
}
