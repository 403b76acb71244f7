/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"

static int cmp_int(const void *a, const void *b) {
	return *(const int *) a - *(const int *) b;
}

int close_all_fds_except(const int *keep, size_t n_keep) {
	int sorted[16];
	size_t n = 0;
	unsigned from = 0;

	if (n_keep > ELEMENTSOF(sorted))
		return -E2BIG;
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] >= 0)
			sorted[n++] = keep[i];
	qsort(sorted, n, sizeof(int), cmp_int);

	/* close_range over the gaps between the kept fds: one syscall per gap, no /proc needed. */
	for (size_t i = 0; i <= n; i++) {
		unsigned end = i < n ? (unsigned) sorted[i] : ~0U;
		if (end > from && syscall(SYS_close_range, from, i < n ? end - 1 : end, 0) < 0)
			return -errno;
		if (i < n)
			from = (unsigned) sorted[i] + 1;
	}
	return 0;
}

int safe_close(int fd) {
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -EBADF;
}

int fd_move_to(int fd, int target) {
	if (fd == target) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
			return -errno;
		return 0;
	}
	if (dup2(fd, target) < 0)
		return -errno;
	close(fd);
	return 0;
}

int fd_set_nonblock(int fd, bool nonblock) {
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, flags) < 0)
		return -errno;
	return 0;
}

int loop_write(int fd, const void *buf, size_t n) {
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}
