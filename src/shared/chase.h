/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Paths inside a directory tree that may be hostile: every lookup is made with root_fd as "/"
 * (openat2 with RESOLVE_IN_ROOT), so no symlink in the tree, absolute or with "..", and no magic
 * link, can lead out of it. */

/* Opens path (absolute or relative: both are taken from root_fd) with open(2)'s flags; O_CLOEXEC is
 * added. Returns the fd or -errno. */
int chase_open(int root_fd, const char *path, int flags);

typedef enum ChaseCreate {
	CHASE_CREATE_NONE,      /* path must exist */
	CHASE_CREATE_DIRECTORY, /* a missing path is made a directory (0755) */
	CHASE_CREATE_FILE,      /* a missing path is made an empty regular file (0644) */
} ChaseCreate;

/* Opens path as O_PATH, creating it as asked when missing, with its missing parent directories;
 * what a dangling symlink points to is created where the link leads, inside the tree. Returns the
 * fd, or -ENOTDIR / -EISDIR when an existing path is a file where a directory was asked for or the
 * other way round, -ELOOP for too many symlinks, or -errno. */
int chase_create(int root_fd, const char *path, ChaseCreate what);
