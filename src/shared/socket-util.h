/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* One message on a local socket, with one file descriptor riding along (SCM_RIGHTS) when fd >= 0.
 * Returns 0 or -errno; never raises SIGPIPE. */
int send_with_fd(int sock, const void *data, size_t size, int fd);

/* Receives one message of at most size bytes and the descriptor that came with it (close-on-exec),
 * or -EBADF in *ret_fd. Returns the message's length (0 at EOF) or -errno; a message longer than
 * size is -EMSGSIZE. */
ssize_t receive_with_fd(int sock, void *data, size_t size, int *ret_fd);
