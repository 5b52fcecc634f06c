/* export.h - an export's backing store: open a file or block device with
 * the configured flags, find its size, check offset/length, sync it. The
 * only place aoetd touches backing files outside the I/O engine.
 */
#ifndef NIMBUS_AOETD_EXPORT_H
#define NIMBUS_AOETD_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct backing {
	int fd;            /* the I/O descriptor (O_DIRECT with direct) */
	int fd_buffered;   /* direct only: for requests O_DIRECT refuses
			    * (alignment), else -1 */
	uint64_t base;     /* byte offset of the export within the file */
	uint64_t sectors;  /* export size in 512-byte sectors */
	uint64_t file_sectors;
	bool blockdev;
	/* Page-cache exports: the export mapped read-only, so a read reply
	 * is sent straight from the page cache (one copy, not two). NULL when
	 * mapping failed or for O_DIRECT. Export byte x is at map + map_skew + x. */
	uint8_t *map;
	size_t map_len;
	size_t map_skew;
};

/* Size of an open file or block device in bytes. */
int backing_size(int fd, uint64_t *bytes, bool *blockdev);

/* Opens e->path (read-only for ro exports or when check_only) and works out
 * the export's geometry. On error returns a negative errno and writes one
 * line naming the problem (without the "file:line: " prefix) into err,
 * e.g. "export 1.0: /x: No such file or directory". */
int backing_open(const struct export_cfg *e, bool check_only,
		 struct backing *b, char *err, size_t errlen);

/* Re-reads the size (SIGHUP in the positional form); 0 or -errno. */
int backing_resize(const struct export_cfg *e, struct backing *b,
		   char *err, size_t errlen);

void backing_close(struct backing *b);

#endif
