/* confignode/tftp_watch.c: who opened a pxelinux file. The attribution
 * rule and the pidfile parser as tables; then real opens in a temporary
 * directory: with fanotify (root) by other processes, by ourselves, by a
 * process that is not in.tftpd; with inotify nimbusd's own-write window. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../confignode/tftp_watch.h"
#include "log.h"

static void test_classify(void **state)
{
	static const struct {
		pid_t opener, self, tftpd, parent;
		enum tftp_opener want;
		int line;
	} t[] = {
		{ 100, 100, 0, 1, TFTP_OPEN_OURS, __LINE__ },     /* nimbusd itself */
		{ 100, 100, 100, 1, TFTP_OPEN_OURS, __LINE__ },
		{ 200, 100, 0, 1, TFTP_OPEN_FETCH, __LINE__ },    /* no pidfile: anyone */
		{ 300, 100, 300, 1, TFTP_OPEN_FETCH, __LINE__ },  /* in.tftpd itself */
		{ 301, 100, 300, 300, TFTP_OPEN_FETCH, __LINE__ },/* its per-transfer child */
		{ 400, 100, 300, 55, TFTP_OPEN_OTHER, __LINE__ }, /* cat by an operator */
		{ 400, 100, 300, 0, TFTP_OPEN_FETCH, __LINE__ },  /* exited: not lost */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (tftp_classify(t[i].opener, t[i].self, t[i].tftpd, t[i].parent) != t[i].want)
			fail_msg("line %d: got %d, want %d", t[i].line,
				 tftp_classify(t[i].opener, t[i].self, t[i].tftpd, t[i].parent),
				 t[i].want);
}

static void test_parse_pid(void **state)
{
	static const struct {
		const char *text;
		pid_t want;
	} t[] = {
		{ "1234\n", 1234 }, { "1234", 1234 }, { "  77\n", 77 }, { "", 0 }, { "\n", 0 },
		{ "abc", 0 }, { "-5", 0 }, { "0", 0 }, { "12x", 0 }, { "99999999999999", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (tftp_parse_pid(t[i].text) != t[i].want)
			fail_msg("'%s': got %d, want %d", t[i].text, (int)tftp_parse_pid(t[i].text),
				 (int)t[i].want);
}

/* --- real opens ---------------------------------------------------------- */

#define FILE1 "01-52-54-00-aa-00-01"

struct seen {
	int n;
	pid_t pid;
	uint8_t mac[MAC_LEN];
};

static void on_fetch(void *arg, const uint8_t mac[MAC_LEN], const char *file, pid_t pid)
{
	struct seen *s = arg;

	(void)file;
	s->n++;
	s->pid = pid;
	memcpy(s->mac, mac, MAC_LEN);
}

struct fx {
	char dir[64], pxe[96], file[160], pidfile[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	log_init("test_tftp_watch", LOG_LVL_ERR, 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tftp_watch.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->pxe, sizeof(f->pxe), "%s/pxelinux.cfg", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/" FILE1, f->pxe);
	snprintf(f->pidfile, sizeof(f->pidfile), "%s/tftpd.pid", f->dir);
	if (mkdir(f->pxe, 0755) < 0)
		return -1;
	fd = open(f->file, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "default x\n", 10) != 10)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void open_close(const char *path)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	close(fd);
}

/* A child opens path, then waits until told (so it is alive while the
 * watcher looks at it) */
static pid_t child_open(const char *path, int *release)
{
	int go[2], ready[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY);

		close(go[1]);
		close(ready[0]);
		close(fd);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*release = go[1];
	return pid;
}

static void child_done(pid_t pid, int release)
{
	int st;

	close(release);
	waitpid(pid, &st, 0);
}

static void write_pidfile(struct fx *f, pid_t pid)
{
	FILE *fp = fopen(f->pidfile, "w");

	assert_non_null(fp);
	fprintf(fp, "%d\n", (int)pid);
	fclose(fp);
}

static void test_fanotify(void **state)
{
	struct fx *f = *state;
	struct tftp_watch *w;
	struct seen s = { 0 };
	int release;
	pid_t pid;

	assert_int_equal(tftp_watch_open(&w, f->pxe, f->pidfile), 0);
	if (strcmp(tftp_watch_backend(w), "fanotify") != 0) {
		tftp_watch_close(w);
		skip();   /* not root: inotify only (covered below) */
	}
	/* our own opens never count, inside or outside a write window */
	open_close(f->file);
	tftp_watch_read(w, on_fetch, &s);
	assert_int_equal(s.n, 0);
	tftp_watch_own_write(w, true, on_fetch, &s);
	open_close(f->file);
	tftp_watch_own_write(w, false, on_fetch, &s);
	assert_int_equal(s.n, 0);

	/* no pidfile yet: any other process counts, with its pid */
	pid = child_open(f->file, &release);
	tftp_watch_read(w, on_fetch, &s);
	child_done(pid, release);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid, pid);
	assert_int_equal(s.mac[5], 0x01);

	/* a fetch during our own rewrite is not lost */
	s.n = 0;
	tftp_watch_own_write(w, true, on_fetch, &s);
	open_close(f->file);
	pid = child_open(f->file, &release);
	tftp_watch_own_write(w, false, on_fetch, &s);
	child_done(pid, release);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid, pid);

	/* pidfile of another process: our child is not in.tftpd's */
	s.n = 0;
	write_pidfile(f, getppid());
	pid = child_open(f->file, &release);
	tftp_watch_read(w, on_fetch, &s);
	child_done(pid, release);
	assert_int_equal(s.n, 0);

	/* pidfile naming us: our child is in.tftpd's per-transfer child */
	write_pidfile(f, getpid());
	pid = child_open(f->file, &release);
	tftp_watch_read(w, on_fetch, &s);
	child_done(pid, release);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid, pid);

	/* other files in the directory are not node configs */
	s.n = 0;
	unlink(f->pidfile);
	{
		char other[200];
		int fd;

		snprintf(other, sizeof(other), "%s/default", f->pxe);
		fd = open(other, O_WRONLY | O_CREAT, 0644);
		close(fd);
		pid = child_open(other, &release);
		tftp_watch_read(w, on_fetch, &s);
		child_done(pid, release);
	}
	assert_int_equal(s.n, 0);
	tftp_watch_close(w);
}

static void test_inotify_window(void **state)
{
	struct fx *f = *state;
	struct tftp_watch *w;
	struct seen s = { 0 };

	assert_int_equal(tftp_watch_open_inotify(&w, f->pxe, ""), 0);
	assert_string_equal(tftp_watch_backend(w), "inotify");
	/* outside a write window every open counts */
	open_close(f->file);
	tftp_watch_read(w, on_fetch, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid, 0);
	/* an open before the window is handled as real when the window opens */
	open_close(f->file);
	tftp_watch_own_write(w, true, on_fetch, &s);
	assert_int_equal(s.n, 2);
	/* in the window: the first open of a file is our compare ... */
	open_close(f->file);
	tftp_watch_own_write(w, false, on_fetch, &s);
	assert_int_equal(s.n, 2);
	/* ... a second one is a node fetching at the same time */
	tftp_watch_own_write(w, true, on_fetch, &s);
	open_close(f->file);
	open_close(f->file);
	tftp_watch_own_write(w, false, on_fetch, &s);
	assert_int_equal(s.n, 3);
	/* the directory replaced: watched again */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s' && touch '%s'", f->pxe, f->pxe,
			 f->file);
		assert_int_equal(system(cmd), 0);
	}
	tftp_watch_read(w, on_fetch, &s);    /* IN_IGNORED: re-armed */
	open_close(f->file);
	tftp_watch_read(w, on_fetch, &s);
	assert_int_equal(s.n, 4);
	tftp_watch_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test_setup_teardown(test_fanotify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inotify_window, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
