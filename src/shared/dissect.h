/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "string-table.h"

/* What a partition is for, from its GPT type (Discoverable Partitions Specification), or the single
 * Linux partition of an MBR disk, or the whole image when it holds a bare filesystem. */
typedef enum PartitionDesignator {
	PARTITION_ROOT,
	PARTITION_USR,
	PARTITION_HOME,
	PARTITION_SRV,
	PARTITION_VAR,
	PARTITION_TMP,
	PARTITION_ESP,
	PARTITION_XBOOTLDR,
	_PARTITION_DESIGNATOR_MAX,
	_PARTITION_DESIGNATOR_INVALID = -EINVAL,
} PartitionDesignator;

DECLARE_STRING_TABLE(partition_designator, PartitionDesignator);

typedef struct DissectedPartition {
	bool found;
	int partno;        /* 1-based partition number: /dev/loopNpM; 0 for the whole image */
	uint64_t offset;   /* bytes from the start of the image */
	uint64_t size;     /* bytes */
	bool read_only;    /* GPT attribute bit 60 */
	char fstype[16];   /* ext4, btrfs, xfs, squashfs, erofs, vfat */
} DissectedPartition;

typedef struct DissectedImage {
	DissectedPartition partitions[_PARTITION_DESIGNATOR_MAX];
	char table[8];     /* "gpt", "dos" or "" for a bare filesystem */
} DissectedImage;

/* Reads the partition table (or bare filesystem) of the image open on fd, a regular file or a
 * block device, without mounting anything. Errors, with a message in ret_error (which may be NULL):
 * -EBADMSG no table and no filesystem, -ENOTUNIQ several roots (or usr, ...) for this
 * architecture, -ERANGE a partition past the end or of size zero, -EUCLEAN overlapping partitions,
 * -EPROTONOSUPPORT a filesystem berth does not mount, -ENXIO no root partition, -ENOMEM, and
 * -ELIBACC or -ELIBBAD when libblkid cannot be loaded (see blkid-dl.h). */
int dissect_image_fd(int fd, DissectedImage *ret, char *ret_error, size_t error_size);

/* Whether the mount point of d is read-only by its nature (squashfs, erofs). */
bool dissected_fstype_read_only(const char *fstype);
