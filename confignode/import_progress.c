/* Parsing aoe-bench's --progress output for volume import (import_progress.h). */
#include "import_progress.h"

#include <errno.h>
#include <string.h>

void import_progress_init(struct import_progress *p)
{
	memset(p, 0, sizeof(*p));
}

/* A decimal number without sign or leading junk; advances *s. */
static int number(const char **s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = *s;

	if (q == end || *q < '0' || *q > '9')
		return -EINVAL;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*s = q;
	*out = v;
	return 0;
}

int import_progress_line(const char *line, size_t len, uint64_t *done, uint64_t *total)
{
	static const char word[] = "progress ";
	const char *s = line, *end = line + len;
	uint64_t d, t;

	if (len < sizeof(word) - 1 || memcmp(line, word, sizeof(word) - 1) != 0)
		return -EINVAL;
	s += sizeof(word) - 1;
	if (number(&s, end, &d) < 0 || s == end || *s++ != ' ' || number(&s, end, &t) < 0)
		return -EINVAL;
	if (s != end || t == 0 || d > t)
		return -EINVAL;
	*done = d;
	*total = t;
	return 0;
}

unsigned import_progress_percent(uint64_t done, uint64_t total)
{
	if (total == 0)
		return 0;
	if (done >= total)
		return 100;
	/* exact for any sizes: done * 100 needs more than 64 bits */
	return (unsigned)((unsigned __int128)done * 100 / total);
}

/* One whole line in p->cur: a progress line or the message to keep. */
static unsigned take_line(struct import_progress *p)
{
	uint64_t d, t;
	size_t n = p->cur_len;

	if (n && p->cur[n - 1] == '\r')
		n--;
	int cut = p->cur_cut;

	p->cur_len = 0;
	p->cur_cut = 0;
	if (!cut && import_progress_line(p->cur, n, &d, &t) == 0 &&
	    (p->lines == 0 || (t == p->total && d >= p->done))) {
		p->done = d;
		p->total = t;
		p->lines++;
		return 1;
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		p->msg[i] = (p->cur[i] >= 0x20 && p->cur[i] < 0x7f) ? p->cur[i] : '?';
	p->msg[n] = '\0';
	return 0;
}

unsigned import_progress_feed(struct import_progress *p, const char *buf, size_t n)
{
	unsigned got = 0;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			got += take_line(p);
		} else if (p->cur_len < sizeof(p->cur) - 1) {
			p->cur[p->cur_len++] = buf[i];
		} else {
			p->cur_cut = 1;
		}
	}
	return got;
}

unsigned import_progress_finish(struct import_progress *p)
{
	if (p->cur_len == 0 && !p->cur_cut)
		return 0;
	return take_line(p);
}
