/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "os-release.h"
#include "strv.h"
#include "tests.h"

static int test_parse_basic(void) {
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_OK(os_release_parse("NAME=\"Debian GNU/Linux\"\n"
				   "ID=debian\n"
				   "VERSION_ID='12'\n"
				   "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
				   &l));
	ASSERT_EQ_INT(strv_length(l), 4);
	ASSERT_STREQ(strv_env_get(l, "NAME"), "Debian GNU/Linux");
	ASSERT_STREQ(strv_env_get(l, "ID"), "debian");
	ASSERT_STREQ(strv_env_get(l, "VERSION_ID"), "12");
	ASSERT_STREQ(strv_env_get(l, "PRETTY_NAME"), "Debian GNU/Linux 12 (bookworm)");
	ASSERT_STREQ(l[1], "ID=debian");
	return 0;
}

static int test_parse_escapes(void) {
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_OK(os_release_parse("DQ=\"a \\\"b\\\" \\\\ \\$x \\`y\\`\"\n"
				   /* Inside double quotes only \" \\ \$ \` are escapes. */
				   "KEEP=\"a\\nb\"\n"
				   /* Inside single quotes nothing is. */
				   "SQ='x\\\"y \"z\"'\n"
				   "BARE=a\\ b\\\"c\n"
				   "MIXED=\"one\"' two'\n"
				   "EMPTY=\n"
				   "EMPTYQ=\"\"\n",
				   &l));
	ASSERT_STREQ(strv_env_get(l, "DQ"), "a \"b\" \\ $x `y`");
	ASSERT_STREQ(strv_env_get(l, "KEEP"), "a\\nb");
	ASSERT_STREQ(strv_env_get(l, "SQ"), "x\\\"y \"z\"");
	ASSERT_STREQ(strv_env_get(l, "BARE"), "a b\"c");
	ASSERT_STREQ(strv_env_get(l, "MIXED"), "one two");
	ASSERT_STREQ(strv_env_get(l, "EMPTY"), "");
	ASSERT_STREQ(strv_env_get(l, "EMPTYQ"), "");
	return 0;
}

static int test_parse_comments_and_blanks(void) {
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_OK(os_release_parse("# a comment\n"
				   "\n"
				   "   \n"
				   "\t# indented comment\n"
				   "ID=arch\n"
				   "\n\n"
				   "  VERSION_ID=rolling  \n"
				   "HOME_URL=\"https://example.org/#anchor\"\r\n"
				   "#ID=commented-out\n",
				   &l));
	ASSERT_EQ_INT(strv_length(l), 3);
	ASSERT_STREQ(strv_env_get(l, "ID"), "arch");
	ASSERT_STREQ(strv_env_get(l, "VERSION_ID"), "rolling");
	ASSERT_STREQ(strv_env_get(l, "HOME_URL"), "https://example.org/#anchor");
	return 0;
}

/* Bad lines are skipped, the good ones around them kept. */
static int test_parse_bad_lines(void) {
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_OK(os_release_parse("ID=fedora\n"
				   "garbage without equals\n"
				   "1BAD=digit first\n"
				   "BAD-DASH=x\n"
				   "=novalue\n"
				   "OPEN=\"unterminated\n"
				   "OPEN2='unterminated too\n"
				   "VERSION_ID=39\n",
				   &l));
	ASSERT_EQ_INT(strv_length(l), 2);
	ASSERT_STREQ(strv_env_get(l, "ID"), "fedora");
	ASSERT_STREQ(strv_env_get(l, "VERSION_ID"), "39");
	ASSERT_NULL(strv_env_get(l, "OPEN"));
	ASSERT_NULL(strv_env_get(l, "OPEN2"));
	ASSERT_NULL(strv_env_get(l, "1BAD"));
	return 0;
}

static int test_parse_duplicates_and_empty(void) {
	_cleanup_strv_free_ char **l = NULL, **e = NULL;

	ASSERT_OK(os_release_parse("ID=first\nID=second\n", &l));
	ASSERT_EQ_INT(strv_length(l), 1);
	ASSERT_STREQ(strv_env_get(l, "ID"), "second");

	ASSERT_OK(os_release_parse("", &e));
	ASSERT_NOT_NULL(e);
	ASSERT_EQ_INT(strv_length(e), 0);
	return 0;
}

/* A temporary tree: root/ is the image, outside/ is next to it. */
typedef struct Tree {
	char *base;
	int root_fd;
	int base_fd;
} Tree;

static void tree_done(Tree *t) {
	if (t->root_fd >= 0)
		close(t->root_fd);
	if (t->base_fd >= 0)
		close(t->base_fd);
	tmpdir_cleanup(&t->base);
}

static int tree_new(Tree *t) {
	*t = (Tree) { .root_fd = -EBADF, .base_fd = -EBADF };
	t->base = tests_mkdtemp();
	ASSERT_NOT_NULL(t->base);
	ASSERT_SYS(t->base_fd = open(t->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(t->base_fd, "root", 0755));
	ASSERT_SYS(mkdirat(t->base_fd, "root/etc", 0755));
	ASSERT_SYS(mkdirat(t->base_fd, "root/usr", 0755));
	ASSERT_SYS(mkdirat(t->base_fd, "root/usr/lib", 0755));
	ASSERT_SYS(mkdirat(t->base_fd, "outside", 0755));
	ASSERT_OK(tests_write_file(t->base_fd, "outside/os-release", "ID=outside\n", 0644));
	ASSERT_SYS(t->root_fd = openat(t->base_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	return 0;
}

static int test_read_etc_first(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_PASS(tree_new(&t));
	ASSERT_OK(tests_write_file(t.root_fd, "etc/os-release", "ID=etc\n", 0644));
	ASSERT_OK(tests_write_file(t.root_fd, "usr/lib/os-release", "ID=usrlib\n", 0644));
	ASSERT_OK(os_release_read_at(t.root_fd, &l));
	ASSERT_STREQ(strv_env_get(l, "ID"), "etc");
	return 0;
}

static int test_read_usr_lib_fallback(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_PASS(tree_new(&t));
	ASSERT_OK(tests_write_file(t.root_fd, "usr/lib/os-release", "ID=usrlib\nVERSION_ID=\"1\"\n", 0644));
	ASSERT_OK(os_release_read_at(t.root_fd, &l));
	ASSERT_STREQ(strv_env_get(l, "ID"), "usrlib");
	ASSERT_STREQ(strv_env_get(l, "VERSION_ID"), "1");
	return 0;
}

static int test_read_missing(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	char **l = NULL;

	ASSERT_PASS(tree_new(&t));
	ASSERT_ERR(os_release_read_at(t.root_fd, &l), -ENOENT);
	ASSERT_NULL(l);
	return 0;
}

/* The usual layout: /etc/os-release -> ../usr/lib/os-release. */
static int test_read_relative_symlink(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	_cleanup_strv_free_ char **l = NULL;

	ASSERT_PASS(tree_new(&t));
	ASSERT_OK(tests_write_file(t.root_fd, "usr/lib/os-release", "ID=usrlib\n", 0644));
	ASSERT_SYS(symlinkat("../usr/lib/os-release", t.root_fd, "etc/os-release"));
	ASSERT_OK(os_release_read_at(t.root_fd, &l));
	ASSERT_STREQ(strv_env_get(l, "ID"), "usrlib");
	return 0;
}

/* An absolute symlink means the image's own file, not the host's. */
static int test_read_absolute_symlink_inside(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	_cleanup_strv_free_ char **l = NULL, **l2 = NULL;

	ASSERT_PASS(tree_new(&t));
	/* The host has a /usr/lib/os-release too (or at least /etc/os-release): the image's must win. */
	ASSERT_OK(tests_write_file(t.root_fd, "usr/lib/os-release", "ID=image\n", 0644));
	ASSERT_SYS(symlinkat("/usr/lib/os-release", t.root_fd, "etc/os-release"));
	ASSERT_OK(os_release_read_at(t.root_fd, &l));
	ASSERT_STREQ(strv_env_get(l, "ID"), "image");

	/* ".." cannot climb out of the root either. */
	ASSERT_SYS(unlinkat(t.root_fd, "etc/os-release", 0));
	ASSERT_SYS(symlinkat("../../../../../../../../usr/lib/os-release", t.root_fd, "etc/os-release"));
	ASSERT_OK(os_release_read_at(t.root_fd, &l2));
	ASSERT_STREQ(strv_env_get(l2, "ID"), "image");
	return 0;
}

/* A symlink to a file that exists only outside the tree: never read, whatever the spelling. */
static int test_read_symlink_outside(void) {
	_cleanup_(tree_done) Tree t = { .root_fd = -EBADF, .base_fd = -EBADF };
	_cleanup_free_ char *abs = NULL;
	_cleanup_strv_free_ char **l = NULL, **l2 = NULL;
	char **none = NULL;

	ASSERT_PASS(tree_new(&t));
	ASSERT_TRUE(asprintf(&abs, "%s/outside/os-release", t.base) >= 0);
	ASSERT_SYS(symlinkat(abs, t.root_fd, "etc/os-release"));
	ASSERT_SYS(symlinkat("../../outside/os-release", t.root_fd, "usr/lib/os-release"));
	ASSERT_ERR(os_release_read_at(t.root_fd, &none), -ENOENT);
	ASSERT_NULL(none);

	/* With the image's own fallback present, that is what is read. */
	ASSERT_SYS(unlinkat(t.root_fd, "usr/lib/os-release", 0));
	ASSERT_OK(tests_write_file(t.root_fd, "usr/lib/os-release", "ID=image\n", 0644));
	ASSERT_OK(os_release_read_at(t.root_fd, &l));
	ASSERT_STREQ(strv_env_get(l, "ID"), "image");

	/* And through a relative link that tries to leave. */
	ASSERT_SYS(unlinkat(t.root_fd, "etc/os-release", 0));
	ASSERT_SYS(symlinkat("../../outside/os-release", t.root_fd, "etc/os-release"));
	ASSERT_OK(os_release_read_at(t.root_fd, &l2));
	ASSERT_STREQ(strv_env_get(l2, "ID"), "image");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(parse_basic), TEST_ENTRY(parse_escapes), TEST_ENTRY(parse_comments_and_blanks),
	   TEST_ENTRY(parse_bad_lines), TEST_ENTRY(parse_duplicates_and_empty),
	   TEST_ENTRY(read_etc_first), TEST_ENTRY(read_usr_lib_fallback), TEST_ENTRY(read_missing),
	   TEST_ENTRY(read_relative_symlink), TEST_ENTRY(read_absolute_symlink_inside),
	   TEST_ENTRY(read_symlink_outside))
