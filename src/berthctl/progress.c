/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "berthctl.h"
#include "fd-util.h"
#include "format-util.h"
#include "macro.h"
#include "progress.h"
#include "time-util.h"

#define PROGRESS_INTERVAL_USEC (USEC_PER_SEC / 10)

/* Erases from the cursor to the end of the line. */
#define ANSI_ERASE_TO_END_OF_LINE "\033[K"

bool progress_wanted(void) {
	return !arg.quiet && isatty(STDERR_FILENO);
}

void progress_begin(Progress *p, uint64_t total, const char *format, ...) {
	struct winsize ws = {};
	va_list ap;

	*p = (Progress) { .shown = progress_wanted(), .total = total, .start_usec = now_usec(CLOCK_MONOTONIC) };
	va_start(ap, format);
	vsnprintf(p->what, sizeof p->what, format, ap);
	va_end(ap);
	p->columns = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

static void draw(Progress *p, uint64_t now) {
	char line[256], done[FORMAT_BYTES_MAX], total[FORMAT_BYTES_MAX], rate[FORMAT_BYTES_MAX + 8] = "";
	uint64_t elapsed = now - p->start_usec;
	int n;

	format_bytes(done, p->done);
	/* In the first instants, a rate would mean nothing. */
	if (elapsed >= PROGRESS_INTERVAL_USEC) {
		char r[FORMAT_BYTES_MAX];
		format_bytes(r, (uint64_t) ((double) p->done * USEC_PER_SEC / (double) elapsed));
		snprintf(rate, sizeof rate, ", %s/s", r);
	}
	if (p->total > 0)
		n = snprintf(line, sizeof line, "%s: %3u%% (%s of %s%s)", p->what,
			     (unsigned) (p->done >= p->total ? 100 : (double) p->done * 100 / (double) p->total), done,
			     format_bytes(total, p->total), rate);
	else
		n = snprintf(line, sizeof line, "%s: %s%s%s%s", p->what, done, *rate ? " (" : "", *rate ? rate + 2 : "",
			     *rate ? ")" : "");
	n = MIN(n, (int) sizeof line - 1);
	n = MIN(n, (int) p->columns - 1);
	/* One write: the line is never mixed with what others write to the terminal. */
	char out[sizeof line + 8];
	int k = snprintf(out, sizeof out, "\r%.*s" ANSI_ERASE_TO_END_OF_LINE, n, line);
	(void) loop_write(STDERR_FILENO, out, (size_t) MIN(k, (int) sizeof out - 1));
	p->drawn_usec = now;
	p->drawn_done = p->done;
}

void progress_update(Progress *p, uint64_t done) {
	uint64_t now;

	p->done = done;
	if (!p->shown)
		return;
	now = now_usec(CLOCK_MONOTONIC);
	if (p->drawn_usec == 0 || now - p->drawn_usec >= PROGRESS_INTERVAL_USEC)
		draw(p, now);
}

void progress_finish(Progress *p) {
	/* Nothing was ever drawn when there was nothing to count (a clone that only shared data). */
	if (!p->shown || p->drawn_usec == 0)
		return;
	if (p->total > 0)
		p->done = p->total;
	if (p->drawn_done != p->done)
		draw(p, now_usec(CLOCK_MONOTONIC));
	progress_clear(p);
}

void progress_clear(const Progress *p) {
	if (p->shown)
		(void) loop_write(STDERR_FILENO, "\r" ANSI_ERASE_TO_END_OF_LINE, 4);
}
