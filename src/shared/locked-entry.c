/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "copy.h"
#include "locked-entry.h"
#include "macro.h"

/* A cleaner may lock and remove an entry between its creation and the creator's lock: the lock is
 * only good while name still is the locked inode. */
static bool still_named(int dir_fd, const char *name, int fd) {
	struct stat a, b;

	return fstat(fd, &a) >= 0 && fstatat(dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) >= 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int locked_entry_create(int dir_fd, const char *name, bool directory, mode_t mode) {
	for (int attempt = 0; attempt < 16; attempt++) {
		_cleanup_close_ int fd = -EBADF;

		if (directory ? mkdirat(dir_fd, name, mode) < 0
			      : (fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
			return -errno;
		if (directory && (fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				continue; /* removed already */
			return -errno;
		}
		/* Waits out a cleaner that took it first, then finds it gone and makes it anew. */
		if (flock(fd, LOCK_EX) < 0)
			return -errno;
		if (still_named(dir_fd, name, fd))
			return TAKE_FD(fd);
	}
	return -EBUSY;
}

int locked_entry_remove(int dir_fd, const char *name) {
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0; /* nothing anyone locks */
	fd = openat(dir_fd, name, (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0) | O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	/* Renamed into place meanwhile: name is something else now, or nothing. */
	if (!still_named(dir_fd, name, fd))
		return -ENOENT;
	return rm_rf_at(dir_fd, name);
}
