/* nimbus pair ... and nimbus volume ...: storage pairs and replicated
 * volumes, their snapshots and clones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "size_units.h"

#define WAIT_DEFAULT_S 300

static const char *sz(json_t *o, const char *key)
{
	static char buf[4][SIZE_STR_MAX];
	static int k;
	json_t *v = json_object_get(o, key);

	k = (k + 1) % 4;
	return json_is_integer(v) ? size_format((uint64_t)json_integer_value(v), buf[k]) : "-";
}

/* --- printing ----------------------------------------------------------- */

/* "sn1 UpToDate exported" for one node of a volume. */
static void node_brief(json_t *n, char *buf, size_t len)
{
	if (!json_is_true(json_object_get(n, "reported")))
		snprintf(buf, len, "%s:-", cli_str(n, "node"));
	else
		snprintf(buf, len, "%s:%s%s", cli_str(n, "node"),
			 cli_str(n, "disk")[0] ? cli_str(n, "disk") : "no-drbd",
			 json_is_true(json_object_get(n, "exported")) ? "/exported" : "");
}

static void state_str(json_t *v, char *buf, size_t len)
{
	if (!strcmp(cli_str(v, "state"), "resyncing"))
		snprintf(buf, len, "resyncing %.1f%%",
			 json_number_value(json_object_get(v, "sync_percent")));
	else if (!strcmp(cli_str(v, "state"), "importing"))
		snprintf(buf, len, "importing %lld%%", (long long)json_integer_value(
				 json_object_get(json_object_get(v, "import"), "percent")));
	else
		snprintf(buf, len, "%s", cli_str(v, "state"));
}

static void volume_row(json_t *v)
{
	json_t *nodes = json_object_get(v, "nodes");
	char a[96], b[96], st[32];

	node_brief(json_array_get(nodes, 0), a, sizeof(a));
	node_brief(json_array_get(nodes, 1), b, sizeof(b));
	state_str(v, st, sizeof(st));
	printf("%-20s %-12s %-8s %8s %-9s %-16s %s %s\n", cli_str(v, "name"), cli_str(v, "pair"),
	       cli_str(v, "kind"), sz(v, "size"), cli_str(v, "aoe"), st, a, b);
}

#define VOLUME_HEADER() printf("%-20s %-12s %-8s %8s %-9s %-16s %s\n", "NAME", "PAIR", "KIND", \
			       "SIZE", "AOE", "STATE", "NODES")

static void print_volume_list(json_t *r)
{
	json_t *v;
	size_t i;

	VOLUME_HEADER();
	json_array_foreach(json_object_get(r, "volumes"), i, v)
		volume_row(v);
}

/* A node's disks as its agent found them when it started. */
static void print_disks(json_t *disks)
{
	json_t *d;
	size_t i;

	if (!json_array_size(disks)) {
		printf("  disks:    none reported\n");
		return;
	}
	printf("  disks:\n");
	json_array_foreach(disks, i, d) {
		const char *st = cli_str(d, "state");

		printf("    %-12s %8s  %s%s%s\n", cli_str(d, "dev"), sz(d, "size"),
		       !strcmp(st, "claimed") ? "in the node's volume group" :
		       !strcmp(st, "blank") ? "blank (claimed at the next boot)" :
		       "left alone", cli_str(d, "detail")[0] ? ": " : "", cli_str(d, "detail"));
	}
}

/* "12 s ago" from an observed_at (0: never). */
static const char *age_str(json_t *at, char *buf, size_t len)
{
	long long t = json_integer_value(at), now = (long long)time(NULL);

	if (t <= 0)
		snprintf(buf, len, "never");
	else if (now - t < 0)
		snprintf(buf, len, "just now");
	else
		snprintf(buf, len, "%lld s ago", now - t);
	return buf;
}

static void print_volume(json_t *v)
{
	json_t *n, *u, *fence = json_object_get(v, "fence");
	char st[32], t[32], ago[32];
	size_t i;

	state_str(v, st, sizeof(st));
	printf("name:     %s (%s%s%s)\n", cli_str(v, "name"), cli_str(v, "kind"),
	       cli_str(v, "origin")[0] ? " of " : "", cli_str(v, "origin"));
	printf("pair:     %s\n", cli_str(v, "pair"));
	printf("size:     %s\n", sz(v, "size"));
	printf("aoe:      %s (both nodes export it)\n", cli_str(v, "aoe"));
	printf("drbd:     minor %lld, port %lld\n",
	       (long long)json_integer_value(json_object_get(v, "minor")),
	       (long long)json_integer_value(json_object_get(v, "port")));
	printf("state:    %s", st);
	if (!strcmp(cli_str(v, "state"), "resyncing") &&
	    json_integer_value(json_object_get(v, "sync_eta_s")) >= 0)
		printf(", %lld s left", (long long)json_integer_value(json_object_get(v, "sync_eta_s")));
	putchar('\n');
	printf("created:  %s UTC\n", cli_time(json_object_get(v, "created"), t));
	if (json_is_object(json_object_get(v, "import"))) {
		json_t *im = json_object_get(v, "import");

		printf("import:   %s from %s, %lld%% (%lld of %lld bytes)\n", cli_str(im, "state"),
		       cli_str(im, "file"), (long long)json_integer_value(json_object_get(im, "percent")),
		       (long long)json_integer_value(json_object_get(im, "done")),
		       (long long)json_integer_value(json_object_get(im, "total")));
		if (cli_str(im, "error")[0])
			printf("          error: %s\n", cli_str(im, "error"));
	}
	if (json_is_object(fence))
		printf("fence:    held by %s since %s UTC (the peer must not export)\n",
		       cli_str(fence, "node"), cli_time(json_object_get(fence, "at"), t));
	printf("used by:  ");
	if (!json_array_size(json_object_get(v, "used_by")))
		printf("nothing");
	json_array_foreach(json_object_get(v, "used_by"), i, u) {
		if (!strcmp(cli_str(u, "kind"), "image-root"))
			printf("%sroot of image %s (booted by: %s)", i ? ", " : "", cli_str(u, "name"),
			       cli_str(u, "nodes")[0] ? cli_str(u, "nodes") : "no node");
		else
			printf("%s%s %s", i ? ", " : "", cli_str(u, "kind"), cli_str(u, "name"));
	}
	putchar('\n');
	json_array_foreach(json_object_get(v, "nodes"), i, n) {
		printf("node %s: (last report %s)\n", cli_str(n, "node"),
		       age_str(json_object_get(n, "observed_at"), ago, sizeof(ago)));
		if (!json_is_true(json_object_get(n, "reported"))) {
			printf("  not reported (no current observed state)\n");
			continue;
		}
		printf("  lv:       %s\n", json_is_true(json_object_get(n, "lv")) ?
		       sz(n, "lv_size") : "absent");
		if (json_is_true(json_object_get(n, "drbd")))
			printf("  drbd:     %s %s, peer %s %s, %s\n", cli_str(n, "role"),
			       cli_str(n, "disk"), cli_str(n, "peer_role"), cli_str(n, "peer_disk"),
			       cli_str(n, "conn"));
		else
			printf("  drbd:     down\n");
		if (json_number_value(json_object_get(n, "sync_percent")) < 100)
			printf("  resync:   %.1f%%, %lld s left\n",
			       json_number_value(json_object_get(n, "sync_percent")),
			       (long long)json_integer_value(json_object_get(n, "sync_eta_s")));
		printf("  exported: %s\n", json_is_true(json_object_get(n, "exported")) ? "yes" : "no");
		if (cli_str(n, "error")[0])
			printf("  error:    %s\n", cli_str(n, "error"));
	}
}

static void print_pair_list(json_t *r)
{
	json_t *p;
	size_t i;

	printf("%-16s %-20s %-20s %8s %s\n", "NAME", "NODE", "NODE", "FREE", "VOLUMES");
	json_array_foreach(json_object_get(r, "pairs"), i, p) {
		json_t *n = json_object_get(p, "nodes");

		printf("%-16s %-20s %-20s %8s %zu\n", cli_str(p, "name"),
		       cli_str(json_array_get(n, 0), "name"), cli_str(json_array_get(n, 1), "name"),
		       sz(p, "free"), json_array_size(json_object_get(p, "volumes")));
	}
}

static void print_pair(json_t *p)
{
	json_t *n, *v;
	char t[32], ago[32];
	size_t i;

	printf("name:     %s\n", cli_str(p, "name"));
	printf("free:     %s (the smaller node's thin-pool free space, less what is promised)\n",
	       sz(p, "free"));
	json_array_foreach(json_object_get(p, "nodes"), i, n) {
		printf("node %s:\n", cli_str(n, "name"));
		printf("  replication address: %s\n", cli_str(n, "replication_address"));
		printf("  observed: %s UTC (%s)%s\n", cli_time(json_object_get(n, "observed_at"), t),
		       age_str(json_object_get(n, "observed_at"), ago, sizeof(ago)),
		       json_is_true(json_object_get(n, "reporting")) ? "" : " (not reporting)");
		printf("  generation: %lld desired, %lld applied\n",
		       (long long)json_integer_value(json_object_get(n, "generation")),
		       (long long)json_integer_value(json_object_get(n, "applied_generation")));
		printf("  thin pool: %s, %s used, %s free\n", sz(n, "pool_size"), sz(n, "pool_used"),
		       sz(n, "free"));
		print_disks(json_object_get(n, "disks"));
	}
	if (!json_array_size(json_object_get(p, "volumes"))) {
		printf("volumes:  none\n");
		return;
	}
	printf("volumes:\n");
	VOLUME_HEADER();
	json_array_foreach(json_object_get(p, "volumes"), i, v)
		volume_row(v);
}

static void print_pair_removed(json_t *r)
{
	json_t *n = json_object_get(r, "nodes");

	printf("removed pair %s (%s and %s are in no pair now)\n", cli_str(r, "removed"),
	       json_string_value(json_array_get(n, 0)), json_string_value(json_array_get(n, 1)));
}

static void print_volume_deleted(json_t *r)
{
	printf("deleted volume %s from pair %s\n", cli_str(r, "deleted"), cli_str(r, "pair"));
}

/* --- nimbus pair -------------------------------------------------------- */

static int pair_add(struct cli *cli, int argc, char **argv)
{
	const char *pos[3];
	json_t *body, *reply;
	int rc;

	if (cli_opts(cli, "pair add", argc, argv, NULL, 0, NULL, pos, 3, 3, NULL))
		return 2;
	body = json_pack("{s:s, s:[s,s]}", "name", pos[0], "nodes", pos[1], pos[2]);
	rc = cli_call(cli, "POST", "/v1/pairs", body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_pair);
}

static int pair_list(struct cli *cli, int argc, char **argv)
{
	if (cli_opts(cli, "pair list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL))
		return 2;
	return cli_do(cli, "GET", "/v1/pairs", NULL, print_pair_list);
}

static int pair_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "pair", "/v1/pairs", argc, argv, "GET", print_pair);
}

static int pair_remove(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "pair", "/v1/pairs", argc, argv, "DELETE", print_pair_removed);
}

static const struct cli_cmd pair_cmds[] = {
	{ "add", pair_add, "NAME NODE NODE",
	  "Make two storage nodes a pair: every volume on it is replicated between them.",
	  "Both nodes must exist with role storage and be in no other pair. nimbusd gives\n"
	  "each a replication address from replication-network; the nodes pick the pair\n"
	  "up with their next desired state.\n"
	  "\nexample:\n  nimbus pair add p1 store1 store2\n" },
	{ "list", pair_list, "", "List pairs: members, free space, number of volumes.", NULL },
	{ "show", pair_show, "NAME",
	  "Show a pair: both nodes' state and free space, and its volumes.", NULL },
	{ "remove", pair_remove, "NAME",
	  "Dissolve a pair; refused while it holds volumes (naming them).", NULL },
};

int cli_pair(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "pair", pair_cmds, sizeof(pair_cmds) / sizeof(pair_cmds[0]),
			    argc, argv);
}

/* --- nimbus volume ------------------------------------------------------ */

/* Replaces the body's "size" string (as typed) by its number of bytes. */
static int size_field(json_t *body, const char *cmd)
{
	const char *s = json_string_value(json_object_get(body, "size"));
	uint64_t v;

	if (!s) {
		fprintf(stderr, "nimbus: %s: --size SIZE is required (see 'nimbus %s --help')\n", cmd,
			cmd);
		return 2;
	}
	if (size_parse(s, &v) < 0 || v == 0) {
		fprintf(stderr, "nimbus: %s: bad size '%s' (a number with an optional binary suffix"
			" K, M, G or T, e.g. 10G)\n", cmd, s);
		return 2;
	}
	json_object_set_new(body, "size", json_integer((json_int_t)v));
	return 0;
}

/* Polls the volume until it is ready or secs pass: 0 ready, 1 not. */
static int wait_ready(struct cli *cli, const char *path, const char *name, long secs,
		      double start)
{
	for (;;) {
		json_t *reply = NULL;
		int st = cli_call(cli, "GET", path, NULL, &reply);
		const char *state = st == 200 ? cli_str(reply, "state") : "";
		double took = cli_mono_s() - start;

		if (st == 200 && (!strcmp(state, "ready") || took >= (double)secs)) {
			bool ready = !strcmp(state, "ready");
			char last[32];
			int rc;

			/* cli_result frees the reply state points into. */
			snprintf(last, sizeof(last), "%s", state);
			state = last;
			rc = cli_result(cli, st, reply, print_volume);

			if (ready && !cli->json)
				printf("ready after %.1f s\n", took);
			if (!ready)
				fprintf(stderr, "nimbus: volume %s is still %s after %ld s\n", name,
					state, secs);
			return ready ? rc : 1;
		}
		if (st != 200)
			return cli_result(cli, st, reply, print_volume);
		json_decref(reply);
		cli_sleep_ms(250);
	}
}

static int volume_create(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "size", "size", CLI_VALUE }, { "pair", "pair", CLI_VALUE },
	};
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("volume create", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "volume create", argc, argv, map, 2, body, &name, 1, 1, NULL);
	if (rc == 0)
		rc = size_field(body, "volume create");
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/volumes", name) < 0) {
		fprintf(stderr, "nimbus: volume name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(name));
	rc = cli_call(cli, "POST", "/v1/volumes", body, &reply);
	json_decref(body);
	if (!secs || rc != 201)
		return cli_result(cli, rc, reply, print_volume);
	json_decref(reply);
	return wait_ready(cli, path, name, secs, start);
}

static json_t *volume_itself(json_t *reply)
{
	return reply;
}

int cli_wait_import(struct cli *cli, const char *path, const char *what, const char *name,
		    long secs, double start, json_t *(*volume_of)(json_t *reply),
		    void (*print)(json_t *))
{
	long long shown = -1;

	for (;;) {
		json_t *reply = NULL, *v, *im;
		int st = cli_call(cli, "GET", path, NULL, &reply);
		double took = cli_mono_s() - start;
		char state[32] = "", err[256];

		if (st != 200)
			return cli_result(cli, st, reply, print);
		v = volume_of(reply);
		im = json_object_get(v, "import");
		snprintf(state, sizeof(state), "%s", cli_str(im, "state"));
		if (!cli->json && !strcmp(cli_str(v, "state"), "importing") &&
		    json_integer_value(json_object_get(im, "percent")) != shown) {
			shown = json_integer_value(json_object_get(im, "percent"));
			fprintf(stderr, "importing %s: %lld%% (%lld of %lld bytes)\n", name, shown,
				(long long)json_integer_value(json_object_get(im, "done")),
				(long long)json_integer_value(json_object_get(im, "total")));
		}
		if (!strcmp(state, "done") || !strcmp(state, "failed") || took >= (double)secs) {
			bool done = !strcmp(state, "done");
			int rc;

			/* cli_result frees the reply the error is in. */
			snprintf(err, sizeof(err), "%s", cli_str(im, "error"));
			rc = cli_result(cli, st, reply, print);
			if (done && !cli->json)
				printf("imported after %.1f s\n", took);
			else if (!done && !strcmp(state, "failed"))
				fprintf(stderr, "nimbus: %s %s: import failed%s%s\n", what, name,
					err[0] ? ": " : "", err);
			else if (!done)
				fprintf(stderr, "nimbus: %s %s is still importing after %ld s\n", what,
					name, secs);
			return done ? rc : 1;
		}
		json_decref(reply);
		cli_sleep_ms(250);
	}
}

static int volume_import(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = {
		{ "size", "size", CLI_VALUE }, { "pair", "pair", CLI_VALUE },
	};
	json_t *body = json_object(), *reply;
	const char *pos[2];
	char path[256], *file = NULL;
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("volume import", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "volume import", argc, argv, map, 2, body, pos, 2, 2, NULL);
	if (rc == 0 && json_object_get(body, "size"))
		rc = size_field(body, "volume import");
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/volumes", pos[0]) < 0) {
		fprintf(stderr, "nimbus: volume name '%.60s...' is too long\n", pos[0]);
		rc = 2;
	}
	if (rc == 0)
		rc = cli_abs_file("volume import", pos[1], &file);
	if (rc) {
		free(file);
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(pos[0]));
	json_object_set_new(body, "import", json_string(file));
	free(file);
	rc = cli_call(cli, "POST", "/v1/volumes", body, &reply);
	json_decref(body);
	if (!secs || rc != 201)
		return cli_result(cli, rc, reply, print_volume);
	json_decref(reply);
	return cli_wait_import(cli, path, "volume", pos[0], secs, start, volume_itself, print_volume);
}

static int volume_list(struct cli *cli, int argc, char **argv)
{
	if (cli_opts(cli, "volume list", argc, argv, NULL, 0, NULL, NULL, 0, 0, NULL))
		return 2;
	return cli_do(cli, "GET", "/v1/volumes", NULL, print_volume_list);
}

static int volume_show(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "volume", "/v1/volumes", argc, argv, "GET", print_volume);
}

static int volume_delete(struct cli *cli, int argc, char **argv)
{
	return cli_do_one(cli, "volume", "/v1/volumes", argc, argv, "DELETE", print_volume_deleted);
}

static int volume_grow(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = { { "size", "size", CLI_VALUE } };
	json_t *body = json_object(), *reply;
	const char *name;
	char path[256];
	int rc;

	rc = cli_opts(cli, "volume grow", argc, argv, map, 1, body, &name, 1, 1, NULL);
	if (rc == 0)
		rc = size_field(body, "volume grow");
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/volumes", name) < 0) {
		fprintf(stderr, "nimbus: volume name '%.60s...' is too long\n", name);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	rc = cli_call(cli, "PATCH", path, body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_volume);
}

static int volume_snapshot(struct cli *cli, int argc, char **argv)
{
	const char *pos[2];
	json_t *body, *reply;
	int rc;

	if (cli_opts(cli, "volume snapshot", argc, argv, NULL, 0, NULL, pos, 2, 2, NULL))
		return 2;
	body = json_pack("{s:s, s:s}", "name", pos[1], "origin", pos[0]);
	rc = cli_call(cli, "POST", "/v1/volumes", body, &reply);
	json_decref(body);
	return cli_result(cli, rc, reply, print_volume);
}

static int volume_clone(struct cli *cli, int argc, char **argv)
{
	static const struct cli_opt map[] = { { "size", "size", CLI_VALUE } };
	json_t *body = json_object(), *reply;
	const char *pos[2];
	char path[256];
	double start = cli_mono_s();
	long secs;
	int rc;

	rc = cli_take_wait("volume clone", &argc, argv, WAIT_DEFAULT_S, &secs);
	if (rc == 0)
		rc = cli_opts(cli, "volume clone", argc, argv, map, 1, body, pos, 2, 2, NULL);
	if (rc == 0 && json_object_get(body, "size"))
		rc = size_field(body, "volume clone");
	if (rc == 0 && cli_path(path, sizeof(path), "/v1/volumes", pos[0]) < 0) {
		fprintf(stderr, "nimbus: volume name '%.60s...' is too long\n", pos[0]);
		rc = 2;
	}
	if (rc) {
		json_decref(body);
		return rc;
	}
	json_object_set_new(body, "name", json_string(pos[0]));
	json_object_set_new(body, "clone_of", json_string(pos[1]));
	rc = cli_call(cli, "POST", "/v1/volumes", body, &reply);
	json_decref(body);
	if (!secs || rc != 201)
		return cli_result(cli, rc, reply, print_volume);
	json_decref(reply);
	return wait_ready(cli, path, pos[0], secs, start);
}

#define SIZE_HELP \
	"SIZE is a number of bytes with an optional binary suffix: K, M, G or T\n" \
	"(1K = 1024), a multiple of 512 bytes in all.\n"

static const struct cli_cmd volume_cmds[] = {
	{ "create", volume_create, "NAME --size SIZE [--pair PAIR] [--wait [SECONDS]]",
	  "Create a replicated volume (NAME: a-z 0-9 -).",
	  "  --size SIZE         its size\n"
	  "  --pair PAIR         the pair to put it on (default: the pair with most free\n"
	  "                      space: thin-pool free less sizes promised to volumes its\n"
	  "                      nodes do not show yet)\n"
	  "  --wait [SECONDS]    wait until both nodes export it (state ready), at most\n"
	  "                      SECONDS (default 300), and say how long it took; exit 1\n"
	  "                      if it is not ready by then\n"
	  "\n" SIZE_HELP
	  "\nnimbusd gives the volume an AoE address shelf.slot unique in the cloud (from\n"
	  "volume-shelves), a DRBD minor and port unique on its pair, and answers at once\n"
	  "with state 'creating': the pair's storage agents create, replicate and export it.\n"
	  "A new volume needs no initial sync (both halves are zeros).\n"
	  "\nexample:\n  nimbus volume create web-root --size 20G --wait 60\n" },
	{ "import", volume_import, "NAME FILE [--size SIZE] [--pair PAIR] [--wait [SECONDS]]",
	  "Create a volume holding FILE's bytes (an instance template, a dom0 root).",
	  "  --size SIZE         its size, at least FILE's (default: FILE's size rounded\n"
	  "                      up to whole MiB)\n"
	  "  --pair PAIR         as for create\n"
	  "  --wait [SECONDS]    wait until the import is done, printing its progress, at\n"
	  "                      most SECONDS (default 300); exit 1 if it failed or is not\n"
	  "                      done by then\n"
	  "\n" SIZE_HELP
	  "\nFILE is a file on the config node (nimbus runs there) that nimbusd can read.\n"
	  "nimbusd creates the volume as 'create' does, waits until it is ready, then writes\n"
	  "FILE into it with aoe-bench through its aoe-interface (all-zero blocks skipped:\n"
	  "a new volume reads zeros). The volume shows 'importing' with percent until done,\n"
	  "or 'import-failed' with aoe-bench's error; until done it cannot be snapshotted\n"
	  "or named as an image's root. An import under way when nimbusd restarts fails:\n"
	  "delete the volume and import again.\n"
	  "\nexample:\n  nimbus volume import dom0-root /srv/images/dom0.img --wait 600\n" },
	{ "list", volume_list, "", "List volumes: pair, size, AoE address, state, both nodes.",
	  "STATE is creating, ready (both nodes serve it), degraded (one node serving),\n"
	  "resyncing (with percent), failed, importing (with percent) or import-failed. NODES is each node's DRBD disk state and\n"
	  "whether its aoetd exports the volume.\n" },
	{ "show", volume_show, "NAME",
	  "Show a volume: per node LV, DRBD state, resync progress, exported; who uses it.",
	  NULL },
	{ "grow", volume_grow, "NAME --size SIZE",
	  "Grow a volume online to SIZE (larger than now).",
	  "  --size SIZE         the new size\n\n" SIZE_HELP
	  "\nAn attached initiator sees the new size after its next discovery. Snapshots\n"
	  "cannot grow.\n"
	  "\nexample:\n  nimbus volume grow web-root --size 40G\n" },
	{ "snapshot", volume_snapshot, "NAME SNAP",
	  "Freeze NAME as it is now into a new read-only volume SNAP.",
	  "SNAP is exported under its own shelf.slot; NAME cannot be deleted while SNAP\n"
	  "exists.\n"
	  "\nexample:\n  nimbus volume snapshot web-root web-root-monday\n" },
	{ "clone", volume_clone, "NAME ORIGIN [--size SIZE] [--wait [SECONDS]]",
	  "Create a replicated volume NAME as a copy of volume ORIGIN as it is now.",
	  "  --size SIZE         its size, at least ORIGIN's (default: ORIGIN's); more is\n"
	  "                      as if grown after the copy\n"
	  "  --wait [SECONDS]    wait until both nodes export it (state ready), at most\n"
	  "                      SECONDS (default 300); exit 1 if it is not ready by then\n"
	  "\n" SIZE_HELP
	  "\nNAME goes on ORIGIN's pair with an AoE address, DRBD minor and port of its own,\n"
	  "like a new volume, and is read-write, replicated and grown like one. Each node\n"
	  "makes it at once as a thin snapshot of its copy of ORIGIN (blocks are shared\n"
	  "until written), so it needs no initial sync: ORIGIN must be ready - Connected\n"
	  "and UpToDate on both nodes -, must not be a snapshot nor an import not done,\n"
	  "and must not be written while its clones are made (an instance template).\n"
	  "The pair needs SIZE free, as for create. ORIGIN cannot be deleted while NAME\n"
	  "exists.\n"
	  "\nexample:\n  nimbus volume clone web1-root debian-12 --size 20G --wait 60\n" },
	{ "delete", volume_delete, "NAME",
	  "Delete a volume; refused while something uses it (naming it).",
	  "In use means: a snapshot or a clone of it exists, or a boot image names it as\n"
	  "its root (nimbus.root=eSHELF.SLOT in its command line: hw nodes' dom0 root).\n" },
};

int cli_volume(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "volume", volume_cmds,
			    sizeof(volume_cmds) / sizeof(volume_cmds[0]), argc, argv);
}
