/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "format-util.h"
#include "tests.h"

static int test_format_bytes(void) {
	char buf[FORMAT_BYTES_MAX];

	ASSERT_STREQ(format_bytes(buf, 0), "0B");
	ASSERT_STREQ(format_bytes(buf, 1023), "1023B");
	ASSERT_STREQ(format_bytes(buf, 1024), "1.0K");
	ASSERT_STREQ(format_bytes(buf, 1536), "1.5K");
	/* Rounded down: never shows a value that belongs to the next unit. */
	ASSERT_STREQ(format_bytes(buf, 1024 * 1024 - 1), "1023.9K");
	ASSERT_STREQ(format_bytes(buf, 1024 * 1024), "1.0M");
	ASSERT_STREQ(format_bytes(buf, UINT64_C(230) * 1024 * 1024 + 400 * 1024), "230.3M");
	ASSERT_STREQ(format_bytes(buf, UINT64_C(12) << 30), "12.0G");
	ASSERT_STREQ(format_bytes(buf, UINT64_C(3) << 40), "3.0T");
	ASSERT_STREQ(format_bytes(buf, UINT64_MAX), "15.9E");
	return 0;
}

static int test_format_timestamp(void) {
	char buf[FORMAT_TIMESTAMP_MAX];

	ASSERT_PASS(setenv("TZ", "UTC", 1));
	tzset();
	ASSERT_STREQ(format_timestamp(buf, 0), "Thu 1970-01-01 00:00:00 UTC");
	ASSERT_STREQ(format_timestamp(buf, 1715680800), "Tue 2024-05-14 10:00:00 UTC");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(format_bytes), TEST_ENTRY(format_timestamp))
