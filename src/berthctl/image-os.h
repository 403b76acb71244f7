/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "image-find.h"

/* The OS an image holds, from its os-release(5). */

/* The PRETTY_NAME of the image at path; *ret is NULL when the image names none. A directory image's
 * files are looked up with the image as "/", so a symlink in it cannot lead to the host's. A raw
 * image is mounted read-only in a child process with a mount namespace of its own, and looked up
 * likewise; it fails (-EIO) when it cannot be read that way, as while a machine runs from it
 * writably. */
int image_os_pretty_name(const char *path, ImageType type, char **ret);
