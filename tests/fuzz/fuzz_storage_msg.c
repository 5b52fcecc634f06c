/* Fuzzes the storage agent's message decoders (lib/agent/storage_msg.c):
 * nimbusd decodes what any host on the storage network sends it, and the
 * agent decodes nimbusd's answers. The first byte picks the message; the
 * rest is its text. Invariant: whatever a decoder accepts, the encoder
 * takes back, and decoding that again gives the same message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/storage_msg.h"

#define ROUND_TRIP(type, dec, enc, fr, cmp)                                  \
	do {                                                                 \
		type a, b;                                                   \
		char *json;                                                  \
		if (dec(text, size, &a, err) == 0) {                         \
			if (enc(&a, &json) != 0)                             \
				abort();                                     \
			if (dec(json, strlen(json), &b, err) != 0)           \
				abort();                                     \
			if (!(cmp))                                          \
				abort();                                     \
			fr(&b);                                              \
			free(json);                                          \
		}                                                            \
		fr(&a);                                                      \
	} while (0)

static void nothing(void *p) { (void)p; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SMSG_ERR_MAX];
	const char *text;

	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	size--;
	switch (data[0] % 4) {
	case 0:
		ROUND_TRIP(struct smsg_desired, smsg_desired_decode, smsg_desired_encode,
			   smsg_desired_free,
			   a.n_volumes == b.n_volumes && a.generation == b.generation &&
			   (!a.n_volumes || !memcmp(a.volumes, b.volumes,
						    a.n_volumes * sizeof(*a.volumes))));
		break;
	case 1:
		ROUND_TRIP(struct smsg_observed, smsg_observed_decode, smsg_observed_encode,
			   smsg_observed_free,
			   a.n_volumes == b.n_volumes && a.n_disks == b.n_disks &&
			   !memcmp(a.disks, b.disks, a.n_disks * sizeof(*a.disks)));
		break;
	case 2:
		ROUND_TRIP(struct smsg_fence_req, smsg_fence_req_decode, smsg_fence_req_encode,
			   nothing, !memcmp(&a, &b, sizeof(a)));
		break;
	default:
		ROUND_TRIP(struct smsg_fence_reply, smsg_fence_reply_decode,
			   smsg_fence_reply_encode, nothing,
			   a.granted == b.granted && !strcmp(a.reason, b.reason));
		break;
	}
	return 0;
}
