/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "parse-util.h"
#include "tests.h"

static int test_boolean(void) {
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on", "YES", "True", "On" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off", "NO", "False", "OFF" };
	static const char *const bad[] = { "", "2", "yess", "maybe", " yes", "yes ", "-1", "nope" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		ASSERT_EQ_INT(parse_boolean(yes[i]), 1);
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		ASSERT_EQ_INT(parse_boolean(no[i]), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_ERR(parse_boolean(bad[i]), -EINVAL);
	return 0;
}

static int test_unsigned(void) {
	unsigned u = 7;

	ASSERT_OK(parse_unsigned("0", &u));
	ASSERT_EQ_INT(u, 0);
	ASSERT_OK(parse_unsigned("4294967295", &u));
	ASSERT_EQ_U64(u, 4294967295U);
	u = 7;
	ASSERT_ERR(parse_unsigned("4294967296", &u), -ERANGE);
	ASSERT_ERR(parse_unsigned("-1", &u), -EINVAL);
	ASSERT_ERR(parse_unsigned("+1", &u), -EINVAL);
	ASSERT_ERR(parse_unsigned(" 1", &u), -EINVAL);
	ASSERT_ERR(parse_unsigned("1x", &u), -EINVAL);
	ASSERT_ERR(parse_unsigned("", &u), -EINVAL);
	ASSERT_EQ_INT(u, 7);
	return 0;
}

static int test_signal_names(void) {
	static const struct {
		const char *s;
		int signo;
	} good[] = {
		{ "TERM", SIGTERM },    { "SIGTERM", SIGTERM }, { "KILL", SIGKILL }, { "SIGKILL", SIGKILL },
		{ "HUP", SIGHUP },      { "SIGINT", SIGINT },   { "USR1", SIGUSR1 }, { "SIGCHLD", SIGCHLD },
		{ "9", SIGKILL },       { "15", SIGTERM },      { "1", 1 },
	};
	int signo;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		signo = -1;
		ASSERT_OK(parse_signal(good[i].s, &signo));
		ASSERT_EQ_INT(signo, good[i].signo);
	}
	return 0;
}

static int test_signal_realtime(void) {
	int signo = -1;

	ASSERT_OK(parse_signal("RTMIN", &signo));
	ASSERT_EQ_INT(signo, SIGRTMIN);
	ASSERT_OK(parse_signal("RTMIN+3", &signo));
	ASSERT_EQ_INT(signo, SIGRTMIN + 3);
	ASSERT_OK(parse_signal("SIGRTMIN+3", &signo));
	ASSERT_EQ_INT(signo, SIGRTMIN + 3);
	ASSERT_OK(parse_signal("RTMAX", &signo));
	ASSERT_EQ_INT(signo, SIGRTMAX);
	ASSERT_OK(parse_signal("SIGRTMAX-1", &signo));
	ASSERT_EQ_INT(signo, SIGRTMAX - 1);
	ASSERT_OK(parse_signal("RTMIN+0", &signo));
	ASSERT_EQ_INT(signo, SIGRTMIN);

	char s[32];
	snprintf(s, sizeof s, "RTMIN+%d", SIGRTMAX - SIGRTMIN);
	ASSERT_OK(parse_signal(s, &signo));
	ASSERT_EQ_INT(signo, SIGRTMAX);
	/* Beyond the other end of the range. */
	snprintf(s, sizeof s, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
	ASSERT_TRUE(parse_signal(s, &signo) < 0);
	snprintf(s, sizeof s, "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
	ASSERT_TRUE(parse_signal(s, &signo) < 0);
	ASSERT_EQ_INT(signo, SIGRTMAX);
	return 0;
}

static int test_signal_bad(void) {
	static const char *const bad[] = {
		"",      "SIG",      "FOO",     "SIGFOO",  "term",     "sigterm", "SIG15", "15x",
		"-15",   "+15",      " TERM",   "TERM ",   "RTMIN-1",  "RTMAX+1", "RTMIN+", "RTMIN3",
		"RTMINX", "RTMIN+-1", "RTMIN+x", "rtmin+3", "SIGSIGTERM",
	};
	char s[16];
	int signo = 12345;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (parse_signal(bad[i], &signo) >= 0)
			TEST_FAIL("parse_signal(\"%s\") accepted as %d", bad[i], signo);
	ASSERT_TRUE(parse_signal("0", &signo) < 0);
	snprintf(s, sizeof s, "%d", SIGRTMAX + 1);
	ASSERT_TRUE(parse_signal(s, &signo) < 0);
	ASSERT_TRUE(parse_signal("99999999999999999999", &signo) < 0);
	/* Failures leave the output alone. */
	ASSERT_EQ_INT(signo, 12345);
	return 0;
}

/* What signal_to_string() prints parses back to the same signal, for every signal there is. */
static int test_signal_round_trip(void) {
	char buf[16];

	ASSERT_STREQ(signal_to_string(SIGTERM, buf), "TERM");
	ASSERT_STREQ(signal_to_string(SIGKILL, buf), "KILL");
	ASSERT_STREQ(signal_to_string(SIGRTMIN, buf), "RTMIN+0");
	ASSERT_STREQ(signal_to_string(SIGRTMIN + 3, buf), "RTMIN+3");
	for (int i = 1; i <= SIGRTMAX; i++) {
		int signo = -1;
		const char *s = signal_to_string(i, buf);

		ASSERT_TRUE(s == buf);
		if (parse_signal(s, &signo) < 0 || signo != i)
			TEST_FAIL("signal %d printed as \"%s\" parses as %d", i, s, signo);
	}
	return 0;
}

static int test_id128(void) {
	sd_id128_t a, b, keep = SD_ID128_MAKE(01, 02, 03, 04, 05, 06, 07, 08, 09, 0a, 0b, 0c, 0d, 0e, 0f, 10);
	static const sd_id128_t want = SD_ID128_MAKE(01, 23, 45, 67, 89, ab, cd, ef, 01, 23, 45, 67, 89,
						     ab, cd, ef);
	static const char *const bad[] = {
		"",
		"0123456789abcdef0123456789abcde",    /* 31 digits */
		"0123456789abcdef0123456789abcdef0",  /* 33 */
		"0123456789abcdef0123456789abcdeg",   /* not hex */
		"01234567-89ab-cdef-0123-456789abcde", /* dashed, one short */
		"0123456789-ab-cdef-0123-456789abcdef", /* dashes misplaced */
		" 0123456789abcdef0123456789abcdef",
		"xyz",
	};

	ASSERT_OK(parse_id128("0123456789abcdef0123456789abcdef", &a));
	ASSERT_TRUE(sd_id128_equal(a, want));
	ASSERT_OK(parse_id128("01234567-89ab-cdef-0123-456789abcdef", &b));
	ASSERT_TRUE(sd_id128_equal(b, want));
	ASSERT_OK(parse_id128("0123456789ABCDEF0123456789ABCDEF", &b));
	ASSERT_TRUE(sd_id128_equal(b, want));

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		sd_id128_t c = keep;
		if (parse_id128(bad[i], &c) != -EINVAL)
			TEST_FAIL("parse_id128(\"%s\") did not fail with -EINVAL", bad[i]);
		ASSERT_TRUE(sd_id128_equal(c, keep));
	}
	return 0;
}

static int test_env_name(void) {
	static const char *const good[] = { "A", "_", "PATH", "a_b", "X1", "_9", "lower" };
	static const char *const bad[] = { "", "1A", "9", "A-B", "A B", "A.B", "A=B", "Ä" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!env_name_is_valid(good[i], strlen(good[i])))
			TEST_FAIL("\"%s\" should be a valid name", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (env_name_is_valid(bad[i], strlen(bad[i])))
			TEST_FAIL("\"%s\" should not be a valid name", bad[i]);
	/* Only len bytes count: "AB=..." is checked as "AB". */
	ASSERT_TRUE(env_name_is_valid("AB=x", 2));
	ASSERT_FALSE(env_name_is_valid("AB=x", 3));
	return 0;
}

static int test_env_assignment(void) {
	static const char *const good[] = { "A=", "A=1", "A=b=c", "PATH=/bin:/usr/bin", "X_Y= spaced " };
	static const char *const bad[] = { "", "A", "=x", "=", "1A=x", "A B=x", "A-B=x", "-A=x" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!env_assignment_is_valid(good[i]))
			TEST_FAIL("\"%s\" should be a valid assignment", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (env_assignment_is_valid(bad[i]))
			TEST_FAIL("\"%s\" should not be a valid assignment", bad[i]);
	return 0;
}

static int test_path_absolute_normal(void) {
	static const char *const good[] = { "/", "/a", "/a/b", "/a/b/", "/a.b", "/..a", "/a..",
					    "/...", "/.hidden", "/a/b c" };
	static const char *const bad[] = { "", "a", "a/b", "./a", "//", "//a", "/a//b", "/a/b//",
					   "/.", "/./a", "/a/.", "/a/./b", "/..", "/../a", "/a/..",
					   "/a/../b" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!path_is_absolute_and_normal(good[i]))
			TEST_FAIL("\"%s\" should be absolute and normal", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (path_is_absolute_and_normal(bad[i]))
			TEST_FAIL("\"%s\" should not be absolute and normal", bad[i]);
	ASSERT_FALSE(path_is_absolute_and_normal(NULL));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(boolean), TEST_ENTRY(unsigned), TEST_ENTRY(signal_names),
	   TEST_ENTRY(signal_realtime), TEST_ENTRY(signal_bad), TEST_ENTRY(signal_round_trip),
	   TEST_ENTRY(id128), TEST_ENTRY(env_name), TEST_ENTRY(env_assignment),
	   TEST_ENTRY(path_absolute_normal))
