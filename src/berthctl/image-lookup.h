/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "image-find.h"

/* Finding an image for a verb, with the messages all image verbs give. */

/* The image NAME in the image directories. Returns 0 when found; 1, the exit status, after logging
 * "Invalid image name 'NAME'" or "No image 'NAME'"; -errno after logging otherwise. */
int image_lookup(const char *name, ImageType *ret_type, char **ret_path);

/* Whether the image is read-only the way "read-only NAME" makes it: the read-only flag of a
 * subvolume, the immutable flag on a directory image's top directory, no write permission on a
 * raw image. */
bool image_is_read_only(const char *path, ImageType type);
/* Makes it so, or writable again. -errno. */
int image_set_read_only(const char *path, ImageType type, bool read_only);

/* What the image is, as listed: "directory", "subvolume" (a btrfs subvolume) or "raw". */
const char *image_kind(const char *path, ImageType type);

/* Removes the settings file NAME.nspawn beside a removed image in dir_fd (dir names it in the
 * warning when that fails); it goes with its image, as it follows a rename. Logs. */
void image_remove_settings(int dir_fd, const char *dir, const char *name);
