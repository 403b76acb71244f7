/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "fd-util.h"
#include "image-lookup.h"
#include "log.h"
#include "nspawn-file.h"

int image_lookup(const char *name, ImageType *ret_type, char **ret_path) {
	int r = image_find(name, NULL, ret_type, ret_path);

	if (r == -EINVAL || r == -ENOENT) {
		log_error(r == -EINVAL ? "Invalid image name '%s'" : "No image '%s'", name);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to look up image '%s': %m", name);
	return 0;
}

bool image_is_read_only(const char *path, ImageType type) {
	struct stat st;
	int flags = 0;

	/* Not access(W_OK): root may write to a file without write permission. */
	if (type == IMAGE_RAW)
		return stat(path, &st) >= 0 && !(st.st_mode & 0222);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && btrfs_is_subvolume(fd) && btrfs_subvolume_get_read_only(fd) > 0)
		return true;
	return fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) >= 0 && (flags & FS_IMMUTABLE_FL);
}

/* Directory images are read-only with the immutable flag on their top directory (nothing can be
 * added, removed or renamed there), subvolumes with their own flag (nothing in them changes), raw
 * images without write permission, as machinectl does. */
int image_set_read_only(const char *path, ImageType type, bool read_only) {
	struct stat st;
	int flags;

	if (type == IMAGE_RAW) {
		if (stat(path, &st) < 0 || chmod(path, read_only ? st.st_mode & ~0222 : st.st_mode | 0200) < 0)
			return -errno;
		return 0;
	}
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (btrfs_is_subvolume(fd))
		return btrfs_subvolume_set_read_only(fd, read_only);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return -errno;
	flags = read_only ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}

const char *image_kind(const char *path, ImageType type) {
	if (type == IMAGE_RAW)
		return "raw";
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && btrfs_is_subvolume(fd) ? "subvolume" : "directory";
}

void image_remove_settings(int dir_fd, const char *dir, const char *name) {
	_cleanup_free_ char *settings = NULL;

	if (asprintf(&settings, "%s" NSPAWN_FILE_SUFFIX, name) < 0) {
		log_error_errno(ENOMEM, "Out of memory");
		return;
	}
	if (unlinkat(dir_fd, settings, 0) < 0 && errno != ENOENT)
		log_warning_errno(errno, "Failed to remove '%s/%s', ignoring: %m", dir, settings);
}
