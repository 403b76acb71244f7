/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nspawn-file.h"
#include "settings.h"

/* The mounts of --bind=, --bind-ro=, --tmpfs=, --overlay=, --overlay-ro=, --inaccessible= (and the
 * [Files] keys), in three steps: berth prepares what lives on the host (overlay work directories),
 * the child takes what it reaches on the host while it still can (bind sources, overlays) as
 * detached mounts, and attaches everything once the container's own file systems are in place.
 * Every target is found and created inside the container's tree (chase.h): a symlink in the tree
 * cannot make berth mount or create anything outside it. */

typedef struct CustomMount {
	const NspawnMount *mount; /* borrowed from the settings */
	size_t index;             /* its place in the settings, to keep their order among equals */
	/* An overlay's work directory, made by berth next to a given upper directory and removed when
	 * the container is gone: the directory holding it, its name there, and its path for the child
	 * (a host path, or "+PATH" in the tree). */
	int work_parent_fd;
	char *work_name;
	char *work_path;
	/* Taken by the child: the detached mount to attach (-EBADF: made when attached). */
	int tree_fd;
	mode_t source_type; /* S_IFDIR, S_IFREG...: the bind source's type, for the target's */
} CustomMount;

typedef struct CustomMounts {
	CustomMount *mounts; /* parents before what is mounted below them, else in the settings' order */
	size_t n;
} CustomMounts;

/* In berth: checks the host sources exist and makes the overlays' work directories. Logs. */
int mount_custom_prepare(const Settings *s, CustomMounts *ret);
/* In berth, for a container with a user namespace of its own (root is host ID base), before it is
 * made: takes the binds of host sources, which the container's root may not be allowed to reach
 * and whose idmap or rootidmap need privilege over the source's file system that the container's
 * user namespace lacks. The child inherits them. Logs. */
int mount_custom_take_host_binds(CustomMounts *c, uid_t base);
/* In the child, before pivot_root, with root the container's assembled root: takes host bind
 * sources and builds overlays as detached mounts, and mounts what goes on "/" itself. Logs. */
int mount_custom_take(CustomMounts *c, const char *root);
/* In the child, after pivot_root and the API file systems: attaches the rest. Logs. */
int mount_custom_apply(CustomMounts *c);
/* Once the container is gone: removes the work directories. Logs. */
void mount_custom_remove_work_dirs(const CustomMounts *c);
/* In berth, once the container is gone: removes the work directories and frees c. */
void mount_custom_done(CustomMounts *c);
