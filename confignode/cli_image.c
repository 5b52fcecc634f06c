/* nimbus image ... and nimbus role ...: boot images and role defaults. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_image(json_t *i)
{
	printf("name:        %s\n", cli_str(i, "name"));
	printf("kernel:      %s\n", cli_str(i, "kernel"));
	printf("initrd:      %s\n", cli_str(i, "initrd")[0] ? cli_str(i, "initrd") : "-");
	if (cli_str(i, "xen")[0]) {
		printf("xen:         %s\n", cli_str(i, "xen"));
		printf("xen cmdline: %s\n", cli_str(i, "xen_cmdline"));
	}
	printf("cmdline:     %s\n", cli_str(i, "cmdline"));
}

static void print_image_list(json_t *r)
{
	json_t *list = json_object_get(r, "images"), *i;
	size_t k;

	printf("%-20s %-32s %-32s %s\n", "NAME", "KERNEL", "INITRD", "XEN");
	json_array_foreach(list, k, i)
		printf("%-20s %-32s %-32s %s\n", cli_str(i, "name"), cli_str(i, "kernel"),
		       cli_str(i, "initrd"), cli_str(i, "xen")[0] ? cli_str(i, "xen") : "-");
}

static int image_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "xen", required_argument, NULL, 'x' },
		{ "xen-cmdline", required_argument, NULL, 'X' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *reply;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		const char *field = c == 'k' ? "kernel" : c == 'i' ? "initrd" : c == 'x' ? "xen" :
				    c == 'X' ? "xen_cmdline" : c == 'c' ? "cmdline" : NULL;

		if (!field) {
			fprintf(stderr, "nimbus: image add: %s option '%s'\n",
				c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			json_decref(body);
			return 2;
		}
		json_object_set_new(body, field, json_string(optarg));
	}
	if (optind != argc - 1) {
		fprintf(stderr, "nimbus: image add: want exactly one NAME (see 'nimbus image add --help')\n");
		json_decref(body);
		return 2;
	}
	json_object_set_new(body, "name", json_string(argv[optind]));
	rc = cli_call(cli, "POST", "/v1/images", body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_image);
}

static int image_list(struct cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "nimbus: image list: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cli_do(cli, "GET", "/v1/images", NULL, print_image_list);
}

static void print_removed(json_t *r)
{
	printf("removed image %s\n", cli_str(r, "removed"));
}

static int image_one(struct cli *cli, int argc, char **argv, const char *method,
		     void (*text)(json_t *))
{
	char path[256];
	if (argc != 2) {
		fprintf(stderr, "nimbus: image %s: want exactly one NAME\n", argv[0]);
		return 2;
	}
	if (cli_path(path, sizeof(path), "/v1/images", argv[1]) < 0) {
		fprintf(stderr, "nimbus: image name '%.60s...' is too long\n", argv[1]);
		return 2;
	}
	return cli_do(cli, method, path, NULL, text);
}

static int image_show(struct cli *cli, int argc, char **argv)
{
	return image_one(cli, argc, argv, "GET", print_image);
}

static int image_remove(struct cli *cli, int argc, char **argv)
{
	return image_one(cli, argc, argv, "DELETE", print_removed);
}

static const struct cli_cmd image_cmds[] = {
	{ "add", image_add,
	  "NAME --kernel PATH [--initrd PATH] [--xen PATH [--xen-cmdline ARGS]] [--cmdline ARGS]",
	  "Register a boot image. Paths are relative to the TFTP root. With --xen the image\n"
	  "      boots mboot.c32: Xen with --xen-cmdline, then the kernel (dom0) and initrd." },
	{ "list", image_list, "", "List boot images." },
	{ "show", image_show, "NAME", "Show one boot image." },
	{ "remove", image_remove, "NAME", "Remove an image no role or node uses." },
};

int cli_image(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "image", image_cmds, sizeof(image_cmds) / sizeof(image_cmds[0]),
			    argc, argv);
}

static void print_roles(json_t *r)
{
	json_t *list = json_object_get(r, "roles"), *x;
	size_t i;

	printf("%-10s %s\n", "ROLE", "DEFAULT_IMAGE");
	json_array_foreach(list, i, x)
		printf("%-10s %s\n", cli_str(x, "name"),
		       cli_str(x, "image")[0] ? cli_str(x, "image") : "(none)");
}

static void print_role(json_t *r)
{
	printf("role %s boots image %s by default\n", cli_str(r, "name"), cli_str(r, "image"));
}

static int role_list(struct cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "nimbus: role list: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	return cli_do(cli, "GET", "/v1/roles", NULL, print_roles);
}

static int role_set_image(struct cli *cli, int argc, char **argv)
{
	char path[256];
	json_t *body, *reply;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "nimbus: role set-image: want ROLE IMAGE\n");
		return 2;
	}
	if (cli_path(path, sizeof(path), "/v1/roles", argv[1]) < 0) {
		fprintf(stderr, "nimbus: role name '%.60s...' is too long\n", argv[1]);
		return 2;
	}
	body = json_pack("{s:s?}", "image", argv[2]);
	rc = cli_call(cli, "PUT", path, body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_role);
}

static const struct cli_cmd role_cmds[] = {
	{ "list", role_list, "", "List roles (storage, hw) and their default images." },
	{ "set-image", role_set_image, "storage|hw IMAGE",
	  "Set the image a role's nodes boot unless they override it; their pxelinux\n"
	  "      configs are regenerated." },
};

int cli_role(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "role", role_cmds, sizeof(role_cmds) / sizeof(role_cmds[0]),
			    argc, argv);
}
