#include "procdrbd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of the text, without its '\n'. */
struct line {
	const char *p;
	size_t len;
};

static bool next_line(const char **cur, const char *end, struct line *l)
{
	const char *nl;

	if (*cur >= end)
		return false;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	l->p = *cur;
	l->len = nl ? (size_t)(nl - *cur) : (size_t)(end - *cur);
	*cur = nl ? nl + 1 : end;
	return true;
}

/* The next blank-separated word of l at *pos into w (NUL-terminated);
 * false at the end of the line or when the word does not fit. */
static bool word(const struct line *l, size_t *pos, char *w, size_t cap)
{
	size_t i = *pos, n = 0;

	while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	if (i >= l->len)
		return false;
	while (i < l->len && l->p[i] != ' ' && l->p[i] != '\t') {
		if (n + 1 >= cap)
			return false;
		w[n++] = l->p[i++];
	}
	w[n] = '\0';
	*pos = i;
	return true;
}

/* "A/B" into two words of at most 31 characters. */
static int split_pair(const char *v, char a[32], char b[32])
{
	const char *slash = strchr(v, '/');
	size_t la;

	if (!slash)
		return -EINVAL;
	la = (size_t)(slash - v);
	if (la == 0 || la >= 32 || strlen(slash + 1) == 0 || strlen(slash + 1) >= 32)
		return -EINVAL;
	memcpy(a, v, la);
	a[la] = '\0';
	strcpy(b, slash + 1);
	return 0;
}

/* A decimal number with optional ',' thousands separators. */
static int num(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	bool any = false;

	for (; *s; s++) {
		if (*s == ',')
			continue;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		any = true;
	}
	if (!any)
		return -EINVAL;
	*out = v;
	return 0;
}

/* " N: cs:STATE [ro:A/B ds:A/B ...]": 1 when l is an entry line (filled
 * into m), 0 when it is not (cs: missing), -EINVAL when it is a broken one. */
static int entry_line(const struct line *l, struct procdrbd_minor *m, bool *unconfigured)
{
	char w[64], a[32], b[32];
	size_t pos = 0, wl;
	uint64_t minor;

	if (!word(l, &pos, w, sizeof(w)))
		return 0;
	wl = strlen(w);
	if (wl < 2 || w[wl - 1] != ':')
		return 0;
	w[wl - 1] = '\0';
	if (num(w, &minor) < 0 || strchr(w, ','))
		return 0;
	if (!word(l, &pos, w, sizeof(w)) || strncmp(w, "cs:", 3) != 0)
		return 0;
	if (minor > SMSG_MINOR_MAX)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->minor = (uint32_t)minor;
	m->sync_percent = 100.0;
	m->sync_eta_s = -1;
	*unconfigured = strcmp(w + 3, "Unconfigured") == 0;
	if (*unconfigured)
		return 1;
	if (smsg_conn_parse(w + 3, &m->conn) < 0)
		return -EINVAL;
	if (!word(l, &pos, w, sizeof(w)) || strncmp(w, "ro:", 3) != 0 ||
	    split_pair(w + 3, a, b) < 0 || smsg_role_parse(a, &m->role) < 0 ||
	    smsg_role_parse(b, &m->peer_role) < 0)
		return -EINVAL;
	if (!word(l, &pos, w, sizeof(w)) || strncmp(w, "ds:", 3) != 0 ||
	    split_pair(w + 3, a, b) < 0 || smsg_dsk_parse(a, &m->disk) < 0 ||
	    smsg_dsk_parse(b, &m->peer_disk) < 0)
		return -EINVAL;
	/* "C r-----": the wire protocol (blank while StandAlone, so it may be
	 * missing) and six flags, the first 's' while I/O is suspended. */
	if (word(l, &pos, w, sizeof(w)) && strlen(w) == 1 && !word(l, &pos, w, sizeof(w)))
		return 1;
	m->suspended = strlen(w) == 6 && w[0] == 's';
	return 1;
}

/* "ns:.. oos:N": the out-of-sync count. */
static void counters_line(const struct line *l, struct procdrbd_minor *m)
{
	char w[64];
	size_t pos = 0;

	while (word(l, &pos, w, sizeof(w)))
		if (strncmp(w, "oos:", 4) == 0)
			(void)num(w + 4, &m->oos_kib);
}

/* "[==>....] sync'ed: 15.6% (..)K" and "finish: H:MM:SS speed: N (N) K/sec". */
static void progress_line(const struct line *l, struct procdrbd_minor *m)
{
	char w[64];
	size_t pos = 0;

	while (word(l, &pos, w, sizeof(w))) {
		if (strcmp(w, "sync'ed:") == 0 || strcmp(w, "verified:") == 0) {
			char *end;
			double p;

			if (!word(l, &pos, w, sizeof(w)))
				return;
			p = strtod(w, &end);
			if (end != w && *end == '%' && p >= 0.0 && p <= 100.0)
				m->sync_percent = p;
		} else if (strcmp(w, "finish:") == 0) {
			unsigned h, mi, s;
			char extra;

			if (!word(l, &pos, w, sizeof(w)))
				return;
			if (sscanf(w, "%u:%u:%u%c", &h, &mi, &s, &extra) == 3 && h < 100000 &&
			    mi < 60 && s < 60)
				m->sync_eta_s = (int64_t)h * 3600 + mi * 60 + s;
		} else if (strcmp(w, "speed:") == 0) {
			uint64_t v;

			if (word(l, &pos, w, sizeof(w)) && num(w, &v) == 0)
				m->speed_kib_s = v;
		}
	}
}

int procdrbd_parse(const char *text, size_t len, struct procdrbd_minor *out, size_t max)
{
	const char *cur = text, *end = text + len;
	struct procdrbd_minor *m = NULL;
	struct line l;
	size_t n = 0;

	while (next_line(&cur, end, &l)) {
		struct procdrbd_minor e;
		bool unconf = false;
		int r = entry_line(&l, &e, &unconf);

		if (r < 0)
			return -EINVAL;
		if (r == 1) {
			m = NULL;
			if (unconf)
				continue;
			if (procdrbd_find(out, n, e.minor) || n >= max)
				return -EINVAL;
			out[n] = e;
			m = &out[n++];
			continue;
		}
		if (!m)
			continue;
		counters_line(&l, m);
		progress_line(&l, m);
	}
	return (int)n;
}

const struct procdrbd_minor *procdrbd_find(const struct procdrbd_minor *m, size_t n,
					   uint32_t minor)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].minor == minor)
			return &m[i];
	return NULL;
}

bool drbd_md_superblock_ok(const unsigned char sb[64])
{
	uint32_t magic = (uint32_t)sb[60] << 24 | (uint32_t)sb[61] << 16 | (uint32_t)sb[62] << 8 | sb[63];

	return magic == DRBD_MAGIC + 4 || magic == DRBD_MAGIC + 5;
}
