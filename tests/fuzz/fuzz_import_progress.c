/* libFuzzer harness for the volume import's progress parser
 * (confignode/import_progress.c): any bytes, fed in two pieces split at
 * the first byte's value, keep done <= total, a printable message of at
 * most IMPORT_LINE_MAX - 1 bytes, and the same result as one piece. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import_progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_progress a, b;
	size_t cut = size ? data[0] % (size + 1) : 0;
	unsigned na, nb;

	import_progress_init(&a);
	import_progress_init(&b);
	na = import_progress_feed(&a, (const char *)data, size);
	na += import_progress_finish(&a);
	nb = import_progress_feed(&b, (const char *)data, cut);
	nb += import_progress_feed(&b, (const char *)data + cut, size - cut);
	nb += import_progress_finish(&b);
	if (na != nb || a.done != b.done || a.total != b.total || strcmp(a.msg, b.msg) != 0)
		abort();
	if (a.done > a.total || (a.lines && a.total == 0) || import_progress_percent(a.done, a.total) > 100)
		abort();
	for (size_t i = 0; a.msg[i]; i++)
		if (i >= IMPORT_LINE_MAX - 1 || a.msg[i] < 0x20 || a.msg[i] > 0x7e)
			abort();
	return 0;
}
