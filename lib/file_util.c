/* Whole-file reads and atomic writes (file_util.h). */
#include "file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* exact: path.tmp made afresh with exactly mode (no umask, no stale
 * file's mode), before a byte of text is in it. */
static int write_atomic(const char *path, const char *text, mode_t mode, bool exact)
{
	char tmp[4096 + 8];
	size_t len = strlen(text);
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (exact && unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC | (exact ? O_EXCL | O_NOFOLLOW : O_TRUNC),
		  mode);
	if (fd < 0)
		return -errno;
	if (exact && fchmod(fd, mode) < 0)
		rc = -errno;
	else if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int file_write_atomic(const char *path, const char *text)
{
	return write_atomic(path, text, 0644, false);
}

int file_write_atomic_mode(const char *path, const char *text, mode_t mode)
{
	return write_atomic(path, text, mode & 07777, true);
}

ssize_t file_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1 && (n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

/* dir made with mode if missing (its parents 0755); with force, set to
 * mode if it was not. */
int file_make_dir(const char *dir, mode_t mode, bool force)
{
	char p[256];
	struct stat st;

	if (strlen(dir) >= sizeof(p))
		return -ENAMETOOLONG;
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	if (mkdir(p, mode) == 0)
		return chmod(p, mode) < 0 ? -errno : 0;   /* past the umask */
	if (errno != EEXIST)
		return -errno;
	if (stat(p, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (force && (st.st_mode & 07777) != mode && chmod(p, mode) < 0)
		return -errno;
	return 0;
}
