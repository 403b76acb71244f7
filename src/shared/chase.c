/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chase.h"
#include "macro.h"

/* Symlinks followed, and steps taken, before a path counts as a loop. */
#define CHASE_STEPS_MAX 256

static int open_in_root(int root_fd, const char *path, int flags, mode_t mode) {
	/* RESOLVE_IN_ROOT also refuses magic links (/proc/PID/root and friends), which could
	 * otherwise jump anywhere. */
	struct open_how how = {
		.flags = (uint64_t) (flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT,
	};
	int fd = (int) syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

int chase_open(int root_fd, const char *path, int flags) {
	return open_in_root(root_fd, path, flags, 0);
}

static int check_type(int fd, ChaseCreate what) {
	struct stat st;

	if (what == CHASE_CREATE_NONE)
		return fd;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (what == CHASE_CREATE_DIRECTORY && !S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	if (what == CHASE_CREATE_FILE && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

/* The component at p[start, end) is missing below parent_fd (what p[0, start) names). If it is a
 * dangling symlink, *p becomes the path through its target; otherwise it is created: a directory
 * when more follows or one is wanted, else a file. */
static int create_component(int parent_fd, char **p, size_t start, size_t end, ChaseCreate what) {
	char target[PATH_MAX], *next = NULL, *path = *p;
	char saved = path[end]; /* '/' when more components follow */
	ssize_t n;
	int r;

	path[end] = 0;
	n = readlinkat(parent_fd, path + start, target, sizeof target - 1);
	path[end] = saved;
	if (n >= 0) {
		target[n] = 0;
		/* A relative target is taken from the link's directory, as the kernel does. */
		if (target[0] == '/')
			r = asprintf(&next, "%s%s", target, path + end);
		else
			r = asprintf(&next, "%.*s/%s%s", (int) start, path, target, path + end);
		if (r < 0)
			return -ENOMEM;
		free(*p);
		*p = next;
		return 0;
	}
	path[end] = 0;
	if (saved || what == CHASE_CREATE_DIRECTORY)
		r = mkdirat(parent_fd, path + start, 0755) < 0 && errno != EEXIST ? -errno : 0;
	else {
		int fd = openat(parent_fd, path + start, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
				0644);
		r = fd < 0 && errno != EEXIST ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	path[end] = saved;
	return r;
}

/* Finds the first missing component of *p and creates it (or follows the dangling symlink there). */
static int create_first_missing(int root_fd, char **p, ChaseCreate what) {
	_cleanup_close_ int parent_fd = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
	char *path = *p;
	size_t start = 0;

	if (parent_fd < 0)
		return parent_fd;
	for (;;) {
		size_t end;
		char saved;
		int fd;

		start += strspn(path + start, "/");
		if (!path[start])
			return -ENOENT; /* everything exists, yet the whole did not: it changed under us */
		end = start + strcspn(path + start, "/");
		saved = path[end];
		path[end] = 0;
		fd = open_in_root(root_fd, path, O_PATH, 0);
		path[end] = saved;
		if (fd == -ENOENT)
			return create_component(parent_fd, p, start, end, what);
		if (fd < 0)
			return fd;
		close(parent_fd);
		parent_fd = fd;
		start = end;
	}
}

int chase_create(int root_fd, const char *path, ChaseCreate what) {
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (unsigned step = 0; step < CHASE_STEPS_MAX; step++) {
		int fd = open_in_root(root_fd, p, O_PATH, 0), r;

		if (fd >= 0)
			return check_type(fd, what);
		if (fd != -ENOENT || what == CHASE_CREATE_NONE)
			return fd;
		r = create_first_missing(root_fd, &p, what);
		if (r < 0)
			return r;
	}
	return -ELOOP;
}
