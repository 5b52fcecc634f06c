/* wbatch.c - gathered pwritev of page-cache writes (see wbatch.h). */
#include "wbatch.h"

#include <errno.h>
#include <unistd.h>

void wbatch_init(struct wbatch *w)
{
	w->fd = -1;
	w->off = 0;
	w->len = 0;
	w->n = 0;
}

bool wbatch_add(struct wbatch *w, int fd, uint64_t off, const void *data,
		size_t len, void *ud)
{
	if (w->n && (w->fd != fd || w->off + w->len != off ||
		     w->n == WBATCH_MAX))
		return false;
	if (!w->n) {
		w->fd = fd;
		w->off = off;
	}
	w->iov[w->n].iov_base = (void *)data;
	w->iov[w->n].iov_len = len;
	w->ud[w->n++] = ud;
	w->len += len;
	return true;
}

void wbatch_flush(struct wbatch *w, wbatch_done_fn done, void *ctx)
{
	unsigned first = 0, k = 0; /* iov[first] is the next to write */
	size_t skip = 0;           /* bytes of iov[first] already written */
	uint64_t off = w->off;
	int64_t err = 0;

	while (first < w->n && !err) {
		struct iovec *v = &w->iov[first];
		ssize_t r;

		v->iov_base = (char *)v->iov_base + skip;
		v->iov_len -= skip;
		r = pwritev(w->fd, v, (int)(w->n - first), (off_t)off);
		v->iov_base = (char *)v->iov_base - skip;
		v->iov_len += skip;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			break;
		}
		off += (uint64_t)r;
		while (first < w->n && (size_t)r >= w->iov[first].iov_len - skip) {
			r -= (ssize_t)(w->iov[first].iov_len - skip);
			skip = 0;
			first++;
		}
		skip += (size_t)r;
	}
	for (; k < w->n; k++)
		done(ctx, w->ud[k], k < first ? (int64_t)w->iov[k].iov_len : err);
	wbatch_init(w);
}
