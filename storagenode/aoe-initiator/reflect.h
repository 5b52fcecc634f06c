/* reflect.h - a null AoE target for measuring the link's ceiling: it
 * answers Query Config (bufcnt 64, sectors per frame from the MTU), IDENTIFY
 * (a 1 TiB LBA48 disk) and every READ/WRITE at once, with no disk behind it
 * and no data copied. The same client against it shows what a perfect
 * target could reach over this link on this machine.
 */
#ifndef NIMBUS_AOE_REFLECT_H
#define NIMBUS_AOE_REFLECT_H

#include <stddef.h>
#include <stdint.h>

#include "initiator.h"

#define REFLECT_BUFCNT  64
#define REFLECT_SECTORS (1ull << 31)

/* Build the reply to one request frame into reply (cap bytes, at least
 * mtu + 14); returns its length, or 0 when the frame gets no answer. Pure. */
size_t reflect_reply(const uint8_t *frame, size_t len, const uint8_t mac[6],
		     unsigned mtu, uint8_t *reply, size_t cap);

/* Serve on ini (opened with requests=true) until killed or an error. */
int reflect_run(struct ini *ini);

#endif
