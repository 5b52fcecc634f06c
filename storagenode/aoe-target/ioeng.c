/* ioeng.c - io_uring for aoetd's disk reads, writes and syncs. */
#include "ioeng.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int ioeng_init(struct ioeng *e, unsigned depth)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->efd = -1;
	e->last_fd = -1;
	rc = io_uring_queue_init(depth, &e->ring, 0);
	if (rc < 0)
		return rc;
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = io_uring_register_eventfd(&e->ring, e->efd);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	if (e->efd >= 0)
		close(e->efd);
	e->efd = -1;
	io_uring_queue_exit(&e->ring);
	return rc;
}

void ioeng_exit(struct ioeng *e)
{
	if (e->efd < 0)
		return;
	io_uring_queue_exit(&e->ring);
	close(e->efd);
	e->efd = -1;
}

int ioeng_submit(struct ioeng *e)
{
	int rc;

	if (!e->queued)
		return 0;
	do {
		rc = io_uring_submit(&e->ring);
	} while (rc == -EINTR);
	if (rc < 0)
		return rc;
	e->inflight += (unsigned)rc;
	e->queued -= (unsigned)rc < e->queued ? (unsigned)rc : e->queued;
	return 0;
}

static struct io_uring_sqe *get_sqe(struct ioeng *e)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe) {
		/* Ring full: hand what we have to the kernel and retry. */
		if (ioeng_submit(e) < 0)
			return NULL;
		sqe = io_uring_get_sqe(&e->ring);
	}
	if (sqe)
		e->queued++;
	return sqe;
}

/* Hands the kernel what is queued before a read or write that does not
 * continue the previous one (ioeng.h says why). */
static struct io_uring_sqe *get_rw_sqe(struct ioeng *e, int fd, bool write,
				       uint64_t off, size_t len)
{
	bool continues = e->last_fd == fd && e->last_write == write &&
			 e->last_end == off;

	/* Only a head start: if the kernel refuses it now (e.g. EBUSY with
	 * its completion queue full), the end of the round tries again and
	 * logs, and this request still queues. */
	if (e->queued && !continues)
		(void)ioeng_submit(e);
	e->last_fd = fd;
	e->last_write = write;
	e->last_end = off + len;
	return get_sqe(e);
}

int ioeng_read(struct ioeng *e, int fd, void *buf, size_t len, uint64_t off,
	       void *ud)
{
	struct io_uring_sqe *sqe = get_rw_sqe(e, fd, false, off, len);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, (unsigned)len, off);
	io_uring_sqe_set_data(sqe, ud);
	return 0;
}

int ioeng_write(struct ioeng *e, int fd, const void *buf, size_t len,
		uint64_t off, void *ud)
{
	struct io_uring_sqe *sqe = get_rw_sqe(e, fd, true, off, len);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_write(sqe, fd, buf, (unsigned)len, off);
	io_uring_sqe_set_data(sqe, ud);
	return 0;
}

int ioeng_fdatasync(struct ioeng *e, int fd, void *ud)
{
	struct io_uring_sqe *sqe = get_sqe(e);

	if (!sqe)
		return -EBUSY;
	e->last_fd = -1;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, ud);
	return 0;
}

unsigned ioeng_reap(struct ioeng *e, void (*cb)(void *ctx, void *ud, int res),
		    void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	while (io_uring_peek_cqe(&e->ring, &cqe) == 0) {
		void *ud = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		/* Release the CQE before cb, which may queue more operations. */
		io_uring_cqe_seen(&e->ring, cqe);
		e->inflight--;
		n++;
		cb(ctx, ud, res);
	}
	return n;
}
