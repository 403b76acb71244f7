/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "libmount-dl.h"
#include "macro.h"
#include "mount-fs.h"
#include "strv.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The first error the kernel logged in the file system context ("tmpfs: Bad value for 'size'"). */
static void fs_context_message(int fs_fd, char *message, size_t size) {
	char line[512];
	ssize_t n;

	while ((n = read(fs_fd, line, sizeof line - 1)) > 0) {
		line[n] = 0;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 'e' && line[1] == ' ' && size > 0 && !message[0])
			snprintf(message, size, "%s", line + 2);
	}
}

static int fs_config(int fs_fd, const char *param) {
	_cleanup_free_ char *key = NULL;
	const char *eq = strchr(param, '=');
	int r;

	key = eq ? strndup(param, (size_t) (eq - param)) : strdup(param);
	if (!key)
		return -ENOMEM;
	if (eq)
		r = fsconfig(fs_fd, FSCONFIG_SET_STRING, key, eq + 1, 0);
	else
		r = fsconfig(fs_fd, FSCONFIG_SET_FLAG, key, NULL, 0);
	return r < 0 ? -errno : 0;
}

int mount_fs_detached(const char *type, const char *source, char * const *params, unsigned attrs,
		      char *message, size_t size) {
	_cleanup_close_ int fs_fd = fsopen(type, FSOPEN_CLOEXEC);
	int r = 0, fd;

	if (size > 0)
		message[0] = 0;
	if (fs_fd < 0)
		return -errno;
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		r = -errno;
	STRV_FOREACH(p, params)
		if (r >= 0)
			r = fs_config(fs_fd, *p);
	if (r >= 0 && fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = -errno;
	if (r < 0) {
		fs_context_message(fs_fd, message, size);
		return r;
	}
	fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attrs);
	return fd < 0 ? -errno : fd;
}

/* Overlayfs takes its layers as file descriptors since Linux 6.13 ("lowerdir+" and friends), and
 * shows their paths in mountinfo then. Before, a layer is given as /proc/self/fd/N, which the kernel
 * resolves to just that directory: no path is looked up twice either way, and nothing in a name
 * (a ':' or ',') can be misread. */
static int overlay_by_fd(const int *layers, size_t n_layers, int upper, int work, bool read_only,
			 char *message, size_t size) {
	_cleanup_close_ int fs_fd = fsopen("overlay", FSOPEN_CLOEXEC);
	int r = 0, fd;

	if (fs_fd < 0)
		return -errno;
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		return -errno;
	/* An older kernel refuses the first one: the caller tries the other way. */
	if (n_layers > 0 && fsconfig(fs_fd, FSCONFIG_SET_FD, "lowerdir+", NULL, layers[0]) < 0)
		return -EOPNOTSUPP;
	for (size_t i = 1; r >= 0 && i < n_layers; i++)
		r = fsconfig(fs_fd, FSCONFIG_SET_FD, "lowerdir+", NULL, layers[i]);
	if (r >= 0 && upper >= 0)
		r = fsconfig(fs_fd, FSCONFIG_SET_FD, "upperdir", NULL, upper);
	if (r >= 0 && upper >= 0)
		r = fsconfig(fs_fd, FSCONFIG_SET_FD, "workdir", NULL, work);
	if (r >= 0)
		r = fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	if (r < 0) {
		r = -errno;
		fs_context_message(fs_fd, message, size);
		return r;
	}
	fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, read_only ? MOUNT_ATTR_RDONLY : 0);
	return fd < 0 ? -errno : fd;
}

static int overlay_params(const int *layers, size_t n_layers, int upper, int work, char ***ret) {
	_cleanup_strv_free_ char **params = NULL;
	_cleanup_free_ char *lowerdir = malloc(n_layers * 32 + 16);
	size_t len;

	if (!lowerdir)
		return -ENOMEM;
	len = (size_t) sprintf(lowerdir, "lowerdir=");
	for (size_t i = 0; i < n_layers; i++)
		len += (size_t) sprintf(lowerdir + len, "%s/proc/self/fd/%d", i > 0 ? ":" : "", layers[i]);
	if (strv_extend(&params, lowerdir) < 0)
		return -ENOMEM;
	if (upper >= 0) {
		char buf[64];
		snprintf(buf, sizeof buf, "upperdir=/proc/self/fd/%d", upper);
		if (strv_extend(&params, buf) < 0)
			return -ENOMEM;
		snprintf(buf, sizeof buf, "workdir=/proc/self/fd/%d", work);
		if (strv_extend(&params, buf) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(params);
	return 0;
}

int mount_overlay_detached(const int *layers, size_t n_layers, int upper, int work, bool read_only,
			   char *message, size_t size) {
	_cleanup_strv_free_ char **params = NULL;
	int r;

	if (size > 0)
		message[0] = 0;
	r = overlay_by_fd(layers, n_layers, upper, work, read_only, message, size);
	if (r != -EOPNOTSUPP)
		return r;
	r = overlay_params(layers, n_layers, upper, work, &params);
	if (r < 0)
		return r;
	return mount_fs_detached("overlay", "overlay", params, read_only ? MOUNT_ATTR_RDONLY : 0, message, size);
}

/* The options that belong to the mount, not to the file system (mount(8)'s names). */
static const struct {
	const char *name;
	unsigned set, clear;
} mount_options[] = {
	{ "ro", MOUNT_ATTR_RDONLY, 0 },
	{ "rw", 0, MOUNT_ATTR_RDONLY },
	{ "nosuid", MOUNT_ATTR_NOSUID, 0 },
	{ "suid", 0, MOUNT_ATTR_NOSUID },
	{ "nodev", MOUNT_ATTR_NODEV, 0 },
	{ "dev", 0, MOUNT_ATTR_NODEV },
	{ "noexec", MOUNT_ATTR_NOEXEC, 0 },
	{ "exec", 0, MOUNT_ATTR_NOEXEC },
	{ "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
	{ "symfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
	{ "nodiratime", MOUNT_ATTR_NODIRATIME, 0 },
	{ "diratime", 0, MOUNT_ATTR_NODIRATIME },
	/* One of three: the atime bits are a field, not flags. */
	{ "noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
	{ "relatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
	{ "strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
};

static bool mount_option(const char *name, size_t namesz, unsigned *attrs) {
	for (size_t i = 0; i < ELEMENTSOF(mount_options); i++)
		if (strlen(mount_options[i].name) == namesz && strncmp(mount_options[i].name, name, namesz) == 0) {
			*attrs = (*attrs & ~mount_options[i].clear) | mount_options[i].set;
			return true;
		}
	return false;
}

int mount_tmpfs_detached(const char *options, char *message, size_t size) {
	_cleanup_strv_free_ char **params = NULL;
	_cleanup_free_ char *copy = strdup(options ?: "");
	unsigned attrs = MOUNT_ATTR_NODEV | MOUNT_ATTR_STRICTATIME;
	char *p = copy;

	if (size > 0)
		message[0] = 0;
	if (!copy)
		return -ENOMEM;
	/* This runs in the container's process, where a library would be loaded from whatever the
	 * file system shows: berth opens libmount before the container exists (libraries.h). */
	if (!dl_library_is_open(&dl_libmount)) {
		snprintf(message, size, "%s was not loaded", dl_libmount.soname);
		return -ELIBACC;
	}
	for (;;) {
		char *name, *value, *param;
		size_t namesz, valuesz;
		int r = sym_mnt_optstr_next_option(&p, &name, &namesz, &value, &valuesz);

		if (r == 1)
			break;
		if (r < 0) {
			snprintf(message, size, "the options cannot be parsed");
			return -EINVAL;
		}
		if (mount_option(name, namesz, &attrs))
			continue;
		if (asprintf(&param, "%.*s%s%.*s", (int) namesz, name, value ? "=" : "", value ? (int) valuesz : 0,
			     value ?: "") < 0)
			return -ENOMEM;
		if (strv_consume(&params, param) < 0)
			return -ENOMEM;
	}
	return mount_fs_detached("tmpfs", "tmpfs", params, attrs, message, size);
}

int mount_tree_set_read_only(int tree_fd) {
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	return mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 ? -errno : 0;
}

int mount_tree_attach(int tree_fd, int target_fd) {
	if (move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* A user namespace with map as its UID and GID map, held by the returned fd: an ID-mapped mount
 * takes its mapping from one. A helper process is made in it, and killed once it is held. */
static int userns_from_map(const char *map) {
	static const char *const files[] = { "uid_map", "gid_map" };
	int pidfd = -EBADF, fd = -EBADF, r;
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_PIDFD,
		.pidfd = (uint64_t) (uintptr_t) &pidfd,
		.exit_signal = SIGCHLD,
	};
	_cleanup_free_ char *info = NULL;
	const char *line;
	char path[64];
	pid_t pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	/* Its number in the /proc that is mounted, which may belong to another PID namespace than
	 * ours (before pivot_root, the host's): the pidfd's fdinfo gives it in that one. */
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
	r = read_full_file(path, &info, NULL);
	if (r >= 0) {
		line = strstr(info, "\nPid:");
		if (!line || sscanf(line + 5, "%d", &pid) != 1 || pid <= 0)
			r = -ESRCH;
	}
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++) {
		snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, files[i]);
		r = write_string_file(path, map);
	}
	if (r >= 0) {
		snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = -errno;
	}
	(void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	(void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, &(siginfo_t) {}, WEXITED);
	close(pidfd);
	return r < 0 ? r : fd;
}

int mount_tree_idmap(int tree_fd, BindIdmap idmap, uid_t owner, uid_t base) {
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	_cleanup_close_ int userns_fd = -EBADF;
	char map[64];

	if (idmap == BIND_IDMAP_NONE)
		return 0;
	/* "INSIDE OUTSIDE COUNT": on-disk IDs are the inside, what the container sees the outside. */
	if (idmap == BIND_IDMAP_HOST_OWNER)
		snprintf(map, sizeof map, "%u %u 1\n", (unsigned) owner, (unsigned) base);
	else
		snprintf(map, sizeof map, "0 %u 65536\n", (unsigned) base);
	userns_fd = userns_from_map(map);
	if (userns_fd < 0)
		return userns_fd;
	attr.userns_fd = (uint64_t) userns_fd;
	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		return -errno;
	return 0;
}
