/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Gives the files of the tree at path owners in another UID range: an owner from+N (N < range) becomes
 * to+N, likewise for groups; owners outside the range are left alone. The walk stays on the tree's
 * file system (nothing mounted inside it is touched) and follows no symlink (a symlink's own owner
 * changes, never its target's). A file with a hard link outside the tree would change there too, so
 * the tree is refused before anything changes, naming the file. Set-user-ID and set-group-ID bits,
 * which a change of owner clears, are put back. Logs. */
int uid_shift_tree(const char *path, uid_t from, uid_t to, uid_t range);
