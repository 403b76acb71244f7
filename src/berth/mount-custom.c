/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "copy.h"
#include "fd-util.h"
#include "log.h"
#include "mount-custom.h"
#include "mount-fs.h"
#include "mount.h"
#include "rootfs.h"
#include "strv.h"

/* Temporary bind sources and overlay upper directories: on the tmpfs where the root is assembled,
 * which lives in the container's mount namespace only and goes with it. */
#define TEMP_DIR ROOTFS_STAGING_DIR "/custom"

static bool path_is_root(const char *path) {
	return path[strspn(path, "/")] == 0;
}

/* Compares paths component by component, so that a directory sorts before what is below it. */
static int path_compare(const char *a, const char *b) {
	for (;;) {
		size_t na, nb;
		int r;

		a += strspn(a, "/");
		b += strspn(b, "/");
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		na = strcspn(a, "/");
		nb = strcspn(b, "/");
		r = memcmp(a, b, MIN(na, nb));
		if (r != 0)
			return r;
		if (na != nb)
			return na < nb ? -1 : 1;
		a += na;
		b += nb;
	}
}

/* As nspawn does: by destination, so that a mount below another one's destination lands on it and
 * is not hidden by it; for the same destination, in the order given (the last one on top). */
static int custom_mount_compare(const void *x, const void *y) {
	const CustomMount *a = x, *b = y;
	int r = path_compare(a->mount->destination, b->mount->destination);
	return r != 0 ? r : (a->index > b->index) - (a->index < b->index);
}

/* A source path: "+PATH" is looked up in the container's root, anything else on the host. */
static int source_open(int root_fd, const char *path, int flags) {
	int fd;

	if (path[0] == '+')
		return chase_open(root_fd, path + 1, flags);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int source_create_directory(int root_fd, const char *path) {
	_cleanup_close_ int host_fd = -EBADF;

	if (path[0] == '+')
		return chase_create(root_fd, path + 1, CHASE_CREATE_DIRECTORY);
	host_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_fd < 0)
		return -errno;
	return chase_create(host_fd, path, CHASE_CREATE_DIRECTORY);
}

/* The directory holding path, keeping its "+": "+/a" for "+/a/b", "/" for "/a". */
static char *parent_of(const char *path) {
	bool plus = path[0] == '+';
	const char *p = path + plus;
	size_t n = strlen(p);
	char *ret;

	while (n > 1 && p[n - 1] == '/')
		n--;
	while (n > 0 && p[n - 1] != '/')
		n--;
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 0)
		n = 1; /* a path without '/', which the parser does not let through */
	if (asprintf(&ret, "%s%.*s", plus ? "+" : "", (int) n, p) < 0)
		return NULL;
	return ret;
}

/* An overlay's work directory must be on the upper directory's file system, but not inside it: a
 * new one beside it, with a name nobody else picks. */
static int make_work_dir(int root_fd, const char *upper, CustomMount *m) {
	_cleanup_free_ char *parent = parent_of(upper), *name = NULL;
	_cleanup_close_ int fd = -EBADF;
	uint64_t id;

	if (!parent)
		return -ENOMEM;
	fd = source_open(root_fd, parent, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return fd;
	if (getrandom(&id, sizeof id, 0) != sizeof id)
		return -EIO;
	if (asprintf(&name, ".#berth-work-%016" PRIx64, id) < 0)
		return -ENOMEM;
	if (mkdirat(fd, name, 0700) < 0)
		return -errno;
	if (asprintf(&m->work_path, "%s%s%s", parent, parent[strlen(parent) - 1] == '/' ? "" : "/", name) < 0) {
		(void) unlinkat(fd, name, AT_REMOVEDIR);
		return -ENOMEM;
	}
	m->work_parent_fd = TAKE_FD(fd);
	m->work_name = TAKE_PTR(name);
	return 0;
}

static int check_host_source(const char *path, const NspawnMount *nm, const char *what) {
	struct stat st;

	if (!path || path[0] == '+' || stat(path, &st) >= 0)
		return 0;
	return log_error_errno(errno, "Cannot use '%s' as %s for '%s': %m", path, what, nm->destination);
}

static int prepare_one(const Settings *s, int tree_fd, CustomMount *m) {
	const NspawnMount *nm = m->mount;
	/* In the overlay and volatile modes, "+" paths are in a root that is thrown away: the child
	 * makes what they need there. */
	bool root_is_tree = !s->ephemeral && s->volatile_mode == VOLATILE_NO;
	int r;

	if (nm->type == NSPAWN_MOUNT_BIND)
		return check_host_source(nm->source, nm, "the bind source");
	if (nm->type != NSPAWN_MOUNT_OVERLAY)
		return 0;
	STRV_FOREACH(l, nm->lower)
		if ((r = check_host_source(*l, nm, "a lower directory of the overlay")) < 0)
			return r;
	if (nm->read_only)
		return check_host_source(nm->source, nm, "the top directory of the overlay");
	if (!nm->source || (nm->source[0] == '+' && !root_is_tree))
		return 0;
	r = source_create_directory(tree_fd, nm->source);
	if (r < 0)
		return log_error_errno(r, "Failed to create '%s', the upper directory of the overlay on '%s': %m",
				       nm->source, nm->destination);
	close(r);
	r = make_work_dir(tree_fd, nm->source, m);
	if (r < 0)
		return log_error_errno(r, "Failed to create a work directory beside '%s' for the overlay on '%s': %m",
				       nm->source, nm->destination);
	return 0;
}

int mount_custom_prepare(const Settings *s, CustomMounts *ret) {
	CustomMounts c = { .n = s->n_mounts };
	_cleanup_close_ int tree_fd = -EBADF;
	int r = 0;

	*ret = (CustomMounts) {};
	if (c.n == 0)
		return 0;
	c.mounts = calloc(c.n, sizeof *c.mounts);
	if (!c.mounts)
		return log_error_errno(ENOMEM, "Out of memory");
	for (size_t i = 0; i < c.n; i++)
		c.mounts[i] = (CustomMount) { .mount = &s->mounts[i], .index = i, .work_parent_fd = -EBADF,
					      .tree_fd = -EBADF };
	qsort(c.mounts, c.n, sizeof *c.mounts, custom_mount_compare);

	tree_fd = open(s->directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tree_fd < 0)
		r = log_error_errno(errno, "Failed to open '%s': %m", s->directory);
	for (size_t i = 0; r >= 0 && i < c.n; i++)
		r = prepare_one(s, tree_fd, &c.mounts[i]);
	if (r < 0) {
		mount_custom_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

/* TEMP_DIR/N[/sub], a new empty directory for mount N. */
static int make_temp_dir(size_t n, const char *sub, char **ret) {
	_cleanup_free_ char *path = NULL;

	if (mkdir(TEMP_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (asprintf(&path, TEMP_DIR "/%zu", n) < 0)
		return -ENOMEM;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (sub) {
		free(path);
		if (asprintf(&path, TEMP_DIR "/%zu/%s", n, sub) < 0)
			return -ENOMEM;
		if (mkdir(path, 0755) < 0)
			return -errno;
	}
	*ret = TAKE_PTR(path);
	return 0;
}

/* A bind source as a detached mount: the host's before pivot_root, "+" ones in root_fd. An ID
 * mapping is for a container whose root is host ID base. */
static int take_bind(int root_fd, CustomMount *m, size_t n, uid_t base) {
	const NspawnMount *nm = m->mount;
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (nm->recursive ? AT_RECURSIVE : 0);
	_cleanup_free_ char *temp = NULL;
	const char *source = nm->source;
	struct stat st;
	int fd, r;

	if (!source) {
		r = make_temp_dir(n, NULL, &temp);
		if (r < 0)
			return log_error_errno(r, "Failed to create a temporary directory for '%s': %m", nm->destination);
		source = temp;
	}
	if (source[0] == '+') {
		_cleanup_close_ int src = chase_open(root_fd, source + 1, O_PATH);
		if (src < 0)
			return log_error_errno(src, "Failed to find '%s' in the container, to bind to '%s': %m",
					       source + 1, nm->destination);
		fd = open_tree(src, "", flags | AT_EMPTY_PATH);
	} else
		fd = open_tree(AT_FDCWD, source, flags);
	if (fd < 0)
		return log_error_errno(errno, "Failed to take '%s' to bind to '%s': %m", source, nm->destination);
	m->tree_fd = fd;
	if (fstat(fd, &st) < 0)
		return log_error_errno(errno, "Failed to look at '%s': %m", source);
	m->source_type = st.st_mode & S_IFMT;
	if (nm->read_only && (r = mount_tree_set_read_only(fd)) < 0)
		return log_error_errno(r, "Failed to make the bind of '%s' to '%s' read-only: %m", source,
				       nm->destination);
	if (nm->idmap != BIND_IDMAP_NONE && (r = mount_tree_idmap(fd, nm->idmap, st.st_uid, base)) < 0)
		return log_error_errno(r, "Failed to map the IDs of the bind of '%s' to '%s' (%s): %m", source,
				       nm->destination, bind_idmap_to_string(nm->idmap));
	return 0;
}

/* The upper and work directories of a writable overlay, as O_PATH fds. */
static int overlay_upper(int root_fd, CustomMount *m, size_t n, int *ret_upper, int *ret_work) {
	const NspawnMount *nm = m->mount;
	_cleanup_free_ char *upper = NULL, *work = NULL;
	_cleanup_close_ int upper_fd = -EBADF;
	int r;

	if (!nm->source) {
		if ((r = make_temp_dir(n, "upper", &upper)) < 0 || (r = make_temp_dir(n, "work", &work)) < 0)
			return r;
		upper_fd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
		*ret_work = open(work, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (upper_fd < 0 || *ret_work < 0)
			return -errno;
		*ret_upper = TAKE_FD(upper_fd);
		return 0;
	}
	/* Not prepared by berth: a "+" directory in a root that is thrown away, made here. */
	if (!m->work_path) {
		r = source_create_directory(root_fd, nm->source);
		if (r < 0)
			return r;
		close(r);
		r = make_work_dir(root_fd, nm->source, m);
		if (r < 0)
			return r;
	}
	upper_fd = source_open(root_fd, nm->source, O_PATH | O_DIRECTORY);
	if (upper_fd < 0)
		return upper_fd;
	*ret_work = source_open(root_fd, m->work_path, O_PATH | O_DIRECTORY);
	if (*ret_work < 0)
		return *ret_work;
	*ret_upper = TAKE_FD(upper_fd);
	return 0;
}

static int open_layer(int root_fd, const char *path, const NspawnMount *nm, const char *what, int *ret_fd) {
	*ret_fd = source_open(root_fd, path, O_PATH | O_DIRECTORY);
	if (*ret_fd < 0)
		return log_error_errno(*ret_fd, "Failed to open '%s', %s of the overlay on '%s': %m", path, what,
				       nm->destination);
	return 0;
}

static int take_overlay(int root_fd, CustomMount *m, size_t n) {
	const NspawnMount *nm = m->mount;
	size_t n_lower = strv_length(nm->lower), n_layers = 0;
	_cleanup_free_ int *layers = calloc(n_lower + 1, sizeof(int));
	_cleanup_close_ int upper = -EBADF, work = -EBADF;
	char message[256];
	int r = 0;

	if (!layers)
		return log_error_errno(ENOMEM, "Out of memory");
	/* A read-only overlay's given upper directory is its top layer. */
	if (nm->read_only && nm->source)
		r = open_layer(root_fd, nm->source, nm, "the top directory", &layers[n_layers++]);
	for (size_t i = n_lower; r >= 0 && i > 0; i--)
		r = open_layer(root_fd, nm->lower[i - 1], nm, "a lower directory", &layers[n_layers++]);
	if (r >= 0 && !nm->read_only) {
		r = overlay_upper(root_fd, m, n, &upper, &work);
		if (r < 0)
			log_error_errno(r, "Failed to set up the upper directory of the overlay on '%s': %m",
					nm->destination);
	}
	/* Overlayfs wants two layers at least when nothing is written: one layer read-only is the
	 * same as a read-only bind of it (without what is mounted below, as in an overlay). */
	if (r >= 0 && upper < 0 && n_layers == 1) {
		m->tree_fd = open_tree(layers[0], "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (m->tree_fd < 0 || (r = mount_tree_set_read_only(m->tree_fd)) < 0)
			r = log_error_errno(m->tree_fd < 0 ? -errno : r, "Failed to make the overlay for '%s': %m",
					    nm->destination);
	} else if (r >= 0) {
		r = mount_overlay_detached(layers, n_layers, upper, work, nm->read_only, message, sizeof message);
		if (r < 0)
			log_error_errno(r, "Failed to make the overlay for '%s': %m%s%s", nm->destination,
					*message ? ": " : "", message);
		else
			m->tree_fd = r;
	}
	for (size_t i = 0; i < n_layers; i++)
		safe_close(layers[i]);
	return r < 0 ? r : 0;
}

static int take_one(int root_fd, CustomMount *m, size_t n) {
	const NspawnMount *nm = m->mount;

	if (nm->type == NSPAWN_MOUNT_INACCESSIBLE && path_is_root(nm->destination))
		return log_error_errno(EINVAL, "Cannot make the container's root directory inaccessible");
	if (m->tree_fd >= 0)
		return 0; /* taken by berth already (mount_custom_take_host_binds) */
	if (nm->type == NSPAWN_MOUNT_BIND && !(nm->source && nm->source[0] == '+'))
		return take_bind(root_fd, m, n, 0);
	if (nm->type == NSPAWN_MOUNT_OVERLAY)
		return take_overlay(root_fd, m, n);
	return 0; /* "+" binds, tmpfs and inaccessible: when attached */
}

static const char *inaccessible_node(mode_t mode) {
	switch (mode & S_IFMT) {
	case S_IFDIR: return "dir";
	case S_IFREG: return "reg";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	default: return NULL;
	}
}

/* Binds the node of the target's type from INACCESSIBLE_DIR over it, read-only. */
static int attach_inaccessible(int root_fd, CustomMount *m) {
	const char *dest = m->mount->destination, *node;
	_cleanup_close_ int target = chase_open(root_fd, dest, O_PATH), tree = -EBADF;
	char source[64];
	struct stat st;
	int r;

	if (target < 0)
		return log_error_errno(target, "Cannot make '%s' inaccessible: %m", dest);
	if (fstat(target, &st) < 0)
		return log_error_errno(errno, "Failed to look at '%s': %m", dest);
	node = inaccessible_node(st.st_mode);
	if (!node)
		return log_error_errno(EINVAL, "Cannot make '%s' inaccessible: unknown file type", dest);
	snprintf(source, sizeof source, INACCESSIBLE_DIR "/%s", node);
	tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return log_error_errno(errno, "Failed to take '%s': %m", source);
	if ((r = mount_tree_set_read_only(tree)) < 0 || (r = mount_tree_attach(tree, target)) < 0)
		return log_error_errno(r, "Failed to make '%s' inaccessible: %m", dest);
	return 0;
}

static int attach_tmpfs(CustomMount *m) {
	const NspawnMount *nm = m->mount;
	char message[256];
	int r = mount_tmpfs_detached(nm->options, message, sizeof message);

	if (r < 0)
		return log_error_errno(r, "Failed to make a tmpfs for '%s' with options '%s': %m%s%s",
				       nm->destination, nm->options, *message ? ": " : "", message);
	m->tree_fd = r;
	return 0;
}

static int attach_one(int root_fd, CustomMount *m, size_t n) {
	const NspawnMount *nm = m->mount;
	_cleanup_close_ int target = -EBADF;
	ChaseCreate what = CHASE_CREATE_DIRECTORY;
	int r;

	if (nm->type == NSPAWN_MOUNT_INACCESSIBLE)
		return attach_inaccessible(root_fd, m);
	if (m->tree_fd < 0) {
		r = nm->type == NSPAWN_MOUNT_TMPFS ? attach_tmpfs(m) : take_bind(root_fd, m, n, 0);
		if (r < 0)
			return r;
	}
	/* Any non-directory can be mounted on any other, as the kernel allows. */
	if (nm->type == NSPAWN_MOUNT_BIND && m->source_type != S_IFDIR)
		what = CHASE_CREATE_FILE;
	target = chase_create(root_fd, nm->destination, what);
	if (target == -ENOTDIR || target == -EISDIR)
		return log_error_errno(target, "Cannot mount a %s on '%s', which is not one",
				       what == CHASE_CREATE_FILE ? "file" : "directory", nm->destination);
	if (target < 0)
		return log_error_errno(target, "Failed to create the mount point '%s' in the container: %m",
				       nm->destination);
	r = mount_tree_attach(m->tree_fd, target);
	if (r < 0)
		return log_error_errno(r, "Failed to mount the %s on '%s': %m", nspawn_mount_type_to_string(nm->type),
				       nm->destination);
	m->tree_fd = safe_close(m->tree_fd);
	return 0;
}

static bool host_bind(const NspawnMount *nm) {
	return nm->type == NSPAWN_MOUNT_BIND && nm->source && nm->source[0] != '+';
}

int mount_custom_take_host_binds(CustomMounts *c, uid_t base) {
	for (size_t i = 0; i < c->n; i++) {
		if (!host_bind(c->mounts[i].mount))
			continue;
		int r = take_bind(-EBADF, &c->mounts[i], i, base);
		if (r < 0)
			return r;
	}
	return 0;
}

int mount_custom_take(CustomMounts *c, const char *root) {
	_cleanup_close_ int root_fd = -EBADF;

	if (c->n == 0)
		return 0;
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", root);
	for (size_t i = 0; i < c->n; i++) {
		CustomMount *m = &c->mounts[i];
		int r = take_one(root_fd, m, i);
		/* What replaces the root goes on before anything is mounted below it. */
		if (r >= 0 && path_is_root(m->mount->destination))
			r = attach_one(root_fd, m, i);
		if (r < 0)
			return r;
	}
	return 0;
}

int mount_custom_apply(CustomMounts *c) {
	_cleanup_close_ int root_fd = -EBADF;

	if (c->n == 0)
		return 0;
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open the container's root: %m");
	for (size_t i = 0; i < c->n; i++) {
		int r;
		if (path_is_root(c->mounts[i].mount->destination))
			continue;
		r = attach_one(root_fd, &c->mounts[i], i);
		if (r < 0)
			return r;
	}
	return 0;
}

void mount_custom_remove_work_dirs(const CustomMounts *c) {
	for (size_t i = 0; i < c->n; i++) {
		const CustomMount *m = &c->mounts[i];
		if (m->work_parent_fd >= 0) {
			int r = rm_rf_at(m->work_parent_fd, m->work_name);
			if (r < 0 && r != -ENOENT)
				log_warning_errno(r, "Failed to remove the overlay work directory '%s', ignoring: %m",
						  m->work_path);
		}
	}
}

void mount_custom_done(CustomMounts *c) {
	mount_custom_remove_work_dirs(c);
	for (size_t i = 0; i < c->n; i++) {
		CustomMount *m = &c->mounts[i];
		safe_close(m->work_parent_fd);
		safe_close(m->tree_fd);
		free(m->work_name);
		free(m->work_path);
	}
	free(c->mounts);
	*c = (CustomMounts) {};
}
