#include "lvs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int u64(const char *s, size_t n, uint64_t *v)
{
	char buf[32], *end;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return *end || errno ? -EINVAL : 0;
}

int lvs_parse(const char *text, size_t len, struct lvs_out *o)
{
	const char *p = text, *end = text + len;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *f[6];
		size_t fl[6];
		int k = 0;
		bool more = false;
		const char *q;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p == le) {
			p = nl ? nl + 1 : end;
			continue;
		}
		for (q = p; k < 6; k++) {
			const char *bar = memchr(q, '|', (size_t)(le - q));

			f[k] = q;
			fl[k] = bar ? (size_t)(bar - q) : (size_t)(le - q);
			more = bar != NULL;
			if (!bar) {
				k++;
				break;
			}
			q = bar + 1;
		}
		if (k != 6 || more)
			return -EINVAL;
		while (fl[5] && (f[5][fl[5] - 1] == ' ' || f[5][fl[5] - 1] == '\r'))
			fl[5]--;
		{
			struct lvs_lv lv = { 0 };
			uint64_t vs, vf;
			char pct[32];

			if (u64(f[1], fl[1], &lv.size) < 0 || u64(f[2], fl[2], &vs) < 0 ||
			    u64(f[3], fl[3], &vf) < 0 || fl[4] >= sizeof(pct))
				return -EINVAL;
			memcpy(pct, f[4], fl[4]);
			pct[fl[4]] = '\0';
			lv.data_pct = fl[4] ? strtod(pct, NULL) : 0.0;
			if (!(lv.data_pct >= 0.0 && lv.data_pct <= 100.0))
				lv.data_pct = 0.0;
			o->vg_size = vs;
			o->vg_free = vf;
			if (fl[0] > 0 && fl[0] < SMSG_NAME_MAX && fl[5] < SMSG_NAME_MAX &&
			    o->n < LVS_MAX) {
				memcpy(lv.name, f[0], fl[0]);
				memcpy(lv.origin, f[5], fl[5]);
				o->lv[o->n++] = lv;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

const struct lvs_lv *lvs_find(const struct lvs_out *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->lv[i].name, name) == 0)
			return &o->lv[i];
	return NULL;
}
