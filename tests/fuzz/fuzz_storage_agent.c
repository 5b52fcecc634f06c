/* libFuzzer harness for the agent's parsers of what it reads from others:
 * nimbusd's HTTP responses (storagenode/agent/http.c) and lvs output
 * (storagenode/agent/lvs.c). A body must lie inside the input; lvs entries
 * are NUL-terminated and bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "lvs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lvs_out o;
	const char *t = (const char *)data, *body;
	size_t blen;
	int st;

	for (int eof = 0; eof < 2; eof++)
		if (http_parse_response(t, size, eof, &st, &body, &blen) == 1 &&
		    (body < t || body + blen > t + size || st < 100 || st > 599))
			abort();
	if (lvs_parse(t, size, &o) == 0) {
		if (o.n > LVS_MAX)
			abort();
		for (size_t i = 0; i < o.n; i++)
			if (!memchr(o.lv[i].name, '\0', sizeof(o.lv[i].name)) ||
			    !memchr(o.lv[i].origin, '\0', sizeof(o.lv[i].origin)) ||
			    o.lv[i].data_pct < 0 || o.lv[i].data_pct > 100)
				abort();
	}
	return 0;
}
