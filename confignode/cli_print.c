/* Output and dispatch helpers shared by the CLI's subcommand files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_result(struct cli *cli, int status, json_t *reply, void (*text)(json_t *))
{
	int code;

	if (status < 0) {
		json_decref(reply);
		return 2;
	}
	if (status >= 200 && status < 300) {
		if (cli->json) {
			json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else if (text) {
			text(reply);
		}
		code = 0;
	} else {
		const char *msg = cli_str(reply, "error");

		if (cli->json) {
			json_dumpf(reply, stdout, JSON_INDENT(2));
			putchar('\n');
		}
		fprintf(stderr, "nimbus: %s\n", msg[0] ? msg : "request refused");
		code = 1;
	}
	json_decref(reply);
	return code;
}

int cli_do(struct cli *cli, const char *method, const char *path, json_t *body,
	   void (*text)(json_t *))
{
	json_t *reply = NULL;
	int status = cli_call(cli, method, path, body, &reply);

	return cli_result(cli, status, reply, text);
}

int cli_do_one(struct cli *cli, const char *group, const char *prefix, int argc, char **argv,
	       const char *method, void (*text)(json_t *))
{
	char path[256], cmd[32];
	const char *name;

	snprintf(cmd, sizeof(cmd), "%s %s", group, argv[0]);
	if (cli_opts(cli, cmd, argc, argv, NULL, 0, NULL, &name, 1, 1, NULL))
		return 2;
	if (cli_path(path, sizeof(path), prefix, name) < 0) {
		fprintf(stderr, "nimbus: %s name '%.60s...' is too long\n", group, name);
		return 2;
	}
	return cli_do(cli, method, path, NULL, text);
}

void cli_group_usage(FILE *f, const char *group, const struct cli_cmd *table, size_t n)
{
	fprintf(f, "usage: nimbus [-s SOCKET] [-o text|json] %s COMMAND [ARGS] [-o text|json]\n"
		"\ncommands:\n", group);
	for (size_t i = 0; i < n; i++) {
		char syn[128];

		snprintf(syn, sizeof(syn), "%s%s%s", table[i].name, table[i].args[0] ? " " : "",
			 table[i].args);
		fprintf(f, "  %s %s\n      %s\n", group, syn, table[i].help);
	}
	fprintf(f, "\n'nimbus %s COMMAND --help' describes one command.\n", group);
}

static void cmd_usage(FILE *f, const char *group, const struct cli_cmd *c)
{
	fprintf(f, "usage: nimbus [-s SOCKET] %s %s%s%s [-o text|json]\n\n      %s\n", group,
		c->name, c->args[0] ? " " : "", c->args, c->help);
	if (c->details)
		fprintf(f, "\n%s", c->details);
	fprintf(f, "\n  -o, --output FMT    text (default) or json: nimbusd's reply as is\n"
		"  -h, --help          this text\n"
		"\nExit status: 0 done, 1 refused by nimbusd (the message names the bad value),\n"
		"2 usage error or nimbusd unreachable.\n");
}

int cli_set_output(struct cli *cli, const char *fmt)
{
	if (strcmp(fmt, "json") == 0) {
		cli->json = true;
	} else if (strcmp(fmt, "text") == 0) {
		cli->json = false;
	} else {
		fprintf(stderr, "nimbus: bad output format '%s' (text or json)\n", fmt);
		return 2;
	}
	return 0;
}

int cli_opts(struct cli *cli, const char *cmd, int argc, char **argv,
	     const struct cli_opt *map, size_t nmap, json_t *obj,
	     const char **pos, int min_pos, int max_pos, int *npos)
{
	struct option opts[20];
	size_t i;
	int c, n = 0;

	for (i = 0; i < nmap && i < 18; i++)
		opts[i] = (struct option){ map[i].opt,
					   map[i].kind == CLI_VALUE ? required_argument : no_argument,
					   NULL, (int)(i + 1) };
	opts[i++] = (struct option){ "output", required_argument, NULL, 'o' };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
	/* optind 0: GNU getopt starts afresh and permutes, so positional
	 * arguments may come before, between or after the options. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "nimbus: %s: %s option '%s' (see 'nimbus %s --help')\n", cmd,
				c == ':' ? "missing value for" : "unknown", argv[optind - 1], cmd);
			return 2;
		}
		if (c == 'o') {
			if (cli_set_output(cli, optarg))
				return 2;
			continue;
		}
		json_object_set_new(obj, map[c - 1].field,
				    map[c - 1].kind == CLI_VALUE ? json_string(optarg) :
				    map[c - 1].kind == CLI_TRUE ? json_true() : json_null());
	}
	for (; optind < argc; optind++) {
		if (n == max_pos) {
			fprintf(stderr, "nimbus: %s: unexpected argument '%s' (see 'nimbus %s --help')\n",
				cmd, argv[optind], cmd);
			return 2;
		}
		pos[n++] = argv[optind];
	}
	if (n < min_pos) {
		fprintf(stderr, "nimbus: %s: missing argument (see 'nimbus %s --help')\n", cmd, cmd);
		return 2;
	}
	if (npos)
		*npos = n;
	return 0;
}

int cli_dispatch(struct cli *cli, const char *group, const struct cli_cmd *table,
		 size_t n, int argc, char **argv)
{
	if (argc < 1) {
		cli_group_usage(stderr, group, table, n);
		return 2;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		cli_group_usage(stdout, group, table, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[0], table[i].name) != 0)
			continue;
		for (int a = 1; a < argc; a++) {
			if (!strcmp(argv[a], "--"))
				break;
			if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
				cmd_usage(stdout, group, &table[i]);
				return 0;
			}
		}
		return table[i].fn(cli, argc, argv);
	}
	fprintf(stderr, "nimbus: unknown %s command '%s'\n", group, argv[0]);
	cli_group_usage(stderr, group, table, n);
	return 2;
}

const char *cli_time(json_t *v, char buf[32])
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return "-";
	t = (time_t)json_integer_value(v);
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *cli_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int cli_path(char *buf, size_t len, const char *prefix, const char *name)
{
	size_t o = (size_t)snprintf(buf, len, "%s/", prefix);

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (o + 4 >= len)
			return -ENAMETOOLONG;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", *p);
	}
	buf[o] = '\0';
	return 0;
}
