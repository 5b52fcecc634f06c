/* Fuzzes the hardware-node agent's message decoders (lib/agent/host_msg.c):
 * nimbusd decodes what any host on the management network posts as an
 * observed state or a certificate request, and the agent decodes nimbusd's
 * answers. The first byte picks the message (modulo 4: desired, observed,
 * certificate request, certificate reply); the rest is its text.
 * Invariant: whatever a decoder accepts, the encoder takes back, and
 * decoding that again gives the same message, byte for byte. */
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

/* no pointers inside: plain bytes */
static int same_cert_req(const struct hmsg_cert_req *a, const struct hmsg_cert_req *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int same_cert_reply(const struct hmsg_cert_reply *a, const struct hmsg_cert_reply *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void no_free(void *m)
{
	(void)m;
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
	switch (data[0] % 4) {
	case 0:
		ROUND_TRIP(struct hmsg_desired, hmsg_desired_decode, hmsg_desired_encode,
			   hmsg_desired_free, same_desired);
		break;
	case 1:
		ROUND_TRIP(struct hmsg_observed, hmsg_observed_decode, hmsg_observed_encode,
			   hmsg_observed_free, same_observed);
		break;
	case 2:
		ROUND_TRIP(struct hmsg_cert_req, hmsg_cert_req_decode, hmsg_cert_req_encode,
			   no_free, same_cert_req);
		break;
	default:
		ROUND_TRIP(struct hmsg_cert_reply, hmsg_cert_reply_decode, hmsg_cert_reply_encode,
			   no_free, same_cert_reply);
		break;
	}
	/* every message is printable ASCII, whatever came in */
	for (const char *c = err; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
	return 0;
}
