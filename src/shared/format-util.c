/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "format-util.h"
#include "macro.h"

const char *format_bytes(char buf[static FORMAT_BYTES_MAX], uint64_t bytes) {
	static const char units[] = "KMGTPE";
	uint64_t scale = 1024;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, FORMAT_BYTES_MAX, "%" PRIu64 "B", bytes);
		return buf;
	}
	/* The largest unit that leaves at least 1 before the point. */
	while (i + 1 < sizeof units - 1 && bytes / scale >= 1024) {
		scale *= 1024;
		i++;
	}
	/* Tenths, rounded down, so that 1023.99K shows as 1023.9K and not as 1024.0K. */
	uint64_t tenths = bytes / (scale / 1024) * 10 / 1024;
	snprintf(buf, FORMAT_BYTES_MAX, "%" PRIu64 ".%" PRIu64 "%c", tenths / 10, tenths % 10, units[i]);
	return buf;
}

const char *format_timestamp(char buf[static FORMAT_TIMESTAMP_MAX], time_t t) {
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, FORMAT_TIMESTAMP_MAX, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		buf[0] = 0;
	return buf;
}
