/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#define MACHINE_NAME_MAX 64

/* A machine name is also its hostname and a file name in the image directories: 1 to 64 of
 * [A-Za-z0-9._-], dot-separated labels that are not empty, not starting with '-' or '.'. */
bool machine_name_is_valid(const char *name);
bool hostname_is_valid(const char *name);

/* Derives a valid machine name from a directory or image path ("/srv/my tree.raw" -> "mytree"). */
int machine_name_from_path(const char *path, char **ret);
