/* OMAPI through omshell: see dhcp_omapi.h for why not dhcpctl directly. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dhcp_omapi.h"
#include "log.h"
#include "prov_validate.h"

int omapi_script(const struct prov_config *cfg, const struct prov_node *node,
		 enum omapi_op op, char **text)
{
	char a[16], m[MAC_STR_LEN];
	size_t len;
	FILE *f;

	*text = NULL;
	if (!cfg->omapi_port || validate_omapi_key_name(cfg->omapi_key_name) < 0 ||
	    validate_omapi_algorithm(cfg->omapi_algorithm) < 0 ||
	    validate_omapi_secret(cfg->omapi_secret) < 0 || validate_node_name(node->name) < 0)
		return -EINVAL;
	if (op == OMAPI_CREATE && !mac_is_unicast(node->mac))
		return -EINVAL;
	f = open_memstream(text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "server 127.0.0.1\nport %u\nkey %s %s\nkey-algorithm %s\nconnect\n"
		"new host\nset name = \"%s\"\n", (unsigned)cfg->omapi_port,
		cfg->omapi_key_name, cfg->omapi_secret, cfg->omapi_algorithm, node->name);
	if (op == OMAPI_CREATE) {
		mac_format(node->mac, m);
		ipv4_format(node->ip, a);
		fprintf(f, "set hardware-address = %s\nset hardware-type = 1\n"
			"set ip-address = %s\ncreate\n", m, a);
	} else {
		fputs("open\nremove\n", f);
	}
	return prov_text_finish(f, text);
}

static const struct {
	const char *msg;
	int err;
} answers[] = {
	{ "already exists", -EEXIST },
	{ "key conflict", -EEXIST },
	{ "not found", -ENOENT },
	{ "connection reset by peer", -EACCES },
	{ "no more", -ECONNREFUSED },
	{ "connection refused", -ECONNREFUSED },
};

static int classify(const char *msg, size_t len)
{
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		size_t n = strlen(answers[i].msg);

		if (len >= n && memcmp(msg + len - n, answers[i].msg, n) == 0)
			return answers[i].err;
	}
	return -EIO;
}

int omapi_parse_output(const char *out, const char **why, size_t *why_len)
{
	const char *line = out;
	bool obj = false;

	if (why)
		*why = NULL;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *p = line;

		/* omshell prints its "> " prompt before every answer */
		while (len >= 2 && p[0] == '>' && p[1] == ' ') {
			p += 2;
			len -= 2;
		}
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
			len--;
		if ((len > 6 && memcmp(p, "can't ", 6) == 0) ||
		    (len > 16 && memcmp(p, "dhcpctl_connect:", 16) == 0)) {
			if (why) {
				*why = p;
				*why_len = len;
			}
			return classify(p, len);
		}
		if (len >= 9 && memcmp(p, "obj: host", 9) == 0)
			obj = true;
		if (!end)
			break;
		line = end + 1;
	}
	/* no error, but the host object was never even built: omshell died */
	return obj ? 0 : -EIO;
}
