/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <blkid.h>

#include "dlopen-util.h"

/* libblkid, opened when a raw image is read (dissect.c). */

#define BLKID_SYMBOLS(X)                        \
	X(blkid_do_safeprobe)                   \
	X(blkid_free_probe)                     \
	X(blkid_new_probe)                      \
	X(blkid_partition_get_flags)            \
	X(blkid_partition_get_partno)           \
	X(blkid_partition_get_size)             \
	X(blkid_partition_get_start)            \
	X(blkid_partition_get_type)             \
	X(blkid_partition_get_type_string)      \
	X(blkid_partition_is_extended)          \
	X(blkid_partlist_get_partition)         \
	X(blkid_partlist_numof_partitions)      \
	X(blkid_probe_enable_partitions)        \
	X(blkid_probe_enable_superblocks)       \
	X(blkid_probe_get_partitions)           \
	X(blkid_probe_lookup_value)             \
	X(blkid_probe_set_device)               \
	X(blkid_probe_set_partitions_flags)     \
	X(blkid_probe_set_superblocks_flags)

DL_DECLARE_SYMBOLS(BLKID_SYMBOLS)

extern DlLibrary dl_blkid;
