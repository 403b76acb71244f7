/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-import.h: a complete import appears under its name; a failed one leaves nothing at all. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "image-import.h"
#include "tar-write.h"
#include "tests.h"
#include "xz-util.h"

/* Entries of a directory, "." and ".." aside. */
static int count_entries(int dir_fd) {
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* An archive of a small tree with /etc/os-release saying id, plain or compressed. */
static int make_archive(int tmp_fd, const char *id, bool xz, int *ret) {
	_cleanup_close_ int src = -EBADF, plain = -EBADF, packed = -EBADF;
	char text[64];

	(void) mkdirat(tmp_fd, "src", 0755);
	(void) mkdirat(tmp_fd, "src/etc", 0755);
	ASSERT_SYS(src = openat(tmp_fd, "src", O_PATH | O_DIRECTORY | O_CLOEXEC));
	snprintf(text, sizeof text, "ID=%s\n", id);
	ASSERT_OK(tests_write_file(src, "etc/os-release", text, 0644));
	ASSERT_SYS(plain = memfd_create("plain", MFD_CLOEXEC));
	ASSERT_OK(tar_write_tree(src, tar_write_fd, &plain));
	ASSERT_SYS(lseek(plain, 0, SEEK_SET));
	if (xz) {
		ASSERT_SYS(packed = memfd_create("packed", MFD_CLOEXEC));
		ASSERT_OK(xz_compress_fd(plain, packed));
		ASSERT_SYS(lseek(packed, 0, SEEK_SET));
		*ret = TAKE_FD(packed);
	} else
		*ret = TAKE_FD(plain);
	return 0;
}

static int do_import(int images_fd, const char *name, int in_fd, ImageImportFlags flags, char **ret_bad) {
	ImageImport imp = { .in_fd = in_fd, .flags = flags };
	int r = image_import_tar(images_fd, name, &imp);

	free(imp.tmp_name);
	if (ret_bad)
		*ret_bad = imp.bad_entry;
	else
		free(imp.bad_entry);
	return r;
}

static int test_import(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int tmp_fd = -EBADF, images = -EBADF, in = -EBADF;
	_cleanup_free_ char *text = NULL, *bad = NULL;

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(tmp_fd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(tmp_fd, "images", 0700));
	ASSERT_SYS(images = openat(tmp_fd, "images", O_PATH | O_DIRECTORY | O_CLOEXEC));

	ASSERT_PASS(make_archive(tmp_fd, "plain", false, &in));
	ASSERT_OK(do_import(images, "one", in, 0, NULL));
	ASSERT_NOT_NULL(text = tests_read_file(images, "one/etc/os-release"));
	ASSERT_STREQ(text, "ID=plain\n");
	text = mfree(text);
	in = safe_close(in);

	/* Taken, unless forced; the forced import replaces the tree and leaves nothing hidden. */
	ASSERT_PASS(make_archive(tmp_fd, "xz", true, &in));
	ASSERT_ERR(do_import(images, "one", in, 0, NULL), -EEXIST);
	ASSERT_SYS(lseek(in, 0, SEEK_SET));
	ASSERT_OK(do_import(images, "one", in, IMAGE_IMPORT_FORCE, NULL));
	ASSERT_NOT_NULL(text = tests_read_file(images, "one/etc/os-release"));
	ASSERT_STREQ(text, "ID=xz\n");
	ASSERT_EQ_INT(count_entries(images), 1);
	ASSERT_ERR(do_import(images, "bad/name", in, 0, NULL), -EINVAL);
	in = safe_close(in);

	/* Garbage and a cut .xz stream: errors, and no hidden directory stays behind. */
	ASSERT_SYS(in = memfd_create("junk", MFD_CLOEXEC));
	ASSERT_EQ_INT(write(in, "not a tar archive at all", 24), 24);
	ASSERT_SYS(lseek(in, 0, SEEK_SET));
	ASSERT_ERR(do_import(images, "two", in, 0, &bad), -EBADMSG);
	in = safe_close(in);
	ASSERT_PASS(make_archive(tmp_fd, "cut", true, &in));
	ASSERT_SYS(ftruncate(in, 100));
	ASSERT_ERR(do_import(images, "two", in, 0, NULL), -EBADMSG);
	ASSERT_EQ_INT(count_entries(images), 1);
	return 0;
}

/* A raw image lands as NAME.raw with the bytes given, decompressed when it was .xz. */
static int test_raw(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int images = -EBADF, in = -EBADF, packed = -EBADF;
	_cleanup_free_ char *text = NULL;
	ImageImport imp = {};

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(images = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(in = memfd_create("raw", MFD_CLOEXEC));
	ASSERT_EQ_INT(write(in, "disk bytes\n", 11), 11);
	ASSERT_SYS(lseek(in, 0, SEEK_SET));
	imp.in_fd = in;
	ASSERT_OK(image_import_raw(images, "disk", &imp));
	ASSERT_NOT_NULL(text = tests_read_file(images, "disk.raw"));
	ASSERT_STREQ(text, "disk bytes\n");
	text = mfree(text);

	ASSERT_SYS(lseek(in, 0, SEEK_SET));
	ASSERT_SYS(packed = memfd_create("packed", MFD_CLOEXEC));
	ASSERT_OK(xz_compress_fd(in, packed));
	ASSERT_SYS(lseek(packed, 0, SEEK_SET));
	imp.in_fd = packed;
	ASSERT_ERR(image_import_raw(images, "disk", &imp), -EEXIST);
	imp.flags = IMAGE_IMPORT_FORCE;
	ASSERT_OK(image_import_raw(images, "disk", &imp));
	ASSERT_NOT_NULL(text = tests_read_file(images, "disk.raw"));
	ASSERT_STREQ(text, "disk bytes\n");
	ASSERT_EQ_INT(count_entries(images), 1);

	ASSERT_SYS(ftruncate(packed, 20));
	ASSERT_SYS(lseek(packed, 0, SEEK_SET));
	ASSERT_ERR(image_import_raw(images, "cut", &imp), -EBADMSG);
	ASSERT_EQ_INT(count_entries(images), 1);
	free(imp.bad_entry);
	return 0;
}

/* An image exported as .tar.xz imports back as the same tree. */
static int test_export(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int images = -EBADF, in = -EBADF, one = -EBADF, packed = -EBADF;
	_cleanup_free_ char *text = NULL;
	XzWriter w;
	int r;

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(images = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_PASS(make_archive(images, "exported", false, &in));
	ASSERT_OK(do_import(images, "one", in, 0, NULL));
	ASSERT_SYS(one = openat(images, "one", O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(packed = memfd_create("packed", MFD_CLOEXEC));
	ASSERT_OK(xz_writer_init(&w, packed));
	r = tar_write_tree(one, xz_writer_write, &w);
	if (r >= 0)
		r = xz_writer_finish(&w);
	xz_writer_done(&w);
	ASSERT_OK(r);
	ASSERT_SYS(lseek(packed, 0, SEEK_SET));
	ASSERT_OK(do_import(images, "two", packed, 0, NULL));
	ASSERT_NOT_NULL(text = tests_read_file(images, "two/etc/os-release"));
	ASSERT_STREQ(text, "ID=exported\n");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(import), TEST_ENTRY(raw), TEST_ENTRY(export))
