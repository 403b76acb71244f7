/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Closes every fd but those in keep (negative entries ignored), so nothing of the caller's leaks
 * into a container or a helper process. */
int close_all_fds_except(const int *keep, size_t n_keep);
/* Closes fd if it is one; returns -EBADF to store back: fd = safe_close(fd). */
int safe_close(int fd);
/* Moves fd to target (dup2 without O_CLOEXEC), closing the original. */
int fd_move_to(int fd, int target);
int fd_set_nonblock(int fd, bool nonblock);
/* Writes all n bytes, retrying short writes and EINTR; returns 0 or -errno. */
int loop_write(int fd, const void *buf, size_t n);
