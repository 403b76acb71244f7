/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tar-extract.h: crafted archives unpack as recorded, and hostile ones land nothing outside. */
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "tar-extract.h"
#include "tar-write.h"
#include "tests.h"

/* An archive built in memory, block by block. */
typedef struct Archive {
	uint8_t buf[64 * 512];
	size_t n, off;
} Archive;

static ssize_t archive_read(void *userdata, void *buf, size_t n) {
	Archive *a = userdata;
	size_t k = MIN(n, a->n - a->off);

	memcpy(buf, a->buf + a->off, k);
	a->off += k;
	return (ssize_t) k;
}

static void add_header(Archive *a, const char *name, char type, const char *link, size_t size,
		       unsigned mode) {
	uint8_t *h = a->buf + a->n;
	unsigned sum = 0;

	memset(h, 0, 512);
	strncpy((char *) h, name, 100);
	snprintf((char *) h + 100, 8, "%07o", mode);
	snprintf((char *) h + 108, 8, "%07o", 0u);
	snprintf((char *) h + 116, 8, "%07o", 0u);
	snprintf((char *) h + 124, 12, "%011o", (unsigned) (size & 07777777));
	snprintf((char *) h + 136, 12, "%011o", 1000000000u);
	h[156] = (uint8_t) type;
	if (link)
		strncpy((char *) h + 157, link, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *) h + 148, 8, "%06o", sum);
	a->n += 512;
}

static void add_data(Archive *a, const char *data, size_t size) {
	memset(a->buf + a->n, 0, (size + 511) / 512 * 512);
	memcpy(a->buf + a->n, data, size);
	a->n += (size + 511) / 512 * 512;
}

static void add_file(Archive *a, const char *name, const char *data) {
	add_header(a, name, '0', NULL, strlen(data), 0640);
	add_data(a, data, strlen(data));
}

static void add_end(Archive *a) {
	memset(a->buf + a->n, 0, 1024);
	a->n += 1024;
}

typedef struct Tree {
	char *tmp;   /* holds root/ and outside/ */
	int tmp_fd, root_fd;
} Tree;

static void tree_done(Tree *t) {
	closep(&t->root_fd);
	closep(&t->tmp_fd);
	tmpdir_cleanup(&t->tmp);
}
#define _cleanup_tree_ _cleanup_(tree_done)

static int tree_make(Tree *t) {
	*t = (Tree) { .tmp_fd = -EBADF, .root_fd = -EBADF };
	ASSERT_NOT_NULL(t->tmp = tests_mkdtemp());
	ASSERT_SYS(t->tmp_fd = open(t->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(t->tmp_fd, "root", 0755));
	ASSERT_SYS(mkdirat(t->tmp_fd, "outside", 0755));
	ASSERT_OK(tests_write_file(t->tmp_fd, "outside/secret", "host\n", 0600));
	ASSERT_SYS(t->root_fd = openat(t->tmp_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
	return 0;
}

static int extract(Tree *t, Archive *a, char **ret_bad) {
	TarExtract x = { .read = archive_read, .userdata = a };
	int r = tar_extract(t->root_fd, &x);

	if (ret_bad)
		*ret_bad = x.bad_entry;
	else
		free(x.bad_entry);
	return r;
}

/* Entries of every kind land with their modes, times and contents. */
static int test_kinds(void) {
	_cleanup_tree_ Tree t = {};
	_cleanup_free_ Archive *a = calloc(1, sizeof(Archive));
	char buf[64] = {};
	struct stat st;
	int fd;

	ASSERT_PASS(tree_make(&t));
	add_header(a, "./", '5', NULL, 0, 0755);
	add_header(a, "./etc/", '5', NULL, 0, 0750);
	add_file(a, "./etc/hostname", "box\n");
	add_header(a, "./etc/name-link", '1', "./etc/hostname", 0, 0);
	add_header(a, "./etc/sym", '2', "/etc/hostname", 0, 0777);
	add_header(a, "./fifo", '6', NULL, 0, 0600);
	add_header(a, "./etc/hostname2", '0', NULL, 0, 04755);
	add_end(a);
	ASSERT_OK(extract(&t, a, NULL));

	ASSERT_SYS(fstatat(t.root_fd, "etc", &st, 0));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ_INT(st.st_mode & 07777, 0750);
	/* The directory's recorded time, although entries were made in it after it. */
	ASSERT_EQ_INT(st.st_mtime, 1000000000);
	ASSERT_SYS(fstatat(t.root_fd, "etc/hostname", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ_INT(st.st_mode & 07777, 0640);
	ASSERT_EQ_INT(st.st_mtime, 1000000000);
	ASSERT_EQ_INT(st.st_nlink, 2);
	ASSERT_SYS(fd = openat(t.root_fd, "etc/name-link", O_RDONLY | O_CLOEXEC));
	ASSERT_EQ_INT(read(fd, buf, sizeof buf - 1), 4);
	close(fd);
	ASSERT_STREQ(buf, "box\n");
	ASSERT_EQ_INT(readlinkat(t.root_fd, "etc/sym", buf, sizeof buf), 13);
	ASSERT_SYS(fstatat(t.root_fd, "fifo", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_SYS(fstatat(t.root_fd, "etc/hostname2", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ_INT(st.st_mode & 07777, 04755);
	return 0;
}

/* GNU long names and pax paths name entries longer than the 100-byte field. */
static int test_long_names(void) {
	_cleanup_tree_ Tree t = {};
	_cleanup_free_ Archive *a = calloc(1, sizeof(Archive));
	char longname[300], pax[400];
	struct stat st;

	ASSERT_PASS(tree_make(&t));
	memset(longname, 'a', 150);
	strcpy(longname + 150, "/gnu");
	add_header(a, longname, '5', NULL, 0, 0755); /* truncated to 100: its own long name below */
	a->n -= 512;
	add_header(a, "././@LongLink", 'L', NULL, strlen(longname), 0);
	add_data(a, longname, strlen(longname));
	add_file(a, "short-name-replaced", "gnu\n");
	memset(longname, 'a', 150);
	longname[150] = 0;
	/* The length counts itself: 3 digits + " path=" + name + "/pax\n". */
	snprintf(pax, sizeof pax, "%zu path=%s/pax\n", strlen(longname) + 3 + 6 + 5, longname);
	add_header(a, "PaxHeaders/x", 'x', NULL, strlen(pax), 0);
	add_data(a, pax, strlen(pax));
	add_file(a, "also-replaced", "pax\n");
	add_end(a);
	ASSERT_SYS(mkdirat(t.root_fd, longname, 0755));
	ASSERT_OK(extract(&t, a, NULL));
	snprintf(pax, sizeof pax, "%s/pax", longname);
	ASSERT_SYS(fstatat(t.root_fd, pax, &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	snprintf(pax, sizeof pax, "%s/gnu", longname);
	ASSERT_SYS(fstatat(t.root_fd, pax, &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ_INT(st.st_size, 4);
	ASSERT_ERR(fstatat(t.root_fd, "short-name-replaced", &st, 0) < 0 ? -errno : 0, -ENOENT);
	return 0;
}

/* Each hostile archive fails with -EXDEV naming its entry, and nothing appears outside root/. */
static int hostile(const char *expect_bad, void (*build)(Archive *a)) {
	_cleanup_tree_ Tree t = {};
	_cleanup_free_ Archive *a = calloc(1, sizeof(Archive));
	_cleanup_free_ char *bad = NULL;
	char buf[16] = {};
	struct stat st;
	int fd;

	ASSERT_PASS(tree_make(&t));
	build(a);
	add_end(a);
	ASSERT_ERR(extract(&t, a, &bad), -EXDEV);
	ASSERT_STREQ(bad, expect_bad);
	ASSERT_ERR(fstatat(t.tmp_fd, "outside/x", &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0, -ENOENT);
	ASSERT_ERR(fstatat(t.tmp_fd, "x", &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0, -ENOENT);
	ASSERT_SYS(fd = openat(t.tmp_fd, "outside/secret", O_RDONLY | O_CLOEXEC));
	ASSERT_EQ_INT(read(fd, buf, sizeof buf), 5);
	close(fd);
	ASSERT_STREQ(buf, "host\n");
	ASSERT_SYS(fstatat(t.tmp_fd, "outside/secret", &st, 0));
	ASSERT_EQ_INT(st.st_nlink, 1);
	return 0;
}

static void build_dotdot(Archive *a) {
	add_file(a, "./ok", "fine\n");
	add_file(a, "./sub/../../x", "escape\n");
}

static void build_absolute(Archive *a) {
	add_file(a, "/x", "escape\n");
}

static void build_pivot(Archive *a) {
	add_header(a, "./pivot", '2', "../outside", 0, 0777);
	add_file(a, "./pivot/x", "escape\n");
}

static void build_pivot_abs(Archive *a) {
	add_header(a, "./pivot", '2', "/", 0, 0777);
	add_file(a, "./pivot/x", "escape\n");
}

static void build_hardlink_up(Archive *a) {
	add_header(a, "./shadow", '1', "../outside/secret", 0, 0);
}

static void build_hardlink_abs(Archive *a) {
	add_header(a, "./shadow", '1', "/etc/shadow", 0, 0);
}

static void build_hardlink_via_symlink(Archive *a) {
	add_header(a, "./pivot", '2', "../outside", 0, 0777);
	add_header(a, "./shadow", '1', "./pivot/secret", 0, 0);
}

static int test_hostile(void) {
	ASSERT_PASS(hostile("./sub/../../x", build_dotdot));
	ASSERT_PASS(hostile("/x", build_absolute));
	ASSERT_PASS(hostile("pivot/x", build_pivot));
	ASSERT_PASS(hostile("pivot/x", build_pivot_abs));
	ASSERT_PASS(hostile("shadow", build_hardlink_up));
	ASSERT_PASS(hostile("shadow", build_hardlink_abs));
	ASSERT_PASS(hostile("shadow", build_hardlink_via_symlink));
	return 0;
}

/* A bad checksum and a stream cut inside a file are malformed, not a short success. */
static int test_malformed(void) {
	_cleanup_tree_ Tree t = {};
	_cleanup_free_ Archive *a = calloc(1, sizeof(Archive));

	ASSERT_PASS(tree_make(&t));
	add_file(a, "./f", "data\n");
	a->buf[0] ^= 1;
	add_end(a);
	ASSERT_ERR(extract(&t, a, NULL), -EBADMSG);

	*a = (Archive) {};
	add_header(a, "./g", '0', NULL, 4096, 0644);
	add_data(a, "short", 5);
	ASSERT_ERR(extract(&t, a, NULL), -EBADMSG);
	return 0;
}

/* What tar_write_tree() writes, tar_extract() unpacks to the same tree. */
static int test_roundtrip(void) {
	_cleanup_tree_ Tree t = {};
	_cleanup_close_ int mem = -EBADF, src = -EBADF;
	char longname[200], buf[64] = {};
	struct stat st, st2;
	int fd;

	ASSERT_PASS(tree_make(&t));
	ASSERT_SYS(mkdirat(t.tmp_fd, "src", 0700));
	ASSERT_SYS(src = openat(t.tmp_fd, "src", O_PATH | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(src, "etc", 0751));
	ASSERT_OK(tests_write_file(src, "etc/os-release", "ID=test\n", 0604));
	ASSERT_SYS(linkat(src, "etc/os-release", src, "etc/again", 0));
	ASSERT_SYS(symlinkat("../../../outside", src, "etc/away"));
	ASSERT_SYS(mkfifoat(src, "fifo", 0620));
	ASSERT_SYS(fchmodat(src, "fifo", 0620, 0));
	memset(longname, 'b', 150);
	longname[150] = 0;
	ASSERT_OK(tests_write_file(src, longname, "long\n", 0644));

	ASSERT_SYS(mem = memfd_create("tar", MFD_CLOEXEC));
	ASSERT_OK(tar_write_tree(src, tar_write_fd, &mem));
	ASSERT_SYS(lseek(mem, 0, SEEK_SET));
	TarExtract x = { .read = tar_read_fd, .userdata = &mem };
	ASSERT_OK(tar_extract(t.root_fd, &x));
	free(x.bad_entry);

	ASSERT_SYS(fstatat(t.root_fd, ".", &st, 0));
	ASSERT_EQ_INT(st.st_mode & 07777, 0700);
	ASSERT_SYS(fstatat(t.root_fd, "etc", &st, 0));
	ASSERT_EQ_INT(st.st_mode & 07777, 0751);
	ASSERT_SYS(fstatat(t.root_fd, "etc/os-release", &st, 0));
	ASSERT_SYS(fstatat(src, "etc/os-release", &st2, 0));
	ASSERT_EQ_INT(st.st_mode & 07777, 0604);
	ASSERT_EQ_INT(st.st_mtime, st2.st_mtime);
	ASSERT_EQ_INT(st.st_nlink, 2);
	ASSERT_EQ_INT(readlinkat(t.root_fd, "etc/away", buf, sizeof buf), 16);
	ASSERT_SYS(fstatat(t.root_fd, "fifo", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ_INT(st.st_mode & 07777, 0620);
	ASSERT_SYS(fd = openat(t.root_fd, longname, O_RDONLY | O_CLOEXEC));
	memset(buf, 0, sizeof buf);
	ASSERT_EQ_INT(read(fd, buf, sizeof buf), 5);
	close(fd);
	ASSERT_STREQ(buf, "long\n");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(roundtrip), TEST_ENTRY(kinds), TEST_ENTRY(long_names), TEST_ENTRY(hostile), TEST_ENTRY(malformed))
