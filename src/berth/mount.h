/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-id128.h>

#include "dev.h"

/* What the container's API filesystems need from the host, gathered before pivot_root. */
typedef struct ApiVfsContext {
	bool private_network;    /* /proc/sys/net stays writable: the network namespace is ours */
	bool userns;             /* in a user namespace: the fds below are used */
	int console_tree_fd;     /* detached bind of the pty slave, or -1 for no /dev/console */
	const char *host_os_release; /* contents of the host's os-release, for /run/host */
	sd_id128_t uuid;
	int proc_fd;             /* detached mounts of /proc and /sys, and binds of the host's nodes */
	int sys_fd;
	int dev_node_fds[DEV_N_NODES];
} ApiVfsContext;

void api_vfs_context_init_fds(ApiVfsContext *c);
void api_vfs_context_done(ApiVfsContext *c);

/* In a user namespace, before pivot_root: the kernel mounts a new sysfs there only while the host's
 * is in sight, so it is made now, detached (sysfs shows the network namespace of its mounter, and
 * when that is the host's, the host's /sys is bound read-only instead); proc_fd is berth's
 * (userns_make_proc()) already. Logs. */
int mount_take_api_vfs_for_userns(ApiVfsContext *c);

/* After pivot_root, in the container: /run (with /run/host), /proc with its read-only and masked
 * parts, /sys read-only with the container's cgroup2 subtree, a private /dev, /tmp. Every path is resolved inside the new root, so a
 * symlink in the tree cannot point a mount at the host. Fails if any mask cannot be applied. */
int mount_setup_api_vfs(const ApiVfsContext *c);
/* Makes /run/host read-only, once everything is in it, so the container cannot rewrite what it
 * was told about its host. */
int mount_seal_run_host(void);

/* Paths of nodes nobody can use, bound over what the container must not reach. */
#define INACCESSIBLE_DIR "/run/host/inaccessible"

/* Creates path as a directory if missing, for something to be mounted on, or what it names if it is
 * a dangling symlink (always inside the root: for use after pivot_root); logs. */
int mkdir_mount_point(const char *path, mode_t mode);
