/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "dissect.h"
#include "loop-util.h"
#include "settings.h"

/* Where a raw image's partitions are put together, in berth's own mount namespace: a tmpfs
 * mounted here holds the root's mount point. The directory exists on the host (empty); nothing is
 * ever mounted on it in the host's namespace. */
#define IMAGE_RAW_MOUNT_DIR "/run/berth/image"

typedef struct ImageRaw {
	int image_fd;    /* holds the image's lock for the run */
	LoopDevice loop; /* autoclear: detached once its mounts and this fd are gone */
	/* Without the kernel's partition table support, one loop device per partition, over its range */
	LoopDevice parts[_PARTITION_DESIGNATOR_MAX];
} ImageRaw;

#define IMAGE_RAW_INIT { .image_fd = -EBADF, .loop = LOOP_DEVICE_INIT }

/* For --image=: locks the image (exclusively for a writable run, shared for runs that never write
 * to it), dissects it, attaches it to a loop device and mounts its partitions at their places
 * below IMAGE_RAW_MOUNT_DIR/root, in a mount namespace of berth's own that the host never sees
 * and that goes away with berth and its container. Sets s->directory to that root, so the rest of
 * the run treats it as a directory tree. Logs what is wrong. */
int image_raw_setup(Settings *s, ImageRaw *ret);

void image_raw_done(ImageRaw *i);
