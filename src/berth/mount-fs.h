/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nspawn-file.h"

/* Detached mounts with the new mount API: made, changed and attached through file descriptors, so
 * that no path is looked up again between finding a target and mounting on it. */

/* A new file system of type (source names it in mountinfo) as a detached mount: params are
 * "KEY=VALUE" or "FLAG" for fsconfig(2), attrs MOUNT_ATTR_* for the mount. Returns its fd, or -errno
 * with the kernel's explanation, if it gave one, in message (empty otherwise). */
int mount_fs_detached(const char *type, const char *source, char * const *params, unsigned attrs,
		      char *message, size_t size);
/* An overlay of layers (O_PATH fds of directories, the top one first) with upper and work (or
 * without, when upper is negative), as a detached mount. As mount_fs_detached(). */
int mount_overlay_detached(const int *layers, size_t n_layers, int upper, int work, bool read_only,
			   char *message, size_t size);
/* A tmpfs with mount(8)-style options ("mode=0755,size=10M,nosuid"): the file system's own go to
 * tmpfs, ro, nosuid, nodev, noexec, the atime options and nosymfollow (and their opposites) to the
 * mount. As nspawn's --tmpfs=, the mount is nodev and strictatime unless the options say otherwise.
 * libmount (libmount-dl.h) must have been opened before: -ELIBACC otherwise. */
int mount_tmpfs_detached(const char *options, char *message, size_t size);

/* Makes the detached mount tree_fd, with its submounts, read-only. */
int mount_tree_set_read_only(int tree_fd);
/* Maps the IDs of the detached mount tree_fd, with its submounts, as the bind option says, for a
 * container whose root is host ID base (0 without a user namespace of its own; 65536 IDs):
 * "idmap" shows the IDs 0-65535 on disk as the container's own 0-65535, "rootidmap" owner as the
 * container's root; other IDs show as the overflow ID (nobody). The file system must support
 * ID-mapped mounts, and the caller must be privileged over it (not inside the container). */
int mount_tree_idmap(int tree_fd, BindIdmap idmap, uid_t owner, uid_t base);
/* Mounts the detached tree_fd on what target_fd (an O_PATH fd) is. */
int mount_tree_attach(int tree_fd, int target_fd);
