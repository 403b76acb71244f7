/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dev.h"
#include "log.h"
#include "mount-util.h"
#include "mount.h"

static const struct {
	const char *name;
	unsigned major, minor;
} dev_nodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};
_Static_assert(ELEMENTSOF(dev_nodes) == DEV_N_NODES, "dev.h counts the basic nodes");

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

int dev_take_host_nodes(int node_fds[static DEV_N_NODES]) {
	for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
		char path[32];
		snprintf(path, sizeof path, "/dev/%s", dev_nodes[i].name);
		node_fds[i] = mount_clone_detached(path);
		if (node_fds[i] < 0)
			return log_error_errno(node_fds[i], "Failed to take the host's '%s': %m", path);
	}
	return 0;
}

/* The host's node bound onto an empty file. */
static int dev_bind_node(const char *path, int node_fd) {
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666), r;

	if (fd < 0)
		return -errno;
	close(fd);
	r = mount_attach(node_fd, path);
	return r;
}

static int dev_make_nodes(const int *node_fds) {
	/* The umask would strip the 0666 the nodes need. */
	mode_t old = umask(0);
	for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
		char path[32];
		int r = 0;

		snprintf(path, sizeof path, "/dev/%s", dev_nodes[i].name);
		if (node_fds)
			r = dev_bind_node(path, node_fds[i]);
		else if (mknod(path, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0)
			r = -errno;
		if (r < 0) {
			umask(old);
			return log_error_errno(r, "Failed to create '%s': %m", path);
		}
	}
	umask(old);
	for (size_t i = 0; i < ELEMENTSOF(dev_links); i++) {
		char path[32];
		snprintf(path, sizeof path, "/dev/%s", dev_links[i].name);
		if (symlink(dev_links[i].target, path) < 0)
			return log_error_errno(errno, "Failed to create '%s': %m", path);
	}
	return 0;
}

static int dev_mount_special(void) {
	if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0 || mkdir("/dev/mqueue", 0755) < 0)
		return log_error_errno(errno, "Failed to create directories in /dev: %m");
	/* A new devpts instance: the container sees only its own ptys, never the host's. gid 5 is
	 * the tty group of Debian-like trees. */
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
		return log_error_errno(errno, "Failed to mount /dev/pts: %m");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=01777,size=50%") < 0)
		return log_error_errno(errno, "Failed to mount /dev/shm: %m");
	if (mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return log_error_errno(errno, "Failed to mount /dev/mqueue: %m");
	return 0;
}

static int dev_setup_console(int console_tree_fd) {
	int fd, r;

	if (console_tree_fd < 0)
		return 0;
	fd = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_error_errno(errno, "Failed to create /dev/console: %m");
	close(fd);
	r = mount_attach(console_tree_fd, "/dev/console");
	if (r < 0)
		return log_error_errno(r, "Failed to bind the console onto /dev/console: %m");
	return 0;
}

int dev_setup(int console_tree_fd, const int *node_fds) {
	int r = mkdir_mount_point("/dev", 0755);
	if (r < 0)
		return r;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755,size=4m") < 0)
		return log_error_errno(errno, "Failed to mount /dev: %m");
	if ((r = dev_make_nodes(node_fds)) < 0 || (r = dev_mount_special()) < 0)
		return r;
	return dev_setup_console(console_tree_fd);
}
