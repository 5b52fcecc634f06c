/* "Boot config fetched": who opened a node's pxelinux.cfg/01-<mac>.
 *
 * With fanotify (nimbusd running with CAP_SYS_ADMIN, i.e. as root) every
 * open comes with the opener's PID: nimbusd's own opens (its provisioning
 * code compares files before rewriting them) are recognised exactly, at any
 * time, and with tftpd-pidfile only in.tftpd (the listed PID or a child it
 * forked per transfer) counts. Without fanotify, inotify says only that a
 * file was opened: every reader counts, and nimbusd's own opens are told
 * apart by bracketing its writes (tftp_watch_own_write): in that window the
 * first open of each file is taken as nimbusd's own, a later one as a
 * fetch; a fetch whose open falls between nimbusd's own open and close of
 * the same file is merged with it by the kernel and missed. */
#ifndef NIMBUS_TFTP_WATCH_H
#define NIMBUS_TFTP_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mac.h"

enum tftp_opener {
	TFTP_OPEN_OURS,      /* nimbusd itself */
	TFTP_OPEN_OTHER,     /* not in.tftpd (tftpd-pidfile given) */
	TFTP_OPEN_FETCH,     /* counts as the node fetching its config */
};

/* Decides what an open means. opener: its PID; self: nimbusd's; tftpd:
 * in.tftpd's from its pidfile (0: no pidfile configured, or unreadable);
 * parent: the opener's parent PID (0: unknown, the opener has exited). An
 * opener that exited before nimbusd could look is counted: a real fetch
 * by a short-lived in.tftpd child must not be lost. Pure. */
enum tftp_opener tftp_classify(pid_t opener, pid_t self, pid_t tftpd, pid_t parent);

/* Parses a pidfile's text ("1234\n"); 0 if it holds no PID. Pure. */
pid_t tftp_parse_pid(const char *text);

struct tftp_watch;

/* A fetch: the node's MAC, the file name, the opener (0: unknown). */
typedef void (*tftp_fetch_fn)(void *arg, const uint8_t mac[MAC_LEN], const char *file,
			      pid_t pid);

/* Watches dir (TFTP_ROOT/pxelinux.cfg, created if missing). tftpd_pidfile
 * may be "" (any opener but nimbusd counts). Returns 0 or a negative errno. */
int tftp_watch_open(struct tftp_watch **out, const char *dir, const char *tftpd_pidfile);
/* The same with inotify only (what nimbusd falls back to; for tests). */
int tftp_watch_open_inotify(struct tftp_watch **out, const char *dir, const char *tftpd_pidfile);
void tftp_watch_close(struct tftp_watch *w);
int tftp_watch_fd(const struct tftp_watch *w);      /* readable -> tftp_watch_read */
const char *tftp_watch_backend(const struct tftp_watch *w); /* "fanotify" or "inotify" */

/* Handles the pending events, calling fn for each fetch. */
void tftp_watch_read(struct tftp_watch *w, tftp_fetch_fn fn, void *arg);

/* Around nimbusd's own rewrite of the files: before=true handles what is
 * pending (those are real), before=false handles what came during the
 * write (see above; with fanotify nothing special). */
void tftp_watch_own_write(struct tftp_watch *w, bool before, tftp_fetch_fn fn, void *arg);

/* Re-arms the watch if the directory was replaced (rm -r and mkdir). */
void tftp_watch_recheck(struct tftp_watch *w);

#endif
