/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A few assertions and a runner for the unit tests, so no framework is needed. Each test is a
 * function returning 0; a failed assertion prints where and what it saw and returns -1 from it, so
 * temporary state should be owned by _cleanup_ helpers. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

#define TEST_FAIL(...)                                                          \
	do {                                                                    \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                 \
		fprintf(stderr, __VA_ARGS__);                                   \
		fputc('\n', stderr);                                            \
		return -1;                                                      \
	} while (0)

#define ASSERT_TRUE(expr)                                                       \
	do {                                                                    \
		if (!(expr))                                                    \
			TEST_FAIL("expected true: %s", #expr);                  \
	} while (0)

#define ASSERT_FALSE(expr)                                                      \
	do {                                                                    \
		if (expr)                                                       \
			TEST_FAIL("expected false: %s", #expr);                 \
	} while (0)

#define ASSERT_EQ_INT(a, b)                                                     \
	do {                                                                    \
		long long _a = (long long) (a), _b = (long long) (b);           \
		if (_a != _b)                                                   \
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);    \
	} while (0)

#define ASSERT_NE_INT(a, b)                                                     \
	do {                                                                    \
		long long _a = (long long) (a), _b = (long long) (b);           \
		if (_a == _b)                                                   \
			TEST_FAIL("%s != %s: both %lld", #a, #b, _a);           \
	} while (0)

#define ASSERT_EQ_U64(a, b)                                                     \
	do {                                                                    \
		unsigned long long _a = (a), _b = (b);                          \
		if (_a != _b)                                                   \
			TEST_FAIL("%s == %s: %llu != %llu", #a, #b, _a, _b);    \
	} while (0)

#define ASSERT_STREQ(a, b)                                                      \
	do {                                                                    \
		const char *_a = (a), *_b = (b);                                \
		if (!streq_ptr(_a, _b))                                         \
			TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,         \
				  _a ?: "(null)", _b ?: "(null)");              \
	} while (0)

#define ASSERT_CONTAINS(haystack, needle)                                       \
	do {                                                                    \
		const char *_h = (haystack), *_n = (needle);                    \
		if (!_h || !strstr(_h, _n))                                     \
			TEST_FAIL("%s does not contain \"%s\": \"%s\"", #haystack, \
				  _n, _h ?: "(null)");                          \
	} while (0)

#define ASSERT_NOT_CONTAINS(haystack, needle)                                   \
	do {                                                                    \
		const char *_h = (haystack), *_n = (needle);                    \
		if (_h && strstr(_h, _n))                                       \
			TEST_FAIL("%s contains \"%s\": \"%s\"", #haystack, _n, _h); \
	} while (0)

#define ASSERT_NULL(p)                                                          \
	do {                                                                    \
		if ((p) != NULL)                                                \
			TEST_FAIL("expected NULL: %s", #p);                     \
	} while (0)

#define ASSERT_NOT_NULL(p)                                                      \
	do {                                                                    \
		if ((p) == NULL)                                                \
			TEST_FAIL("expected not NULL: %s", #p);                 \
	} while (0)

/* expr returns >= 0 on success or a negative errno. */
#define ASSERT_OK(expr)                                                         \
	do {                                                                    \
		long long _r = (long long) (expr);                              \
		if (_r < 0)                                                     \
			TEST_FAIL("%s failed: %lld (%s)", #expr, _r,            \
				  strerror((int) -_r));                         \
	} while (0)

/* expr returns exactly the negative errno err. */
#define ASSERT_ERR(expr, err)                                                   \
	do {                                                                    \
		long long _r = (long long) (expr), _e = (long long) (err);      \
		if (_r != _e)                                                   \
			TEST_FAIL("%s: expected %lld (%s), got %lld (%s)", #expr, \
				  _e, strerror((int) -_e), _r,                  \
				  _r < 0 ? strerror((int) -_r) : "success");    \
	} while (0)

/* A helper of the test itself, returning 0 or -1 after printing what went wrong. */
#define ASSERT_PASS(expr)                                                       \
	do {                                                                    \
		if ((expr) != 0)                                                \
			TEST_FAIL("... called from here: %s", #expr);           \
	} while (0)

/* A libc call returning -1 with errno on failure. */
#define ASSERT_SYS(expr)                                                        \
	do {                                                                    \
		if ((expr) < 0)                                                 \
			TEST_FAIL("%s failed: %m", #expr);                      \
	} while (0)

typedef struct Test {
	const char *name;
	int (*func)(void);
} Test;

#define TEST_ENTRY(n) { #n, test_##n }

static inline int tests_run(const Test *tests, size_t n) {
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		int r = tests[i].func();
		fprintf(stderr, "%s: %s\n", tests[i].name, r == 0 ? "ok" : "FAILED");
		if (r != 0)
			failed++;
	}
	if (failed)
		fprintf(stderr, "%d of %zu tests failed\n", failed, n);
	return failed == 0 ? 0 : 1;
}

#define TESTS_MAIN(...)                                                         \
	int main(void) {                                                        \
		static const Test _tests[] = { __VA_ARGS__ };                   \
		return tests_run(_tests, ELEMENTSOF(_tests));                   \
	}

/* A temporary directory, removed with everything in it when the variable goes out of scope. The
 * removal is deliberately independent of the code under test. */
static inline int tests_open_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void) ftw;
	/* Entries of a directory a test made read-only cannot be removed without root. */
	if ((flag == FTW_D || flag == FTW_DNR) && (st->st_mode & 0700) != 0700)
		(void) chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static inline int tests_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void) st;
	(void) ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static inline void tests_rm_rf(const char *path) {
	(void) nftw(path, tests_open_dir, 16, FTW_PHYS | FTW_MOUNT);
	(void) nftw(path, tests_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static inline void tmpdir_cleanup(char **p) {
	if (*p) {
		tests_rm_rf(*p);
		free(*p);
	}
}
#define _cleanup_tmpdir_ _cleanup_(tmpdir_cleanup)

/* Makes a new directory under $TMPDIR (or /var/tmp, a disk filesystem: xattrs and hardlinks
 * behave as on a real tree). */
static inline char *tests_mkdtemp(void) {
	const char *base = getenv("TMPDIR");
	char *p;

	if (asprintf(&p, "%s/berth-test.XXXXXX", base ?: "/var/tmp") < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

/* Captures what is written to fd (1 or 2) between capture_start() and capture_end(). */
typedef struct Capture {
	int fd;
	int saved;
	FILE *file;
} Capture;

static inline int capture_start(Capture *c, int fd) {
	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	*c = (Capture) { .fd = fd, .saved = -EBADF };
	c->file = tmpfile();
	if (!c->file)
		return -errno;
	c->saved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (c->saved < 0 || dup2(fileno(c->file), fd) < 0) {
		int r = -errno;
		if (c->saved >= 0)
			close(c->saved);
		fclose(c->file);
		return r;
	}
	return 0;
}

/* Restores fd and returns what was written (malloc'ed, never NULL unless out of memory). */
static inline char *capture_end(Capture *c) {
	char *buf = NULL;
	long n;

	fflush(c->fd == STDOUT_FILENO ? stdout : stderr);
	(void) dup2(c->saved, c->fd);
	close(c->saved);
	n = ftell(c->file);
	if (n >= 0 && fseek(c->file, 0, SEEK_SET) == 0 && (buf = calloc(1, (size_t) n + 1)))
		if (fread(buf, 1, (size_t) n, c->file) != (size_t) n)
			buf[0] = 0;
	fclose(c->file);
	return buf;
}

/* Reads a small file whole, NUL-terminated; NULL on failure. */
static inline char *tests_read_file(int dir_fd, const char *path) {
	int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = calloc(1, 65536);
	n = buf ? read(fd, buf, 65535) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static inline int tests_write_file(int dir_fd, const char *path, const char *content, mode_t mode) {
	int fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t n = strlen(content);

	if (fd < 0)
		return -errno;
	if (write(fd, content, n) != (ssize_t) n) {
		int r = errno > 0 ? -errno : -EIO;
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}
