/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "macro.h"

#define READ_FULL_MAX (4U * 1024U * 1024U)

int read_full_fd(int fd, char **ret, size_t *ret_size) {
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, alloc = 0;

	for (;;) {
		ssize_t n;
		if (size + 1 >= alloc) {
			char *nb;
			if (alloc >= READ_FULL_MAX)
				return -EFBIG;
			alloc = alloc ? alloc * 2 : 4096;
			nb = realloc(buf, alloc);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + size, alloc - size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size += n;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[size] = 0;
	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int read_full_file_at(int dir_fd, const char *path, char **ret, size_t *ret_size) {
	_cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_full_fd(fd, ret, ret_size);
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
	return read_full_file_at(AT_FDCWD, path, ret, ret_size);
}

ssize_t read_file_start(const char *path, char *buf, size_t size) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

int read_one_line_file(const char *path, char **ret) {
	char *s;
	int r = read_full_file(path, &s, NULL);
	if (r < 0)
		return r;
	s[strcspn(s, "\n")] = 0;
	*ret = s;
	return 0;
}

int write_file_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode) {
	_cleanup_close_ int fd = -EBADF;

	fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	return loop_write(fd, data, size);
}

int write_string_file(const char *path, const char *s) {
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(s);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t) len)
		return errno > 0 ? -errno : -EIO;
	return 0;
}
