/* libFuzzer: nimbusd's configuration parser (confignode/config.c). The
 * input is the file's text; whatever it accepts must satisfy the same
 * checks the generators rely on (no unchecked string reaches dhcpd.conf
 * or pxelinux.cfg). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../confignode/config.h"
#include "../../confignode/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nimbusd_config c;
	char err[512], *text;

	if (size > CONFIG_MAX_BYTES)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&c);
	err[0] = '\0';
	if (config_parse(text, &c, err, sizeof(err)) == 0) {
		uint32_t net = c.prov.subnet;

		if (validate_cmdline(c.prov.discovery.cmdline) != 0 ||
		    validate_abs_path(c.socket) != 0 || validate_abs_path(c.database) != 0 ||
		    validate_abs_path(c.prov.tftp_root) != 0 ||
		    validate_abs_path(c.prov.dhcpd_conf) != 0 ||
		    !ipv4_in_subnet(c.prov.address, net, c.prefix) ||
		    !ipv4_in_subnet(c.node_pool_start, net, c.prefix) ||
		    !ipv4_in_subnet(c.node_pool_end, net, c.prefix) ||
		    c.node_pool_start > c.node_pool_end || c.lost_after == 0)
			abort();
	} else if (!err[0]) {
		abort(); /* every refusal says why */
	}
	free(text);
	return 0;
}
