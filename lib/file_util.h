/* Small whole-file reads and writes the agents share (nimbus-storaged,
 * nimbus-hostd): state and generated files are small, and a reader must
 * never see half of one. */
#ifndef NIMBUS_FILE_UTIL_H
#define NIMBUS_FILE_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* path.tmp written (mode 0644), fsync()ed and renamed over path: 0 or a
 * negative errno (the temporary file removed). */
int file_write_atomic(const char *path, const char *text);
/* The same with exactly mode (0600 for a private key): path.tmp is made
 * afresh with it, whatever the umask or a stale path.tmp, before any of
 * text is written. */
int file_write_atomic_mode(const char *path, const char *text, mode_t mode);
/* Up to cap - 1 bytes of path, NUL-terminated: the length or a negative
 * errno. */
ssize_t file_read(const char *path, char *buf, size_t cap);

/* dir made with mode if missing (its parents 0755); with force, set to
 * mode if it was not. 0 or a negative errno (-ENOTDIR: not a directory). */
int file_make_dir(const char *dir, mode_t mode, bool force);

#endif
