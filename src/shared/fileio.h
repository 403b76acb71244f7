/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads a whole file (at most 4 MiB) into a NUL-terminated buffer. dir_fd may be AT_FDCWD. */
int read_full_fd(int fd, char **ret, size_t *ret_size);
int read_full_file_at(int dir_fd, const char *path, char **ret, size_t *ret_size);
int read_full_file(const char *path, char **ret, size_t *ret_size);
/* Reads what one read() gives of a file, at most size - 1 bytes, into buf and NUL-terminates it:
 * without allocating, for small files and /proc files read by a process that shares its
 * parent's memory. Returns the length, or -errno. */
ssize_t read_file_start(const char *path, char *buf, size_t size);
/* Reads the first line, without its newline. */
int read_one_line_file(const char *path, char **ret);

/* Writes data to a file created (or truncated) with mode, without following a final symlink. */
int write_file_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode);
int write_string_file(const char *path, const char *s);
