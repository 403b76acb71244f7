/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "image-find.h"

/* The OS an image holds, from its os-release(5). */

/* The PRETTY_NAME of the directory image at path; *ret is NULL when the image names none. The
 * files are looked up with the image as "/": a symlink in the image cannot lead to the host's. */
int image_os_pretty_name(const char *path, char **ret);
