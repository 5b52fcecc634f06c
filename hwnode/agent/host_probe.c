#include "host_probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"   /* hwnode/report/report_parse.c: xl info, aoe debugfs */

#define LINE_MAX_LEN 512
#define MAX_TOKENS   16

/* --- lines and tokens ----------------------------------------------------------- */

/* The next line of text at *pos (NUL-terminated in line, truncated to
 * cap - 1 bytes, without its newline); false at the end. */
static bool next_line(const char **pos, char *line, size_t cap)
{
	const char *p = *pos, *eol;
	size_t len;

	if (!p || !*p)
		return false;
	eol = strchr(p, '\n');
	len = eol ? (size_t)(eol - p) : strlen(p);
	*pos = eol ? eol + 1 : p + len;
	if (len >= cap)
		len = cap - 1;
	memcpy(line, p, len);
	line[len] = '\0';
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Splits line in place at blanks: the number of tokens (at most max). */
static size_t tokens(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p && blank(*p))
			p++;
		if (!*p)
			break;
		tok[n++] = p;
		while (*p && !blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static char *trim(char *s)
{
	size_t n;

	while (*s && blank(*s))
		s++;
	n = strlen(s);
	while (n && blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A decimal number, all of s, at most max. */
static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* --- virsh list ------------------------------------------------------------- */

int host_dom_state_parse(const char *s, enum hmsg_dom_state *out)
{
	static const struct {
		const char *word;
		enum hmsg_dom_state state;
	} words[] = {
		{ "no state", HMSG_DOM_NOSTATE }, { "nostate", HMSG_DOM_NOSTATE },
		{ "running", HMSG_DOM_RUNNING },
		{ "idle", HMSG_DOM_BLOCKED }, { "blocked", HMSG_DOM_BLOCKED },
		{ "paused", HMSG_DOM_PAUSED },
		{ "in shutdown", HMSG_DOM_SHUTDOWN }, { "shutdown", HMSG_DOM_SHUTDOWN },
		{ "shut off", HMSG_DOM_SHUTOFF }, { "shutoff", HMSG_DOM_SHUTOFF },
		{ "crashed", HMSG_DOM_CRASHED },
		{ "pmsuspended", HMSG_DOM_PMSUSPENDED },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].state;
			return 0;
		}
	return -EINVAL;
}

static bool is_header(char **tok, size_t n)
{
	return n >= 3 && strcmp(tok[0], "Id") == 0 && strcmp(tok[1], "Name") == 0 &&
	       strcmp(tok[2], "State") == 0;
}

static struct host_dom *dom_find(struct host_dom *doms, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(doms[i].name, name) == 0)
			return &doms[i];
	return NULL;
}

int host_virsh_list_parse(const char *text, struct host_dom *doms, size_t max, size_t *skipped)
{
	enum { BEFORE, TABLE, PERSISTENT } part = BEFORE;
	const char *pos = text;
	char line[LINE_MAX_LEN];
	size_t n = 0, skip = 0;

	while (next_line(&pos, line, sizeof(line))) {
		char *t = trim(line), *tok[MAX_TOKENS], state[64] = "";
		size_t nt;
		uint32_t id = 0;
		enum hmsg_dom_state st;
		struct host_dom *d;

		if (strcmp(t, HOST_VIRSH_MARK) == 0) {
			if (part == BEFORE)
				return -EINVAL;
			part = PERSISTENT;
			continue;
		}
		if (part == PERSISTENT) {
			if (*t && (d = dom_find(doms, n, t)))
				d->persistent = true;
			continue;
		}
		nt = tokens(t, tok, MAX_TOKENS);
		if (part == BEFORE) {
			if (is_header(tok, nt))
				part = TABLE;
			continue;
		}
		/* a row: ID NAME STATE WORDS... (the dashed line is one token) */
		if (nt < 3)
			continue;
		if (strcmp(tok[0], "-") != 0 && !parse_u32(tok[0], 0x7fffffff, &id))
			continue;
		for (size_t i = 2; i < nt; i++) {
			if (strlen(state) + strlen(tok[i]) + 2 > sizeof(state))
				break;
			if (i > 2)
				strcat(state, " ");
			strcat(state, tok[i]);
		}
		if (host_dom_state_parse(state, &st) < 0)
			continue;
		if (strcmp(tok[0], "0") == 0)
			continue;   /* dom0: the host itself, never an instance */
		if (strlen(tok[1]) >= HMSG_NAME_MAX || !smsg_name_ok(tok[1]) ||
		    dom_find(doms, n, tok[1])) {
			skip++;
			continue;
		}
		if (n >= max) {
			skip++;
			continue;
		}
		d = &doms[n++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", tok[1]);
		d->id = strcmp(tok[0], "-") == 0 ? -1 : (int)id;
		d->state = st;
	}
	if (skipped)
		*skipped = skip;
	return part == PERSISTENT ? (int)n : -EINVAL;
}

/* --- xl ------------------------------------------------------------------------ */

int host_xl_list_parse(const char *text, struct host_xl_row *rows, size_t max)
{
	const char *pos = text;
	char line[LINE_MAX_LEN];
	bool header = false;
	size_t n = 0;

	while (next_line(&pos, line, sizeof(line))) {
		char *tok[MAX_TOKENS];
		size_t nt = tokens(line, tok, MAX_TOKENS);
		struct host_xl_row r;

		if (!header) {
			header = nt >= 4 && strcmp(tok[0], "Name") == 0 && strcmp(tok[1], "ID") == 0 &&
				 strcmp(tok[2], "Mem") == 0 && strcmp(tok[3], "VCPUs") == 0;
			continue;
		}
		/* NAME ID MEM VCPUS STATE TIME: a name with blanks is none of ours */
		if (nt != 6 || strlen(tok[0]) >= sizeof(r.name) || n >= max)
			continue;
		memset(&r, 0, sizeof(r));
		if (!parse_u32(tok[1], 0x7fff, &r.id) ||
		    !parse_u32(tok[2], HMSG_MEMORY_MAX_MIB, &r.memory_mib) ||
		    !parse_u32(tok[3], HMSG_VCPUS_MAX, &r.vcpus))
			continue;
		snprintf(r.name, sizeof(r.name), "%s", tok[0]);
		rows[n++] = r;
	}
	return header ? (int)n : -EINVAL;
}

size_t host_xl_apply(struct host_dom *doms, size_t n, const struct host_xl_row *rows, size_t nrows)
{
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		doms[i].memory_mib = 0;
		doms[i].vcpus = 0;
		if (doms[i].id < 0)
			continue;
		for (size_t k = 0; k < nrows; k++)
			if (strcmp(rows[k].name, doms[i].name) == 0) {
				doms[i].memory_mib = rows[k].memory_mib;
				doms[i].vcpus = rows[k].vcpus;
				got++;
				break;
			}
	}
	return got;
}

/* The value of "KEY : VALUE" in xl info's text. */
static bool xl_value(const char *text, const char *key, uint32_t *out)
{
	const char *pos = text;
	char line[LINE_MAX_LEN];

	while (next_line(&pos, line, sizeof(line))) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		if (strcmp(trim(line), key) == 0)
			return parse_u32(trim(colon + 1), 0xffffffffu, out);
	}
	return false;
}

int host_xl_info_parse(const char *text, struct host_xen *out)
{
	struct xl_info xi;
	unsigned maj, min;

	memset(out, 0, sizeof(*out));
	if (xl_info_parse(text, &xi) < 0 || xi.nr_cpus < 0 || xi.total_memory_mb < 0 ||
	    xi.free_memory_mb < 0)
		return -EINVAL;
	snprintf(out->version, sizeof(out->version), "%.*s", (int)sizeof(out->version) - 1,
		 xi.xen_version);
	host_printable(out->version);
	out->cpus = xi.nr_cpus > 0xffff ? 0xffff : (uint32_t)xi.nr_cpus;
	out->total_mib = (uint64_t)xi.total_memory_mb;
	out->free_mib = (uint64_t)xi.free_memory_mb;
	if (!xl_value(text, "xen_major", &out->major) || !xl_value(text, "xen_minor", &out->minor)) {
		if (sscanf(out->version, "%u.%u", &maj, &min) == 2) {
			out->major = maj;
			out->minor = min;
		}
	}
	return 0;
}

/* --- AoE ---------------------------------------------------------------------- */

int host_aoe_dev_parse(const char *name, uint16_t *shelf, uint8_t *slot)
{
	char buf[64], *dot;
	uint32_t sh, sl;

	if (strncmp(name, "etherd!", 7) == 0)
		name += 7;
	if (name[0] != 'e' || strlen(name) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", name + 1);
	dot = strchr(buf, '.');
	if (!dot)
		return -EINVAL;
	*dot = '\0';
	if (!parse_u32(buf, 65534, &sh) || !parse_u32(dot + 1, 254, &sl))
		return -EINVAL;
	*shelf = (uint16_t)sh;
	*slot = (uint8_t)sl;
	return 0;
}

uint32_t host_aoe_paths(const char *debugfs_text)
{
	struct aoe_path paths[HMSG_MAX_PATHS];
	int n = aoe_debugfs_parse(debugfs_text, paths, HMSG_MAX_PATHS);

	return n > 0 ? (uint32_t)n : 0;
}

/* --- text ---------------------------------------------------------------------- */

void host_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = ' ';
}

void host_last_line(const char *out, size_t len, char *dst, size_t cap)
{
	size_t end = len, start;
	const char *p;

	if (!cap)
		return;
	dst[0] = '\0';
	if (!out)
		return;
	/* NUL bytes end the text (the output buffer is NUL-terminated) */
	p = memchr(out, '\0', len);
	if (p)
		end = (size_t)(p - out);
	while (end && blank(out[end - 1]))
		end--;
	start = end;
	while (start && out[start - 1] != '\n')
		start--;
	while (start < end && blank(out[start]))
		start++;
	if (end - start >= 7 && memcmp(out + start, "error: ", 7) == 0)
		start += 7;
	if (end - start >= cap)
		end = start + cap - 1;
	memcpy(dst, out + start, end - start);
	dst[end - start] = '\0';
	host_printable(dst);
}

int host_parse_server(const char *s, uint32_t *ip, uint16_t *port)
{
	unsigned a[4], p;
	char extra;

	if (sscanf(s, "%3u.%3u.%3u.%3u:%5u%c", &a[0], &a[1], &a[2], &a[3], &p, &extra) != 5 ||
	    a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255 || p == 0 || p > 65535)
		return -EINVAL;
	/* sscanf skips blanks before numbers: none are allowed */
	for (const char *c = s; *c; c++)
		if ((*c < '0' || *c > '9') && *c != '.' && *c != ':')
			return -EINVAL;
	*ip = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
	*port = (uint16_t)p;
	return 0;
}
