/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk_usage_fd(): a file with several links counts once, symlinks add no data, a file alone is its
 * own size. */
#include <fcntl.h>
#include <sys/stat.h>

#include "disk-usage.h"
#include "tests.h"

static int test_tree(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int fd = -EBADF, file_fd = -EBADF;
	char big[10001];
	DiskUsage u;
	struct stat st;

	ASSERT_NOT_NULL(tmp);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ASSERT_SYS(fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_OK(tests_write_file(fd, "big", big, 0644));
	ASSERT_SYS(linkat(fd, "big", fd, "big-again", 0));
	ASSERT_SYS(mkdirat(fd, "sub", 0755));
	ASSERT_OK(tests_write_file(fd, "sub/small", "12345", 0644));
	ASSERT_SYS(symlinkat("../big", fd, "sub/link"));

	ASSERT_OK(disk_usage_fd(fd, &u));
	ASSERT_EQ_U64(u.data, 10000 + 5);
	ASSERT_SYS(fstatat(fd, "big", &st, 0));
	/* At least the big file's blocks, counted once (the directories add more). */
	ASSERT_TRUE(u.allocated >= (uint64_t) st.st_blocks * 512);

	ASSERT_SYS(file_fd = openat(fd, "sub/small", O_RDONLY | O_CLOEXEC));
	ASSERT_OK(disk_usage_fd(file_fd, &u));
	ASSERT_EQ_U64(u.data, 5);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(tree))
