/* aoetctl - talks to a running aoetd over its control socket (one command
 * line out, the answer back until the server closes; see docs/aoetd.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/aoetd.sock"
#define VERSION "0.1"
#define DEFAULT_TIMEOUT 30

static void usage(FILE *f)
{
	fprintf(f,
"Usage: aoetctl [-s SOCKET] [-t SECONDS] COMMAND\n"
"\n"
"Queries or controls a running aoetd through its control socket.\n"
"\n"
"Commands:\n"
"  status [-o text|json]  per-export counters (requests, bytes read and\n"
"                         written, errors, dropped), path, size, flags and\n"
"                         interfaces; one line per export/interface, or JSON\n"
"  reload                 re-read aoetd's configuration file (like SIGHUP)\n"
"  version                aoetd's version\n"
"\n"
"Options:\n"
"  -s SOCKET   control socket (default %s; a positional-form aoetd\n"
"              listens on /run/aoetd-SHELF.SLOT.sock)\n"
"  -t SECONDS  give up when aoetd sends nothing for this long (default %d;\n"
"              0 waits for ever). aoetd answers from its event loop, so\n"
"              a silent aoetd is a stuck one: see its log\n"
"  -h, --help  this text\n"
"  -V          aoetctl's version\n"
"\n"
"Exit status: 0 on success, 1 when aoetd cannot be reached or answers with\n"
"an error or not in time, 2 on a bad command line.\n", DEFAULT_SOCKET,
		DEFAULT_TIMEOUT);
}

/* Sends cmd and copies the answer to stdout. Returns 0, 1 (aoetd said
 * "error: ...") or a negative errno (-ETIMEDOUT: nothing for timeout_s,
 * which also bounds a connect to a full listen queue). */
static int run(const char *path, const char *cmd, unsigned timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	size_t len = strlen(cmd);
	int fd, rc = 0, first = 1;
	ssize_t n;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_s && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) {
		rc = -errno;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		rc = -errno;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first && n >= 6 && !memcmp(buf, "error:", 6)) {
			fprintf(stderr, "aoetctl: %.*s", (int)n - 7, buf + 7);
			rc = 1;
		} else if (rc == 1) {
			fwrite(buf, 1, (size_t)n, stderr);
		} else {
			fwrite(buf, 1, (size_t)n, stdout);
		}
		first = 0;
	}
	if (n < 0)
		rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	else if (first)
		rc = -ECONNRESET;
	if (rc == 1)
		fputc('\n', stderr);
out:
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = DEFAULT_SOCKET;
	const char *fmt = "text";
	const char *cmd;
	char line[64], *end;
	unsigned long timeout = DEFAULT_TIMEOUT;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+s:t:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || timeout > 86400) {
				fprintf(stderr, "aoetctl: bad timeout '%s' (want whole seconds, "
					"0 to 86400)\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("aoetctl %s\n", VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "aoetctl: missing command (status, reload, "
			"version); see aoetctl --help\n");
		return 2;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "status")) {
		for (; optind < argc; optind++) {
			if (!strcmp(argv[optind], "-o") && optind + 1 < argc)
				fmt = argv[++optind];
			else if (!strncmp(argv[optind], "-o", 2) && argv[optind][2])
				fmt = argv[optind] + 2;
			else {
				fprintf(stderr, "aoetctl: bad status argument '%s' "
					"(want -o text|json)\n", argv[optind]);
				return 2;
			}
		}
		if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
			fprintf(stderr, "aoetctl: unknown output format '%s' "
				"(want text or json)\n", fmt);
			return 2;
		}
		snprintf(line, sizeof(line), "status%s",
			 strcmp(fmt, "json") ? "" : " json");
	} else if (!strcmp(cmd, "reload") || !strcmp(cmd, "version")) {
		if (optind < argc) {
			fprintf(stderr, "aoetctl: '%s' takes no arguments\n", cmd);
			return 2;
		}
		snprintf(line, sizeof(line), "%s", cmd);
	} else if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	} else {
		fprintf(stderr, "aoetctl: unknown command '%s' (want status, "
			"reload or version)\n", cmd);
		return 2;
	}
	rc = run(sock, line, (unsigned)timeout);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "aoetctl: %s: aoetd did not answer '%s' within %lu s "
			"(its loop is stuck or it is overloaded; see its log)\n", sock, line, timeout);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "aoetctl: %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	return rc;
}
