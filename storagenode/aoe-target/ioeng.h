/* ioeng.h - aoetd's disk I/O engine: io_uring with many operations in
 * flight, completion signalled on an eventfd the event loop polls. Each
 * operation carries an opaque pointer handed back on completion.
 */
#ifndef NIMBUS_AOETD_IOENG_H
#define NIMBUS_AOETD_IOENG_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioeng {
	struct io_uring ring;
	int efd;           /* signalled on every completion (poll it with
			    * EPOLLET: its count is never read) */
	unsigned queued;   /* prepared but not yet submitted */
	unsigned inflight; /* submitted, not yet completed */
	/* The last read or write queued (fd -1: none, or a sync since): a
	 * request that does not continue it is worth handing over at once. */
	int last_fd;
	bool last_write;
	uint64_t last_end;
};

int ioeng_init(struct ioeng *e, unsigned depth);
void ioeng_exit(struct ioeng *e);

/* Queue operations. Return 0 or a negative errno. Queued operations go to
 * the kernel with ioeng_submit, when the ring is full, or when a read or
 * write does not continue the previous one (same fd and direction, next
 * byte): neighbours wait for the end of the event-loop round so the block
 * layer can merge them into large requests (sequential I/O), while
 * scattered requests gain nothing from waiting and would leave the disk
 * idle while the rest of the round is parsed (random I/O). */
int ioeng_read(struct ioeng *e, int fd, void *buf, size_t len, uint64_t off,
	       void *ud);
int ioeng_write(struct ioeng *e, int fd, const void *buf, size_t len,
		uint64_t off, void *ud);
int ioeng_fdatasync(struct ioeng *e, int fd, void *ud);

int ioeng_submit(struct ioeng *e);

/* Calls cb(ctx, ud, res) for every finished operation (res: bytes or a
 * negative errno); returns how many. No system call: the eventfd is meant
 * for edge-triggered epoll and never needs reading. */
unsigned ioeng_reap(struct ioeng *e, void (*cb)(void *ctx, void *ud, int res),
		    void *ctx);

#endif
