/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "copy.h"
#include "fd-util.h"
#include "locked-entry.h"
#include "macro.h"

/* Files with several links are copied once and linked again, so the copy has the same shape. */
typedef struct HardLink {
	dev_t dev;
	ino_t ino;
	char *path; /* relative to the copy's root */
} HardLink;

typedef struct CopyContext {
	CopyFlags flags;
	CopyProgress *progress;
	const CopyOwnerShift *shift;
	dev_t root_dev;
	int dst_root_fd;
	HardLink *links;
	size_t n_links;
} CopyContext;

static void copy_context_done(CopyContext *c) {
	for (size_t i = 0; i < c->n_links; i++)
		free(c->links[i].path);
	free(c->links);
}

static const char *hardlink_find(const CopyContext *c, const struct stat *st) {
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return c->links[i].path;
	return NULL;
}

static int hardlink_remember(CopyContext *c, const struct stat *st, const char *path) {
	HardLink *l = reallocarray(c->links, c->n_links + 1, sizeof(HardLink));
	char *p;

	if (!l)
		return -ENOMEM;
	c->links = l;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	c->links[c->n_links++] = (HardLink) { .dev = st->st_dev, .ino = st->st_ino, .path = p };
	return 0;
}

/* Extended attributes carry ACLs, file capabilities and SELinux labels: a tree without them may not
 * boot (ping without cap_net_raw, for one). */
static int copy_xattrs(int src_fd, int dst_fd) {
	char names[16384], value[65536];
	ssize_t n = flistxattr(src_fd, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		ssize_t size = fgetxattr(src_fd, name, value, sizeof(value));
		if (size < 0)
			return -errno;
		if (fsetxattr(dst_fd, name, value, size, 0) < 0 && errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

static int copy_metadata(int src_fd, int dst_fd, const struct stat *st) {
	struct timespec times[2] = { st->st_atim, st->st_mtim };

	if (fchown(dst_fd, st->st_uid, st->st_gid) < 0)
		return -errno;
	/* After chown, which clears setuid bits. */
	if (fchmod(dst_fd, st->st_mode & 07777) < 0)
		return -errno;
	int r = copy_xattrs(src_fd, dst_fd);
	if (r < 0)
		return r;
	return futimens(dst_fd, times) < 0 ? -errno : 0;
}

static void progress_add(CopyContext *c, uint64_t bytes, bool shared) {
	if (!c->progress)
		return;
	c->progress->bytes_done += bytes;
	if (shared)
		c->progress->bytes_shared += bytes;
	if (c->progress->update)
		c->progress->update(c->progress, c->progress->userdata);
}

static int copy_file_data(CopyContext *c, int src_fd, int dst_fd, const struct stat *st) {
	if ((c->flags & COPY_REFLINK) && ioctl(dst_fd, FICLONE, src_fd) >= 0) {
		progress_add(c, (uint64_t) st->st_size, true);
		return 0;
	}
	for (bool in_kernel = true;;) {
		char buf[65536];
		ssize_t n;
		int r;

		if (in_kernel) {
			n = copy_file_range(src_fd, NULL, dst_fd, NULL, 1 << 30, 0);
			/* Between file systems of different types the kernel will not: copy by hand. */
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS)) {
				in_kernel = false;
				continue;
			}
		} else {
			n = read(src_fd, buf, sizeof buf);
			if (n > 0 && (r = loop_write(dst_fd, buf, (size_t) n)) < 0)
				return r;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		progress_add(c, (uint64_t) n, false);
	}
}

static int copy_regular(CopyContext *c, int src_dir, int dst_dir, const char *name, const struct stat *st) {
	_cleanup_close_ int src_fd = -EBADF, dst_fd = -EBADF;
	int r;

	src_fd = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (src_fd < 0)
		return -errno;
	dst_fd = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst_fd < 0)
		return -errno;
	r = copy_file_data(c, src_fd, dst_fd, st);
	if (r < 0)
		return r;
	return copy_metadata(src_fd, dst_fd, st);
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, const struct stat *st) {
	char target[PATH_MAX];
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = 0;
	if (symlinkat(target, dst_dir, name) < 0)
		return -errno;
	if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_node(int dst_dir, const char *name, const struct stat *st) {
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	_cleanup_close_ int fd = -EBADF;

	if (mknodat(dst_dir, name, st->st_mode, st->st_rdev) < 0)
		return -errno;
	/* O_PATH: opening a fifo or device for real could block or have effects. */
	fd = openat(dst_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchownat(fd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH) < 0)
		return -errno;
	if (fchmodat(dst_dir, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	return utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_dir_contents(CopyContext *c, int src_fd, int dst_fd, const char *rel);

static void shift_owner(const CopyContext *c, struct stat *st) {
	const CopyOwnerShift *s = c->shift;

	if (!s)
		return;
	if (st->st_uid >= s->from && st->st_uid - s->from < s->range)
		st->st_uid = st->st_uid - s->from + s->to;
	if (st->st_gid >= s->from && st->st_gid - s->from < s->range)
		st->st_gid = st->st_gid - s->from + s->to;
}

static int copy_entry(CopyContext *c, int src_dir, int dst_dir, const char *name, const char *rel) {
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int r;

	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	shift_owner(c, &st);
	if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", name) < 0)
		return -ENOMEM;

	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		const char *first = hardlink_find(c, &st);
		if (first)
			return linkat(c->dst_root_fd, first, dst_dir, name, 0) < 0 ? -errno : 0;
		r = hardlink_remember(c, &st, path);
		if (r < 0)
			return r;
	}

	if (S_ISREG(st.st_mode))
		return copy_regular(c, src_dir, dst_dir, name, &st);
	if (S_ISLNK(st.st_mode))
		return copy_symlink(src_dir, dst_dir, name, &st);
	if (!S_ISDIR(st.st_mode))
		return copy_node(dst_dir, name, &st);

	/* A mount point below the source is copied as an empty directory. */
	_cleanup_close_ int sub_src = -EBADF, sub_dst = -EBADF;
	sub_src = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub_src < 0)
		return -errno;
	if (mkdirat(dst_dir, name, 0700) < 0)
		return -errno;
	sub_dst = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub_dst < 0)
		return -errno;
	if (!(c->flags & COPY_SAME_MOUNT) || st.st_dev == c->root_dev) {
		r = copy_dir_contents(c, sub_src, sub_dst, path);
		if (r < 0)
			return r;
	}
	return copy_metadata(sub_src, sub_dst, &st);
}

/* Calls fn for each entry of the directory fd but "." and "..", stopping at the first error unless
 * keep_going is set, in which case the first error is returned at the end. */
static int for_each_entry(int fd, bool keep_going, int (*fn)(int fd, const char *name, void *userdata),
			  void *userdata) {
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d;
	int r = 0;

	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int k = fn(fd, de->d_name, userdata);
		if (k < 0 && r >= 0)
			r = k;
		if (r < 0 && !keep_going)
			break;
	}
	closedir(d);
	return r;
}

typedef struct CopyDir {
	CopyContext *context;
	int dst_fd;
	const char *rel;
} CopyDir;

static int copy_one(int src_fd, const char *name, void *userdata) {
	CopyDir *d = userdata;
	return copy_entry(d->context, src_fd, d->dst_fd, name, d->rel);
}

static int copy_dir_contents(CopyContext *c, int src_fd, int dst_fd, const char *rel) {
	CopyDir d = { .context = c, .dst_fd = dst_fd, .rel = rel };
	return for_each_entry(src_fd, false, copy_one, &d);
}

/* Splits dst into its parent directory (opened) and its last component. */
static int open_parent(const char *path, char **ret_name) {
	_cleanup_free_ char *copy = strdup(path);
	char *slash, *name;
	int fd;

	if (!copy)
		return -ENOMEM;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = 0;
	slash = strrchr(copy, '/');
	if (slash && slash[1] == 0)
		return -EINVAL;
	name = strdup(slash ? slash + 1 : copy);
	if (!name)
		return -ENOMEM;
	if (slash == copy)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		if (slash)
			*slash = 0;
		fd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0) {
		free(name);
		return -errno;
	}
	*ret_name = name;
	return fd;
}

int copy_tree(const char *src, const char *dst, CopyFlags flags, CopyProgress *progress) {
	return copy_tree_shifted(src, dst, flags, progress, NULL);
}

int copy_tree_shifted(const char *src, const char *dst, CopyFlags flags, CopyProgress *progress,
		      const CopyOwnerShift *shift) {
	_cleanup_close_ int src_fd = -EBADF, parent_fd = -EBADF, tmp_fd = -EBADF;
	_cleanup_free_ char *name = NULL, *tmp_name = NULL;
	CopyContext c = { .flags = flags, .progress = progress, .shift = shift };
	struct stat st;
	int r;

	src_fd = open(src, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (src_fd < 0)
		return -errno;
	if (fstat(src_fd, &st) < 0)
		return -errno;
	shift_owner(&c, &st);
	if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && (flags & COPY_FILE)))
		return -ENOTDIR;
	parent_fd = open_parent(dst, &name);
	if (parent_fd < 0)
		return parent_fd;
	if (faccessat(parent_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
		return -EEXIST;
	if (asprintf(&tmp_name, ".#%s.%d", name, (int) getpid()) < 0)
		return -ENOMEM;
	/* Locked while it is built, so a cleaner of hidden entries leaves it alone. */
	tmp_fd = locked_entry_create(parent_fd, tmp_name, S_ISDIR(st.st_mode), S_ISDIR(st.st_mode) ? 0700 : 0600);
	if (tmp_fd < 0)
		return tmp_fd;
	if (S_ISREG(st.st_mode)) {
		r = copy_file_data(&c, src_fd, tmp_fd, &st);
		if (r >= 0)
			r = copy_metadata(src_fd, tmp_fd, &st);
		if (r >= 0 && renameat2(parent_fd, tmp_name, parent_fd, name, RENAME_NOREPLACE) < 0)
			r = -errno;
		if (r < 0)
			(void) unlinkat(parent_fd, tmp_name, 0);
		return r;
	}
	c.root_dev = st.st_dev;
	c.dst_root_fd = tmp_fd;
	r = copy_dir_contents(&c, src_fd, tmp_fd, "");
	if (r >= 0)
		r = copy_metadata(src_fd, tmp_fd, &st);
	if (r >= 0 && renameat2(parent_fd, tmp_name, parent_fd, name, RENAME_NOREPLACE) < 0)
		r = -errno;
	copy_context_done(&c);
	if (r < 0)
		(void) rm_rf_at(parent_fd, tmp_name);
	return r;
}

static int rm_dir_contents(int fd, dev_t dev);

static int rm_one(int fd, const char *name, void *userdata) {
	dev_t dev = *(dev_t *) userdata;
	struct stat st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		/* Something mounted below is not ours to delete; a btrfs subvolume inside the tree has
		 * a device number of its own too, but is no mount point, and goes with the tree. */
		struct statx stx;
		if (st.st_dev != dev &&
		    (statx(fd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0 || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
		     (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)))
			return -EBUSY;
		int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return -errno;
		int r = rm_dir_contents(sub, st.st_dev);
		close(sub);
		if (r < 0)
			return r;
	}
	return unlinkat(fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
}

/* Removes what it can and reports the first failure. */
static int rm_dir_contents(int fd, dev_t dev) {
	return for_each_entry(fd, true, rm_one, &dev);
}

int rm_rf_at(int dir_fd, const char *name) {
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = rm_dir_contents(fd, st.st_dev);
	if (r < 0)
		return r;
	return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}
