/* nimbus template ... and nimbus instance ...: instance templates, and
 * instances (Xen guests on the hardware nodes) with their live
 * migrations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "size_units.h"

#define WAIT_DEFAULT_S 300

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* --- templates ----------------------------------------------------------- */

static void template_row(json_t *t)
{
	json_t *v = json_object_get(t, "volume_state");
	char size[SIZE_STR_MAX] = "-";

	if (json_is_integer(json_object_get(v, "size")))
		size_format((uint64_t)num(v, "size"), size);
	printf("%-20s %-20s %8s %-14s %lld\n", cli_str(t, "name"), cli_str(t, "volume"), size,
	       v ? cli_str(v, "state") : "-", num(t, "instances"));
}

static void print_template_list(json_t *r)
{
	json_t *t;
	size_t i;

	printf("%-20s %-20s %8s %-14s %s\n", "NAME", "VOLUME", "SIZE", "STATE", "INSTANCES");
	json_array_foreach(json_object_get(r, "templates"), i, t)
		template_row(t);
}

static void print_template(json_t *t)
{
	json_t *v = json_object_get(t, "volume_state"), *im = json_object_get(v, "import");
	char when[32], size[SIZE_STR_MAX] = "-";

	if (json_is_integer(json_object_get(v, "size")))
		size_format((uint64_t)num(v, "size"), size);
	printf("name:      %s\n", cli_str(t, "name"));
	printf("volume:    %s (%s, %s, pair %s)\n", cli_str(t, "volume"), size,
	       cli_str(v, "aoe"), cli_str(v, "pair"));
	printf("state:     %s", cli_str(v, "state"));
	if (im && json_is_object(im))
		printf(" (import %s, %lld%%)", cli_str(im, "state"), num(im, "percent"));
	printf("\ncreated:   %s\n", cli_time(json_object_get(t, "created"), when));
	printf("instances: %lld%s%s\n", num(t, "instances"), cli_str(t, "used_by")[0] ? ": " : "",
	       cli_str(t, "used_by"));
}

static json_t *template_volume(json_t *t)
{
	return json_object_get(t, "volume_state");
}

static int template_import(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = { { "pair", "pair", CLI_VALUE } };
	json_t *body = json_object(), *reply;
	const char *pos[2];
	char path[256], *file = NULL;
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("template import", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "template import", argc, argv, map, 1, body, pos, 2, 2, NULL);
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/templates", pos[0]) < 0) {
		fprintf(stderr, "nimbus: template name '%.60s...' is too long\n", pos[0]);
		rc = 2;
	}
	if (rc == 0)
		rc = cli_abs_file("template import", pos[1], &file);
	if (rc) {
		free(file);
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(pos[0]));
	json_object_set_new(body, "file", json_string(file));
	free(file);
	rc = cli_call(cli, "POST", "/v1/templates", body, &reply);
	json_decref(body);
	if (!secs || rc != 201)
		return cli_result(cli, rc, reply, print_template);
	json_decref(reply);
	return cli_wait_import(cli, path, "template", pos[0], secs, start, template_volume,
			       print_template);
}

static int template_list(struct cli *cli, int argc, char **argv)
{
	int rc = cli_opts(cli, "template list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL);

	return rc ? rc : cli_do(cli, "GET", "/v1/templates", NULL, print_template_list);
}

static int template_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "template", "/v1/templates", argc, argv, "GET", print_template);
}

static void print_removed(json_t *r)
{
	printf("removed template %s and its volume %s\n", cli_str(r, "removed"),
	       cli_str(r, "volume"));
}

static int template_remove(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "template", "/v1/templates", argc, argv, "DELETE", print_removed);
}

static const struct cli_cmd template_cmds[] = {
	{ "import", template_import, "NAME FILE [--pair PAIR] [--wait [SECONDS]]",
	  "Make FILE (a bootable guest disk image) a template instances are cloned from.",
	  "  --pair PAIR         the storage pair to keep it on (default: the pair with\n"
	  "                      most free space); its instances' disks live there too\n"
	  "  --wait [SECONDS]    wait until the import is done, printing its progress, at\n"
	  "                      most SECONDS (default 300); exit 1 if it failed\n"
	  "\nThe template is a volume of the same name, imported as 'volume import' does;\n"
	  "nothing attaches it, and instances get thin clones of it (instant, on both\n"
	  "storage nodes). 'make instance-image' builds a small Debian 12 guest for it.\n"
	  "\nexample:\n  nimbus template import debian12 build/instances/disk.img --wait 600\n" },
	{ "list", template_list, "", "List templates: volume, size, state, instances.", NULL },
	{ "show", template_show, "NAME", "Show a template and the instances cloned from it.", NULL },
	{ "remove", template_remove, "NAME",
	  "Remove a template and its volume (refused while instances cloned from it exist).",
	  NULL },
};

int cli_template(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "template", template_cmds,
			    sizeof(template_cmds) / sizeof(template_cmds[0]), argc, argv);
}

/* --- instances ----------------------------------------------------------- */

static void instance_row(json_t *in)
{
	json_t *m = json_object_get(in, "migration");
	char where[96];

	if (json_is_object(m))
		snprintf(where, sizeof(where), "%s->%s", cli_str(m, "from"), cli_str(m, "to"));
	else
		snprintf(where, sizeof(where), "%s", cli_str(in, "node"));
	printf("%-20s %-10s %-14s %6lldM %5lld %-18s %-9s %s\n", cli_str(in, "name"),
	       cli_str(in, "state"), where, num(in, "memory_mib"), num(in, "vcpus"),
	       cli_str(in, "address")[0] ? cli_str(in, "address") : "-", cli_str(in, "aoe"),
	       cli_str(in, "template"));
}

static void print_instance_list(json_t *r)
{
	json_t *in;
	size_t i;

	printf("%-20s %-10s %-14s %7s %5s %-18s %-9s %s\n", "NAME", "STATE", "NODE", "MEMORY",
	       "VCPUS", "ADDRESS", "DISK", "TEMPLATE");
	json_array_foreach(json_object_get(r, "instances"), i, in)
		instance_row(in);
}

static void print_instance(json_t *in)
{
	json_t *obs = json_object_get(in, "observed"), *m = json_object_get(in, "migration");
	json_t *vs = json_object_get(in, "volume_state"), *e;
	char when[32];
	size_t i;

	printf("name:      %s\n", cli_str(in, "name"));
	printf("state:     %s (desired %s)\n", cli_str(in, "state"), cli_str(in, "desired"));
	printf("node:      %s (observed: domain %s%s%s)\n", cli_str(in, "node"),
	       cli_str(obs, "domain"), json_is_true(json_object_get(obs, "reporting")) ? "" :
	       ", node not reporting", "");
	if (cli_str(obs, "also_running_on")[0])
		printf("DIFFERENCE: also running on %s (nimbusd wants it on %s only)\n",
		       cli_str(obs, "also_running_on"), cli_str(in, "node"));
	if (cli_str(obs, "error")[0])
		printf("error:     %s\n", cli_str(obs, "error"));
	printf("memory:    %lld MiB, %lld vCPU\n", num(in, "memory_mib"), num(in, "vcpus"));
	printf("network:   %s, mac %s%s%s\n", cli_str(in, "address")[0] ? cli_str(in, "address") :
	       "no address", cli_str(in, "mac"), cli_str(in, "gateway")[0] ? ", gateway " : "",
	       cli_str(in, "gateway"));
	printf("disk:      volume %s (%s), %s, from template %s\n", cli_str(in, "volume"),
	       cli_str(in, "aoe"), vs ? cli_str(vs, "state") : "?", cli_str(in, "template"));
	if (json_is_object(m))
		printf("migrating: %s -> %s, %s, %.1f s (migration %lld)\n", cli_str(m, "from"),
		       cli_str(m, "to"), cli_str(m, "phase"), num(m, "elapsed_ms") / 1000.0,
		       num(m, "id"));
	printf("created:   %s\n", cli_time(json_object_get(in, "created"), when));
	if (json_array_size(json_object_get(in, "migrations"))) {
		printf("migrations:\n");
		json_array_foreach(json_object_get(in, "migrations"), i, e)
			printf("  %lld  %s  %s -> %s  %s  %.1f s%s%s\n", num(e, "id"),
			       cli_time(json_object_get(e, "started"), when), cli_str(e, "from"),
			       cli_str(e, "to"), cli_str(e, "state"), num(e, "total_ms") / 1000.0,
			       cli_str(e, "error")[0] ? ": " : "", cli_str(e, "error"));
	}
	printf("history:\n");
	json_array_foreach(json_object_get(in, "history"), i, e)
		printf("  %s  %-8s %s\n", cli_time(json_object_get(e, "at"), when),
		       cli_str(e, "node"), cli_str(e, "event"));
}

/* Polls the instance until its state is want (or, for a migration, the
 * migration is over), printing each new state or phase with its time: 0
 * reached, 1 not in time or failed. */
static int wait_state(struct cli *cli, const char *name, const char *want, bool migration,
		      long secs, double start)
{
	char path[256], last[64] = "";

	cli_path(path, sizeof(path), "/v1/instances", name);
	for (;;) {
		json_t *reply = NULL, *m;
		int st = cli_call(cli, "GET", path, NULL, &reply);
		double took = cli_mono_s() - start;
		char now[64];
		bool done;

		if (st != 200)
			return cli_result(cli, st, reply, print_instance);
		m = json_object_get(reply, "migration");
		if (migration && json_is_object(m))
			snprintf(now, sizeof(now), "%s", cli_str(m, "phase"));
		else
			snprintf(now, sizeof(now), "%s", cli_str(reply, "state"));
		if (strcmp(now, last) != 0 && !cli->json)
			fprintf(stderr, "%7.1f s  %s: %s%s\n", took, name, migration &&
				json_is_object(m) ? "migration " : "", now);
		snprintf(last, sizeof(last), "%s", now);
		done = !strcmp(now, want);
		if (migration) {
			json_t *h = json_array_get(json_object_get(reply, "migrations"), 0);

			/* Over once nimbusd has the source's verdict; verified once
			 * the node it belongs to reports it running (or, failed, the
			 * source still does). */
			done = !json_is_object(m) && (!strcmp(cli_str(reply, "state"), "running") ||
						      strcmp(cli_str(h, "state"), "done") != 0);
		}
		if (done || took >= (double)secs) {
			bool ok = done;

			if (migration && done) {
				json_t *h = json_array_get(json_object_get(reply, "migrations"), 0);

				ok = !strcmp(cli_str(h, "state"), "done");
				if (!cli->json)
					fprintf(stderr, "%7.1f s  %s: migration %s%s%s; verified: %s on %s\n",
						took, name, cli_str(h, "state"),
						cli_str(h, "error")[0] ? ": " : "", cli_str(h, "error"),
						cli_str(reply, "state"), cli_str(reply, "observed") ?
						cli_str(json_object_get(reply, "observed"), "node") : "?");
			}
			st = cli_result(cli, st, reply, print_instance);
			if (!done)
				fprintf(stderr, "nimbus: instance %s is still %s after %ld s\n", name,
					last, secs);
			return ok ? st : 1;
		}
		json_decref(reply);
		cli_sleep_ms(250);
	}
}

/* --memory SIZE as MiB (a bare number is MiB). */
static int memory_field(json_t *body, const char *cmd)
{
	const char *s = json_string_value(json_object_get(body, "memory_mib"));
	uint64_t v;
	char buf[32];

	if (!s)
		return 0;
	snprintf(buf, sizeof(buf), "%s%s", s, strspn(s, "0123456789") == strlen(s) ? "M" : "");
	if (size_parse(buf, &v) < 0 || v % (1024 * 1024) || v == 0) {
		fprintf(stderr, "nimbus: %s: bad memory '%s' (whole MiB: 256M, 1G or 512)\n", cmd, s);
		return 2;
	}
	json_object_set_new(body, "memory_mib", json_integer((json_int_t)(v >> 20)));
	return 0;
}

static int int_field(json_t *body, const char *key, const char *cmd)
{
	const char *s = json_string_value(json_object_get(body, key));
	char *end;
	long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || !s[0] || v < 1) {
		fprintf(stderr, "nimbus: %s: bad %s '%s'\n", cmd, key, s);
		return 2;
	}
	json_object_set_new(body, key, json_integer(v));
	return 0;
}

static int size_opt(json_t *body, const char *key, const char *cmd)
{
	const char *s = json_string_value(json_object_get(body, key));
	uint64_t v;

	if (!s)
		return 0;
	if (size_parse(s, &v) < 0 || v == 0) {
		fprintf(stderr, "nimbus: %s: bad size '%s' (e.g. 10G)\n", cmd, s);
		return 2;
	}
	json_object_set_new(body, key, json_integer((json_int_t)v));
	return 0;
}

static int instance_create(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "template", "template", CLI_VALUE }, { "memory", "memory_mib", CLI_VALUE },
		{ "vcpus", "vcpus", CLI_VALUE }, { "disk-size", "disk_size", CLI_VALUE },
		{ "on", "on", CLI_VALUE }, { "ip", "ip", CLI_VALUE },
		{ "gateway", "gateway", CLI_VALUE }, { "start", "start", CLI_TRUE },
	};
	json_t *body = json_object(), *reply;
	const char *name, *want;
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("instance create", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "instance create", argc, argv, map, sizeof(map) / sizeof(map[0]),
			      body, &name, 1, 1, NULL);
	if (rc == 0)
		rc = memory_field(body, "instance create");
	if (rc == 0)
		rc = int_field(body, "vcpus", "instance create");
	if (rc == 0)
		rc = size_opt(body, "disk_size", "instance create");
	if (rc == 0 && !json_object_get(body, "template")) {
		fprintf(stderr, "nimbus: instance create: --template T is required\n");
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(name));
	want = json_is_true(json_object_get(body, "start")) ? "running" : "stopped";
	rc = cli_call(cli, "POST", "/v1/instances", body, &reply);
	json_decref(body);
	if (!secs || rc != 201)
		return cli_result(cli, rc, reply, print_instance);
	json_decref(reply);
	return wait_state(cli, name, want, false, secs, start);
}

static int instance_list(struct cli *cli, int argc, char **argv)
{
	int rc = cli_opts(cli, "instance list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL);

	return rc ? rc : cli_do(cli, "GET", "/v1/instances", NULL, print_instance_list);
}

static int instance_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "instance", "/v1/instances", argc, argv, "GET", print_instance);
}

/* start, stop, destroy, reboot NAME [--wait [SECONDS]] */
static int lifecycle(struct cli *cli, const char *verb, const char *want, int argc, char **argv)
{
	char cmd[32], path[256];
	const char *name;
	double start = cli_mono_s();
	json_t *reply;
	long secs;
	int rc;

	snprintf(cmd, sizeof(cmd), "instance %s", verb);
	rc = cli_take_wait(cmd, &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, cmd, argc, argv, NULL, 0, NULL, &name, 1, 1, NULL);
	if (rc)
		return rc;
	if (cli_path(path, sizeof(path), "/v1/instances", name) < 0 ||
	    strlen(path) + strlen(verb) + 2 > sizeof(path)) {
		fprintf(stderr, "nimbus: instance name '%.60s...' is too long\n", name);
		return 2;
	}
	strcat(path, "/");
	strcat(path, verb);
	rc = cli_call(cli, "POST", path, NULL, &reply);
	if (!secs || rc != 202)
		return cli_result(cli, rc, reply, print_instance);
	json_decref(reply);
	return wait_state(cli, name, want, false, secs, start);
}

static int instance_start(struct cli *cli, int argc, char **argv)
{
	return lifecycle(cli, "start", "running", argc, argv);
}

static int instance_stop(struct cli *cli, int argc, char **argv)
{
	return lifecycle(cli, "stop", "stopped", argc, argv);
}

static int instance_destroy(struct cli *cli, int argc, char **argv)
{
	return lifecycle(cli, "destroy", "stopped", argc, argv);
}

static int instance_reboot(struct cli *cli, int argc, char **argv)
{
	return lifecycle(cli, "reboot", "running", argc, argv);
}

static int instance_delete(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = { { "keep-disk", "keep_disk", CLI_TRUE } };
	json_t *body = json_object();
	const char *name;
	char path[256];
	int rc = cli_opts(cli, "instance delete", argc, argv, map, 1, body, &name, 1, 1, NULL);

	if (rc == 0 && cli_path(path, sizeof(path), "/v1/instances", name) < 0) {
		fprintf(stderr, "nimbus: instance name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc == 0 && json_is_true(json_object_get(body, "keep_disk")))
		strcat(path, "?keep_disk=true");
	json_decref(body);
	return rc ? rc : cli_do(cli, "DELETE", path, NULL, print_instance);
}

static int instance_migrate(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "to", "to", CLI_VALUE }, { "allow-degraded", "allow_degraded", CLI_TRUE },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("instance migrate", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "instance migrate", argc, argv, map, 2, body, &name, 1, 1, NULL);
	if (rc == 0 && (cli_path(path, sizeof(path), "/v1/instances", name) < 0 ||
			strlen(path) + 9 > sizeof(path))) {
		fprintf(stderr, "nimbus: instance name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	strcat(path, "/migrate");
	rc = cli_call(cli, "POST", path, body, &reply);
	json_decref(body);
	if (!secs || rc != 202)
		return cli_result(cli, rc, reply, print_instance);
	if (!cli->json)
		fprintf(stderr, "%7.1f s  %s: checks passed, migration %lld to %s\n",
			cli_mono_s() - start, name,
			num(json_object_get(reply, "migration"), "id"),
			cli_str(json_object_get(reply, "migration"), "to"));
	json_decref(reply);
	return wait_state(cli, name, "running", true, secs, start);
}

static const struct cli_cmd instance_cmds[] = {
	{ "create", instance_create, "NAME --template T [--memory 256M] [--vcpus 1]"
	  " [--disk-size SIZE] [--on HW] [--ip A.B.C.D/P [--gateway G]] [--start] [--wait [S]]",
	  "Create an instance: a disk cloned from T, placed on a hardware node.",
	  "  --template T        the template its disk is cloned from (nimbus template list)\n"
	  "  --memory SIZE       memory, whole MiB (default 256M; at least 128M)\n"
	  "  --vcpus N           virtual CPUs (default 1)\n"
	  "  --disk-size SIZE    the disk's size, at least the template's (default: the\n"
	  "                      template's)\n"
	  "  --on HW             the hardware node (default: among booted nodes whose agent\n"
	  "                      reports, that see the template's storage nodes, the one\n"
	  "                      with most free memory)\n"
	  "  --ip A.B.C.D/P      the instance's address on the instance network, set by its\n"
	  "                      initramfs (nimbus.ip=); --gateway its default route\n"
	  "  --start             start it once its disk is exported (default: defined,\n"
	  "                      stopped)\n"
	  "  --wait [SECONDS]    wait until it runs (or, without --start, is defined),\n"
	  "                      printing each state with its time (default 300 s)\n"
	  "\nStates: pending (its disk is being cloned and exported), starting, running,\n"
	  "stopping, stopped, paused, crashed, migrating, deleting, unknown (its node's\n"
	  "agent is not reporting).\n"
	  "\nexample:\n  nimbus instance create web1 --template debian12 --ip 10.78.0.10/24 --start"
	  " --wait\n" },
	{ "list", instance_list, "", "List instances: state, node, memory, address, disk.", NULL },
	{ "show", instance_show, "NAME",
	  "Show an instance: desired and observed state, disk, migrations, history.", NULL },
	{ "start", instance_start, "NAME [--wait [SECONDS]]", "Start a stopped instance.", NULL },
	{ "stop", instance_stop, "NAME [--wait [SECONDS]]",
	  "Shut an instance down cleanly; destroyed after 60 s if it does not stop.",
	  "The history says which happened: 'stopped cleanly after N s' or 'destroyed: no\n"
	  "clean shutdown within 60 s'.\n" },
	{ "destroy", instance_destroy, "NAME [--wait [SECONDS]]",
	  "Stop an instance at once (pull the plug); its disk stays.", NULL },
	{ "reboot", instance_reboot, "NAME [--wait [SECONDS]]", "Reboot a running instance.", NULL },
	{ "delete", instance_delete, "NAME [--keep-disk]",
	  "Delete an instance (destroyed and undefined), and its disk unless --keep-disk.",
	  "The instance shows 'deleting' until its node's agent reports the domain gone;\n"
	  "then it and (without --keep-disk) its volume NAME-disk are removed.\n" },
	{ "migrate", instance_migrate, "NAME [--to HW] [--allow-degraded] [--wait [SECONDS]]",
	  "Live-migrate an instance to another hardware node.",
	  "  --to HW             the target (default: placement, as for create, among the\n"
	  "                      other nodes)\n"
	  "  --allow-degraded    go on although the instance's volume is degraded or\n"
	  "                      resyncing\n"
	  "  --wait [SECONDS]    follow it: checks, transfer, done (resumed on the target),\n"
	  "                      verified (the target reports it running), each with its\n"
	  "                      time; exit 1 if it failed (the instance then still runs on\n"
	  "                      the source)\n"
	  "\nRefused, with a reason for scripts (-o json: \"reason\"), when: the target is\n"
	  "not ready (target-not-ready), has no instance bridge (target-bridge), too little\n"
	  "memory (memory), a Xen it cannot take (xen-version), does not see the volume\n"
	  "through all its paths (volume-paths) or sees another size (volume-size); the\n"
	  "volume is degraded or resyncing (volume-degraded); the instance is not running\n"
	  "(not-running) or migrating already (migration-running).\n"
	  "\nThe source's libvirt migrates it peer-to-peer (libxl, over TLS between the\n"
	  "dom0s); nimbusd moves it to the target once the source reports it done.\n" },
};

int cli_instance(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "instance", instance_cmds,
			    sizeof(instance_cmds) / sizeof(instance_cmds[0]), argc, argv);
}
