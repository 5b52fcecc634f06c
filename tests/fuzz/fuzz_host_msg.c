/* Fuzzes the hardware-node agent's message decoders (lib/agent/host_msg.c):
 * nimbusd decodes what any host on the management network posts as an
 * observed state, and the agent decodes nimbusd's answers. The first byte
 * picks the message; the rest is its text. Invariant: whatever a decoder
 * accepts, the encoder takes back, and decoding that again gives the same
 * message, byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/host_msg.h"

/* a and b equal but for where their arrays live */
static int same_desired(const struct hmsg_desired *a, const struct hmsg_desired *b)
{
	struct hmsg_desired c;

	memcpy(&c, b, sizeof(c));
	c.instances = a->instances;
	return !memcmp(a, &c, sizeof(c)) &&
	       (!a->n_instances ||
		!memcmp(a->instances, b->instances, a->n_instances * sizeof(*a->instances)));
}

static int same_observed(const struct hmsg_observed *a, const struct hmsg_observed *b)
{
	static struct hmsg_observed c;   /* 11 KiB */

	memcpy(&c, b, sizeof(c));
	c.targets = a->targets;
	c.instances = a->instances;
	return !memcmp(a, &c, sizeof(c)) &&
	       (!a->n_targets ||
		!memcmp(a->targets, b->targets, a->n_targets * sizeof(*a->targets))) &&
	       (!a->n_instances ||
		!memcmp(a->instances, b->instances, a->n_instances * sizeof(*a->instances)));
}

#define ROUND_TRIP(type, dec, enc, fr, same)                                 \
	do {                                                                 \
		static type a, b;                                            \
		char *json;                                                  \
		if (dec(text, size, &a, err) == 0) {                         \
			if (enc(&a, &json) != 0)                             \
				abort();                                     \
			if (dec(json, strlen(json), &b, err) != 0)           \
				abort();                                     \
			if (!same(&a, &b))                                   \
				abort();                                     \
			fr(&b);                                              \
			free(json);                                          \
		}                                                            \
		fr(&a);                                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[HMSG_ERR_MAX];
	const char *text;

	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	size--;
	if (data[0] % 2 == 0)
		ROUND_TRIP(struct hmsg_desired, hmsg_desired_decode, hmsg_desired_encode,
			   hmsg_desired_free, same_desired);
	else
		ROUND_TRIP(struct hmsg_observed, hmsg_observed_decode, hmsg_observed_encode,
			   hmsg_observed_free, same_observed);
	/* every message is printable ASCII, whatever came in */
	for (const char *c = err; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
	return 0;
}
