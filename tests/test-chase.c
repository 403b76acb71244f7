/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chase.h: paths below a root fd never lead out of it, and what is created lands inside. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "chase.h"
#include "tests.h"

typedef struct Tree {
	char *tmp;   /* holds root/ and outside/ */
	int root_fd; /* tmp/root */
} Tree;

static void tree_done(Tree *t) {
	closep(&t->root_fd);
	tmpdir_cleanup(&t->tmp);
}
#define _cleanup_tree_ _cleanup_(tree_done)

/* tmp/root with links that point out of it, one way or another, and tmp/outside beside it. */
static int tree_make(Tree *t) {
	char path[PATH_MAX];
	int fd;

	*t = (Tree) { .root_fd = -EBADF };
	ASSERT_NOT_NULL(t->tmp = tests_mkdtemp());
	ASSERT_SYS(fd = open(t->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(fd, "root", 0755));
	ASSERT_SYS(mkdirat(fd, "outside", 0755));
	ASSERT_SYS(mkdirat(fd, "root/dir", 0755));
	ASSERT_OK(tests_write_file(fd, "outside/secret", "host\n", 0644));
	snprintf(path, sizeof path, "%s/outside", t->tmp);
	ASSERT_SYS(symlinkat(path, fd, "root/abs"));             /* absolute, to the host's directory */
	ASSERT_SYS(symlinkat("../../../../../..", fd, "root/up")); /* relative, far above the root */
	ASSERT_SYS(symlinkat("dir/made", fd, "root/rel"));         /* relative, dangling inside */
	snprintf(path, sizeof path, "%s/outside/file", t->tmp);
	ASSERT_SYS(symlinkat(path, fd, "root/file-link"));
	ASSERT_SYS(symlinkat("loop2", fd, "root/loop1"));
	ASSERT_SYS(symlinkat("loop1", fd, "root/loop2"));
	ASSERT_SYS(t->root_fd = openat(fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
	close(fd);
	return 0;
}

static bool exists_at(const char *tmp, const char *rel) {
	_cleanup_free_ char *path = NULL;
	struct stat st;

	return asprintf(&path, "%s/%s", tmp, rel) >= 0 && lstat(path, &st) >= 0;
}

static int test_open_stays_inside(void) {
	_cleanup_tree_ Tree t;
	int fd;

	ASSERT_PASS(tree_make(&t));
	/* The host's file is not reachable through either link... */
	ASSERT_ERR(chase_open(t.root_fd, "/abs/secret", O_RDONLY), -ENOENT);
	ASSERT_ERR(chase_open(t.root_fd, "up/outside/secret", O_RDONLY), -ENOENT);
	ASSERT_ERR(chase_open(t.root_fd, "/../outside/secret", O_RDONLY), -ENOENT);
	/* ... but "up" is the root itself: ".." stops there. */
	ASSERT_OK(fd = chase_open(t.root_fd, "/up/dir", O_PATH | O_DIRECTORY));
	close(fd);
	ASSERT_ERR(chase_open(t.root_fd, "/loop1", O_PATH), -ELOOP);
	return 0;
}

static int test_create_stays_inside(void) {
	_cleanup_tree_ Tree t;
	char rel[PATH_MAX];
	int fd;

	ASSERT_PASS(tree_make(&t));
	/* Through an absolute link to the host's directory: made where the link leads in the tree. */
	ASSERT_OK(fd = chase_create(t.root_fd, "/abs/sub/deeper", CHASE_CREATE_DIRECTORY));
	close(fd);
	ASSERT_FALSE(exists_at(t.tmp, "outside/sub"));
	snprintf(rel, sizeof rel, "root%s/outside/sub/deeper", t.tmp);
	ASSERT_TRUE(exists_at(t.tmp, rel));
	/* A dangling final link to a file outside: the file is made inside. */
	ASSERT_OK(fd = chase_create(t.root_fd, "/file-link", CHASE_CREATE_FILE));
	close(fd);
	ASSERT_FALSE(exists_at(t.tmp, "outside/file"));
	snprintf(rel, sizeof rel, "root%s/outside/file", t.tmp);
	ASSERT_TRUE(exists_at(t.tmp, rel));
	/* Far above the root is the root. */
	ASSERT_OK(fd = chase_create(t.root_fd, "/up/new", CHASE_CREATE_DIRECTORY));
	close(fd);
	ASSERT_TRUE(exists_at(t.tmp, "root/new"));
	ASSERT_FALSE(exists_at(t.tmp, "new"));
	/* A relative dangling link is followed from its directory. */
	ASSERT_OK(fd = chase_create(t.root_fd, "rel/x", CHASE_CREATE_DIRECTORY));
	close(fd);
	ASSERT_TRUE(exists_at(t.tmp, "root/dir/made/x"));
	ASSERT_ERR(chase_create(t.root_fd, "/loop1/x", CHASE_CREATE_DIRECTORY), -ELOOP);
	return 0;
}

static int test_create_types(void) {
	_cleanup_tree_ Tree t;
	struct stat st;
	int fd;

	ASSERT_PASS(tree_make(&t));
	ASSERT_OK(fd = chase_create(t.root_fd, "/a/b/file", CHASE_CREATE_FILE));
	ASSERT_SYS(fstat(fd, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	close(fd);
	ASSERT_ERR(chase_create(t.root_fd, "/a/b/file", CHASE_CREATE_DIRECTORY), -ENOTDIR);
	ASSERT_ERR(chase_create(t.root_fd, "/a/b", CHASE_CREATE_FILE), -EISDIR);
	ASSERT_ERR(chase_create(t.root_fd, "/a/b/file/below", CHASE_CREATE_DIRECTORY), -ENOTDIR);
	ASSERT_ERR(chase_create(t.root_fd, "/nothing", CHASE_CREATE_NONE), -ENOENT);
	ASSERT_FALSE(exists_at(t.tmp, "root/nothing"));
	/* What exists is opened, not touched. */
	ASSERT_OK(fd = chase_create(t.root_fd, "dir", CHASE_CREATE_DIRECTORY));
	close(fd);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(open_stays_inside), TEST_ENTRY(create_stays_inside), TEST_ENTRY(create_types))
