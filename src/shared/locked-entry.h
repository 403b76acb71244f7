/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Entries of an image directory guarded by flock(2): the hidden ".#..." entry an import or a copy
 * builds is locked exclusively by the process building it until it is renamed into place or
 * removed, and a running machine locks its image. A cleaner takes the lock without waiting, so it
 * removes only what nobody works on: what a killed process left. */

/* Creates name below dir_fd, a directory or (directory false) a regular file, with mode, and
 * returns an fd on it (the directory read-only, the file read-write) that holds an exclusive lock
 * on it. -EEXIST when name exists. */
int locked_entry_create(int dir_fd, const char *name, bool directory, mode_t mode);

/* Removes name below dir_fd, with everything under it, if no one holds a lock on it: -EBUSY when
 * someone does, -ENOENT when it is gone. Holds the lock itself while it removes. */
int locked_entry_remove(int dir_fd, const char *name);
