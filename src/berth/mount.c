/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "chase.h"
#include "dev.h"
#include "fd-util.h"
#include "fileio.h"
#include "id128-util.h"
#include "log.h"
#include "mount-fs.h"
#include "mount-util.h"
#include "mount.h"

/* Kernel interfaces that reveal or change host state: bound over with an empty read-only file. */
static const char *const proc_inaccessible[] = {
	"/proc/kallsyms", "/proc/kcore", "/proc/keys", "/proc/sysrq-trigger", "/proc/timer_list",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/timer_stats",
};
/* Hardware and filesystem knobs of the host: visible but read-only. */
static const char *const proc_read_only[] = {
	"/proc/acpi", "/proc/apm", "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/scsi",
};

int mkdir_mount_point(const char *path, mode_t mode) {
	_cleanup_close_ int root_fd = -EBADF;
	int fd;

	if (mkdir(path, mode) >= 0)
		return 0;
	if (errno != EEXIST)
		return log_error_errno(errno, "Failed to create mount point '%s' in the container: %m", path);
	/* A symlink, as the tree may have for /dev or /tmp: the directory it names is made, as
	 * nspawn does. Below the container's root, so it can only be in the tree. */
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open the container's root: %m");
	fd = chase_create(root_fd, path, CHASE_CREATE_DIRECTORY);
	if (fd < 0)
		return log_error_errno(fd, "Failed to create mount point '%s' in the container: %m", path);
	close(fd);
	return 0;
}

static int mount_fs(const char *what, const char *where, const char *type, unsigned long flags,
		    const char *options) {
	int r = mkdir_mount_point(where, 0755);
	if (r < 0)
		return r;
	if (mount(what, where, type, flags, options) < 0)
		return log_error_errno(errno, "Failed to mount %s on '%s': %m", type, where);
	return 0;
}

static int make_inaccessible_nodes(bool userns) {
	static const struct { const char *name; mode_t type; } nodes[] = {
		{ "reg", S_IFREG }, { "fifo", S_IFIFO }, { "sock", S_IFSOCK },
		{ "chr", S_IFCHR }, { "blk", S_IFBLK },
	};

	if (mkdir(INACCESSIBLE_DIR, 0755) < 0 || mkdir(INACCESSIBLE_DIR "/dir", 0) < 0)
		return log_error_errno(errno, "Failed to create '%s': %m", INACCESSIBLE_DIR);
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		char path[64];
		snprintf(path, sizeof path, INACCESSIBLE_DIR "/%s", nodes[i].name);
		if (mknod(path, nodes[i].type | 0000, makedev(0, 0)) < 0) {
			/* A user namespace may not make a block device, not even this one. */
			if (userns && errno == EPERM && nodes[i].type == S_IFBLK)
				continue;
			return log_error_errno(errno, "Failed to create '%s': %m", path);
		}
	}
	return 0;
}

static int write_host_file(const char *name, const char *text) {
	char path[64];
	int r;
	snprintf(path, sizeof path, "/run/host/%s", name);
	r = write_file_at(AT_FDCWD, path, text, strlen(text), 0444);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", path);
	return 0;
}

/* /run/host: what the container may know of its host and manager (systemd's container interface). */
static int setup_run_host(const ApiVfsContext *c) {
	char uuid[SD_ID128_UUID_STRING_MAX + 1];
	int r;

	if (mkdir("/run/host", 0755) < 0)
		return log_error_errno(errno, "Failed to create /run/host: %m");
	r = make_inaccessible_nodes(c->userns);
	if (r < 0)
		return r;
	snprintf(uuid, sizeof uuid, "%s\n", ID128_TO_UUID_STRING(c->uuid));
	if ((r = write_host_file("container-manager", "berth\n")) < 0 ||
	    (r = write_host_file("container-uuid", uuid)) < 0)
		return r;
	if (c->host_os_release && (r = write_host_file("os-release", c->host_os_release)) < 0)
		return r;
	return 0;
}

static int mask_paths(const char *const *paths, size_t n, const char *source) {
	for (size_t i = 0; i < n; i++) {
		int r;
		if (access(paths[i], F_OK) < 0 && errno == ENOENT)
			continue;
		r = mount_bind(source ?: paths[i], paths[i], true);
		if (r < 0)
			return log_error_errno(r, "Failed to mask '%s': %m", paths[i]);
	}
	return 0;
}

/* The kernel's boot id is the host's, even in a new PID namespace: give each start of the
 * container its own, so that a reboot inside is one for journald and for users. */
static int setup_boot_id(void) {
	static const char tmp[] = "/run/.berth-boot-id";
	char text[SD_ID128_UUID_STRING_MAX + 1];
	sd_id128_t id;
	int r = id128_randomize(&id);

	if (r < 0)
		return log_error_errno(r, "Failed to make a boot id: %m");
	snprintf(text, sizeof text, "%s\n", ID128_TO_UUID_STRING(id));
	r = write_file_at(AT_FDCWD, tmp, text, strlen(text), 0444);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s': %m", tmp);
	r = mount_bind(tmp, "/proc/sys/kernel/random/boot_id", true);
	(void) unlink(tmp); /* the mount keeps the file */
	if (r < 0)
		return log_error_errno(r, "Failed to mount a boot id on /proc/sys/kernel/random/boot_id: %m");
	return 0;
}

/* A detached mount made before pivot_root, or a new one. */
static int mount_fs_or_attach(int fd, const char *what, const char *where, const char *type, unsigned long flags,
			      const char *options) {
	int r;

	if (fd < 0)
		return mount_fs(what, where, type, flags, options);
	r = mkdir_mount_point(where, 0755);
	if (r < 0)
		return r;
	r = mount_attach(fd, where);
	if (r < 0)
		return log_error_errno(r, "Failed to mount %s on '%s': %m", type, where);
	return 0;
}

static int setup_proc(const ApiVfsContext *c) {
	int r = mount_fs_or_attach(c->proc_fd, "proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	if (r < 0)
		return r;
	r = mount_bind("/proc/sys", "/proc/sys", true);
	if (r < 0)
		return log_error_errno(r, "Failed to make /proc/sys read-only: %m");
	if (c->private_network) {
		struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };
		if (mount("/proc/sys/net", "/proc/sys/net", NULL, MS_BIND, NULL) < 0 ||
		    mount_setattr(AT_FDCWD, "/proc/sys/net", 0, &attr, sizeof attr) < 0)
			return log_error_errno(errno, "Failed to make /proc/sys/net writable: %m");
	}
	r = setup_boot_id();
	if (r < 0)
		return r;
	r = mask_paths(proc_inaccessible, ELEMENTSOF(proc_inaccessible), INACCESSIBLE_DIR "/reg");
	if (r < 0)
		return r;
	return mask_paths(proc_read_only, ELEMENTSOF(proc_read_only), NULL);
}

int mount_setup_api_vfs(const ApiVfsContext *c) {
	int r;

	r = mount_fs("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=20%");
	if (r < 0 || (r = setup_run_host(c)) < 0)
		return r;
	if ((r = setup_proc(c)) < 0)
		return r;
	r = mount_fs_or_attach(c->sys_fd, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	if (r < 0)
		return r;
	/* In the container's cgroup namespace this shows only its own subtree, which it may manage:
	 * systemd as PID 1 runs in unified mode, on hybrid hosts too. */
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
		return log_error_errno(errno, "Failed to mount the cgroup2 hierarchy on /sys/fs/cgroup: %m");
	if ((r = dev_setup(c->console_tree_fd, c->userns ? c->dev_node_fds : NULL)) < 0)
		return r;
	return mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=01777,size=50%");
}

void api_vfs_context_init_fds(ApiVfsContext *c) {
	c->console_tree_fd = c->proc_fd = c->sys_fd = -EBADF;
	for (size_t i = 0; i < DEV_N_NODES; i++)
		c->dev_node_fds[i] = -EBADF;
}

void api_vfs_context_done(ApiVfsContext *c) {
	c->proc_fd = safe_close(c->proc_fd);
	c->sys_fd = safe_close(c->sys_fd);
	for (size_t i = 0; i < DEV_N_NODES; i++)
		c->dev_node_fds[i] = safe_close(c->dev_node_fds[i]);
}

int mount_take_api_vfs_for_userns(ApiVfsContext *c) {
	static const unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV;
	char message[256];
	int r;

	/* A copied child got it from berth; one sharing berth's memory makes it here, where the
	 * host's /proc hides nothing (userns_may_mount_proc()). */
	if (c->proc_fd < 0) {
		c->proc_fd = mount_fs_detached("proc", "proc", NULL, attrs, message, sizeof message);
		if (c->proc_fd < 0)
			return log_error_errno(c->proc_fd, "Failed to make a /proc for the container: %m");
	}
	c->sys_fd = mount_fs_detached("sysfs", "sysfs", NULL, attrs | MOUNT_ATTR_RDONLY, message, sizeof message);
	if (c->sys_fd == -EPERM && !c->private_network) {
		c->sys_fd = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (c->sys_fd < 0)
			c->sys_fd = -errno;
		else if ((r = mount_tree_set_read_only(c->sys_fd)) < 0)
			return log_error_errno(r, "Failed to make the host's /sys read-only for the container: %m");
	}
	if (c->sys_fd < 0)
		return log_error_errno(c->sys_fd, "Failed to make a /sys for the container: %m");
	return dev_take_host_nodes(c->dev_node_fds);
}

int mount_seal_run_host(void) {
	int r = mount_bind("/run/host", "/run/host", true);
	if (r < 0)
		return log_error_errno(r, "Failed to make /run/host read-only: %m");
	return 0;
}
