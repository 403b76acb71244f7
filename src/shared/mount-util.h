/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Bind mounts src (with its submounts) on dst, read-only if asked (all of it, submounts too). */
int mount_bind(const char *src, const char *dst, bool read_only);
/* Makes the mount at path read-only, with its submounts if recursive. */
int mount_make_read_only(const char *path, bool recursive);
/* Gives dst the mode and ownership of src. */
int mount_copy_attributes(const char *src, const char *dst);

/* A detached copy of the mount tree at path (open_tree with OPEN_TREE_CLONE): taken before
 * pivot_root, it can be attached inside the container later with mount_attach(). */
int mount_clone_detached(const char *path);
int mount_attach(int tree_fd, const char *target);
