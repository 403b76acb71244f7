/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/btrfs.h>
#include <linux/magic.h>

#include "btrfs-util.h"

/* The root directory of every btrfs subvolume has this inode number. */
#define BTRFS_SUBVOLUME_ROOT_INO 256

bool btrfs_is_subvolume(int fd) {
	struct statfs fs;
	struct stat st;

	return fstatfs(fd, &fs) >= 0 && fs.f_type == BTRFS_SUPER_MAGIC && fstat(fd, &st) >= 0 &&
	       S_ISDIR(st.st_mode) && st.st_ino == BTRFS_SUBVOLUME_ROOT_INO;
}

int btrfs_snapshot(int src_fd, int dst_dir_fd, const char *name, bool read_only) {
	struct btrfs_ioctl_vol_args_v2 args = {
		.fd = src_fd,
		.flags = read_only ? BTRFS_SUBVOL_RDONLY : 0,
	};

	if (strlen(name) >= sizeof(args.name))
		return -ENAMETOOLONG;
	strcpy(args.name, name);
	return ioctl(dst_dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0 ? -errno : 0;
}

int btrfs_subvolume_get_read_only(int fd) {
	__u64 flags;

	if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
		return -errno;
	return !!(flags & BTRFS_SUBVOL_RDONLY);
}

int btrfs_subvolume_set_read_only(int fd, bool read_only) {
	__u64 flags;

	if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
		return -errno;
	flags = read_only ? flags | BTRFS_SUBVOL_RDONLY : flags & ~(__u64) BTRFS_SUBVOL_RDONLY;
	return ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0 ? -errno : 0;
}
