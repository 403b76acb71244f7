/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

typedef enum CopyFlags {
	COPY_REFLINK = 1 << 0,    /* share file extents (FICLONE) where the filesystem allows */
	COPY_SAME_MOUNT = 1 << 1, /* don't descend into other mounts below the source */
	COPY_FILE = 1 << 2,       /* src may be a regular file as well (else -ENOTDIR) */
} CopyFlags;

typedef struct CopyProgress {
	uint64_t bytes_done;   /* file data copied, or shared, so far */
	uint64_t bytes_shared; /* of bytes_done, what reflinks share with the source, not copied */
	/* Called as bytes_done grows (NULL: not called), so that the caller can show progress. */
	void (*update)(const struct CopyProgress *p, void *userdata);
	void *userdata;
} CopyProgress;

/* Copies the tree (or with COPY_FILE the regular file) at src to the new path dst: ownership, modes, timestamps, xattrs, device nodes,
 * symlinks and hardlinks as they are. The copy is built under a hidden ".#" name next to dst, locked
 * (see locked-entry.h), and renamed only when complete, so dst never exists half-made; on failure
 * the partial copy is removed.
 * progress, when not NULL, is updated as bytes are copied. */
int copy_tree(const char *src, const char *dst, CopyFlags flags, CopyProgress *progress);

/* Owners (users and groups) from+N, N < range, become to+N in the copy; others are kept. Used to
 * copy files into or out of a machine with a user namespace of its own. */
typedef struct CopyOwnerShift {
	uid_t from, to, range;
} CopyOwnerShift;

/* copy_tree() with the owners shifted (shift NULL: as they are). */
int copy_tree_shifted(const char *src, const char *dst, CopyFlags flags, CopyProgress *progress,
		      const CopyOwnerShift *shift);

/* Removes name below dir_fd and everything under it, never following symlinks or crossing into
 * other mounts. */
int rm_rf_at(int dir_fd, const char *name);
