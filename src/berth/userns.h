/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "settings.h"

/* The container's user namespace: UIDs and GIDs 0...range-1 inside are shift...shift+range-1 on
 * the host. A picked range is chosen from the machine's name (the same each start) and held with a
 * lock per 64K block (an abstract socket), so no two running machines share a block. The tree's
 * files get the range's owners by an id-mapped mount of the tree (map: nothing on disk changes)
 * or by shifting their owners on disk once (chown). */

#define USERNS_PICK_FIRST UINT32_C(0x00080000) /* as nspawn: above the IDs of users and services */
#define USERNS_PICK_LAST UINT32_C(0x6FFF0000)

typedef struct UserNamespace {
	bool enabled;
	uid_t shift;
	uid_t range;
	PrivateUsersOwnership ownership; /* resolved: off, chown or map (auto has been decided) */
	int *lock_fds;
	size_t n_lock_fds;
} UserNamespace;

#define USER_NAMESPACE_INIT { .shift = UID_INVALID }

/* The n-th candidate range for a machine name, a multiple of 0x10000 in [FIRST, LAST]. */
uid_t userns_candidate(const char *machine, unsigned n);

/* Settles the range and the ownership mode for the tree, takes the range's locks and, for chown,
 * shifts the tree's owners. Logs. */
int userns_prepare(const Settings *s, const char *tree, UserNamespace *ret);

/* Writes the maps of the child's user namespace, from berth (outside it). Logs. */
int userns_write_maps(const UserNamespace *u, pid_t pid);

/* A detached copy of the tree's mount for the child's root, which may not be allowed to look the
 * tree up itself; for ownership map id-mapped through the child's user namespace. When the file
 * system cannot map and the mode was auto, the tree is shifted on disk instead. Logs. */
int userns_map_tree(UserNamespace *u, pid_t pid, const char *tree, int *ret_fd);

/* A /proc of the child's PID namespace, made by berth outside the container's user namespace: from
 * inside it, the kernel refuses a new proc where the host's /proc has anything mounted over its
 * files (as a container's has), which would make berth -U fail inside another container. Logs. */
int userns_make_proc(const UserNamespace *u, int child_pidfd, int *ret_fd);

/* Whether a process in a new user namespace may mount the container's /proc itself: the kernel
 * allows it only where the host's /proc is fully in sight, nothing mounted over its files (inside
 * a container, whose /proc has masks, it is not). Else berth makes it (userns_make_proc()). */
bool userns_may_mount_proc(void);
/* The same, for the mounts of /proc/self/mountinfo's text. */
bool userns_may_mount_proc_under(const char *mountinfo);

/* The owner for files berth makes for the container (its pty, its cgroup): its root. */
static inline uid_t userns_root_uid(const UserNamespace *u) {
	return u->enabled ? u->shift : 0;
}

void userns_done(UserNamespace *u);
