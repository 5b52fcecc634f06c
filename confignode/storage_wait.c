#include "storage_wait.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int swait_add(struct storage_wait *w, const char *node, uint64_t gen, int64_t deadline_ms,
	      void *req)
{
	struct swait_entry *e;

	if (w->n >= SWAIT_MAX)
		return -ENOSPC;
	e = &w->e[w->n++];
	snprintf(e->node, sizeof(e->node), "%s", node);
	e->gen = gen;
	e->deadline_ms = deadline_ms;
	e->req = req;
	return 0;
}

static void remove_at(struct storage_wait *w, size_t i)
{
	/* keep the order: the oldest waiter is answered first */
	memmove(&w->e[i], &w->e[i + 1], (w->n - i - 1) * sizeof(w->e[0]));
	w->n--;
}

size_t swait_due(struct storage_wait *w, int64_t now_ms,
		 int (*gen_of)(void *arg, const char *node, uint64_t *gen), void *arg,
		 struct swait_entry *out, size_t max)
{
	size_t n = 0, i = 0;

	while (i < w->n && n < max) {
		uint64_t g = 0;
		bool due = w->e[i].deadline_ms <= now_ms || gen_of(arg, w->e[i].node, &g) < 0 ||
			   g > w->e[i].gen;

		if (!due) {
			i++;
			continue;
		}
		out[n++] = w->e[i];
		remove_at(w, i);
	}
	return n;
}

size_t swait_take_all(struct storage_wait *w, struct swait_entry *out, size_t max)
{
	size_t n = w->n < max ? w->n : max;

	memcpy(out, w->e, n * sizeof(w->e[0]));
	memmove(&w->e[0], &w->e[n], (w->n - n) * sizeof(w->e[0]));
	w->n -= n;
	return n;
}

int swait_timeout_ms(const struct storage_wait *w, int64_t now_ms)
{
	int64_t min = -1;

	for (size_t i = 0; i < w->n; i++)
		if (min < 0 || w->e[i].deadline_ms < min)
			min = w->e[i].deadline_ms;
	if (min < 0)
		return -1;
	return min <= now_ms ? 0 : (int)(min - now_ms);
}
