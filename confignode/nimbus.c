/* nimbus: the operator's CLI for nimbusd, over its admin Unix socket. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd groups[] = {
	{ "node", cli_node, "add|list|show|set|remove|discovered ...",
	  "Machines: add a MAC with a role and it PXE-boots into that role.", NULL },
	{ "image", cli_image, "add|set|list|show|remove ...", "Boot images (kernel, initrd, Xen).", NULL },
	{ "role", cli_role, "list|set-image ...", "Roles and their default images.", NULL },
	{ "pair", cli_pair, "add|list|show|remove ...",
	  "Storage pairs: two storage nodes replicating each other.", NULL },
	{ "volume", cli_volume, "create|list|show|grow|snapshot|delete ...",
	  "Replicated volumes on the pairs, exported over AoE.", NULL },
	{ "template", cli_template, "import|list|show|remove ...",
	  "Instance templates: guest disk images instances are cloned from.", NULL },
	{ "instance", cli_instance, "create|list|show|start|stop|migrate|delete ...",
	  "Instances: Xen guests on the hardware nodes, live-migratable.", NULL },
	{ "hook", cli_hook, "dhcp MAC IP", "Called by dhcpd, not by operators.", NULL },
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nimbus [-s SOCKET] [-o text|json] COMMAND ... [-o text|json]\n"
		"\n"
		"The operator's command line for nimbusd, the nimbus config node daemon.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   nimbusd's admin socket (default $NIMBUS_SOCKET or %s)\n"
		"  -o, --output FMT    text (default) or json, for scripts\n"
		"  -h, --help          this text\n"
		"\n"
		"commands:\n", CLI_DEFAULT_SOCKET);
	for (size_t i = 0; i < N_GROUPS; i++)
		fprintf(f, "  %-8s %-48s %s\n", groups[i].name, groups[i].args, groups[i].help);
	fprintf(f,
		"\n"
		"'nimbus COMMAND --help' lists a command's subcommands, 'nimbus COMMAND SUB\n"
		"--help' describes one. -o may also follow the subcommand. Exit status: 0 done,\n"
		"1 refused by nimbusd (the message names the bad value), 2 usage error or\n"
		"nimbusd unreachable.\n"
		"\n"
		"example:\n"
		"  nimbus image add st1 --kernel images/st1/vmlinuz --initrd images/st1/initrd.gz \\\n"
		"      --cmdline 'console=ttyS0'\n"
		"  nimbus role set-image storage st1\n"
		"  nimbus node add store1 --mac 52:54:00:aa:00:01 --role storage\n"
		"  nimbus node show store1\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .socket = getenv("NIMBUS_SOCKET") };
	int c, rc;

	if (!cli.socket || !cli.socket[0])
		cli.socket = CLI_DEFAULT_SOCKET;
	/* "+": options of subcommands are theirs, not ours. */
	while ((c = getopt_long(argc, argv, "+s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli.socket = optarg;
			break;
		case 'o':
			if (cli_set_output(&cli, optarg))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < N_GROUPS; i++) {
		if (strcmp(argv[optind], groups[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			fprintf(stderr, "nimbus: cannot initialise libcurl\n");
			return 2;
		}
		rc = groups[i].fn(&cli, argc - optind - 1, argv + optind + 1);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "nimbus: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
