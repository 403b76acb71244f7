/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bind: a host directory or file mounted into a running machine, live. The host's path is taken
 * as a detached mount from the host, then attached inside the machine's mount namespace at a path
 * looked up with the machine's root as "/" (no symlink of the machine leads it out). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berthctl.h"
#include "chase.h"
#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"

int verb_bind(int argc, char *argv[]) {
	const char *source = argv[2], *dest = argc > 3 ? argv[3] : argv[2];
	_cleanup_close_ int tree = -EBADF, root_fd = -EBADF, target = -EBADF;
	struct stat st;
	int r;

	if (stat(source, &st) < 0)
		return log_error_errno(errno, "Cannot bind '%s': %m", source);
	tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return log_error_errno(errno, "Failed to take '%s': %m", source);
	if (arg.read_only) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
			return log_error_errno(errno, "Failed to make the bind of '%s' read-only: %m", source);
	}
	r = machine_enter(argv[1]);
	if (r < 0)
		return r;
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open the root of machine '%s': %m", argv[1]);
	target = arg.mkdir ? chase_create(root_fd, dest, S_ISDIR(st.st_mode) ? CHASE_CREATE_DIRECTORY : CHASE_CREATE_FILE)
			   : chase_open(root_fd, dest, O_PATH);
	if (target < 0)
		return log_error_errno(target, "Failed to find '%s' in machine '%s'%s: %m", dest, argv[1],
				       arg.mkdir ? "" : " (--mkdir creates it)");
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_error_errno(errno, "Failed to mount '%s' on '%s' in machine '%s': %m", source, dest, argv[1]);
	return 0;
}
