/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *program_name = "berth";
static int max_level = -1;

void log_set_program_name(const char *name) {
	program_name = name;
}

void log_set_max_level(int level) {
	max_level = level;
}

int log_get_max_level(void) {
	if (max_level < 0) {
		/* BERTH_LOG_LEVEL=debug lets a user see the steps without rebuilding. */
		const char *e = getenv("BERTH_LOG_LEVEL");
		max_level = e && streq(e, "debug") ? LOG_DEBUG : LOG_INFO;
	}
	return max_level;
}

int log_internal(int level, int error, const char *format, ...) {
	int saved_errno = errno;
	if (error < 0)
		error = -error;

	if (level <= log_get_max_level()) {
		char buf[2048];
		va_list ap;

		/* %m must print the error we were given, not whatever errno is now. */
		errno = error;
		va_start(ap, format);
		vsnprintf(buf, sizeof buf, format, ap);
		va_end(ap);
		fprintf(stderr, "%s: %s\n", program_name, buf);
	}

	errno = saved_errno;
	return error > 0 ? -error : -EINVAL;
}
