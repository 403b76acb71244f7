/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "mount-util.h"
#include "rootfs.h"

static int mount_staging(void) {
	if (mount("berth-staging", ROOTFS_STAGING_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return log_error_errno(errno, "Failed to mount a tmpfs on '%s': %m", ROOTFS_STAGING_DIR);
	if (mkdir(ROOTFS_STAGING_DIR "/root", 0755) < 0)
		return log_error_errno(errno, "Failed to create '%s/root': %m", ROOTFS_STAGING_DIR);
	return 0;
}

static int mount_overlay_root(const char *tree) {
	_cleanup_free_ char *options = NULL;

	if (mkdir(ROOTFS_STAGING_DIR "/upper", 0755) < 0 || mkdir(ROOTFS_STAGING_DIR "/work", 0755) < 0)
		return log_error_errno(errno, "Failed to create the overlay's directories: %m");
	/* The upper directory's root must look like the tree's, or "/" changes mode in the container. */
	(void) mount_copy_attributes(tree, ROOTFS_STAGING_DIR "/upper");
	if (asprintf(&options, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", tree, ROOTFS_STAGING_DIR,
		     ROOTFS_STAGING_DIR) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (strchr(tree, ',') || strchr(tree, ':'))
		return log_error_errno(EINVAL, "Directory '%s' has ',' or ':' in its path, which overlayfs "
					       "cannot take", tree);
	if (mount("overlay", ROOTFS_STAGING_DIR "/root", "overlay", 0, options) < 0)
		return log_error_errno(errno, "Failed to mount an overlay over '%s': %m", tree);
	return 0;
}

/* --volatile=yes: the root is a tmpfs; /usr is the tree's, read-only. Top-level symlinks of a
 * merged-/usr tree (bin -> usr/bin, ...) are made again so commands can be found. */
static int mount_volatile_root(const char *tree) {
	const char *root = ROOTFS_STAGING_DIR "/root";
	_cleanup_free_ char *usr = NULL, *tree_usr = NULL;
	_cleanup_close_ int root_fd = -EBADF;
	DIR *d;
	struct dirent *de;
	int r;

	if (mount("berth-volatile", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return log_error_errno(errno, "Failed to mount a tmpfs root: %m");
	if (asprintf(&usr, "%s/usr", root) < 0 || asprintf(&tree_usr, "%s/usr", tree) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (mkdir(usr, 0755) < 0)
		return log_error_errno(errno, "Failed to create '%s': %m", usr);
	r = mount_bind(tree_usr, usr, true);
	if (r < 0)
		return log_error_errno(r, "Failed to mount '%s' read-only: %m", tree_usr);

	root_fd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", root);
	d = opendir(tree);
	if (!d)
		return log_error_errno(errno, "Failed to read '%s': %m", tree);
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (de->d_type != DT_LNK)
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "usr/", 4) != 0 && strncmp(target, "/usr/", 5) != 0)
			continue;
		(void) symlinkat(target, root_fd, de->d_name);
	}
	closedir(d);
	return 0;
}

int rootfs_setup(const Settings *s, const char *tree, char **ret_root) {
	const char *root = ROOTFS_STAGING_DIR "/root";
	bool read_only = s->read_only || s->volatile_mode == VOLATILE_STATE;
	int r;

	r = mount_staging();
	if (r < 0)
		return r;

	if (s->ephemeral || s->volatile_mode == VOLATILE_OVERLAY)
		r = mount_overlay_root(tree);
	else if (s->volatile_mode == VOLATILE_YES)
		r = mount_volatile_root(tree);
	else {
		r = mount_bind(tree, root, false);
		if (r < 0)
			log_error_errno(r, "Failed to bind mount '%s': %m", tree);
	}
	if (r < 0)
		return r;

	if (read_only) {
		r = mount_make_read_only(root, true);
		if (r < 0)
			return log_error_errno(r, "Failed to make the root read-only: %m");
	}
	if (s->volatile_mode == VOLATILE_STATE) {
		_cleanup_free_ char *var = NULL;
		if (asprintf(&var, "%s/var", root) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
		if (mount("berth-var", var, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return log_error_errno(errno, "Failed to mount a tmpfs on /var: %m");
	}
	*ret_root = strdup(root);
	return *ret_root ? 0 : log_error_errno(ENOMEM, "Out of memory");
}

int rootfs_pivot(const char *root) {
	/* pivot_root(".", ".") stacks the old root on the new one; detaching "." then drops the
	 * host's tree from this namespace, with no directory needed to put it in. */
	if (chdir(root) < 0)
		return log_error_errno(errno, "Failed to enter '%s': %m", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return log_error_errno(errno, "Failed to pivot into '%s': %m", root);
	if (umount2(".", MNT_DETACH) < 0)
		return log_error_errno(errno, "Failed to detach the host's root: %m");
	if (chdir("/") < 0)
		return log_error_errno(errno, "Failed to enter the new root: %m");
	return 0;
}
