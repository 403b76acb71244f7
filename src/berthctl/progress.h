/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The progress of a long copy, on one line of stderr when stderr is a terminal (and not with -q):
 * "Importing 'x':  42% (1.2G of 2.9G, 85.0M/s)", or the bytes so far when the total is unknown.
 * Redrawn at most ten times a second; the line is cleared at the end, so messages that follow
 * start on a clean one. */
typedef struct Progress {
	char what[128];   /* the line's start */
	bool shown;       /* drawing at all: stderr is a terminal */
	unsigned columns; /* the terminal's width: a longer line would wrap, and \r not return */
	uint64_t total;   /* bytes; 0: unknown */
	uint64_t done, drawn_done;
	uint64_t start_usec, drawn_usec; /* CLOCK_MONOTONIC; drawn_usec 0: nothing drawn yet */
} Progress;

/* Whether progress would be shown: worth the cost of finding a total. */
bool progress_wanted(void);

void progress_begin(Progress *p, uint64_t total, const char *format, ...) __attribute__((format(printf, 3, 4)));
void progress_update(Progress *p, uint64_t done);
/* The work is complete: shows it so (100%, or the final count), then clears the line; nothing
 * when nothing was drawn. */
void progress_finish(Progress *p);
/* The work stopped: clears the line. */
void progress_clear(const Progress *p);
