/* The nimbus CLI: shared pieces of the subcommand files. */
#ifndef NIMBUS_CLI_H
#define NIMBUS_CLI_H

#include <jansson.h>
#include <stdbool.h>

#define CLI_DEFAULT_SOCKET "/run/nimbus/nimbusd.sock"

struct cli {
	const char *socket;
	bool json;          /* -o json */
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv); /* argv[0] = name */
	const char *args;   /* synopsis after the name */
	const char *help;   /* one line */
	const char *details; /* --help: options, behaviour, examples (or NULL) */
};

/* An option of a subcommand, copied into a JSON request body. */
struct cli_opt {
	const char *opt;    /* long option */
	const char *field;  /* JSON member */
	int kind;           /* CLI_VALUE: string; CLI_NULL / CLI_TRUE: a flag */
};
enum { CLI_NULL, CLI_VALUE, CLI_TRUE };

/* Parses a subcommand's argv (argv[0] its name) with GNU getopt, so options
 * and positional arguments mix in any order: the options of map go into
 * obj, -o/--output FMT sets cli->json (the global option is accepted after
 * the subcommand too), and between min_pos and max_pos positional
 * arguments go to pos[]. Returns 0, or prints why and returns 2. */
int cli_opts(struct cli *cli, const char *cmd, int argc, char **argv,
	     const struct cli_opt *map, size_t nmap, json_t *obj,
	     const char **pos, int min_pos, int max_pos, int *npos);

/* "text" or "json" into cli->json; prints and returns 2 otherwise. */
int cli_set_output(struct cli *cli, const char *fmt);

/* One API call over the Unix socket. body may be NULL. Returns the HTTP
 * status (>= 100) with *out the parsed JSON reply, or a negative errno
 * after printing why nimbusd could not be reached. */
int cli_call(struct cli *cli, const char *method, const char *path, json_t *body,
	     json_t **out);

/* Prints an API reply: on success as JSON (-o json) or through text(); on
 * an HTTP error, "nimbus: <message>" to stderr. Returns the exit code:
 * 0, 1 (refused) or 2 (unreachable). Steals reply. */
int cli_result(struct cli *cli, int status, json_t *reply, void (*text)(json_t *));

/* cli_call + cli_result. */
int cli_do(struct cli *cli, const char *method, const char *path, json_t *body,
	   void (*text)(json_t *));

/* "nimbus GROUP CMD NAME": one request on PREFIX/NAME with no body, e.g.
 * group "node", prefix "/v1/nodes". Returns the exit code as cli_result. */
int cli_do_one(struct cli *cli, const char *group, const char *prefix, int argc, char **argv,
	       const char *method, void (*text)(json_t *));

/* Dispatches argv[0] to a command of table (n entries); handles "help",
 * "--help" and unknown names. group is e.g. "node" for messages. */
int cli_dispatch(struct cli *cli, const char *group, const struct cli_cmd *table,
		 size_t n, int argc, char **argv);
void cli_group_usage(FILE *f, const char *group, const struct cli_cmd *table, size_t n);

/* "2026-11-25 13:07:20" (UTC) */
const char *cli_time(json_t *v, char buf[32]);
const char *cli_str(json_t *obj, const char *key); /* "" when absent/null */

/* Path segment escaping for names typed by operators ('/' etc. refused
 * server-side; this keeps the URL well-formed). */
int cli_path(char *buf, size_t len, const char *prefix, const char *name);

/* Takes "--wait [SECONDS]" (or --wait=SECONDS) out of argv: *secs dflt
 * for a bare --wait, 0 without it. 0, or 2 after printing a bad number. */
int cli_take_wait(const char *cmd, int *argc, char **argv, long dflt, long *secs);
double cli_mono_s(void);
void cli_sleep_ms(long ms);
/* The absolute path of a regular file ARG for nimbusd to read (it runs on
 * this, the config, node): 0 with *out malloc()ed, or 1 after printing why. */
int cli_abs_file(const char *cmd, const char *arg, char **out);

/* Polls PATH until its volume's import (volume_of(reply)'s "import") is
 * done or failed or secs pass, printing its progress as it grows, then the
 * reply through print: 0 done, 1 failed or not done in time (what: "volume"
 * or "template", for messages). cli_storage.c. */
int cli_wait_import(struct cli *cli, const char *path, const char *what, const char *name,
		    long secs, double start, json_t *(*volume_of)(json_t *reply),
		    void (*print)(json_t *));

/* Groups */
int cli_node(struct cli *cli, int argc, char **argv);
int cli_image(struct cli *cli, int argc, char **argv);
int cli_role(struct cli *cli, int argc, char **argv);
int cli_hook(struct cli *cli, int argc, char **argv);
int cli_pair(struct cli *cli, int argc, char **argv);   /* cli_storage.c */
int cli_volume(struct cli *cli, int argc, char **argv);
int cli_template(struct cli *cli, int argc, char **argv); /* cli_instance.c */
int cli_instance(struct cli *cli, int argc, char **argv);

#endif
