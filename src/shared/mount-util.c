/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "mount-util.h"

int mount_make_read_only(const char *path, bool recursive) {
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) < 0)
		return -errno;
	return 0;
}

int mount_bind(const char *src, const char *dst, bool read_only) {
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return read_only ? mount_make_read_only(dst, true) : 0;
}

int mount_copy_attributes(const char *src, const char *dst) {
	struct stat st;
	if (stat(src, &st) < 0)
		return -errno;
	if (chmod(dst, st.st_mode & 07777) < 0 || chown(dst, st.st_uid, st.st_gid) < 0)
		return -errno;
	return 0;
}

int mount_clone_detached(const char *path) {
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int mount_attach(int tree_fd, const char *target) {
	if (move_mount(tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}
