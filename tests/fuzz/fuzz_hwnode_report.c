/* Fuzzes the hardware-node report client's parsers (`xl info`, aoe
 * debugfs, boot.env) and its JSON encoder with whatever they parsed: the
 * text comes from other programs and the kernel, so it is not trusted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct hw_report r;
	char *json = NULL;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&r, 0, sizeof(r));
	r.state = "booted";
	r.xl_ok = xl_info_parse(text, &r.xl) == 0;
	n = aoe_debugfs_parse(text, r.paths, REPORT_MAX_PATHS);
	r.n_paths = n > 0 ? (size_t)n : 0;
	env_lookup(text, "NIMBUS_ROOT", r.root, sizeof(r.root));
	env_lookup(text, "NIMBUS_NODE", r.node, sizeof(r.node));
	if (size >= 12)
		mac_from_hex12(text, r.mac);
	if (report_json(&r, &json) == 0)
		free(json);
	free(text);
	return 0;
}
