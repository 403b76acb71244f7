/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chase.h"
#include "fileio.h"
#include "id128-util.h"
#include "log.h"
#include "machine-id.h"
#include "mount-util.h"

#define TRANSIENT_ID_PATH "/run/machine-id"

/* The tree's id, read without following its symlinks out of the tree. */
static int read_tree_machine_id(const char *tree, sd_id128_t *ret) {
	_cleanup_close_ int root_fd = open(tree, O_DIRECTORY | O_PATH | O_CLOEXEC), fd = -EBADF;
	_cleanup_free_ char *text = NULL;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int r;

	if (root_fd < 0)
		return -errno;
	fd = (int) syscall(SYS_openat2, root_fd, "etc/machine-id", &how, sizeof how);
	if (fd < 0)
		return -errno;
	r = read_full_fd(fd, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = 0;
	/* Empty and "uninitialized" both mean: no id yet. */
	if (id128_from_string(text, ret) < 0 || sd_id128_is_null(*ret))
		return -ENOMEDIUM;
	return 0;
}

int machine_id_pick(const char *tree, sd_id128_t fallback, sd_id128_t *ret, bool *ret_transient) {
	sd_id128_t id;
	int r;

	if (read_tree_machine_id(tree, &id) >= 0) {
		*ret = id;
		*ret_transient = false;
		return 0;
	}
	if (sd_id128_is_null(fallback)) {
		r = id128_randomize(&fallback);
		if (r < 0)
			return log_error_errno(r, "Failed to generate a machine id: %m");
	}
	*ret = fallback;
	*ret_transient = true;
	return 0;
}

int machine_id_bind_transient(sd_id128_t id) {
	char text[SD_ID128_STRING_MAX + 1];
	int r;

	snprintf(text, sizeof text, "%s\n", ID128_TO_STRING(id));
	r = write_file_at(AT_FDCWD, TRANSIENT_ID_PATH, text, strlen(text), 0444);
	if (r < 0)
		return log_error_errno(r, "Failed to write %s: %m", TRANSIENT_ID_PATH);

	if (access("/etc", F_OK) < 0)
		return 0;
	if (access("/etc/machine-id", F_OK) < 0) {
		/* Missing, or a dangling symlink: made where it leads, inside the container's root. */
		_cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF;
		fd = root_fd < 0 ? -errno : chase_create(root_fd, "/etc/machine-id", CHASE_CREATE_FILE);
		if (fd < 0) {
			/* A read-only tree without the file: the id is still in the environment. */
			log_debug_errno(fd, "Cannot create /etc/machine-id, not binding an id: %m");
			return 0;
		}
	}
	r = mount_bind(TRANSIENT_ID_PATH, "/etc/machine-id", true);
	if (r < 0)
		return log_error_errno(r, "Failed to bind a transient id over /etc/machine-id: %m");
	return 0;
}
