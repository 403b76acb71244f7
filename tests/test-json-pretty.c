/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "json-pretty.h"
#include "macro.h"
#include "tests.h"

static char *pretty(const char *in) {
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	json_write_pretty(in, f);
	fclose(f);
	return buf;
}

static int test_nesting(void) {
	_cleanup_free_ char *out = pretty("[{\"machine\":\"a\",\"leader\":12,\"os\":null},{\"machine\":\"b\"}]");

	ASSERT_STREQ(out, "[\n"
			  "  {\n"
			  "    \"machine\": \"a\",\n"
			  "    \"leader\": 12,\n"
			  "    \"os\": null\n"
			  "  },\n"
			  "  {\n"
			  "    \"machine\": \"b\"\n"
			  "  }\n"
			  "]\n");
	return 0;
}

static int test_strings_pass_unchanged(void) {
	/* Structure characters, escaped quotes and backslashes inside strings are the string's. */
	_cleanup_free_ char *out = pretty("{\"k\":\"a,b:{c}[d] \\\"e\\\\\",\"l\":\"\\\\\"}");

	ASSERT_STREQ(out, "{\n  \"k\": \"a,b:{c}[d] \\\"e\\\\\",\n  \"l\": \"\\\\\"\n}\n");
	return 0;
}

static int test_empty(void) {
	_cleanup_free_ char *a = pretty("[]"), *o = pretty("{\"x\":{ },\"y\":[]}");

	ASSERT_STREQ(a, "[]\n");
	ASSERT_STREQ(o, "{\n  \"x\": {},\n  \"y\": []\n}\n");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(nesting), TEST_ENTRY(strings_pass_unchanged), TEST_ENTRY(empty))
