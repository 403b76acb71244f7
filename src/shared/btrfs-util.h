/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* btrfs subvolumes, which image directories may be: cloned as snapshots (instantly, sharing all
 * data) and made read-only with the subvolume's own flag. */

/* Whether the directory open as fd is the top of a btrfs subvolume. */
bool btrfs_is_subvolume(int fd);
/* Snapshots the subvolume open as src_fd to name in the directory dst_dir_fd, read-only if asked.
 * -EXDEV when they are on different file systems. */
int btrfs_snapshot(int src_fd, int dst_dir_fd, const char *name, bool read_only);
/* 1 if the subvolume open as fd is read-only, 0 if not, or -errno. */
int btrfs_subvolume_get_read_only(int fd);
int btrfs_subvolume_set_read_only(int fd, bool read_only);
