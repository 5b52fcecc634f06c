/* Fuzz aoe-bench's untrusted-input parsers: the null target's request
 * handling (any frame off the wire), IDENTIFY decoding (any 512 bytes a
 * target returns) and the command-line value parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "initiator.h"
#include "reflect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t reply[9100];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const unsigned mtus[] = { 68, 1500, 9000 };

	for (unsigned i = 0; i < 3; i++) {
		size_t n = reflect_reply(data, size, mac, mtus[i], reply,
					 mtus[i] + 64);
		if (n > mtus[i] + 64)
			abort();
	}
	if (size >= 512) {
		struct ini_identity id;
		ini_identity_decode(data, &id);
		if (strlen(id.model) > 40 || strlen(id.serial) > 20)
			abort();
	}
	char s[64];
	size_t l = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, l);
	s[l] = 0;
	uint64_t v;
	uint16_t shelf;
	uint8_t slot;
	args_size(s, &v);
	args_u64(s, UINT64_MAX, &v);
	if (args_target(s, &shelf, &slot) == 0 && (shelf > 65534 || slot > 254))
		abort();
	return 0;
}
