/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sha256.h"

/* Compiled seccomp programs (classic BPF, as the kernel takes them), kept between runs so that a
 * filter is compiled once, not at every start. A program is stored under the hash of the text it
 * was compiled from (its specification), so a change of the filter, the architectures, libseccomp
 * or berth makes a new file rather than reusing a stale one. The files are only trusted when the
 * directory and the file belong to the cache's owner (root) and nobody else may write them. */

#define SECCOMP_CACHE_DIR "/run/berth/seccomp"

/* "<sha256 of the specification>.bpf" */
#define SECCOMP_CACHE_NAME_SIZE (SHA256_HEX_SIZE + 4)
void seccomp_cache_name(const char *spec, char ret[SECCOMP_CACHE_NAME_SIZE]);

/* 0 when st describes a file that may hold a cached program of a cache owned by owner: a regular
 * file of owner's that neither its group nor others may write, whose size is a whole number of
 * instructions (1 to BPF_MAXINSNS). Otherwise a negative errno saying what is wrong. */
int seccomp_cache_check(const struct stat *st, uid_t owner);

/* Opens the cache directory path, made (mode 0700) if missing; refuses one that is not owner's or
 * that others may write. */
int seccomp_cache_open_dir(const char *path, uid_t owner, int *ret_fd);

/* Reads the program stored as name: -ENOENT when there is none, or seccomp_cache_check's error. */
int seccomp_cache_read(int dir_fd, const char *name, uid_t owner, struct sock_filter **ret, size_t *ret_n);

/* Stores a program as name, mode 0600, atomically: readers see the old file or the whole new one. */
int seccomp_cache_write(int dir_fd, const char *name, const struct sock_filter *insns, size_t n);

/* Each filter specification, and each build of berth or libseccomp, adds files: the cache keeps the
 * newest SECCOMP_CACHE_KEEP names of programs (a program has two or more: by its specification and
 * by the inputs it was made from) and removes older ones, and the temporary files of writers killed more than a minute
 * ago. A program removed while still in use is compiled again by the next start that needs it. */
#define SECCOMP_CACHE_KEEP 128
int seccomp_cache_prune(int dir_fd, size_t keep);

/* The programs depend on the libseccomp that compiled them, but a start that finds them cached
 * should not have to load libseccomp to learn which one is installed. So the cache records the
 * file the dynamic loader found libseccomp in when it last compiled (an absolute path), and a
 * specification names the library by that file's identity, which a stat() gives. */
#define SECCOMP_CACHE_LIBRARY "libseccomp.path"

/* Reads the recorded path: -ENOENT when there is none; -EPERM when it is not owner's or others may
 * write it. */
int seccomp_cache_read_library(int dir_fd, uid_t owner, char **ret_path);
/* Records path, as seccomp_cache_write() stores a program. */
int seccomp_cache_write_library(int dir_fd, const char *path);
/* The line naming the file at path (symbolic links followed) in a specification: the path, device,
 * inode, size and change time. Package managers install a library as a new file (a new inode),
 * and any write to it changes its change time, so a new build of libseccomp gives another line. */
int seccomp_cache_library_id(const char *path, char **ret);
