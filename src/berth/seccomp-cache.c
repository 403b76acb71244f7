/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-cache.h"

void seccomp_cache_name(const char *spec, char ret[SECCOMP_CACHE_NAME_SIZE]) {
	sha256_hex(spec, strlen(spec), ret);
	strcpy(ret + SHA256_HEX_SIZE - 1, ".bpf");
}

static int check_owned(const struct stat *st, uid_t owner) {
	if (!S_ISREG(st->st_mode))
		return -EBADFD;
	/* Whoever else could write the file could choose what the container may do. */
	if (st->st_uid != owner || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

int seccomp_cache_check(const struct stat *st, uid_t owner) {
	int r = check_owned(st, owner);

	if (r < 0)
		return r;
	if (st->st_size <= 0 || st->st_size % sizeof(struct sock_filter) != 0 ||
	    st->st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -EBADMSG;
	return 0;
}

static int check_library_record(const struct stat *st, uid_t owner) {
	int r = check_owned(st, owner);

	if (r < 0)
		return r;
	if (st->st_size < 2 || st->st_size >= PATH_MAX)
		return -EBADMSG;
	return 0;
}

/* The whole file name, NUL-terminated, once check() approved of it. */
static int read_checked(int dir_fd, const char *name, uid_t owner, int (*check)(const struct stat *, uid_t),
			char **ret, size_t *ret_size) {
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *data = NULL;
	struct stat st;
	ssize_t n;
	int r;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang berth before the check refuses it. */
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	r = check(&st, owner);
	if (r < 0)
		return r;
	data = malloc(st.st_size + 1);
	if (!data)
		return -ENOMEM;
	/* One read: the size is checked, and the file is only ever replaced, never rewritten. */
	n = read(fd, data, st.st_size);
	if (n < 0)
		return -errno;
	if (n != st.st_size)
		return -EBADMSG;
	data[n] = 0;
	*ret = TAKE_PTR(data);
	*ret_size = (size_t) n;
	return 0;
}

int seccomp_cache_open_dir(const char *path, uid_t owner, int *ret_fd) {
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != owner || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int seccomp_cache_read(int dir_fd, const char *name, uid_t owner, struct sock_filter **ret, size_t *ret_n) {
	char *data;
	size_t size;
	int r = read_checked(dir_fd, name, owner, seccomp_cache_check, &data, &size);

	if (r < 0)
		return r;
	/* malloc()'s memory is aligned for any type. */
	*ret = (struct sock_filter *) (void *) data;
	*ret_n = size / sizeof(struct sock_filter);
	return 0;
}

static int write_all(int fd, const void *data, size_t size) {
	const char *p = data;

	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t) n;
	}
	return 0;
}

/* Readers see the old file or the whole new one. */
static int write_file_atomic(int dir_fd, const char *name, const void *data, size_t size) {
	char tmp[SECCOMP_CACHE_NAME_SIZE + 16];
	_cleanup_close_ int fd = -EBADF;
	int r;

	/* Each writer has its own temporary name; one left by a killed berth of the same PID is stale. */
	snprintf(tmp, sizeof tmp, ".%s.%d", name, (int) getpid());
	(void) unlinkat(dir_fd, tmp, 0);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* The mode must not depend on berth's umask. */
	r = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (r >= 0)
		r = write_all(fd, data, size);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		(void) unlinkat(dir_fd, tmp, 0);
	return r;
}

int seccomp_cache_write(int dir_fd, const char *name, const struct sock_filter *insns, size_t n) {
	return write_file_atomic(dir_fd, name, insns, n * sizeof(struct sock_filter));
}

typedef struct CacheEntry {
	char *name;
	struct timespec mtime;
} CacheEntry;

static int entry_compare_mtime(const void *a, const void *b) {
	const CacheEntry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_program_name(const char *name) {
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && streq(name + n - 4, ".bpf");
}

/* ".<program name>.<PID>", see write_file_atomic(). */
static bool is_temporary_name(const char *name) {
	return name[0] == '.' && strstr(name, ".bpf.");
}

/* The programs' names with their modification times; stale temporary files are removed on the way. */
static int cache_list(int dir_fd, CacheEntry **ret, size_t *ret_n) {
	_cleanup_close_ int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	CacheEntry *entries = NULL;
	size_t n = 0, allocated = 0;
	struct timespec now;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	rewinddir(d);
	clock_gettime(CLOCK_REALTIME, &now);
	while ((de = readdir(d))) {
		struct stat st;

		if ((!is_program_name(de->d_name) && !is_temporary_name(de->d_name)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (is_temporary_name(de->d_name)) {
			if (st.st_mtim.tv_sec + 60 < now.tv_sec)
				(void) unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (n == allocated) {
			size_t a = allocated ? allocated * 2 : 64;
			CacheEntry *p = realloc(entries, a * sizeof *p);
			if (!p)
				break;
			entries = p;
			allocated = a;
		}
		entries[n].name = strdup(de->d_name);
		if (!entries[n].name)
			break;
		entries[n++].mtime = st.st_mtim;
	}
	closedir(d);
	*ret = entries;
	*ret_n = n;
	return 0;
}

int seccomp_cache_prune(int dir_fd, size_t keep) {
	CacheEntry *entries = NULL;
	size_t n = 0;
	int r = cache_list(dir_fd, &entries, &n);

	if (r < 0)
		return r;
	if (n > keep) {
		qsort(entries, n, sizeof *entries, entry_compare_mtime);
		for (size_t i = 0; i < n - keep; i++)
			if (unlinkat(dir_fd, entries[i].name, 0) < 0 && errno != ENOENT && r == 0)
				r = -errno;
	}
	for (size_t i = 0; i < n; i++)
		free(entries[i].name);
	free(entries);
	return r;
}

int seccomp_cache_read_library(int dir_fd, uid_t owner, char **ret_path) {
	_cleanup_free_ char *path = NULL;
	size_t size;
	int r = read_checked(dir_fd, SECCOMP_CACHE_LIBRARY, owner, check_library_record, &path, &size);

	if (r < 0)
		return r;
	if (path[0] != '/' || strlen(path) != size || strchr(path, '\n'))
		return -EBADMSG;
	*ret_path = TAKE_PTR(path);
	return 0;
}

int seccomp_cache_write_library(int dir_fd, const char *path) {
	if (path[0] != '/' || strlen(path) >= PATH_MAX || strchr(path, '\n'))
		return -EINVAL;
	return write_file_atomic(dir_fd, SECCOMP_CACHE_LIBRARY, path, strlen(path));
}

int seccomp_cache_library_id(const char *path, char **ret) {
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if (asprintf(ret, "%s device %u:%u inode %llu size %lld changed %lld.%09ld", path, major(st.st_dev),
		     minor(st.st_dev), (unsigned long long) st.st_ino, (long long) st.st_size,
		     (long long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec) < 0)
		return -ENOMEM;
	return 0;
}
