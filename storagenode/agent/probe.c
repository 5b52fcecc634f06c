/* Disk probing and LVM commands for the storage node (see probe.h). */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

int run_capture(char *const argv[], char *buf, size_t cap, int *status, bool quiet)
{
	int pfd[2], rc = 0, st;
	size_t len = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			if (quiet)
				dup2(null, 2);
		}
		dup2(pfd[1], 1);
		/* Nothing else of ours (or of whoever started us) reaches the
		 * child: LVM warns about every descriptor it inherits. */
		close_range(3, ~0U, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char scratch[512];
		char *dst = len + 1 < cap ? buf + len : scratch;
		size_t room = len + 1 < cap ? cap - 1 - len : sizeof(scratch);
		ssize_t r = read(pfd[0], dst, room);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (dst != scratch)
			len += (size_t)r;
	}
	close(pfd[0]);
	if (cap)
		buf[len] = '\0';
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (*status == 127)
		rc = -ENOENT;
	return rc;
}

static int read_sys_u64(const char *sysblock, const char *name, const char *attr, uint64_t *v)
{
	char path[256], buf[32];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", sysblock, name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return r < 0 ? -errno : -EINVAL;
	buf[r] = '\0';
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int pread_full(int fd, uint8_t *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, buf + done, len - done, off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

/* The first and last MiB, read-only, and our own look at them. */
static int probe_edges(const char *dev, struct disk_probe *p)
{
	size_t n = p->size < DISK_EDGE_BYTES ? (size_t)p->size : DISK_EDGE_BYTES;
	uint8_t *head = NULL, *tail = NULL;
	int fd, rc = 0;

	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	head = malloc(n);
	tail = malloc(n);
	if (!head || !tail) {
		rc = -ENOMEM;
		goto out;
	}
	rc = pread_full(fd, head, n, 0);
	if (rc == 0)
		rc = pread_full(fd, tail, n, (off_t)(p->size - n));
	if (rc == 0)
		disk_scan_edges(head, n, tail, n, p->magic, &p->head_zero, &p->tail_zero);
out:
	free(head);
	free(tail);
	close(fd);
	return rc;
}

/* blkid -p (low-level probe, no cache): exit 0 found something, 2 nothing. */
static int probe_blkid(const char *dev, struct disk_probe *p)
{
	char *argv[] = { "blkid", "-p", "-o", "export", (char *)dev, NULL };
	char out[4096];
	int rc, st;

	rc = run_capture(argv, out, sizeof(out), &st, false);
	if (rc < 0)
		return rc;
	if (st == 2)
		return 0;
	if (st != 0)
		return -EIO;
	return disk_parse_blkid(out, strlen(out), p);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct disk_probe *)a)->name, ((const struct disk_probe *)b)->name);
}

int probe_disks(const char *sysblock, const char *devdir, struct disk_probe *out, size_t max)
{
	char *pvs_argv[] = { "lvm", "pvs", "--noheadings", "--separator", "|",
			     "-o", "pv_name,vg_name", NULL };
	static char pvs[65536];
	struct dirent *de;
	size_t n = 0;
	int rc, st;
	DIR *d;

	d = opendir(sysblock);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (!disk_is_candidate(de->d_name))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		/* disk_is_candidate: the name fits. */
		memcpy(out[n].name, de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(out[0]), by_name);

	/* One pvs for every disk. Without it nothing can be told to be ours,
	 * so each disk's probe fails (and it is left alone). */
	rc = run_capture(pvs_argv, pvs, sizeof(pvs), &st, false);
	if (rc == 0 && st != 0)
		rc = -EIO;
	if (rc < 0)
		log_err("cannot list LVM physical volumes (lvm pvs: %s): no disk is touched",
			strerror(-rc));

	for (size_t i = 0; i < n; i++) {
		struct disk_probe *p = &out[i];
		uint64_t v = 0;
		char dev[DISK_NAME_MAX + 64];
		int err;

		snprintf(dev, sizeof(dev), "%s/%s", devdir, p->name);
		if (read_sys_u64(sysblock, p->name, "size", &v) == 0)
			p->size = v * 512;
		if (read_sys_u64(sysblock, p->name, "ro", &v) == 0)
			p->ro = v != 0;
		if (read_sys_u64(sysblock, p->name, "removable", &v) == 0)
			p->removable = v != 0;
		if (p->size == 0 || p->ro || p->removable)
			continue;
		err = rc;
		if (err == 0)
			err = disk_parse_pvs(pvs, strlen(pvs), dev, p);
		if (err == 0)
			err = probe_edges(dev, p);
		if (err == 0)
			err = probe_blkid(dev, p);
		if (err < 0) {
			log_warn("%s: probe failed: %s", dev, strerror(-err));
			p->probe_err = err;
		}
	}
	return (int)n;
}

int probe_pool_exists(const char *vg, const char *pool)
{
	char lv[2 * DISK_VG_MAX + 2], out[256];
	char *argv[] = { "lvm", "lvs", "--noheadings", "-o", "lv_name", lv, NULL };
	int rc, st;

	snprintf(lv, sizeof(lv), "%s/%s", vg, pool);
	rc = run_capture(argv, out, sizeof(out), &st, true);
	if (rc < 0)
		return rc;
	return st == 0;
}

static int run_logged(char *const argv[])
{
	char out[4096], cmd[512] = "";
	size_t len = 0;
	int rc, st;

	for (size_t i = 0; argv[i] && len < sizeof(cmd); i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i ? " " : "", argv[i]);
	log_info("running: %s", cmd);
	rc = run_capture(argv, out, sizeof(out), &st, false);
	if (rc < 0) {
		log_err("cannot run %s: %s", cmd, strerror(-rc));
		return rc;
	}
	/* LVM's own account of what it did, one log line each. */
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		log_info("%s: %s", argv[1], line + strspn(line, " "));
	if (st != 0) {
		log_err("%s failed (exit status %d)", cmd, st);
		return -EIO;
	}
	return 0;
}

int run_step(const struct disk_step *s, const char *vg, const char *pool, int pool_pct)
{
	char pct[16];

	snprintf(pct, sizeof(pct), "%d%%VG", pool_pct);
	switch (s->kind) {
	case STEP_VG_CREATE: {
		char *argv[] = { "lvm", "vgcreate", (char *)vg, (char *)s->dev, NULL };
		return run_logged(argv);
	}
	case STEP_VG_EXTEND: {
		char *argv[] = { "lvm", "vgextend", (char *)vg, (char *)s->dev, NULL };
		return run_logged(argv);
	}
	case STEP_VG_ACTIVATE: {
		char *argv[] = { "lvm", "vgchange", "-ay", (char *)vg, NULL };
		return run_logged(argv);
	}
	case STEP_POOL_CREATE: {
		char *argv[] = { "lvm", "lvcreate", "--type", "thin-pool", "-l", pct,
				 "-n", (char *)pool, (char *)vg, NULL };
		return run_logged(argv);
	}
	}
	return -EINVAL;
}
