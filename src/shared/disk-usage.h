/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* What an image takes: the usage image-status and show-image report, and the total a copy's
 * progress counts towards. */
typedef struct DiskUsage {
	uint64_t allocated; /* bytes of the blocks the inodes take, as du(1) counts them */
	uint64_t data;      /* the sizes of the regular files: what a copy writes */
} DiskUsage;

/* Adds up the tree at fd (a directory, or a regular file alone), counting a file with several
 * links once, and not descending into other mounts. */
int disk_usage_fd(int fd, DiskUsage *ret);
