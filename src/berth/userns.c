/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "host-users.h"
#include "log.h"
#include "mount-fs.h"
#include "mount-util.h"
#include "process-util.h"
#include "socket-util.h"
#include "uid-shift.h"
#include "userns.h"

#define BLOCK UINT32_C(0x10000)

uid_t userns_candidate(const char *machine, unsigned n) {
	uint32_t blocks = (USERNS_PICK_LAST - USERNS_PICK_FIRST) / BLOCK + 1;
	uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a: stable across builds and hosts */

	for (const char *p = machine; *p; p++)
		h = (h ^ (uint8_t) *p) * UINT64_C(1099511628211);
	for (unsigned i = 0; i < sizeof n; i++)
		h = (h ^ ((n >> (8 * i)) & 0xff)) * UINT64_C(1099511628211);
	return USERNS_PICK_FIRST + (uid_t) (h % blocks) * BLOCK;
}

/* A 64K block is held by an abstract socket bound to a name of its own: the kernel refuses a second
 * one, and releases it with the last process holding it (berth, its guardian), however they end.
 * Nothing is left on disk. */
static int lock_block(uid_t block, int *ret_fd) {
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "berth/uid-range/%u", (unsigned) block);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *) &a, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0)
		return errno == EADDRINUSE ? -EBUSY : -errno;
	*ret_fd = fd;
	fd = -EBADF;
	return 0;
}

static void unlock_range(UserNamespace *u) {
	for (size_t i = 0; i < u->n_lock_fds; i++)
		safe_close(u->lock_fds[i]);
	free(u->lock_fds);
	u->lock_fds = NULL;
	u->n_lock_fds = 0;
}

/* Every 64K block the range touches, or -EBUSY when another machine has one. */
static int lock_range(UserNamespace *u, uid_t shift, uid_t range) {
	uid_t first = shift & ~(BLOCK - 1), last = (shift + range - 1) & ~(BLOCK - 1);
	size_t n = (last - first) / BLOCK + 1;

	u->lock_fds = calloc(n, sizeof(int));
	if (!u->lock_fds)
		return -ENOMEM;
	for (uid_t b = first;; b += BLOCK) {
		int r = lock_block(b, &u->lock_fds[u->n_lock_fds]);
		if (r < 0) {
			unlock_range(u);
			return r;
		}
		u->n_lock_fds++;
		if (b == last)
			return 0;
	}
}

/* Whether the host's user database has a user or group at either end of the range (as nspawn
 * looks): a picked range leaves it alone. */
static bool range_known_to_host(uid_t shift) {
	return host_users_include((const uid_t[]) { shift, shift + BLOCK - 2 }, 2);
}

static int pick_range(UserNamespace *u, const char *machine, uid_t from_tree) {
	for (unsigned n = 0; n < 100; n++) {
		uid_t candidate = n == 0 && from_tree >= USERNS_PICK_FIRST && from_tree <= USERNS_PICK_LAST
					  ? from_tree
					  : userns_candidate(machine, n);
		int r;

		if (range_known_to_host(candidate))
			continue;
		r = lock_range(u, candidate, BLOCK);
		if (r == -EBUSY)
			continue;
		if (r < 0)
			return log_error_errno(r, "Failed to reserve a UID range: %m");
		u->shift = candidate;
		u->range = BLOCK;
		return 0;
	}
	return log_error_errno(EBUSY, "No free UID range for machine '%s' found", machine);
}

int userns_prepare(const Settings *s, const char *tree, UserNamespace *ret) {
	UserNamespace u = { .enabled = true, .shift = s->uid_shift, .range = s->uid_range,
			    .ownership = s->private_users_ownership };
	uid_t tree_base;
	struct stat st;
	int r;

	*ret = (UserNamespace) USER_NAMESPACE_INIT;
	if (s->private_users == PRIVATE_USERS_NO)
		return 0;
	if (stat(tree, &st) < 0)
		return log_error_errno(errno, "Failed to look at '%s': %m", tree);
	/* A tree whose owners are shifted already says so by its root's owner. */
	tree_base = st.st_uid & ~(BLOCK - 1);
	if (tree_base != (st.st_gid & ~(BLOCK - 1)))
		return log_error_errno(EINVAL, "The owner and group of '%s' (%u:%u) are in different UID ranges",
				       tree, (unsigned) st.st_uid, (unsigned) st.st_gid);

	if (s->private_users == PRIVATE_USERS_PICK)
		r = pick_range(&u, s->machine, tree_base);
	else {
		if (u.shift == UID_INVALID)
			u.shift = tree_base;
		r = u.shift == 0 ? 0 : lock_range(&u, u.shift, u.range);
		if (r == -EBUSY)
			r = log_error_errno(r, "UID range %u:%u (--private-users=) is used by another machine",
					    (unsigned) u.shift, (unsigned) u.range);
		else if (r < 0)
			r = log_error_errno(r, "Failed to reserve the UID range %u:%u: %m", (unsigned) u.shift,
					    (unsigned) u.range);
	}
	if (r < 0)
		goto fail;

	/* A shifted tree cannot be mapped again: its files would end up outside the range. */
	if (tree_base != 0 && u.ownership == PRIVATE_USERS_OWNERSHIP_AUTO)
		u.ownership = PRIVATE_USERS_OWNERSHIP_CHOWN;
	if (tree_base != 0 && u.ownership == PRIVATE_USERS_OWNERSHIP_MAP) {
		r = log_error_errno(EINVAL, "The files of '%s' are owned by the UID range %u already, which "
					    "--private-users-ownership=map cannot map", tree, (unsigned) tree_base);
		goto fail;
	}
	/* The identity mapping maps nothing; mapping onto the tree's own range neither. */
	if (u.shift == tree_base && u.ownership != PRIVATE_USERS_OWNERSHIP_OFF)
		u.ownership = PRIVATE_USERS_OWNERSHIP_OFF;
	if (u.ownership == PRIVATE_USERS_OWNERSHIP_CHOWN && (r = uid_shift_tree(tree, tree_base, u.shift, BLOCK)) < 0)
		goto fail;
	*ret = u;
	return 0;
fail:
	unlock_range(&u);
	return r;
}

static int write_map(pid_t pid, const char *which, const UserNamespace *u) {
	char path[64], map[64];
	int n = snprintf(map, sizeof map, "0 %u %u\n", (unsigned) u->shift, (unsigned) u->range);

	snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, which);
	return write_file_at(AT_FDCWD, path, map, (size_t) n, 0);
}

int userns_write_maps(const UserNamespace *u, pid_t pid) {
	int r;

	if (!u->enabled)
		return 0;
	r = write_map(pid, "uid_map", u);
	if (r >= 0)
		r = write_map(pid, "gid_map", u);
	if (r < 0)
		return log_error_errno(r, "Failed to map the container's users to %u:%u: %m", (unsigned) u->shift,
				       (unsigned) u->range);
	return 0;
}

int userns_map_tree(UserNamespace *u, pid_t pid, const char *tree, int *ret_fd) {
	_cleanup_close_ int userns_fd = -EBADF, clone = -EBADF;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	char path[64];
	int r;

	*ret_fd = -EBADF;
	if (!u->enabled)
		return 0;
	/* Taken here in any case: the container's root may not be allowed to look the tree up at all
	 * (/var/lib/machines is 0700). */
	clone = open_tree(AT_FDCWD, tree, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (clone < 0)
		return log_error_errno(errno, "Failed to take '%s': %m", tree);
	if (u->ownership != PRIVATE_USERS_OWNERSHIP_MAP && u->ownership != PRIVATE_USERS_OWNERSHIP_AUTO) {
		*ret_fd = TAKE_FD(clone);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
	userns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (userns_fd < 0)
		return log_error_errno(errno, "Failed to open the container's user namespace: %m");
	attr.userns_fd = (uint64_t) userns_fd;
	if (mount_setattr(clone, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) >= 0) {
		u->ownership = PRIVATE_USERS_OWNERSHIP_MAP;
		*ret_fd = TAKE_FD(clone);
		return 0;
	}
	r = -errno;
	/* What a file system without id-mapped mounts answers. */
	if (u->ownership == PRIVATE_USERS_OWNERSHIP_MAP || (r != -EINVAL && r != -EOPNOTSUPP && r != -ENOSYS))
		return log_error_errno(r, "Failed to map the owners of '%s' with an id-mapped mount: %m", tree);
	u->ownership = PRIVATE_USERS_OWNERSHIP_CHOWN;
	r = uid_shift_tree(tree, 0, u->shift, BLOCK);
	if (r < 0)
		return r;
	/* The clone shows the same files, now with their new owners. */
	*ret_fd = TAKE_FD(clone);
	return 0;
}

typedef struct ProcMaker {
	int child_pidfd;
	int sock; /* where the new proc's fd, or an error, is sent */
} ProcMaker;

static int make_proc(void *userdata) {
	const ProcMaker *m = userdata;
	char message[64];
	int proc = mount_fs_detached("proc", "proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV,
				     message, sizeof message);
	int e = proc < 0 ? proc : 0;

	(void) send_with_fd(m->sock, &e, sizeof e, proc);
	return EXIT_SUCCESS;
}

/* A proc shows the PID namespace of the process that makes it: a child of one that joined the
 * container's. */
static int enter_pid_namespace(void *userdata) {
	const ProcMaker *m = userdata;

	if (setns(m->child_pidfd, CLONE_NEWPID) < 0)
		return EXIT_FAILURE;
	return run_in_child(make_proc, userdata) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int userns_make_proc(const UserNamespace *u, int child_pidfd, int *ret_fd) {
	_cleanup_close_ int ours = -EBADF, theirs = -EBADF;
	int sv[2], fd = -EBADF, error = 0;
	ssize_t n;

	*ret_fd = -EBADF;
	if (!u->enabled)
		return 0;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(errno, "Failed to create a socket pair: %m");
	ours = sv[0];
	theirs = sv[1];
	(void) run_in_child(enter_pid_namespace, &(ProcMaker) { .child_pidfd = child_pidfd, .sock = theirs });
	theirs = safe_close(theirs);
	n = receive_with_fd(ours, &error, sizeof error, &fd);
	if (n != sizeof error)
		error = n < 0 ? (int) n : -EIO;
	if (error < 0 || fd < 0) {
		safe_close(fd);
		return log_error_errno(error < 0 ? error : -EIO, "Failed to make a /proc for the container: %m");
	}
	*ret_fd = fd;
	return 0;
}

/* The mount point of a mountinfo line (ID PARENT MAJOR:MINOR ROOT MOUNT-POINT ...), or NULL. */
static const char *mountinfo_mount_point(const char *line, size_t line_length, size_t *ret_length) {
	const char *end = line + line_length;

	for (unsigned field = 0; field < 4; field++) {
		line = memchr(line, ' ', (size_t) (end - line));
		if (!line)
			return NULL;
		line++;
	}
	*ret_length = strcspn(line, " \n");
	return line;
}

static bool path_is(const char *p, size_t n, const char *path) {
	return n == strlen(path) && strncmp(p, path, n) == 0;
}

bool userns_may_mount_proc_under(const char *mountinfo) {
	bool proc_seen = false;

	for (const char *line = mountinfo; *line;) {
		size_t length = strcspn(line, "\n"), n;
		const char *point = mountinfo_mount_point(line, length, &n);

		if (!point)
			return false;
		if (path_is(point, n, "/proc"))
			proc_seen = true;
		/* binfmt_misc's directory is empty for good: the kernel does not count it. */
		else if (n > 6 && strncmp(point, "/proc/", 6) == 0 && !path_is(point, n, "/proc/sys/fs/binfmt_misc"))
			return false;
		line += length + (line[length] == '\n');
	}
	return proc_seen;
}

bool userns_may_mount_proc(void) {
	_cleanup_free_ char *mountinfo = NULL;

	return read_full_file("/proc/self/mountinfo", &mountinfo, NULL) >= 0 && userns_may_mount_proc_under(mountinfo);
}

void userns_done(UserNamespace *u) {
	unlock_range(u);
	*u = (UserNamespace) USER_NAMESPACE_INIT;
}
