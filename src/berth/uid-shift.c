/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <endian.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "uid-shift.h"

/* A file with several links, and how many of them the walk met. */
typedef struct Linked {
	ino_t ino;
	nlink_t nlink;
	nlink_t seen;
	char *path; /* the first one met, for the message */
} Linked;

typedef struct Walk {
	dev_t dev;
	uid_t from, to, range;
	bool change; /* false: the first pass, which only counts links */
	Linked *linked;
	size_t n_linked;
} Walk;

static int remember_link(Walk *w, const struct stat *st, const char *path) {
	Linked *a;

	for (size_t i = 0; i < w->n_linked; i++)
		if (w->linked[i].ino == st->st_ino) {
			w->linked[i].seen++;
			return 0;
		}
	a = reallocarray(w->linked, w->n_linked + 1, sizeof *a);
	if (!a)
		return -ENOMEM;
	w->linked = a;
	a[w->n_linked] = (Linked) { .ino = st->st_ino, .nlink = st->st_nlink, .seen = 1, .path = strdup(path) };
	if (!a[w->n_linked].path)
		return -ENOMEM;
	w->n_linked++;
	return 0;
}

static uid_t shifted(const Walk *w, uid_t id) {
	return id >= w->from && id - w->from < w->range ? id - w->from + w->to : id;
}

/* The kernel's form of a POSIX ACL in its extended attribute: a little-endian version 2 header,
 * then entries of tag, permissions and ID. Only named users' and groups' entries carry an ID. */
#define ACL_XATTR_VERSION 2
#define ACL_TAG_USER 0x02
#define ACL_TAG_GROUP 0x08

typedef struct AclEntry {
	uint16_t tag, perm;
	uint32_t id;
} AclEntry; /* 8 bytes, no padding */

/* Shifts the IDs of the ACL in attribute attr of the file, if it has one. */
static int shift_acl(const Walk *w, const char *file, const char *attr, const char *path) {
	_cleanup_free_ uint8_t *buf = NULL;
	ssize_t size = lgetxattr(file, attr, NULL, 0);
	bool changed = false;

	if (size < 0)
		return errno == ENODATA || errno == EOPNOTSUPP ? 0 : log_error_errno(errno, "Failed to read the ACL of '%s': %m", path);
	buf = malloc(size ?: 1);
	if (!buf)
		return log_error_errno(ENOMEM, "Out of memory");
	size = lgetxattr(file, attr, buf, (size_t) size);
	if (size < 0)
		return log_error_errno(errno, "Failed to read the ACL of '%s': %m", path);
	if (size < 4 || (size - 4) % (ssize_t) sizeof(AclEntry) != 0 || le32toh(*(uint32_t *) buf) != ACL_XATTR_VERSION)
		return log_error_errno(EBADMSG, "The ACL of '%s' is not one berth knows", path);
	for (AclEntry *e = (AclEntry *) (buf + 4); (uint8_t *) e < buf + size; e++) {
		uint16_t tag = le16toh(e->tag);
		if (tag != ACL_TAG_USER && tag != ACL_TAG_GROUP)
			continue;
		uid_t id = le32toh(e->id), to = shifted(w, id);
		if (to != id) {
			e->id = htole32(to);
			changed = true;
		}
	}
	if (changed && lsetxattr(file, attr, buf, (size_t) size, 0) < 0)
		return log_error_errno(errno, "Failed to change the ACL of '%s': %m", path);
	return 0;
}

static int shift_acls(const Walk *w, int dir_fd, const char *name, const struct stat *st, const char *path) {
	char file[64 + NAME_MAX];
	int r;

	if (S_ISLNK(st->st_mode))
		return 0; /* symlinks have no ACLs */
	/* By the directory's fd: the xattr calls take paths, and this one follows no symlink. */
	snprintf(file, sizeof file, "/proc/self/fd/%d%s%s", dir_fd, *name ? "/" : "", name);
	r = shift_acl(w, file, "system.posix_acl_access", path);
	if (r >= 0 && S_ISDIR(st->st_mode))
		r = shift_acl(w, file, "system.posix_acl_default", path);
	return r;
}

static int shift_entry(const Walk *w, int dir_fd, const char *name, const struct stat *st, const char *path) {
	uid_t uid = shifted(w, st->st_uid);
	gid_t gid = (gid_t) shifted(w, (uid_t) st->st_gid);
	int r;

	r = shift_acls(w, dir_fd, name, st, path);
	if (r < 0)
		return r;
	if (uid == st->st_uid && gid == st->st_gid)
		return 0;
	if (fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0)
		return log_error_errno(errno, "Failed to change the owner of '%s': %m", path);
	/* The kernel drops these bits on a change of owner; the file keeps what it had. */
	if (!S_ISLNK(st->st_mode) && !S_ISDIR(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    fchmodat(dir_fd, name, st->st_mode & 07777, 0) < 0)
		return log_error_errno(errno, "Failed to restore the mode of '%s': %m", path);
	return 0;
}

/* Both passes over the directory open as dir_fd (taken over), which is path. */
static int walk_dir(Walk *w, int dir_fd, const char *path) {
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = log_error_errno(errno, "Failed to read '%s': %m", path);
		safe_close(dir_fd);
		return r;
	}
	while (r >= 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *child = NULL;
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0) {
			r = log_error_errno(ENOMEM, "Out of memory");
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = log_error_errno(errno, "Failed to look at '%s': %m", child);
			break;
		}
		/* Something mounted inside the tree is not the tree's. */
		if (st.st_dev != w->dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				r = log_error_errno(errno, "Failed to open '%s': %m", child);
				break;
			}
			r = walk_dir(w, fd, child);
			if (r < 0)
				break;
		} else if (!w->change && st.st_nlink > 1) {
			r = remember_link(w, &st, child);
			if (r < 0)
				r = log_error_errno(r, "Out of memory");
		}
		if (r >= 0 && w->change)
			r = shift_entry(w, dirfd(d), de->d_name, &st, child);
	}
	if (r >= 0 && errno != 0)
		r = log_error_errno(errno, "Failed to read '%s': %m", path);
	closedir(d);
	return r;
}

static int walk(Walk *w, const char *path) {
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = log_error_errno(errno, "Failed to open '%s': %m", path);
		safe_close(fd);
		return r;
	}
	w->dev = st.st_dev;
	if (w->change) {
		/* The root last: its owner says the tree is shifted, so it must not say so too early. */
		int root_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		int r = root_fd < 0 ? -errno : walk_dir(w, fd, path);
		if (r >= 0)
			r = shift_entry(w, root_fd, "", &st, path);
		safe_close(root_fd);
		return r;
	}
	return walk_dir(w, fd, path);
}

int uid_shift_tree(const char *path, uid_t from, uid_t to, uid_t range) {
	Walk w = { .from = from, .to = to, .range = range };
	int r;

	if (from == to)
		return 0;
	r = walk(&w, path);
	for (size_t i = 0; r >= 0 && i < w.n_linked; i++)
		if (w.linked[i].seen < w.linked[i].nlink)
			r = log_error_errno(EXDEV, "'%s' has hard links outside the tree '%s', whose owner would change "
						  "too: refusing to change the owners of the tree", w.linked[i].path, path);
	for (size_t i = 0; i < w.n_linked; i++)
		free(w.linked[i].path);
	free(w.linked);
	if (r < 0)
		return r;
	w = (Walk) { .from = from, .to = to, .range = range, .change = true };
	return walk(&w, path);
}
