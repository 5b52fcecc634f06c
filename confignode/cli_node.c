/* nimbus node ...: add, list, show, set, remove, discovered. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

/* A hardware node's agent (nimbus-hostd): what it last observed. */
static void print_host(json_t *h)
{
	json_t *d;
	size_t i;

	if (!json_is_object(h))
		return;
	printf("agent:    %s, applied generation %lld of %lld\n",
	       json_is_true(json_object_get(h, "reporting")) ? "reporting" : "not reporting",
	       (long long)json_integer_value(json_object_get(h, "applied_generation")),
	       (long long)json_integer_value(json_object_get(h, "generation")));
	if (json_object_get(h, "libvirt"))
		printf("          libvirt %s%s%s, Xen %s, %lld of %lld MiB free, instbr0 %s, %lld AoE"
		       " devices\n", json_is_true(json_object_get(h, "libvirt")) ? "answers" : "DOWN",
		       cli_str(h, "libvirt_error")[0] ? ": " : "", cli_str(h, "libvirt_error"),
		       cli_str(h, "xen_version"),
		       (long long)json_integer_value(json_object_get(h, "memory_free_mib")),
		       (long long)json_integer_value(json_object_get(h, "memory_total_mib")),
		       json_is_true(json_object_get(h, "instance_bridge")) ? "up" : "missing",
		       (long long)json_integer_value(json_object_get(h, "aoe_devices")));
	printf("          can run instances: %s\n", cli_str(h, "can_run_instances"));
	json_array_foreach(json_object_get(h, "domains"), i, d)
		printf("          domain %s: %s, %lld MiB%s%s\n", cli_str(d, "name"), cli_str(d, "state"),
		       (long long)json_integer_value(json_object_get(d, "memory_mib")),
		       cli_str(d, "error")[0] ? ", error: " : "", cli_str(d, "error"));
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
	print_host(json_object_get(n, "host"));
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

static int node_add(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "mac", "mac", CLI_VALUE }, { "discovered", "discovered", CLI_VALUE },
		{ "role", "role", CLI_VALUE }, { "ip", "ip", CLI_VALUE },
		{ "image", "image", CLI_VALUE },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	int rc;

	rc = cli_opts(cli, "node add", argc, argv, map, 5, body, &name, 1, 1, NULL);
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
	if (cli_opts(cli, "node list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL))
		return 2;
	return cli_do(cli, "GET", "/v1/nodes", NULL, print_node_list);
}

static int node_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "node", "/v1/nodes", argc, argv, "GET", print_node);
}

static int node_remove(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "node", "/v1/nodes", argc, argv, "DELETE", print_removed);
}

static int node_set(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "mac", "mac", CLI_VALUE }, { "role", "role", CLI_VALUE }, { "ip", "ip", CLI_VALUE },
		{ "image", "image", CLI_VALUE }, { "default-image", "image", CLI_NULL },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	int rc;

	rc = cli_opts(cli, "node set", argc, argv, map, 5, body, &name, 1, 1, NULL);
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/nodes", name) < 0) {
		fprintf(stderr, "nimbus: node name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc == 0 && json_object_size(body) == 0) {
		fprintf(stderr, "nimbus: node set: nothing to change (see 'nimbus node set --help')\n");
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

static void print_cleared(json_t *r)
{
	printf("cleared %lld discovered machine%s\n",
	       (long long)json_integer_value(json_object_get(r, "cleared")),
	       json_integer_value(json_object_get(r, "cleared")) == 1 ? "" : "s");
}

static int node_discovered(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = { { "clear", "clear", CLI_TRUE } };
	json_t *flags = json_object();
	const char *mac = NULL;
	char path[128];
	int n, rc;

	rc = cli_opts(cli, "node discovered", argc, argv, map, 1, flags, &mac, 0, 1, &n);
	if (rc == 0 && n && !json_object_get(flags, "clear")) {
		fprintf(stderr, "nimbus: node discovered: a MAC only goes with --clear\n");
		rc = 2;
	}
	if (rc == 0 && json_object_get(flags, "clear")) {
		if (mac && cli_path(path, sizeof(path), "/v1/discovered", mac) < 0) {
			fprintf(stderr, "nimbus: bad mac '%.60s...'\n", mac);
			rc = 2;
		} else {
			json_decref(flags);
			return cli_do(cli, "DELETE", mac ? path : "/v1/discovered", NULL,
				      print_cleared);
		}
	}
	json_decref(flags);
	if (rc)
		return rc;
	return cli_do(cli, "GET", "/v1/discovered", NULL, print_discovered);
}

static const struct cli_cmd node_cmds[] = {
	{ "add", node_add,
	  "NAME (--mac MAC | --discovered MAC) --role storage|hw [--ip IP] [--image IMAGE]",
	  "Add a machine as node NAME; it PXE-boots into its role on its next boot.",
	  "NAME is a DNS label: a-z 0-9 -, 1..63 characters, no leading or trailing '-'.\n"
	  "In one transaction nimbusd checks everything, stores the node, regenerates\n"
	  "dhcpd.conf (checked with dhcpd -t) and the node's pxelinux.cfg/01-<mac>, and adds\n"
	  "the host to the running dhcpd (OMAPI). If a step fails nothing is changed.\n"
	  "\n"
	  "  --mac MAC           the machine's boot NIC: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF,\n"
	  "                      aabb.ccdd.eeff or aabbccddeeff; unicast, not all-zero\n"
	  "  --discovered MAC    adopt a machine listed by 'nimbus node discovered'\n"
	  "  --role ROLE         storage (AoE storage node) or hw (Xen hardware node)\n"
	  "  --ip IP             fixed address inside the subnet, outside the dynamic range;\n"
	  "                      default: the first free address of the pool\n"
	  "  --image IMAGE       boot IMAGE instead of the role's default (hw needs a Xen image)\n"
	  "\nexample:\n  nimbus node add store1 --mac 52:54:00:aa:00:01 --role storage\n" },
	{ "list", node_list, "", "List nodes with address, role, image and lifecycle state.",
	  "States: added, dhcp, config-fetched, booted, lost, failed (see 'node show').\n" },
	{ "show", node_show, "NAME",
	  "Show one node, its last report and its history.",
	  "The history lists each change of state with its time (UTC): added, changed,\n"
	  "dhcp (dhcpd answered), config-fetched (TFTP read its pxelinux file), booted\n"
	  "(the booted system reported), failed (it reported a failure), lost (silent for\n"
	  "lost-after seconds).\n" },
	{ "set", node_set,
	  "NAME [--mac MAC] [--ip IP] [--role ROLE] [--image IMAGE | --default-image]",
	  "Change a node; its DHCP host and pxelinux config follow.",
	  "Options as for 'node add'. A changed MAC removes the old DHCP host first.\n"
	  "  --default-image     drop the node's image override: boot the role's default\n"
	  "\nexample:\n  nimbus node set store1 --ip 10.77.0.20\n" },
	{ "remove", node_remove, "NAME",
	  "Remove a node: dhcpd forgets it and its pxelinux config is deleted.", NULL },
	{ "discovered", node_discovered, "[--clear [MAC]]",
	  "List (or forget) unknown machines that booted the discovery image.",
	  "Machines whose MAC is no node boot the discovery image and report their CPUs,\n"
	  "memory and NICs; adopt one with 'nimbus node add NAME --discovered MAC ...'.\n"
	  "  --clear             forget every discovered machine\n"
	  "  --clear MAC         forget one (it reappears if it reports again)\n" },
};

int cli_node(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "node", node_cmds, sizeof(node_cmds) / sizeof(node_cmds[0]),
			    argc, argv);
}
