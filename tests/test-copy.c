/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy_tree() and rm_rf_at() on a real filesystem ($TMPDIR, else /var/tmp). As root the copy's
 * owners and device nodes are checked too; without root those parts are left out (and say so). */
#include <dirent.h>
#include <sys/capability.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "copy.h"
#include "tests.h"

#define UID_A 1234
#define GID_A 5678
#define UID_B 4321
#define GID_B 8765

static const struct timespec file_time = { .tv_sec = 1234567890, .tv_nsec = 123456789 };
static const struct timespec dir_time = { .tv_sec = 1111111111, .tv_nsec = 222222222 };
static const struct timespec link_time = { .tv_sec = 1000000000, .tv_nsec = 1 };

static bool is_root(void) {
	return geteuid() == 0;
}

static int set_times(int dir_fd, const char *name, const struct timespec *t, int flags) {
	struct timespec times[2] = { *t, *t };
	return utimensat(dir_fd, name, times, flags);
}

static bool same_time(const struct timespec *a, const struct timespec *b) {
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether the filesystem under dir_fd takes user.* xattrs (ext4 and tmpfs do). */
static bool have_user_xattrs(int dir_fd) {
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0 && fsetxattr(fd, "user.berth-probe", "1", 1, 0) >= 0;
	if (ok)
		(void) fremovexattr(fd, "user.berth-probe");
	if (fd >= 0)
		close(fd);
	return ok;
}

static int xattr_set(int dir_fd, const char *name, const char *key, const char *value) {
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsetxattr(fd, key, value, strlen(value), 0);
	close(fd);
	return r;
}

/* The value of key on name, or NULL (and errno) when it has none. */
static char *xattr_get(int dir_fd, const char *name, const char *key) {
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = calloc(1, 256);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	n = fgetxattr(fd, key, buf, 255);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char big_data[300 * 1024];

/* src/ with one of each kind of entry; returns the bytes of regular file data in it. */
static int make_source(int base_fd, bool xattrs, size_t *ret_bytes) {
	_cleanup_close_ int src = -EBADF;

	for (size_t i = 0; i < sizeof big_data; i++)
		big_data[i] = (char) ('a' + (i * 7 + i / 1000) % 26);
	big_data[sizeof big_data - 1] = 0;

	ASSERT_SYS(mkdirat(base_fd, "src", 0755));
	ASSERT_SYS(src = openat(base_fd, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_OK(tests_write_file(src, "file", "hello\n", 0640));
	ASSERT_OK(tests_write_file(src, "empty", "", 0600));
	ASSERT_OK(tests_write_file(src, "big", big_data, 0644));
	ASSERT_OK(tests_write_file(src, "suid", "#!/bin/sh\n", 0755));
	ASSERT_SYS(mkdirat(src, "sub", 0755));
	ASSERT_SYS(mkdirat(src, "sub/deeper", 0755));
	ASSERT_OK(tests_write_file(src, "sub/deeper/leaf", "leaf\n", 0644));
	/* A read-only directory with something in it: its mode must come after its contents. */
	ASSERT_SYS(mkdirat(src, "ro", 0755));
	ASSERT_OK(tests_write_file(src, "ro/inside", "inside\n", 0444));
	ASSERT_SYS(fchmodat(src, "ro", 0555, 0));

	ASSERT_SYS(symlinkat("file", src, "link"));
	ASSERT_SYS(symlinkat("/etc/passwd", src, "abs-link"));
	ASSERT_SYS(symlinkat("../../nowhere", src, "sub/dangling"));
	ASSERT_SYS(symlinkat("sub", src, "dir-link"));

	ASSERT_OK(tests_write_file(src, "hard1", "linked\n", 0644));
	ASSERT_SYS(linkat(src, "hard1", src, "sub/hard2", 0));
	ASSERT_SYS(mkfifoat(src, "fifo", 0620));
	ASSERT_SYS(fchmodat(src, "fifo", 0620, 0));

	if (is_root()) {
		ASSERT_SYS(fchownat(src, "file", UID_A, GID_A, 0));
		ASSERT_SYS(fchownat(src, "suid", UID_A, GID_A, 0));
		ASSERT_SYS(fchmodat(src, "suid", 04755, 0));
		ASSERT_SYS(fchownat(src, "sub", UID_B, GID_B, 0));
		ASSERT_SYS(fchownat(src, "link", UID_B, GID_A, AT_SYMLINK_NOFOLLOW));
		ASSERT_SYS(fchownat(src, "fifo", UID_A, GID_B, AT_SYMLINK_NOFOLLOW));
		ASSERT_SYS(fchownat(src, "hard1", UID_B, GID_B, 0));
		ASSERT_SYS(mknodat(src, "null", S_IFCHR | 0666, makedev(1, 3)));
		ASSERT_SYS(fchmodat(src, "null", 0666, 0));
		ASSERT_SYS(fchownat(src, "null", UID_A, GID_A, AT_SYMLINK_NOFOLLOW));
		ASSERT_SYS(set_times(src, "null", &link_time, 0));
		ASSERT_SYS(fchownat(base_fd, "src", UID_A, GID_B, 0));
	}
	ASSERT_SYS(fchmodat(base_fd, "src", 0750, 0));

	if (xattrs) {
		ASSERT_SYS(xattr_set(src, "file", "user.berth", "file-value"));
		ASSERT_SYS(xattr_set(src, "sub", "user.berth", "dir-value"));
		ASSERT_SYS(xattr_set(src, "hard1", "user.other", ""));
		if (is_root())
			ASSERT_SYS(xattr_set(src, "big", "trusted.berth", "root-only"));
	}

	/* Times last: adding entries changes a directory's mtime. */
	ASSERT_SYS(set_times(src, "file", &file_time, 0));
	ASSERT_SYS(set_times(src, "link", &link_time, AT_SYMLINK_NOFOLLOW));
	ASSERT_SYS(set_times(src, "fifo", &file_time, 0));
	ASSERT_SYS(set_times(src, "sub/deeper", &dir_time, 0));
	ASSERT_SYS(set_times(src, "sub", &dir_time, 0));
	ASSERT_SYS(set_times(base_fd, "src", &dir_time, 0));

	*ret_bytes = strlen("hello\n") + strlen(big_data) + strlen("#!/bin/sh\n") + strlen("leaf\n") +
		     strlen("inside\n") + strlen("linked\n");
	return 0;
}

/* name is the same kind of thing in both trees, with the same metadata and content. */
static int check_same(int src, int dst, const char *name) {
	struct stat a, b;

	if (fstatat(src, name, &a, AT_SYMLINK_NOFOLLOW) < 0)
		TEST_FAIL("source '%s' missing: %m", name);
	if (fstatat(dst, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		TEST_FAIL("copy of '%s' missing: %m", name);
	if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT))
		TEST_FAIL("'%s': type %o copied as %o", name, a.st_mode & S_IFMT, b.st_mode & S_IFMT);
	/* A symlink's own mode is always 0777 and not settable. */
	if ((a.st_mode & 07777) != (b.st_mode & 07777))
		TEST_FAIL("'%s': mode %04o copied as %04o", name, a.st_mode & 07777, b.st_mode & 07777);
	if (a.st_uid != b.st_uid || a.st_gid != b.st_gid)
		TEST_FAIL("'%s': owner %d:%d copied as %d:%d", name, (int) a.st_uid, (int) a.st_gid,
			  (int) b.st_uid, (int) b.st_gid);
	if (!same_time(&a.st_mtim, &b.st_mtim))
		TEST_FAIL("'%s': mtime %lld.%09ld copied as %lld.%09ld", name, (long long) a.st_mtim.tv_sec,
			  a.st_mtim.tv_nsec, (long long) b.st_mtim.tv_sec, b.st_mtim.tv_nsec);
	if (S_ISREG(a.st_mode) || S_ISLNK(a.st_mode))
		ASSERT_EQ_INT(a.st_size, b.st_size);
	if (S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode))
		ASSERT_EQ_U64(a.st_rdev, b.st_rdev);
	if (S_ISREG(a.st_mode)) {
		_cleanup_free_ char *x = tests_read_file(src, name), *y = tests_read_file(dst, name);
		ASSERT_NOT_NULL(x);
		ASSERT_NOT_NULL(y);
		if (!streq(x, y))
			TEST_FAIL("'%s': content differs", name);
	}
	if (S_ISLNK(a.st_mode)) {
		char x[256] = {}, y[256] = {};
		ASSERT_SYS(readlinkat(src, name, x, sizeof x - 1));
		ASSERT_SYS(readlinkat(dst, name, y, sizeof y - 1));
		ASSERT_STREQ(x, y);
	}
	return 0;
}

/* Names of dir's entries, sorted, as "a,b,c". */
static char *list_dir(int dir_fd, const char *name) {
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **entries;
	char *buf = calloc(1, 4096);
	size_t n = 0;
	int k;
	DIR *d;

	if (fd < 0 || !buf || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	k = scandirat(dirfd(d), ".", &entries, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		if (!streq(entries[i]->d_name, ".") && !streq(entries[i]->d_name, ".."))
			n += snprintf(buf + n, 4096 - n, "%s%s", n ? "," : "", entries[i]->d_name);
		free(entries[i]);
	}
	if (k >= 0)
		free(entries);
	closedir(d);
	return buf;
}

static int check_copy(int base_fd, const char *dst_name, bool xattrs) {
	static const char *const names[] = {
		".", "file", "empty", "big", "suid", "sub", "sub/deeper", "sub/deeper/leaf", "ro",
		"ro/inside", "link", "abs-link", "sub/dangling", "dir-link", "hard1", "sub/hard2", "fifo",
	};
	_cleanup_close_ int src = -EBADF, dst = -EBADF;
	_cleanup_free_ char *ls_src = NULL, *ls_dst = NULL, *ls_sub_src = NULL, *ls_sub_dst = NULL;
	struct stat a, b, c;

	ASSERT_SYS(src = openat(base_fd, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(dst = openat(base_fd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (check_same(src, dst, names[i]) < 0)
			return -1;
	if (is_root() && check_same(src, dst, "null") < 0)
		return -1;

	/* Nothing more, nothing less. */
	ls_src = list_dir(src, ".");
	ls_dst = list_dir(dst, ".");
	ASSERT_STREQ(ls_dst, ls_src);
	ls_sub_src = list_dir(src, "sub");
	ls_sub_dst = list_dir(dst, "sub");
	ASSERT_STREQ(ls_sub_dst, ls_sub_src);

	/* The hardlinked pair is one file in the copy too, and not the source's. */
	ASSERT_SYS(fstatat(dst, "hard1", &a, 0));
	ASSERT_SYS(fstatat(dst, "sub/hard2", &b, 0));
	ASSERT_SYS(fstatat(src, "hard1", &c, 0));
	ASSERT_EQ_U64(a.st_ino, b.st_ino);
	ASSERT_EQ_INT(a.st_nlink, 2);
	ASSERT_NE_INT(a.st_ino, c.st_ino);
	/* Files with one link are not merged. */
	ASSERT_SYS(fstatat(dst, "file", &a, 0));
	ASSERT_EQ_INT(a.st_nlink, 1);

	if (is_root()) {
		/* The setuid bit survives the chown that clears it. */
		ASSERT_SYS(fstatat(dst, "suid", &a, 0));
		ASSERT_EQ_INT(a.st_mode & 07777, 04755);
		ASSERT_EQ_INT(a.st_uid, UID_A);
	}

	if (xattrs) {
		_cleanup_free_ char *x = xattr_get(dst, "file", "user.berth"),
				    *y = xattr_get(dst, "sub", "user.berth"),
				    *z = xattr_get(dst, "sub/hard2", "user.other");
		ASSERT_STREQ(x, "file-value");
		ASSERT_STREQ(y, "dir-value");
		ASSERT_STREQ(z, "");
		if (is_root()) {
			_cleanup_free_ char *t = xattr_get(dst, "big", "trusted.berth");
			ASSERT_STREQ(t, "root-only");
		}
	}
	return 0;
}

/* Called as the copy goes: the count only ever grows. */
static void count_updates(const CopyProgress *p, void *userdata) {
	uint64_t *last = userdata;

	if (p->bytes_done > *last)
		*last = p->bytes_done;
	else
		*last = UINT64_MAX; /* went backwards or stood still: wrong */
}

static int test_copy_tree(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *src = NULL, *dst = NULL, *dst2 = NULL, *ls = NULL;
	uint64_t last_update = 0;
	CopyProgress progress = { .update = count_updates, .userdata = &last_update }, progress2 = {};
	size_t bytes;
	bool xattrs;

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	xattrs = have_user_xattrs(base_fd);
	if (!xattrs)
		fprintf(stderr, "%s has no user xattrs: not checking them\n", base);
	if (!is_root())
		fprintf(stderr, "Not root: owners and device nodes are not checked\n");
	ASSERT_PASS(make_source(base_fd, xattrs, &bytes));

	ASSERT_TRUE(asprintf(&src, "%s/src", base) >= 0);
	ASSERT_TRUE(asprintf(&dst, "%s/dst", base) >= 0);
	ASSERT_OK(copy_tree(src, dst, 0, &progress));
	ASSERT_PASS(check_copy(base_fd, "dst", xattrs));
	/* Each file's data once: the second link of a file is not copied again. */
	ASSERT_EQ_U64(progress.bytes_done, bytes);
	ASSERT_EQ_U64(progress.bytes_shared, 0);
	/* The caller heard of every step, the last one at the end. */
	ASSERT_EQ_U64(last_update, bytes);

	/* With reflinks asked for, where the filesystem has none, the copy is made anyway; a trailing
	 * slash on the destination is fine. */
	ASSERT_TRUE(asprintf(&dst2, "%s/dst2/", base) >= 0);
	ASSERT_OK(copy_tree(src, dst2, COPY_REFLINK | COPY_SAME_MOUNT, &progress2));
	ASSERT_PASS(check_copy(base_fd, "dst2", xattrs));
	ASSERT_EQ_U64(progress2.bytes_done, bytes);

	/* No temporary copies are left next to them. */
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "dst,dst2,src");

	/* Without a progress counter. */
	_cleanup_free_ char *dst3 = NULL;
	ASSERT_TRUE(asprintf(&dst3, "%s/dst3", base) >= 0);
	ASSERT_OK(copy_tree(src, dst3, 0, NULL));
	ASSERT_PASS(check_copy(base_fd, "dst3", xattrs));
	return 0;
}

/* An existing destination, of any kind, is refused and left as it was. */
static int test_destination_exists(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *src = NULL, *dst = NULL, *file = NULL, *link = NULL, *ls = NULL,
			    *content = NULL, *ls_dst = NULL;
	char target[64] = {};

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "src", 0755));
	ASSERT_OK(tests_write_file(base_fd, "src/new", "new\n", 0644));
	ASSERT_SYS(mkdirat(base_fd, "dst", 0700));
	ASSERT_OK(tests_write_file(base_fd, "dst/old", "old\n", 0600));
	ASSERT_OK(tests_write_file(base_fd, "file", "file\n", 0600));
	ASSERT_SYS(symlinkat("nowhere", base_fd, "link"));

	ASSERT_TRUE(asprintf(&src, "%s/src", base) >= 0);
	ASSERT_TRUE(asprintf(&dst, "%s/dst", base) >= 0);
	ASSERT_TRUE(asprintf(&file, "%s/file", base) >= 0);
	ASSERT_TRUE(asprintf(&link, "%s/link", base) >= 0);
	ASSERT_ERR(copy_tree(src, dst, 0, NULL), -EEXIST);
	ASSERT_ERR(copy_tree(src, file, 0, NULL), -EEXIST);
	/* A dangling symlink is there too: nothing is created through it. */
	ASSERT_ERR(copy_tree(src, link, 0, NULL), -EEXIST);

	ls_dst = list_dir(base_fd, "dst");
	ASSERT_STREQ(ls_dst, "old");
	content = tests_read_file(base_fd, "dst/old");
	ASSERT_STREQ(content, "old\n");
	ASSERT_SYS(readlinkat(base_fd, "link", target, sizeof target - 1));
	ASSERT_STREQ(target, "nowhere");
	ASSERT_TRUE(faccessat(base_fd, "nowhere", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "dst,file,link,src");
	return 0;
}

static int test_bad_arguments(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_free_ char *src = NULL, *dst = NULL, *file = NULL, *deep = NULL, *ls = NULL;
	_cleanup_close_ int base_fd = -EBADF;

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "src", 0755));
	ASSERT_OK(tests_write_file(base_fd, "file", "x", 0644));
	ASSERT_TRUE(asprintf(&src, "%s/src", base) >= 0);
	ASSERT_TRUE(asprintf(&dst, "%s/dst", base) >= 0);
	ASSERT_TRUE(asprintf(&file, "%s/file", base) >= 0);
	ASSERT_TRUE(asprintf(&deep, "%s/missing/dst", base) >= 0);

	ASSERT_ERR(copy_tree(file, dst, 0, NULL), -ENOTDIR);
	ASSERT_ERR(copy_tree(dst, file, 0, NULL), -ENOENT);
	ASSERT_ERR(copy_tree(src, deep, 0, NULL), -ENOENT);
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "file,src");
	/* With COPY_FILE, a file is copied as a file, and an existing one is not replaced. */
	ASSERT_OK(copy_tree(file, dst, COPY_FILE, NULL));
	ASSERT_ERR(copy_tree(file, dst, COPY_FILE, NULL), -EEXIST);
	free(ls);
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "dst,file,src");
	return 0;
}

/* Runs copy_tree(src, dst) without the capabilities that let root read any file, so a file of
 * mode 0000 cannot be read; returns what copy_tree() returned. */
static int copy_without_dac(const char *src, const char *dst) {
	pid_t pid;
	int status;

	if (!is_root())
		return copy_tree(src, dst, 0, NULL);

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		static const cap_value_t drop[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
		cap_t caps = cap_get_proc();
		int r;

		if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, ELEMENTSOF(drop), drop, CAP_CLEAR) < 0 ||
		    cap_set_proc(caps) < 0)
			_exit(255);
		cap_free(caps);
		r = copy_tree(src, dst, 0, NULL);
		_exit(r >= 0 ? 0 : r > -255 ? -r : 254);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 254)
		return -EPROTO;
	return -WEXITSTATUS(status);
}

/* A copy that fails halfway leaves neither the destination nor its hidden temporary copy. */
static int test_failure_cleans_up(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *src = NULL, *dst = NULL, *ls = NULL;

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "src", 0755));
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof name, "src/file%02d", i);
		ASSERT_OK(tests_write_file(base_fd, name, "data\n", 0644));
	}
	/* Deep down, so directories of the copy exist when it fails, whatever the order of entries. */
	ASSERT_SYS(mkdirat(base_fd, "src/a", 0755));
	ASSERT_SYS(mkdirat(base_fd, "src/a/b", 0755));
	ASSERT_OK(tests_write_file(base_fd, "src/a/b/before", "x\n", 0644));
	ASSERT_OK(tests_write_file(base_fd, "src/a/b/secret", "secret\n", 0000));
	ASSERT_SYS(fchmodat(base_fd, "src/a/b/secret", 0000, 0));

	ASSERT_TRUE(asprintf(&src, "%s/src", base) >= 0);
	ASSERT_TRUE(asprintf(&dst, "%s/dst", base) >= 0);
	ASSERT_ERR(copy_without_dac(src, dst), -EACCES);
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "src");
	return 0;
}

/* rm_rf_at() removes a whole tree, read-only parts too, and nothing its symlinks point at. */
static int test_rm_rf(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *ls = NULL, *ls_out = NULL, *kept = NULL, *kept2 = NULL;

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "outside", 0755));
	ASSERT_OK(tests_write_file(base_fd, "outside/keep", "keep\n", 0644));
	ASSERT_OK(tests_write_file(base_fd, "outside-file", "keep too\n", 0644));

	ASSERT_SYS(mkdirat(base_fd, "tree", 0755));
	ASSERT_SYS(mkdirat(base_fd, "tree/a", 0755));
	ASSERT_SYS(mkdirat(base_fd, "tree/a/b", 0755));
	ASSERT_SYS(mkdirat(base_fd, "tree/empty", 0755));
	ASSERT_OK(tests_write_file(base_fd, "tree/a/b/file", "x", 0644));
	ASSERT_OK(tests_write_file(base_fd, "tree/top", "x", 0000));
	ASSERT_SYS(mkfifoat(base_fd, "tree/a/fifo", 0600));
	ASSERT_SYS(linkat(base_fd, "tree/top", base_fd, "tree/a/top-link", 0));
	/* Symlinks out of the tree, absolute and relative, to a directory and a file. */
	_cleanup_free_ char *abs_out = NULL;
	ASSERT_TRUE(asprintf(&abs_out, "%s/outside", base) >= 0);
	ASSERT_SYS(symlinkat(abs_out, base_fd, "tree/abs-dir"));
	ASSERT_SYS(symlinkat("../../outside", base_fd, "tree/a/rel-dir"));
	ASSERT_SYS(symlinkat("../outside-file", base_fd, "tree/rel-file"));
	ASSERT_SYS(symlinkat("nowhere", base_fd, "tree/dangling"));
	if (is_root()) {
		/* Only root may remove entries of a read-only directory. */
		ASSERT_SYS(mkdirat(base_fd, "tree/ro", 0755));
		ASSERT_OK(tests_write_file(base_fd, "tree/ro/inside", "x", 0644));
		ASSERT_SYS(fchmodat(base_fd, "tree/ro", 0555, 0));
	}

	ASSERT_OK(rm_rf_at(base_fd, "tree"));
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "outside,outside-file");
	ls_out = list_dir(base_fd, "outside");
	ASSERT_STREQ(ls_out, "keep");
	kept = tests_read_file(base_fd, "outside/keep");
	ASSERT_STREQ(kept, "keep\n");
	kept2 = tests_read_file(base_fd, "outside-file");
	ASSERT_STREQ(kept2, "keep too\n");
	ASSERT_ERR(rm_rf_at(base_fd, "tree"), -ENOENT);
	return 0;
}

/* Given a symlink or a file, rm_rf_at() removes just that. */
static int test_rm_rf_not_a_directory(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *ls = NULL, *ls_dir = NULL;

	ASSERT_NOT_NULL(base);
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "dir", 0755));
	ASSERT_OK(tests_write_file(base_fd, "dir/inside", "x", 0644));
	ASSERT_SYS(symlinkat("dir", base_fd, "link"));
	ASSERT_OK(tests_write_file(base_fd, "file", "x", 0644));

	ASSERT_OK(rm_rf_at(base_fd, "link"));
	ASSERT_OK(rm_rf_at(base_fd, "file"));
	ls = list_dir(base_fd, ".");
	ASSERT_STREQ(ls, "dir");
	ls_dir = list_dir(base_fd, "dir");
	ASSERT_STREQ(ls_dir, "inside");
	return 0;
}

/* Owners in the shifted range move by the offset, users and groups alike; others stay. */
static int test_owner_shift(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_close_ int base_fd = -EBADF;
	_cleanup_free_ char *src = NULL, *dst = NULL;
	const CopyOwnerShift shift = { .from = 0, .to = 0x60000, .range = 65536 };
	struct stat st;

	ASSERT_NOT_NULL(base);
	ASSERT_TRUE(is_root()); /* chown to other owners needs root: the suite runs as root */
	ASSERT_SYS(base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_SYS(mkdirat(base_fd, "src", 0755));
	ASSERT_OK(tests_write_file(base_fd, "src/root", "r\n", 0644));
	ASSERT_OK(tests_write_file(base_fd, "src/user", "u\n", 04755));
	ASSERT_SYS(fchownat(base_fd, "src/user", 1000, 100, 0));
	ASSERT_SYS(fchmodat(base_fd, "src/user", 04755, 0)); /* chown cleared it */
	ASSERT_OK(tests_write_file(base_fd, "src/outside", "o\n", 0644));
	ASSERT_SYS(fchownat(base_fd, "src/outside", 70000, 5, 0));
	ASSERT_SYS(symlinkat("root", base_fd, "src/link"));
	ASSERT_TRUE(asprintf(&src, "%s/src", base) >= 0);
	ASSERT_TRUE(asprintf(&dst, "%s/dst", base) >= 0);
	ASSERT_OK(copy_tree_shifted(src, dst, 0, NULL, &shift));

	ASSERT_SYS(fstatat(base_fd, "dst", &st, 0));
	ASSERT_EQ_U64(st.st_uid, 0x60000);
	ASSERT_SYS(fstatat(base_fd, "dst/root", &st, 0));
	ASSERT_EQ_U64(st.st_uid, 0x60000);
	ASSERT_EQ_U64(st.st_gid, 0x60000);
	ASSERT_SYS(fstatat(base_fd, "dst/user", &st, 0));
	ASSERT_EQ_U64(st.st_uid, 0x60000 + 1000);
	ASSERT_EQ_U64(st.st_gid, 0x60000 + 100);
	ASSERT_EQ_U64(st.st_mode & 07777, 04755);
	ASSERT_SYS(fstatat(base_fd, "dst/outside", &st, 0));
	ASSERT_EQ_U64(st.st_uid, 70000);
	ASSERT_EQ_U64(st.st_gid, 0x60000 + 5);
	ASSERT_SYS(fstatat(base_fd, "dst/link", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ_U64(st.st_uid, 0x60000);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(copy_tree), TEST_ENTRY(owner_shift), TEST_ENTRY(destination_exists), TEST_ENTRY(bad_arguments),
	   TEST_ENTRY(failure_cleans_up), TEST_ENTRY(rm_rf), TEST_ENTRY(rm_rf_not_a_directory))
