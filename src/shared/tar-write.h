/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Writes a directory tree as a pax tar stream ("./"-relative names; pax records for long names
 * and large values), for image export. Symlinks are stored, never followed; files with several
 * links inside the tree become hardlink entries; devices and fifos are stored as such; sockets
 * are skipped. The output is what tar_extract() reads. */

/* Writes n bytes; returns 0 or -errno. */
typedef int (*TarWriteFn)(void *userdata, const void *buf, size_t n);

/* Writes to the fd that userdata points to. */
int tar_write_fd(void *userdata, const void *buf, size_t n);

int tar_write_tree(int dir_fd, TarWriteFn write_fn, void *userdata);
