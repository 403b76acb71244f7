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

#include "chase.h"
#include "log.h"
#include "mount-fs.h"
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

/* The tree's /usr, read-only, on usr below root_fd. It is looked up inside the tree: a tree whose
 * /usr is a symlink to a host directory does not get the host's. */
static int bind_tree_usr(const char *tree, int root_fd) {
	_cleanup_close_ int tree_fd = open(tree, O_DIRECTORY | O_PATH | O_CLOEXEC), usr = -EBADF, clone = -EBADF,
			    target = -EBADF;
	int r;

	if (tree_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", tree);
	usr = chase_open(tree_fd, "/usr", O_PATH | O_DIRECTORY);
	if (usr < 0)
		return log_error_errno(usr, "Failed to open /usr of '%s': %m", tree);
	clone = open_tree(usr, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (clone < 0)
		return log_error_errno(errno, "Failed to take /usr of '%s': %m", tree);
	if (mkdirat(root_fd, "usr", 0755) < 0)
		return log_error_errno(errno, "Failed to create /usr in the volatile root: %m");
	target = openat(root_fd, "usr", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return log_error_errno(errno, "Failed to open /usr in the volatile root: %m");
	if ((r = mount_tree_set_read_only(clone)) < 0 || (r = mount_tree_attach(clone, target)) < 0)
		return log_error_errno(r, "Failed to mount /usr of '%s' read-only: %m", tree);
	return 0;
}

/* --volatile=yes: the root is a tmpfs; /usr is the tree's, read-only. Top-level symlinks of a
 * merged-/usr tree (bin -> usr/bin, ...) are made again so commands can be found. */
static int mount_volatile_root(const char *tree) {
	const char *root = ROOTFS_STAGING_DIR "/root";
	_cleanup_close_ int root_fd = -EBADF;
	DIR *d;
	struct dirent *de;
	int r;

	if (mount("berth-volatile", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return log_error_errno(errno, "Failed to mount a tmpfs root: %m");
	root_fd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", root);
	r = bind_tree_usr(tree, root_fd);
	if (r < 0)
		return r;
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

/* --volatile=state: a tmpfs on the root's /var, which is looked up inside the root. */
static int mount_volatile_var(const char *root) {
	char *const params[] = { (char *) "mode=0755", NULL };
	_cleanup_close_ int root_fd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC), target = -EBADF, fs = -EBADF;
	char message[256];
	int r;

	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", root);
	target = chase_create(root_fd, "/var", CHASE_CREATE_DIRECTORY);
	if (target < 0)
		return log_error_errno(target, "Failed to find /var in the tree: %m");
	fs = mount_fs_detached("tmpfs", "berth-var", params, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, message,
			       sizeof message);
	if (fs < 0)
		return log_error_errno(fs, "Failed to make a tmpfs for /var: %m%s%s", *message ? ": " : "", message);
	r = mount_tree_attach(fs, target);
	if (r < 0)
		return log_error_errno(r, "Failed to mount a tmpfs on /var: %m");
	return 0;
}

/* --pivot-root=NEW[:OLD]: the tree's directory NEW becomes the root, and the tree goes to OLD below
 * it (or away). Both are found inside the tree. The new root is put together beside the old one,
 * then moved to its place. */
static int pivot_root_setting(const char *root, const char *new_root, const char *old_root) {
	const char *pivot = ROOTFS_STAGING_DIR "/pivot";
	_cleanup_close_ int root_fd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC), new_fd = -EBADF, clone = -EBADF,
			    target = -EBADF;
	int r;

	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", root);
	new_fd = chase_open(root_fd, new_root, O_PATH | O_DIRECTORY);
	if (new_fd < 0)
		return log_error_errno(new_fd, "Failed to find '%s' in the tree for --pivot-root=: %m", new_root);
	clone = open_tree(new_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (clone < 0)
		return log_error_errno(errno, "Failed to take '%s' of the tree: %m", new_root);
	if (mkdir(pivot, 0755) < 0 || (target = open(pivot, O_DIRECTORY | O_PATH | O_CLOEXEC)) < 0)
		return log_error_errno(errno, "Failed to create '%s': %m", pivot);
	r = mount_tree_attach(clone, target);
	if (r < 0)
		return log_error_errno(r, "Failed to mount '%s' of the tree on '%s': %m", new_root, pivot);
	if (old_root) {
		_cleanup_close_ int pivot_fd = open(pivot, O_DIRECTORY | O_PATH | O_CLOEXEC), old_fd = -EBADF;
		if (pivot_fd < 0)
			return log_error_errno(errno, "Failed to open '%s': %m", pivot);
		old_fd = chase_create(pivot_fd, old_root, CHASE_CREATE_DIRECTORY);
		if (old_fd < 0)
			return log_error_errno(old_fd, "Failed to create '%s' in '%s' of the tree for --pivot-root=: %m",
					       old_root, new_root);
		if (move_mount(AT_FDCWD, root, old_fd, "", MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return log_error_errno(errno, "Failed to move the tree to '%s': %m", old_root);
	} else if (umount2(root, MNT_DETACH) < 0)
		return log_error_errno(errno, "Failed to unmount the tree's root: %m");
	if (move_mount(AT_FDCWD, pivot, AT_FDCWD, root, 0) < 0)
		return log_error_errno(errno, "Failed to move '%s' of the tree to the root: %m", new_root);
	return 0;
}

int rootfs_setup(const Settings *s, const char *tree, int tree_fd, char **ret_root) {
	const char *root = ROOTFS_STAGING_DIR "/root";
	bool read_only = s->read_only || s->volatile_mode == VOLATILE_STATE;
	int r;

	r = mount_staging();
	if (r < 0)
		return r;
	/* An id-mapped tree stands in for the tree from here on, under the overlay as well. */
	if (tree_fd >= 0) {
		const char *mapped = ROOTFS_STAGING_DIR "/tree";
		if (mkdir(mapped, 0755) < 0)
			return log_error_errno(errno, "Failed to create '%s': %m", mapped);
		r = mount_attach(tree_fd, mapped);
		if (r < 0)
			return log_error_errno(r, "Failed to mount the id-mapped '%s': %m", tree);
		tree = mapped;
	}

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
	if (s->pivot_root_new && (r = pivot_root_setting(root, s->pivot_root_new, s->pivot_root_old)) < 0)
		return r;

	if (read_only) {
		r = mount_make_read_only(root, true);
		if (r < 0)
			return log_error_errno(r, "Failed to make the root read-only: %m");
	}
	if (s->volatile_mode == VOLATILE_STATE && (r = mount_volatile_var(root)) < 0)
		return r;
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
