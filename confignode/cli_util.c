/* Small pieces the CLI's command files share: the --wait option and a
 * monotonic clock for commands that wait for nimbusd's agents, and the
 * check of a file nimbusd is to read. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

int cli_take_wait(const char *cmd, int *argc, char **argv, long dflt, long *secs)
{
	int o = 0;

	*secs = 0;
	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i], *num = NULL;

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--wait")) {
			*secs = dflt;
			if (i + 1 < *argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
				num = argv[++i];
		} else if (!strncmp(a, "--wait=", 7)) {
			num = a + 7;
		} else {
			argv[o++] = argv[i];
			continue;
		}
		if (num) {
			char *end;

			errno = 0;
			*secs = strtol(num, &end, 10);
			if (errno || *end || *secs < 1 || *secs > 86400) {
				fprintf(stderr, "nimbus: %s: bad --wait '%s' (1..86400 seconds)\n",
					cmd, num);
				return 2;
			}
		}
	}
	*argc = o;
	argv[o] = NULL;
	return 0;
}

double cli_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
		  NULL);
}

int cli_abs_file(const char *cmd, const char *arg, char **out)
{
	struct stat st;

	*out = realpath(arg, NULL);
	if (!*out || stat(*out, &st) < 0) {
		fprintf(stderr, "nimbus: %s: %s: %s\n", cmd, arg, strerror(errno));
		free(*out);
		*out = NULL;
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "nimbus: %s: %s is not a regular file\n", cmd, arg);
		free(*out);
		*out = NULL;
		return 1;
	}
	return 0;
}
