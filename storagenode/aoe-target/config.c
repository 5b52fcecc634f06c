/* config.c - aoetd configuration parser: pure, text in, struct out. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

#define TOKEN_MAX  (AOE_CFG_STR_MAX * 2 + 64)
#define TOKENS_MAX 64

void config_init(struct aoetd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->control, sizeof(c->control), "%s", AOETD_DEFAULT_SOCKET);
	c->bufcnt = AOETD_DEFAULT_BUFCNT;
}

void config_free(struct aoetd_config *c)
{
	free(c->exports);
	c->exports = NULL;
	c->nexports = c->cap = 0;
}

static void set_err(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!err || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* Strict unsigned decimal: no sign, no blanks, no trailing junk. */
static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

int config_parse_shelf(const char *s, uint16_t *shelf, char *err, size_t n)
{
	uint64_t v;
	int rc = parse_u64(s, 65534, &v);

	if (rc == -EINVAL)
		set_err(err, n, "bad shelf '%s' (want a number 0..65534)", s);
	else if (rc)
		set_err(err, n, "shelf '%s' out of range 0..65534", s);
	else
		*shelf = (uint16_t)v;
	return rc;
}

int config_parse_slot(const char *s, uint8_t *slot, char *err, size_t n)
{
	uint64_t v;
	int rc = parse_u64(s, 254, &v);

	if (rc == -EINVAL)
		set_err(err, n, "bad slot '%s' (want a number 0..254)", s);
	else if (rc)
		set_err(err, n, "slot '%s' out of range 0..254", s);
	else
		*slot = (uint8_t)v;
	return rc;
}

int config_parse_sectors(const char *what, const char *s, uint64_t *v,
			 char *err, size_t n)
{
	int rc = parse_u64(s, ATA_LBA48_MAX + 1, v);

	if (rc == -EINVAL)
		set_err(err, n, "bad %s '%s' (want a number of 512-byte sectors)",
			what, s);
	else if (rc)
		set_err(err, n, "%s '%s' out of range (at most 2^48 sectors)",
			what, s);
	return rc;
}

int config_parse_bufcnt(const char *s, uint16_t *v, char *err, size_t n)
{
	uint64_t x;
	int rc = parse_u64(s, AOETD_MAX_BUFCNT, &x);

	/* Below 2 leaves a Linux aoe device silently unusable. */
	if (rc == 0 && x < 2)
		rc = -ERANGE;
	if (rc == -EINVAL)
		set_err(err, n, "bad buffer count '%s' (want a number 2..%d)",
			s, AOETD_MAX_BUFCNT);
	else if (rc)
		set_err(err, n, "buffer count '%s' out of range 2..%d", s,
			AOETD_MAX_BUFCNT);
	else
		*v = (uint16_t)x;
	return rc;
}

int config_parse_ifaces(const char *s, char (*ifaces)[IFNAMSIZ],
			unsigned *n, char *err, size_t errlen)
{
	unsigned count = 0;
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0 || len >= IFNAMSIZ || memchr(p, '/', len)) {
			set_err(err, errlen, "bad interface name '%.*s' in '%s'",
				(int)len, p, s);
			return -EINVAL;
		}
		for (unsigned i = 0; i < count; i++) {
			if (strlen(ifaces[i]) == len && !memcmp(ifaces[i], p, len)) {
				set_err(err, errlen, "interface '%.*s' listed twice",
					(int)len, p);
				return -EINVAL;
			}
		}
		if (count == AOETD_MAX_IFACES) {
			set_err(err, errlen, "more than %d interfaces in '%s'",
				AOETD_MAX_IFACES, s);
			return -E2BIG;
		}
		memcpy(ifaces[count], p, len);
		ifaces[count][len] = '\0';
		count++;
		if (!end)
			break;
		p = end + 1;
	}
	*n = count;
	return 0;
}

int config_parse_macs(const char *s, uint8_t (*macs)[6], unsigned *n,
		      char *err, size_t errlen)
{
	const char *bad = NULL;
	int rc = mac_parse_list(s, macs, AOE_MASK_MAX, &bad);

	if (rc == -E2BIG) {
		set_err(err, errlen, "more than %d MACs in '%.40s...'",
			AOE_MASK_MAX, s);
		return rc;
	}
	if (rc < 0) {
		const char *e = bad ? strchr(bad, ',') : NULL;
		int len = bad ? (e ? (int)(e - bad) : (int)strlen(bad)) : 0;

		set_err(err, errlen, "bad MAC address '%.*s'", len,
			bad ? bad : s);
		return -EINVAL;
	}
	for (int i = 0; i < rc; i++) {
		if (!mac_is_unicast(macs[i])) {
			char m[MAC_STR_LEN];

			mac_format(macs[i], m);
			set_err(err, errlen, "MAC address '%s' is not unicast", m);
			return -EINVAL;
		}
	}
	*n = (unsigned)rc;
	return 0;
}

const struct export_cfg *config_find(const struct aoetd_config *c,
				     uint16_t shelf, uint8_t slot)
{
	for (unsigned i = 0; i < c->nexports; i++)
		if (c->exports[i].shelf == shelf && c->exports[i].slot == slot)
			return &c->exports[i];
	return NULL;
}

int config_add_export(struct aoetd_config *c, const struct export_cfg *e)
{
	if (config_find(c, e->shelf, e->slot))
		return -EEXIST;
	if (c->nexports == AOETD_MAX_EXPORTS)
		return -E2BIG;
	if (c->nexports == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 8;
		struct export_cfg *n = realloc(c->exports, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->exports = n;
		c->cap = cap;
	}
	c->exports[c->nexports++] = *e;
	return 0;
}

bool export_cfg_equal(const struct export_cfg *a, const struct export_cfg *b)
{
	if (a->shelf != b->shelf || a->slot != b->slot ||
	    strcmp(a->path, b->path) || a->nifaces != b->nifaces ||
	    a->read_only != b->read_only || a->direct != b->direct ||
	    a->sync != b->sync || a->offset != b->offset ||
	    a->length != b->length || a->nmacs != b->nmacs ||
	    a->has_cfg != b->has_cfg || a->bufcnt != b->bufcnt)
		return false;
	for (unsigned i = 0; i < a->nifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]))
			return false;
	if (memcmp(a->macs, b->macs, a->nmacs * 6u))
		return false;
	if (a->has_cfg && (a->cfg_len != b->cfg_len ||
			   memcmp(a->cfg, b->cfg, a->cfg_len)))
		return false;
	return true;
}

/* --- the file ------------------------------------------------------------ */

struct line {
	char tok[TOKENS_MAX][TOKEN_MAX];
	size_t toklen[TOKENS_MAX];
	unsigned ntok;
};

/* Splits one line into words: blanks separate, '#' outside quotes ends the
 * line, "..." quotes (with \" and \\) may appear anywhere in a word so that
 * config="a b" is one word. Returns 0 or -EINVAL with a message. */
static int split_line(const char *p, size_t len, struct line *l, char *err,
		      size_t errlen)
{
	size_t i = 0;

	l->ntok = 0;
	while (i < len) {
		while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i == len || p[i] == '#')
			break;
		if (l->ntok == TOKENS_MAX) {
			set_err(err, errlen, "too many words (at most %d)",
				TOKENS_MAX);
			return -E2BIG;
		}
		char *t = l->tok[l->ntok];
		size_t n = 0;
		bool quoted = false;

		while (i < len) {
			char ch = p[i];

			if (!quoted && (ch == ' ' || ch == '\t' || ch == '\r' ||
					ch == '#'))
				break;
			i++;
			if (ch == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && ch == '\\' && i < len &&
			    (p[i] == '"' || p[i] == '\\'))
				ch = p[i++];
			if (ch == '\0') {
				set_err(err, errlen, "NUL byte in line");
				return -EINVAL;
			}
			if (n + 1 >= TOKEN_MAX) {
				set_err(err, errlen, "word too long (over %d bytes)",
					TOKEN_MAX - 1);
				return -E2BIG;
			}
			t[n++] = ch;
		}
		if (quoted) {
			set_err(err, errlen, "unterminated quote");
			return -EINVAL;
		}
		t[n] = '\0';
		l->toklen[l->ntok++] = n;
	}
	return 0;
}

/* "1.0" -> shelf 1, slot 0 */
static int parse_id(const char *s, uint16_t *shelf, uint8_t *slot, char *err,
		    size_t n)
{
	char buf[32];
	const char *dot = strchr(s, '.');

	if (!dot || (size_t)(dot - s) >= sizeof(buf) || strchr(dot + 1, '.')) {
		set_err(err, n, "bad export name '%s' (want SHELF.SLOT, e.g. 1.0)",
			s);
		return -EINVAL;
	}
	memcpy(buf, s, (size_t)(dot - s));
	buf[dot - s] = '\0';
	if (config_parse_shelf(buf, shelf, err, n))
		return -EINVAL;
	return config_parse_slot(dot + 1, slot, err, n) ? -EINVAL : 0;
}

/* One "key=value" or flag word of an export line. *i may advance past a
 * second word ("iface eth0"). */
static int parse_export_opt(struct line *l, unsigned *i, struct export_cfg *e,
			    char *err, size_t n)
{
	const char *w = l->tok[*i];
	const char *eq = strchr(w, '=');
	char key[32];
	const char *val;
	size_t klen = eq ? (size_t)(eq - w) : strlen(w);

	if (klen >= sizeof(key)) {
		set_err(err, n, "unknown export option '%.40s'", w);
		return -EINVAL;
	}
	memcpy(key, w, klen);
	key[klen] = '\0';
	val = eq ? eq + 1 : NULL;

	if (!eq) {
		if (!strcmp(key, "ro")) { e->read_only = true; return 0; }
		if (!strcmp(key, "direct")) { e->direct = true; return 0; }
		if (!strcmp(key, "sync")) { e->sync = true; return 0; }
		if (!strcmp(key, "iface") && *i + 1 < l->ntok) {
			val = l->tok[++*i];
		} else if (!strcmp(key, "iface") || !strcmp(key, "offset") ||
			   !strcmp(key, "length") || !strcmp(key, "mac") ||
			   !strcmp(key, "config") || !strcmp(key, "bufcnt")) {
			set_err(err, n, "option '%s' needs a value (%s=...)",
				key, key);
			return -EINVAL;
		} else {
			set_err(err, n, "unknown export option '%s'", w);
			return -EINVAL;
		}
	}
	if (!strcmp(key, "iface"))
		return config_parse_ifaces(val, e->ifaces, &e->nifaces, err, n);
	if (!strcmp(key, "offset"))
		return config_parse_sectors("offset", val, &e->offset, err, n);
	if (!strcmp(key, "length")) {
		int rc = config_parse_sectors("length", val, &e->length, err, n);

		if (rc == 0 && e->length == 0) {
			set_err(err, n, "length '%s' must be at least 1 sector",
				val);
			return -ERANGE;
		}
		return rc;
	}
	if (!strcmp(key, "mac"))
		return config_parse_macs(val, e->macs, &e->nmacs, err, n);
	if (!strcmp(key, "bufcnt"))
		return config_parse_bufcnt(val, &e->bufcnt, err, n);
	if (!strcmp(key, "config")) {
		size_t len = l->toklen[*i] - klen - 1;

		if (len > AOE_CFG_STR_MAX) {
			set_err(err, n, "config string of %zu bytes is too long "
				"(at most %d)", len, AOE_CFG_STR_MAX);
			return -E2BIG;
		}
		memcpy(e->cfg, val, len);
		e->cfg_len = (uint16_t)len;
		e->has_cfg = true;
		return 0;
	}
	set_err(err, n, "unknown export option '%s'", key);
	return -EINVAL;
}

static int parse_export(struct aoetd_config *c, struct line *l, unsigned lineno,
			char *err, size_t n)
{
	struct export_cfg *e;
	const struct export_cfg *dup;
	int rc;

	if (l->ntok < 3) {
		set_err(err, n, "'export' needs SHELF.SLOT and PATH");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		set_err(err, n, "out of memory");
		return -ENOMEM;
	}
	e->line = lineno;
	rc = parse_id(l->tok[1], &e->shelf, &e->slot, err, n);
	if (rc)
		goto out;
	if (l->toklen[2] == 0 || l->toklen[2] >= sizeof(e->path)) {
		set_err(err, n, "bad path '%.60s'", l->tok[2]);
		rc = -EINVAL;
		goto out;
	}
	memcpy(e->path, l->tok[2], l->toklen[2] + 1);
	for (unsigned i = 3; i < l->ntok; i++) {
		rc = parse_export_opt(l, &i, e, err, n);
		if (rc)
			goto out;
	}
	dup = config_find(c, e->shelf, e->slot);
	if (dup) {
		set_err(err, n, "duplicate export %u.%u (first at line %u)",
			e->shelf, e->slot, dup->line);
		rc = -EEXIST;
		goto out;
	}
	rc = config_add_export(c, e);
	if (rc == -E2BIG)
		set_err(err, n, "more than %d exports", AOETD_MAX_EXPORTS);
	else if (rc)
		set_err(err, n, "out of memory");
out:
	free(e);
	return rc;
}

static int parse_line(struct aoetd_config *c, struct line *l, unsigned lineno,
		      char *err, size_t n)
{
	const char *kw = l->tok[0];

	if (!strcmp(kw, "export"))
		return parse_export(c, l, lineno, err, n);
	if (!strcmp(kw, "control") || !strcmp(kw, "bufcnt") ||
	    !strcmp(kw, "iface")) {
		if (l->ntok != 2) {
			set_err(err, n, "'%s' takes exactly one value", kw);
			return -EINVAL;
		}
	} else {
		set_err(err, n, "unknown keyword '%.40s' (want export, control, "
			"bufcnt or iface)", kw);
		return -EINVAL;
	}
	if (!strcmp(kw, "control")) {
		if (l->toklen[1] == 0 || l->toklen[1] >= sizeof(c->control)) {
			set_err(err, n, "control socket path '%.60s' is empty or "
				"longer than %zu bytes", l->tok[1],
				sizeof(c->control) - 1);
			return -EINVAL;
		}
		if (!strcmp(l->tok[1], "none"))
			c->control[0] = '\0';
		else
			memcpy(c->control, l->tok[1], l->toklen[1] + 1);
		c->control_set = true;
		return 0;
	}
	if (!strcmp(kw, "bufcnt"))
		return config_parse_bufcnt(l->tok[1], &c->bufcnt, err, n);
	return config_parse_ifaces(l->tok[1], c->ifaces, &c->nifaces, err, n);
}

int config_parse(struct aoetd_config *c, const char *fname, const char *text,
		 size_t len, char *err, size_t errlen)
{
	char msg[512];
	struct line *l;
	unsigned lineno = 0;
	size_t pos = 0;
	int rc = 0;

	snprintf(c->file, sizeof(c->file), "%s", fname);
	l = malloc(sizeof(*l));
	if (!l) {
		set_err(err, errlen, "%s: out of memory", fname);
		return -ENOMEM;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		msg[0] = '\0';
		rc = split_line(text + pos, llen, l, msg, sizeof(msg));
		if (rc == 0 && l->ntok)
			rc = parse_line(c, l, lineno, msg, sizeof(msg));
		if (rc) {
			set_err(err, errlen, "%s:%u: %s", fname, lineno, msg);
			goto out;
		}
		pos += llen + 1;
	}
	/* Defaults apply to the whole file, wherever the global line is. */
	for (unsigned i = 0; i < c->nexports; i++) {
		struct export_cfg *e = &c->exports[i];

		if (!e->bufcnt)
			e->bufcnt = c->bufcnt;
		if (!e->nifaces) {
			if (!c->nifaces) {
				set_err(err, errlen, "%s:%u: export %u.%u has no "
					"interface (add iface=IF or a global "
					"'iface IF' line)", fname, e->line,
					e->shelf, e->slot);
				rc = -EINVAL;
				goto out;
			}
			memcpy(e->ifaces, c->ifaces, sizeof(e->ifaces));
			e->nifaces = c->nifaces;
		}
	}
out:
	free(l);
	return rc;
}
