/* nimbus image ... and nimbus role ...: boot images and role defaults. */
#include <stdbool.h>
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

static const struct cli_opt image_map[] = {
	{ "kernel", "kernel", CLI_VALUE }, { "initrd", "initrd", CLI_VALUE },
	{ "xen", "xen", CLI_VALUE }, { "xen-cmdline", "xen_cmdline", CLI_VALUE },
	{ "cmdline", "cmdline", CLI_VALUE },
};

/* image add NAME ... (POST) and image set NAME ... (PATCH). */
static int image_write(struct cli *cli, int argc, char **argv, bool add)
{
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	int rc;

	rc = cli_opts(cli, add ? "image add" : "image set", argc, argv, image_map, 5, body,
		      &name, 1, 1, NULL);
	if (rc == 0 && !add && json_object_size(body) == 0) {
		fprintf(stderr, "nimbus: image set: nothing to change (see 'nimbus image set --help')\n");
		rc = 2;
	}
	if (rc == 0 && !add && cli_path(path, sizeof(path), "/v1/images", name) < 0) {
		fprintf(stderr, "nimbus: image name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	if (add)
		json_object_set_new(body, "name", json_string(name));
	rc = cli_call(cli, add ? "POST" : "PATCH", add ? "/v1/images" : path, body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_image);
}

static int image_add(struct cli *cli, int argc, char **argv)
{
	return image_write(cli, argc, argv, true);
}

static int image_set(struct cli *cli, int argc, char **argv)
{
	return image_write(cli, argc, argv, false);
}

static int image_list(struct cli *cli, int argc, char **argv)
{
	if (cli_opts(cli, "image list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL))
		return 2;
	return cli_do(cli, "GET", "/v1/images", NULL, print_image_list);
}

static void print_removed(json_t *r)
{
	printf("removed image %s\n", cli_str(r, "removed"));
}

static int image_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "image", "/v1/images", argc, argv, "GET", print_image);
}

static int image_remove(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "image", "/v1/images", argc, argv, "DELETE", print_removed);
}

#define IMAGE_OPTIONS \
	"  --kernel PATH       the kernel (with --xen: the dom0 kernel)\n" \
	"  --initrd PATH       its initrd\n" \
	"  --xen PATH          Xen: the image boots mboot.c32, Xen, then kernel and initrd\n" \
	"  --xen-cmdline ARGS  Xen's command line (e.g. 'dom0_mem=1024M')\n" \
	"  --cmdline ARGS      the kernel's command line; nimbus.report=IP:PORT is added\n" \
	"\nPaths are relative to the TFTP root (A-Z a-z 0-9 . _ + / -, no '..').\n" \
	"Command lines are printable ASCII without quotes, \\ ; { } # $ ` or '---'.\n"

static const struct cli_cmd image_cmds[] = {
	{ "add", image_add,
	  "NAME --kernel PATH [--initrd PATH] [--xen PATH [--xen-cmdline ARGS]] [--cmdline ARGS]",
	  "Register a boot image (NAME: a-z 0-9 . _ -).",
	  IMAGE_OPTIONS
	  "\nexample:\n  nimbus image add st1 --kernel images/st1/vmlinuz --initrd images/st1/initrd.gz \\\n"
	  "      --cmdline 'console=ttyS0'\n" },
	{ "set", image_set,
	  "NAME [--kernel PATH] [--initrd PATH] [--xen PATH] [--xen-cmdline ARGS] [--cmdline ARGS]",
	  "Change a boot image; the pxelinux files of the nodes booting it are regenerated.",
	  IMAGE_OPTIONS
	  "An empty value (--initrd '') removes an optional part. An image that hw nodes\n"
	  "or the hw role boot keeps its Xen. Nodes pick the change up on their next boot.\n"
	  "\nexample:\n  nimbus image set st1 --kernel images/st1-v2/vmlinuz\n" },
	{ "list", image_list, "", "List boot images.", NULL },
	{ "show", image_show, "NAME", "Show one boot image.", NULL },
	{ "remove", image_remove, "NAME",
	  "Remove an image; refused while a role or node uses it (naming them).", NULL },
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
	if (cli_opts(cli, "role list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL))
		return 2;
	return cli_do(cli, "GET", "/v1/roles", NULL, print_roles);
}

static int role_set_image(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	char path[256];
	json_t *body, *reply;
	int rc;

	if (cli_opts(cli, "role set-image", argc, argv, NULL, 0, NULL, pos, 2, 2, NULL))
		return 2;
	if (cli_path(path, sizeof(path), "/v1/roles", pos[0]) < 0) {
		fprintf(stderr, "nimbus: role name '%.60s...' is too long\n", pos[0]);
		return 2;
	}
	body = json_pack("{s:s?}", "image", pos[1]);
	rc = cli_call(cli, "PUT", path, body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_role);
}

static const struct cli_cmd role_cmds[] = {
	{ "list", role_list, "", "List roles (storage, hw) and their default images.", NULL },
	{ "set-image", role_set_image, "storage|hw IMAGE",
	  "Set the image a role's nodes boot unless they override it.",
	  "The pxelinux configs of the role's nodes are regenerated at once. The hw role\n"
	  "needs an image with Xen.\n"
	  "\nexample:\n  nimbus role set-image storage st1\n" },
};

int cli_role(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "role", role_cmds, sizeof(role_cmds) / sizeof(role_cmds[0]),
			    argc, argv);
}
