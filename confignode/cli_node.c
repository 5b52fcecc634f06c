/* nimbus node ...: add, list, show, set, remove, discovered. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Parses "NAME --opt val..." into the JSON fields named in map; the one
 * positional argument goes to *name. Returns 0 or prints and returns 2. */
struct optmap {
	const char *opt;    /* long option */
	const char *field;  /* JSON member */
	int value;          /* 0: flag sets field to null */
};

static int parse_opts(const char *cmd, int argc, char **argv, const struct optmap *map,
		      size_t nmap, json_t *obj, const char **name)
{
	struct option opts[16];
	size_t i;
	int c;

	for (i = 0; i < nmap && i < 15; i++)
		opts[i] = (struct option){ map[i].opt, map[i].value ? required_argument : no_argument,
					   NULL, (int)(i + 1) };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
	/* optind 0: GNU getopt starts afresh and moves the positional NAME
	 * after the options, wherever the operator typed it. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "nimbus: %s: %s option '%s' (see 'nimbus %s --help')\n", cmd,
				c == ':' ? "missing value for" : "unknown", argv[optind - 1], cmd);
			return 2;
		}
		json_object_set_new(obj, map[c - 1].field,
				    map[c - 1].value ? json_string(optarg) : json_null());
	}
	*name = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc) {
		fprintf(stderr, "nimbus: %s: unexpected argument '%s'\n", cmd, argv[optind + 1]);
		return 2;
	}
	return 0;
}

static void print_node_row(json_t *n)
{
	printf("%-20s %-17s %-15s %-8s %-16s %s\n", cli_str(n, "name"), cli_str(n, "mac"),
	       cli_str(n, "ip"), cli_str(n, "role"), cli_str(n, "boot_image"),
	       cli_str(n, "state"));
}

static void print_node_list(json_t *r)
{
	json_t *nodes = json_object_get(r, "nodes"), *n;
	size_t i;

	printf("%-20s %-17s %-15s %-8s %-16s %s\n", "NAME", "MAC", "IP", "ROLE", "IMAGE", "STATE");
	json_array_foreach(nodes, i, n)
		print_node_row(n);
}

/* The booted system's last report: sizes, NICs, then its info strings. */
static void print_report(json_t *r)
{
	json_t *info = json_object_get(r, "info"), *v, *nic;
	const char *key;
	char t[32];
	size_t i;

	if (!json_is_object(r) || !json_object_get(r, "at"))
		return;
	printf("report:   %s UTC: %lld cpus, %lld MiB, nics", cli_time(json_object_get(r, "at"), t),
	       (long long)json_integer_value(json_object_get(r, "cpus")),
	       (long long)json_integer_value(json_object_get(r, "memory_mb")));
	json_array_foreach(json_object_get(r, "nics"), i, nic)
		printf(" %s", json_string_value(nic));
	putchar('\n');
	json_object_foreach(info, key, v)
		printf("  %-20s %s\n", key, json_string_value(v));
}

static void print_node(json_t *n)
{
	json_t *hist = json_object_get(n, "history"), *e;
	char t[32];
	size_t i;

	printf("name:     %s\n", cli_str(n, "name"));
	printf("mac:      %s\n", cli_str(n, "mac"));
	printf("ip:       %s\n", cli_str(n, "ip"));
	printf("role:     %s\n", cli_str(n, "role"));
	printf("image:    %s%s\n", cli_str(n, "boot_image")[0] ? cli_str(n, "boot_image") : "(none)",
	       json_is_string(json_object_get(n, "image")) ? " (node override)" : " (role default)");
	printf("state:    %s since %s UTC\n", cli_str(n, "state"),
	       cli_time(json_object_get(n, "state_at"), t));
	printf("seen:     %s UTC\n", cli_time(json_object_get(n, "seen_at"), t));
	print_report(json_object_get(n, "report"));
	if (json_array_size(hist)) {
		printf("history:\n");
		json_array_foreach(hist, i, e)
			printf("  %s  %-15s %s\n", cli_time(json_object_get(e, "at"), t),
			       cli_str(e, "event"), cli_str(e, "detail"));
	}
}

static void print_removed(json_t *r)
{
	printf("removed node %s (mac %s)\n", cli_str(r, "removed"), cli_str(r, "mac"));
}

static int need_name(const char *cmd, const char *name)
{
	if (!name) {
		fprintf(stderr, "nimbus: node %s: missing NAME (see 'nimbus node %s --help')\n",
			cmd, cmd);
		return 2;
	}
	return 0;
}

static int node_add(struct cli *cli, int argc, char **argv)
{
	static const struct optmap map[] = {
		{ "mac", "mac", 1 }, { "discovered", "discovered", 1 }, { "role", "role", 1 },
		{ "ip", "ip", 1 }, { "image", "image", 1 },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	int rc;

	rc = parse_opts("node add", argc, argv, map, 5, body, &name);
	if (rc == 0)
		rc = need_name("add", name);
	if (rc) {
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(name));
	rc = cli_call(cli, "POST", "/v1/nodes", body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_node);
}

static int node_list(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "nimbus: node list: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cli_do(cli, "GET", "/v1/nodes", NULL, print_node_list);
}

static int one_name(struct cli *cli, int argc, char **argv, const char *method,
		    void (*text)(json_t *))
{
	char path[256];
	if (argc != 2) {
		fprintf(stderr, "nimbus: node %s: want exactly one NAME\n", argv[0]);
		return 2;
	}
	if (cli_path(path, sizeof(path), "/v1/nodes", argv[1]) < 0) {
		fprintf(stderr, "nimbus: node name '%.60s...' is too long\n", argv[1]);
		return 2;
	}
	return cli_do(cli, method, path, NULL, text);
}

static int node_show(struct cli *cli, int argc, char **argv)
{
	return one_name(cli, argc, argv, "GET", print_node);
}

static int node_remove(struct cli *cli, int argc, char **argv)
{
	return one_name(cli, argc, argv, "DELETE", print_removed);
}

static int node_set(struct cli *cli, int argc, char **argv)
{
	static const struct optmap map[] = {
		{ "mac", "mac", 1 }, { "role", "role", 1 }, { "ip", "ip", 1 },
		{ "image", "image", 1 }, { "default-image", "image", 0 },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	int rc;

	rc = parse_opts("node set", argc, argv, map, 5, body, &name);
	if (rc == 0)
		rc = need_name("set", name);
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/nodes", name) < 0) {
		fprintf(stderr, "nimbus: node name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	rc = cli_call(cli, "PATCH", path, body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_node);
}

static void print_discovered(json_t *r)
{
	json_t *list = json_object_get(r, "discovered"), *d;
	char t[32];
	size_t i;

	printf("%-17s %-15s %5s %9s  %-19s %s\n", "MAC", "IP", "CPUS", "MEMORY_MB", "LAST_SEEN",
	       "NICS");
	json_array_foreach(list, i, d) {
		char *nics = json_dumps(json_object_get(d, "nics"), JSON_COMPACT);

		printf("%-17s %-15s %5lld %9lld  %-19s %s\n", cli_str(d, "mac"), cli_str(d, "ip"),
		       (long long)json_integer_value(json_object_get(d, "cpus")),
		       (long long)json_integer_value(json_object_get(d, "memory_mb")),
		       cli_time(json_object_get(d, "last_seen"), t), nics ? nics : "[]");
		free(nics);
	}
}

static int node_discovered(struct cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "nimbus: node discovered: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cli_do(cli, "GET", "/v1/discovered", NULL, print_discovered);
}

static const struct cli_cmd node_cmds[] = {
	{ "add", node_add,
	  "NAME (--mac MAC | --discovered MAC) --role storage|hw [--ip IP] [--image IMAGE]",
	  "Add a machine as node NAME (a DNS label). MAC as aa:bb:cc:dd:ee:ff, AA-BB-...,\n"
	  "      or aabb.ccdd.eeff; --discovered adopts a machine from 'node discovered'. The IP\n"
	  "      comes from the pool unless given; the image is the role's default unless given.\n"
	  "      dhcpd learns the host at once (OMAPI): the machine boots its role on next boot." },
	{ "list", node_list, "", "List nodes with address, role, image and lifecycle state." },
	{ "show", node_show, "NAME",
	  "Show one node and its history (added, dhcp, config-fetched, booted, lost)." },
	{ "set", node_set, "NAME [--mac MAC] [--ip IP] [--role ROLE] [--image IMAGE | --default-image]",
	  "Change a node; its DHCP host and pxelinux config follow." },
	{ "remove", node_remove, "NAME",
	  "Remove a node: dhcpd forgets it and its pxelinux config is deleted." },
	{ "discovered", node_discovered, "",
	  "List unknown machines that booted the discovery image and reported in." },
};

int cli_node(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "node", node_cmds, sizeof(node_cmds) / sizeof(node_cmds[0]),
			    argc, argv);
}
