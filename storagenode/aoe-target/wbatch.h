/* wbatch.h - page-cache writes that continue each other, gathered and
 * written with one pwritev.
 *
 * aoetd writes page-cache exports with pwritev on the descriptor rather
 * than through a shared mapping: a store into a mapping takes a page fault
 * for every 4 KiB page the process has not written before (a fresh daemon:
 * every page of the export), and again for every page writeback has
 * cleaned since; pwritev costs no fault. A sequential initiator sends
 * neighbours in one burst, so one system call carries up to WBATCH_MAX
 * requests. */
#ifndef NIMBUS_AOETD_WBATCH_H
#define NIMBUS_AOETD_WBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define WBATCH_MAX 64

struct wbatch {
	int fd;               /* -1: empty */
	uint64_t off;         /* file offset of the first byte */
	size_t len;           /* bytes gathered */
	unsigned n;
	struct iovec iov[WBATCH_MAX];
	void *ud[WBATCH_MAX];
};

/* Called for each gathered write, in order: res is its length, or -errno
 * (-EIO for a write the file would not take at all). */
typedef void (*wbatch_done_fn)(void *ctx, void *ud, int64_t res);

void wbatch_init(struct wbatch *w);

/* Gathers the write when it continues the gathered ones (same fd, the
 * next byte) or the batch is empty, and there is room; false otherwise
 * (flush, then add again). */
bool wbatch_add(struct wbatch *w, int fd, uint64_t off, const void *data,
		size_t len, void *ud);

/* Writes what is gathered (short writes and EINTR continued), reports each
 * write to done and empties the batch. The writes before a failure succeed;
 * the one it hits and those after it get the error. */
void wbatch_flush(struct wbatch *w, wbatch_done_fn done, void *ctx);

#endif
