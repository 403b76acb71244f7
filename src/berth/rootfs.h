/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* Where the container's root is assembled, inside the container's own mount namespace: a tmpfs
 * mounted here holds the root mount point and, for overlays, the upper and work directories. The
 * directory exists on the host (empty); nothing is ever mounted on it in the host's namespace. */
#define ROOTFS_STAGING_DIR "/run/berth/staging"

/* In the container's mount namespace: mounts the root for the settings' mode (a bind of the
 * tree, read-only or not; an overlay over it for --ephemeral and --volatile=overlay; a tmpfs with
 * the tree's /usr for --volatile=yes; a read-only tree with a tmpfs /var for --volatile=state) at
 * ROOTFS_STAGING_DIR/root and returns that path. Never writes to the tree in the overlay and
 * volatile modes. tree_fd, when not negative, is the tree as a detached id-mapped mount, which is
 * used instead of the tree's path. */
int rootfs_setup(const Settings *s, const char *tree, int tree_fd, char **ret_root);

/* Makes root the process's root directory and detaches the host's tree. */
int rootfs_pivot(const char *root);
