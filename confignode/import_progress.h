/* The output of `aoe-bench write --progress` as nimbusd's volume import
 * reads it from the child's pipe, in whatever pieces the pipe gives:
 * "progress DONE TOTAL" lines (bytes, DONE <= TOTAL, TOTAL > 0) and any
 * other line, the last of which is kept as what to say when the child
 * fails. Pure: no I/O, no allocation. */
#ifndef NIMBUS_IMPORT_PROGRESS_H
#define NIMBUS_IMPORT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define IMPORT_LINE_MAX 160   /* longer lines are cut there */

struct import_progress {
	uint64_t done, total;      /* the latest progress line; 0 0 before one */
	unsigned lines;            /* progress lines taken */
	char msg[IMPORT_LINE_MAX]; /* the last other non-empty line, printable ASCII */
	char cur[IMPORT_LINE_MAX]; /* the line being read */
	size_t cur_len;
	int cur_cut;               /* cur lost bytes past IMPORT_LINE_MAX - 1 */
};

void import_progress_init(struct import_progress *p);
/* Takes the next n bytes. Returns how many progress lines they completed.
 * A malformed progress line (not two decimal numbers, DONE > TOTAL,
 * TOTAL 0, overflow, or DONE going back) counts as an other line. */
unsigned import_progress_feed(struct import_progress *p, const char *buf, size_t n);
/* Ends the input: a last line without its newline is taken too. */
unsigned import_progress_finish(struct import_progress *p);
/* 0..100, rounded down; 0 before any progress line. */
unsigned import_progress_percent(uint64_t done, uint64_t total);
/* Parses one line (no newline) as "progress DONE TOTAL": 0 or -EINVAL. */
int import_progress_line(const char *line, size_t len, uint64_t *done, uint64_t *total);

#endif
