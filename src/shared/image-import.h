/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Unpacks a tar stream (plain or .xz, told apart by its first bytes) into a new directory image
 * NAME under images_dir_fd. The tree is built in a hidden ".#NAME<random>" directory beside it,
 * locked while the import runs (see locked-entry.h), and renamed to NAME only when complete, so no
 * half image is ever visible under its name; on failure the hidden directory is removed. */

typedef enum ImageImportFlags {
	IMAGE_IMPORT_FORCE = 1 << 0, /* replace an existing NAME (the old one is removed after the swap) */
} ImageImportFlags;

typedef struct ImageImport {
	int in_fd;                /* the archive, read sequentially (a pipe works) */
	ImageImportFlags flags;
	char *tmp_name;           /* set while the hidden directory exists: a signal handler may remove it */
	char *bad_entry;          /* out: the archive entry an extraction error is about (owned) */
	/* Called after each read of in_fd with the bytes read so far (NULL: not called), so that the
	 * caller can show progress. */
	void (*progress)(uint64_t bytes_read, void *userdata);
	void *progress_userdata;
} ImageImport;

/* Returns 0; -EINVAL for an invalid name, -EEXIST when NAME exists (without FORCE), -EBUSY when
 * NAME would be replaced but someone holds its lock (a machine runs from it), or
 * tar_extract()'s errors (-EBADMSG malformed, -EXDEV an entry leading outside, ...). */
int image_import_tar(int images_dir_fd, const char *name, ImageImport *imp);

/* The same for a raw disk image (plain or .xz), which becomes NAME.raw; -EBADMSG for a corrupt
 * .xz stream. */
int image_import_raw(int images_dir_fd, const char *name, ImageImport *imp);
