/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Unpacks a tar stream (ustar, GNU long names, pax path/linkpath/size/mtime/uid/gid records) into
 * a directory, without letting any entry land outside it: absolute names and ".." components are
 * refused, parent directories are opened beneath the directory without following symlinks (so a
 * symlink entry cannot be used as a pivot by a later entry), and hardlink targets must be entries
 * already inside. Device nodes and fifos are created inside the tree like any other entry. */

/* Reads up to n bytes into buf; returns the count (0 at the end of the stream) or -errno. */
typedef ssize_t (*TarReadFn)(void *userdata, void *buf, size_t n);

typedef enum TarExtractFlags {
	TAR_EXTRACT_OWNERSHIP = 1 << 0, /* chown entries to the recorded uid/gid (needs privilege) */
	TAR_EXTRACT_XATTRS    = 1 << 1, /* apply SCHILY.xattr.* pax records, ignoring failures */
} TarExtractFlags;

typedef struct TarExtract {
	TarReadFn read;
	void *userdata;
	TarExtractFlags flags;
	char *bad_entry; /* out: the entry being handled when an error is returned (owned, free it) */
} TarExtract;

/* Returns 0, or -EBADMSG for a malformed archive, -EXDEV for an entry that would land outside
 * dir_fd (or a hardlink to something not in it), -ENOTSUP for an entry type it does not know, or
 * another -errno from the filesystem. */
int tar_extract(int dir_fd, TarExtract *t);

/* A TarReadFn over a file descriptor; userdata points to the int fd. */
ssize_t tar_read_fd(void *userdata, void *buf, size_t n);
