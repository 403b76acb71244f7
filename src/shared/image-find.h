/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <sys/stat.h>

#include "string-table.h"

typedef enum ImageType {
	IMAGE_DIRECTORY,
	IMAGE_RAW,
	_IMAGE_TYPE_MAX,
	_IMAGE_TYPE_INVALID = -EINVAL,
} ImageType;

DECLARE_STRING_TABLE(image_type, ImageType);

/* Where machine images live, in lookup order; NULL-terminated. */
extern const char *const image_search_path[];

/* Finds the image NAME (a directory NAME, or a file NAME.raw) in the first directory of dirs
 * (NULL: image_search_path) that has it. -ENOENT when none has it, -EINVAL for an invalid name. */
int image_find(const char *name, const char *const *dirs, ImageType *ret_type, char **ret_path);

/* What the entry of an image directory, of the type st tells (lstat: a symlink is none), is: a
 * directory image or a raw image, with the image's name in ret_name; -ENOENT for anything else
 * (hidden entries, settings files, ...). */
int image_from_entry(const char *entry, const struct stat *st, ImageType *ret_type, char **ret_name);
