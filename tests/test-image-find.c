/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image-find.h"
#include "tests.h"

/* Three image directories under a temporary base, searched in the order one, two, three. */
typedef struct Dirs {
	char *base;
	int fd;
	char *paths[3];
	const char *list[4];
} Dirs;

static void dirs_done(Dirs *d) {
	for (size_t i = 0; i < ELEMENTSOF(d->paths); i++)
		free(d->paths[i]);
	if (d->fd >= 0)
		close(d->fd);
	tmpdir_cleanup(&d->base);
}

static int dirs_new(Dirs *d) {
	static const char *const names[] = { "one", "two", "three" };

	*d = (Dirs) { .fd = -EBADF };
	d->base = tests_mkdtemp();
	ASSERT_NOT_NULL(d->base);
	ASSERT_SYS(d->fd = open(d->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		ASSERT_SYS(mkdirat(d->fd, names[i], 0755));
		ASSERT_TRUE(asprintf(&d->paths[i], "%s/%s", d->base, names[i]) >= 0);
		d->list[i] = d->paths[i];
	}
	d->list[3] = NULL;
	return 0;
}

#define DIRS_INIT { .fd = -EBADF }

/* Looks name up and checks what was found: type and the path below the base. */
static int check_found(const Dirs *d, const char *name, ImageType want_type, const char *want_rel) {
	_cleanup_free_ char *want = NULL, *path = NULL;
	ImageType type = _IMAGE_TYPE_INVALID;
	int r;

	ASSERT_TRUE(asprintf(&want, "%s/%s", d->base, want_rel) >= 0);
	r = image_find(name, d->list, &type, &path);
	if (r < 0)
		TEST_FAIL("image_find(\"%s\") failed: %s", name, strerror(-r));
	ASSERT_STREQ(path, want);
	ASSERT_STREQ(image_type_to_string(type), image_type_to_string(want_type));
	return 0;
}

static int check_missing(const Dirs *d, const char *name, int err) {
	ImageType type = _IMAGE_TYPE_INVALID;
	char *path = NULL;

	ASSERT_ERR(image_find(name, d->list, &type, &path), err);
	/* Outputs are untouched on failure. */
	ASSERT_NULL(path);
	ASSERT_EQ_INT(type, _IMAGE_TYPE_INVALID);
	return 0;
}

static int test_directory_and_raw(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;

	ASSERT_PASS(dirs_new(&d));
	ASSERT_SYS(mkdirat(d.fd, "two/tree", 0755));
	ASSERT_OK(tests_write_file(d.fd, "three/disk.raw", "", 0644));
	ASSERT_PASS(check_found(&d, "tree", IMAGE_DIRECTORY, "two/tree"));
	ASSERT_PASS(check_found(&d, "disk", IMAGE_RAW, "three/disk.raw"));
	/* The name is the image's, without the suffix. */
	ASSERT_PASS(check_missing(&d, "disk.raw", -ENOENT));
	ASSERT_PASS(check_missing(&d, "missing", -ENOENT));
	return 0;
}

/* The first directory of the path that has the image wins, whatever its kind. */
static int test_precedence(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;

	ASSERT_PASS(dirs_new(&d));
	ASSERT_SYS(mkdirat(d.fd, "one/a", 0755));
	ASSERT_SYS(mkdirat(d.fd, "two/a", 0755));
	ASSERT_OK(tests_write_file(d.fd, "three/a.raw", "", 0644));
	ASSERT_PASS(check_found(&d, "a", IMAGE_DIRECTORY, "one/a"));

	ASSERT_OK(tests_write_file(d.fd, "one/b.raw", "", 0644));
	ASSERT_SYS(mkdirat(d.fd, "two/b", 0755));
	ASSERT_PASS(check_found(&d, "b", IMAGE_RAW, "one/b.raw"));

	ASSERT_SYS(mkdirat(d.fd, "three/c", 0755));
	ASSERT_PASS(check_found(&d, "c", IMAGE_DIRECTORY, "three/c"));

	/* In one directory, the tree comes before the raw image. */
	ASSERT_SYS(mkdirat(d.fd, "two/both", 0755));
	ASSERT_OK(tests_write_file(d.fd, "two/both.raw", "", 0644));
	ASSERT_PASS(check_found(&d, "both", IMAGE_DIRECTORY, "two/both"));
	return 0;
}

/* A regular file NAME is no tree and a directory NAME.raw no raw image: both are passed over. */
static int test_wrong_kinds_skipped(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;

	ASSERT_PASS(dirs_new(&d));
	ASSERT_OK(tests_write_file(d.fd, "one/x", "not a tree", 0644));
	ASSERT_SYS(mkdirat(d.fd, "one/x.raw", 0755));
	ASSERT_OK(tests_write_file(d.fd, "three/x.raw", "", 0644));
	ASSERT_PASS(check_found(&d, "x", IMAGE_RAW, "three/x.raw"));

	ASSERT_SYS(mkfifoat(d.fd, "one/fifo.raw", 0644));
	ASSERT_PASS(check_missing(&d, "fifo", -ENOENT));
	return 0;
}

/* Hidden entries (".#NAME" copies being made, dot files) are never images: no name can reach them. */
static int test_hidden_ignored(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;

	ASSERT_PASS(dirs_new(&d));
	ASSERT_SYS(mkdirat(d.fd, "one/.hidden", 0755));
	ASSERT_SYS(mkdirat(d.fd, "one/.#copy", 0755));
	ASSERT_OK(tests_write_file(d.fd, "one/.dot.raw", "", 0644));
	ASSERT_PASS(check_missing(&d, ".hidden", -EINVAL));
	ASSERT_PASS(check_missing(&d, ".#copy", -EINVAL));
	ASSERT_PASS(check_missing(&d, ".dot", -EINVAL));
	ASSERT_PASS(check_missing(&d, "hidden", -ENOENT));
	ASSERT_PASS(check_missing(&d, "copy", -ENOENT));
	return 0;
}

/* Names that would reach outside the directory are refused before any lookup. */
static int test_invalid_names(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;
	static const char *const bad[] = { "", ".", "..", "../two/x", "a/b", "-x", "a b" };

	ASSERT_PASS(dirs_new(&d));
	ASSERT_SYS(mkdirat(d.fd, "two/x", 0755));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_PASS(check_missing(&d, bad[i], -EINVAL));
	return 0;
}

/* Directories of the path that do not exist, or are not directories, are passed over. */
static int test_missing_search_dirs(void) {
	_cleanup_(dirs_done) Dirs d = DIRS_INIT;

	ASSERT_PASS(dirs_new(&d));
	ASSERT_SYS(unlinkat(d.fd, "one", AT_REMOVEDIR));
	ASSERT_SYS(unlinkat(d.fd, "two", AT_REMOVEDIR));
	ASSERT_OK(tests_write_file(d.fd, "two", "a file", 0644));
	ASSERT_SYS(mkdirat(d.fd, "three/x", 0755));
	ASSERT_PASS(check_found(&d, "x", IMAGE_DIRECTORY, "three/x"));
	ASSERT_PASS(check_missing(&d, "y", -ENOENT));
	return 0;
}

static int test_empty_path(void) {
	static const char *const none[] = { NULL };
	ImageType type = _IMAGE_TYPE_INVALID;
	char *path = NULL;

	ASSERT_ERR(image_find("anything", none, &type, &path), -ENOENT);
	ASSERT_NULL(path);
	return 0;
}

static int test_default_search_path(void) {
	size_t n = 0;

	ASSERT_STREQ(image_search_path[0], "/var/lib/machines");
	while (image_search_path[n])
		n++;
	ASSERT_TRUE(n >= 2);
	for (size_t i = 0; i < n; i++)
		ASSERT_TRUE(image_search_path[i][0] == '/');
	return 0;
}

static int check_entry(const char *entry, mode_t mode, int want, ImageType want_type, const char *want_name) {
	struct stat st = { .st_mode = mode };
	ImageType type = _IMAGE_TYPE_INVALID;
	_cleanup_free_ char *name = NULL;

	ASSERT_ERR(image_from_entry(entry, &st, &type, &name), want);
	ASSERT_EQ_INT(type, want < 0 ? _IMAGE_TYPE_INVALID : want_type);
	ASSERT_STREQ(name, want < 0 ? NULL : want_name);
	return 0;
}

/* Which entries of an image directory are images, and their names. */
static int test_image_from_entry(void) {
	ASSERT_PASS(check_entry("tree", S_IFDIR | 0755, 0, IMAGE_DIRECTORY, "tree"));
	ASSERT_PASS(check_entry("disk.raw", S_IFREG | 0644, 0, IMAGE_RAW, "disk"));
	ASSERT_PASS(check_entry("tree.nspawn", S_IFREG | 0644, -ENOENT, 0, NULL));
	ASSERT_PASS(check_entry("link", S_IFLNK | 0777, -ENOENT, 0, NULL));
	ASSERT_PASS(check_entry(".raw", S_IFREG | 0644, -ENOENT, 0, NULL));
	ASSERT_PASS(check_entry(".#tree1234", S_IFDIR | 0700, -ENOENT, 0, NULL));
	ASSERT_PASS(check_entry(".#disk.raw", S_IFREG | 0600, -ENOENT, 0, NULL));
	ASSERT_PASS(check_entry("fifo.raw", S_IFIFO | 0644, -ENOENT, 0, NULL));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(image_from_entry), TEST_ENTRY(directory_and_raw), TEST_ENTRY(precedence), TEST_ENTRY(wrong_kinds_skipped),
	   TEST_ENTRY(hidden_ignored), TEST_ENTRY(invalid_names), TEST_ENTRY(missing_search_dirs),
	   TEST_ENTRY(empty_path), TEST_ENTRY(default_search_path))
