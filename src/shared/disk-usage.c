/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <search.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "disk-usage.h"
#include "macro.h"

typedef struct Walk {
	DiskUsage usage;
	dev_t dev;
	void *seen; /* tsearch() tree of the struct stat of files with several links */
} Walk;

static int compare_inode(const void *a, const void *b) {
	const struct stat *x = a, *y = b;

	if (x->st_dev != y->st_dev)
		return x->st_dev < y->st_dev ? -1 : 1;
	return x->st_ino < y->st_ino ? -1 : x->st_ino > y->st_ino;
}

/* Counts st unless it is a further link of a file counted already. */
static int add(Walk *w, const struct stat *st) {
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		struct stat *copy = malloc(sizeof *copy);
		void *found;

		if (!copy)
			return -ENOMEM;
		*copy = *st;
		found = tsearch(copy, &w->seen, compare_inode);
		if (!found) {
			free(copy);
			return -ENOMEM;
		}
		if (*(struct stat **) found != copy) {
			free(copy);
			return 0;
		}
	}
	w->usage.allocated += (uint64_t) st->st_blocks * 512;
	if (S_ISREG(st->st_mode))
		w->usage.data += (uint64_t) st->st_size;
	return 0;
}

static int walk_dir(Walk *w, int fd) {
	DIR *d = fdopendir(fd);
	int r = 0;

	if (!d) {
		close(fd);
		return -errno;
	}
	for (struct dirent *de; r >= 0 && (de = readdir(d));) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = errno == ENOENT ? 0 : -errno; /* removed meanwhile */
			continue;
		}
		/* A mount point counts as an empty directory, as a copy makes it. */
		if (st.st_dev != w->dev)
			continue;
		r = add(w, &st);
		if (r >= 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? -errno : walk_dir(w, sub);
		}
	}
	closedir(d);
	return r;
}

int disk_usage_fd(int fd, DiskUsage *ret) {
	Walk w = {};
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	w.dev = st.st_dev;
	r = add(&w, &st);
	if (r >= 0 && S_ISDIR(st.st_mode)) {
		int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dup_fd < 0 ? -errno : walk_dir(&w, dup_fd);
	}
	tdestroy(w.seen, free);
	if (r < 0)
		return r;
	*ret = w.usage;
	return 0;
}
