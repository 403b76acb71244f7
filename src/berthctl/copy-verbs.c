/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* copy-to and copy-from: files between the host and a running machine. Paths in the machine are
 * looked up with its root as "/" (chase.h), through /proc/LEADER/root, which is the machine's
 * root in its own mount namespace (a disk image's too): no symlink in the machine leads a copy to
 * or from the host's files. A machine with a user namespace of its own sees its files' owners
 * shifted: copies into it get the host owners moved into its range (root becomes the machine's
 * root), copies out of it get them moved back. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/securebits.h>

#include "berthctl.h"
#include "chase.h"
#include "copy.h"
#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"

/* Where the machine's UIDs 0.. lie on the host: range 0 for a machine without a user namespace
 * of its own. */
typedef struct MachineIds {
	uid_t base, range;
} MachineIds;

static int read_machine_ids(pid_t leader, MachineIds *ret) {
	char path[64];
	unsigned long inside, outside, count;
	FILE *f;
	int n;

	snprintf(path, sizeof path, "/proc/%d/uid_map", (int) leader);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	fclose(f);
	if (n != 3)
		return -EBADMSG;
	*ret = inside == 0 && outside == 0 ? (MachineIds) {} : (MachineIds) { (uid_t) outside, (uid_t) count };
	return 0;
}

/* The machine's root directory, as an O_PATH fd, and its ID range. */
static int open_machine_root(const char *name, int *ret, MachineIds *ret_ids) {
	MachineRecord rec = {};
	char path[64];
	int pidfd, fd, r;

	r = machine_lookup(name, &rec);
	if (r < 0)
		return r;
	pidfd = machine_open_leader(&rec);
	snprintf(path, sizeof path, "/proc/%d/root", (int) rec.leader);
	r = pidfd < 0 ? pidfd : read_machine_ids(rec.leader, ret_ids);
	machine_record_done(&rec);
	if (pidfd < 0)
		return pidfd;
	safe_close(pidfd);
	if (r < 0)
		return log_error_errno(r, "Failed to read the user namespace of machine '%s': %m", name);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to open the root of machine '%s': %m", name);
	*ret = fd;
	return 0;
}

/* New files in the machine should belong to its root, and its tree may be an id-mapped mount,
 * which refuses files of owners outside the machine's range: files are created with the machine
 * root's host ID. The secure bit keeps our capabilities while the file system ID is not 0. */
static int create_as_machine_root(const MachineIds *ids) {
	if (ids->range == 0)
		return 0;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP) < 0)
		return -errno;
	setfsgid(ids->base);
	setfsuid(ids->base);
	return setfsuid(-1) == (int) ids->base ? 0 : -EPERM;
}

/* "/proc/self/fd/N/BASE": a path that names BASE in the directory open as fd, which the kernel
 * takes as it is, without looking up the directory's path again. */
static char *path_below_fd(int fd, const char *base) {
	char *p = NULL;
	return asprintf(&p, "/proc/self/fd/%d/%s", fd, base) < 0 ? NULL : p;
}

/* Splits path into its parent directory and last component (which must be a name). */
static int split_last(const char *path, char **ret_dir, char **ret_base) {
	_cleanup_free_ char *a = strdup(path), *b = strdup(path);
	char *base, *dir;

	if (!a || !b)
		return -ENOMEM;
	base = basename(a);
	dir = dirname(b);
	if (!*base || streq(base, "/") || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	*ret_dir = strdup(dir);
	*ret_base = strdup(base);
	return *ret_dir && *ret_base ? 0 : -ENOMEM;
}

int verb_copy_to(int argc, char *argv[]) {
	_cleanup_close_ int root_fd = -EBADF, parent_fd = -EBADF;
	_cleanup_free_ char *dir = NULL, *base = NULL, *target = NULL;
	const char *source = argv[2], *dest = argc > 3 ? argv[3] : argv[2];
	MachineIds ids;
	int r;

	if (split_last(dest, &dir, &base) < 0) {
		log_error("Invalid destination '%s' in machine '%s'", dest, argv[1]);
		return 1;
	}
	if (access(source, F_OK) < 0)
		return log_error_errno(errno, "Cannot copy '%s': %m", source);
	r = open_machine_root(argv[1], &root_fd, &ids);
	if (r < 0)
		return r;
	r = create_as_machine_root(&ids);
	if (r < 0)
		return log_error_errno(r, "Failed to take the IDs of machine '%s': %m", argv[1]);
	parent_fd = chase_create(root_fd, dir, CHASE_CREATE_DIRECTORY);
	if (parent_fd < 0)
		return log_error_errno(parent_fd, "Failed to find '%s' in machine '%s': %m", dir, argv[1]);
	target = path_below_fd(parent_fd, base);
	if (!target)
		return log_error_errno(ENOMEM, "Out of memory");
	r = copy_tree_shifted(source, target, COPY_REFLINK | COPY_FILE, NULL,
			      &(CopyOwnerShift) { .from = 0, .to = ids.base, .range = ids.range });
	if (r == -EEXIST) {
		log_error("'%s' exists in machine '%s' already", dest, argv[1]);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to copy '%s' to '%s' in machine '%s': %m", source, dest, argv[1]);
	return 0;
}

int verb_copy_from(int argc, char *argv[]) {
	_cleanup_close_ int root_fd = -EBADF, source_fd = -EBADF;
	_cleanup_free_ char *source = NULL, *dir = NULL, *base = NULL;
	const char *inside = argv[2], *dest = argc > 3 ? argv[3] : argv[2];
	MachineIds ids;
	int r;

	if (split_last(dest, &dir, &base) < 0) {
		log_error("Invalid destination '%s'", dest);
		return 1;
	}
	r = open_machine_root(argv[1], &root_fd, &ids);
	if (r < 0)
		return r;
	source_fd = chase_open(root_fd, inside, O_PATH);
	if (source_fd < 0)
		return log_error_errno(source_fd, "Failed to find '%s' in machine '%s': %m", inside, argv[1]);
	if (asprintf(&source, "/proc/self/fd/%d", source_fd) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = copy_tree_shifted(source, dest, COPY_REFLINK | COPY_FILE, NULL,
			      &(CopyOwnerShift) { .from = ids.base, .to = 0, .range = ids.range });
	if (r == -EEXIST) {
		log_error("'%s' exists already", dest);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to copy '%s' of machine '%s' to '%s': %m", inside, argv[1], dest);
	return 0;
}
