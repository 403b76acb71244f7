/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* locked-entry.h: an entry is removed only when no one holds its lock. */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "locked-entry.h"
#include "tests.h"

static int test_locked_while_held(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int dir_fd = -EBADF, tree = -EBADF, file = -EBADF;
	struct stat st;

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(dir_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_OK(tree = locked_entry_create(dir_fd, ".#tree", true, 0700));
	ASSERT_OK(file = locked_entry_create(dir_fd, ".#file", false, 0600));
	ASSERT_ERR(locked_entry_create(dir_fd, ".#tree", true, 0700), -EEXIST);
	ASSERT_ERR(locked_entry_create(dir_fd, ".#file", false, 0600), -EEXIST);
	ASSERT_SYS(fstatat(dir_fd, ".#tree", &st, 0));
	ASSERT_EQ_INT(st.st_mode & 07777, 0700);

	/* The fds are what they say: the tree's a directory to build in, the file's writable. */
	ASSERT_OK(tests_write_file(tree, "inside", "x", 0644));
	ASSERT_SYS(write(file, "data", 4));

	ASSERT_ERR(locked_entry_remove(dir_fd, ".#tree"), -EBUSY);
	ASSERT_ERR(locked_entry_remove(dir_fd, ".#file"), -EBUSY);
	ASSERT_SYS(fstatat(dir_fd, ".#tree/inside", &st, 0));

	/* Released (the holder died), they go, with what is in them. */
	tree = safe_close(tree);
	file = safe_close(file);
	ASSERT_OK(locked_entry_remove(dir_fd, ".#tree"));
	ASSERT_OK(locked_entry_remove(dir_fd, ".#file"));
	ASSERT_ERR(fstatat(dir_fd, ".#tree", &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0, -ENOENT);
	ASSERT_ERR(locked_entry_remove(dir_fd, ".#tree"), -ENOENT);
	return 0;
}

/* What no one locks: removed; a symlink, not what it points to. */
static int test_unlocked_and_symlinks(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int dir_fd = -EBADF;
	struct stat st;

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(dir_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(dir_fd, "target", 0755));
	ASSERT_OK(tests_write_file(dir_fd, "target/kept", "x", 0644));
	ASSERT_SYS(symlinkat("target", dir_fd, ".#link"));
	ASSERT_OK(locked_entry_remove(dir_fd, ".#link"));
	ASSERT_SYS(fstatat(dir_fd, "target/kept", &st, 0));
	ASSERT_OK(locked_entry_remove(dir_fd, "target"));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(locked_while_held), TEST_ENTRY(unlocked_and_symlinks))
