/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A loop device attached to an image with autoclear: the kernel detaches it when the last open fd
 * and the last mount of it are gone, so a killed process leaks nothing. */
typedef struct LoopDevice {
	int fd;      /* holds the device until the partitions are mounted */
	int nr;      /* /dev/loopNR */
	char path[32];
} LoopDevice;

#define LOOP_DEVICE_INIT { .fd = -EBADF, .nr = -1 }

/* Attaches size bytes at offset of the image open on image_fd (size 0: all of it) to a free loop
 * device, read-only if asked, with direct I/O where the backing file allows it, and with the
 * partitions scanned (/dev/loopNpM) if partscan. */
int loop_device_attach(int image_fd, uint64_t offset, uint64_t size, bool read_only, bool partscan,
		       LoopDevice *ret);

/* Writes the path of partition partno of d to ret and waits until the node exists (devtmpfs makes
 * it shortly after the scan). -EOPNOTSUPP when the kernel made no such partition: it has no
 * support for the table. */
int loop_device_partition_path(const LoopDevice *d, int partno, char *ret, size_t size);

/* The device of partition partno (size bytes at offset of the image open on image_fd) of d, which
 * is attached to that image: d's partition where the kernel scanned the table, else a loop device
 * of its own over the partition's range, attached to ret_part (read-only if asked). */
int loop_device_partition(const LoopDevice *d, int image_fd, int partno, uint64_t offset, uint64_t size,
			  bool read_only, LoopDevice *ret_part, char *ret, size_t ret_size);

void loop_device_done(LoopDevice *d);
