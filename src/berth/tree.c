/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "image-find.h"
#include "log.h"
#include "machine-record.h"
#include "tree.h"

static int tree_from_template(const Settings *s) {
	struct stat st;
	int r;

	if (stat(s->template, &st) < 0)
		return log_error_errno(errno, "Failed to access --template='%s': %m", s->template);
	if (!S_ISDIR(st.st_mode))
		return log_error_errno(ENOTDIR, "--template='%s' is not a directory", s->template);
	if (!s->quiet)
		log_info("Creating '%s' from template '%s'", s->directory, s->template);
	r = copy_tree(s->template, s->directory, COPY_REFLINK | COPY_SAME_MOUNT, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to copy --template='%s' to '%s': %m", s->template, s->directory);
	return 0;
}

static int tree_find_by_name(Settings *s) {
	ImageType type;
	char *path;
	int r;

	r = image_find(s->machine, NULL, &type, &path);
	if (r == -ENOENT)
		return log_error_errno(r, "No image '%s' in /var/lib/machines, /usr/local/lib/machines, "
					  "/usr/lib/machines or /var/lib/container: use --directory=PATH",
				       s->machine);
	if (r < 0)
		return log_error_errno(r, "Failed to look up image '%s': %m", s->machine);
	/* A raw image is mounted by the caller (image_raw_setup()). */
	if (type == IMAGE_RAW)
		s->image = path;
	else
		s->directory = path;
	return 0;
}

/* Like nspawn: a command needs /usr/ in the tree. */
static int tree_check_os(const char *root) {
	_cleanup_close_ int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return log_error_errno(errno, "Failed to open directory '%s': %m", root);
	if (fstatat(fd, "usr", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return log_error_errno(ENOTDIR, "Directory '%s' does not look like an OS tree: it has no /usr/ "
						"directory", root);
	return 0;
}

int tree_resolve(Settings *s) {
	char *canonical;
	int r;

	if (s->image)
		return 0;
	if (!s->directory) {
		r = tree_find_by_name(s);
		if (r < 0 || s->image)
			return r;
	} else if (s->template && access(s->directory, F_OK) < 0 && errno == ENOENT) {
		r = tree_from_template(s);
		if (r < 0)
			return r;
	}

	canonical = realpath(s->directory, NULL);
	if (!canonical)
		return log_error_errno(errno, "Failed to access directory '%s': %m", s->directory);
	free(s->directory);
	s->directory = canonical;
	if (streq(canonical, "/"))
		return log_error_errno(EINVAL, "Refusing to run the host's root directory as a container");
	return tree_check_os(canonical);
}

int tree_lock(const char *root, bool shared, int *ret_fd) {
	_cleanup_close_ int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	MachineRecord holder = {};

	if (fd < 0)
		return log_error_errno(errno, "Failed to open directory '%s': %m", root);
	if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) >= 0) {
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK)
		return log_error_errno(errno, "Failed to lock directory '%s': %m", root);

	if (machine_record_find_by_root(MACHINE_RECORD_DIR, root, &holder) >= 0) {
		log_error("Directory '%s' is in use by running machine '%s'%s", root, holder.name,
			  shared ? "" : "; use --ephemeral, --volatile or --read-only to run it alongside");
		machine_record_done(&holder);
	} else
		log_error("Directory '%s' is in use by another container", root);
	return -EBUSY;
}
