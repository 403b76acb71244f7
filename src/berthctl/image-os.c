/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blkid-dl.h"
#include "chase.h"
#include "dissect.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-os.h"
#include "loop-util.h"
#include "macro.h"
#include "os-release.h"
#include "strv.h"

static int pretty_name(char **fields, char **ret) {
	const char *v = strv_env_get(fields, "PRETTY_NAME");
	char *s = NULL;

	if (v && !(s = strdup(v)))
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int directory_os(const char *path, char **ret) {
	_cleanup_close_ int root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **fields = NULL;
	int r;

	if (root_fd < 0)
		return -errno;
	r = os_release_read_at(root_fd, &fields);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	return r < 0 ? r : pretty_name(fields, ret);
}

/* The partition as a detached, read-only mount: no mount point, so nothing to clean up but the fd. */
static int mount_partition(const LoopDevice *loop, int image_fd, const DissectedPartition *p, LoopDevice *part) {
	_cleanup_close_ int fs_fd = -EBADF;
	char dev[64];
	int r, fd;

	r = loop_device_partition(loop, image_fd, p->partno, p->offset, p->size, true, part, dev, sizeof dev);
	if (r < 0)
		return r;
	fs_fd = fsopen(p->fstype, FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return -errno;
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The os-release of a /usr partition, whose root is the image's /usr. */
static int usr_os_release(int usr_fd, char ***ret) {
	_cleanup_close_ int fd = chase_open(usr_fd, "lib/os-release", O_RDONLY);
	_cleanup_free_ char *text = NULL;
	int r;

	if (fd < 0)
		return fd;
	r = read_full_fd(fd, &text, NULL);
	return r < 0 ? r : os_release_parse(text, ret);
}

/* Runs in a child: the os-release of the raw image, its partitions mounted read-only in a mount
 * namespace of the child's own. The loop devices detach themselves (autoclear) and the mounts go
 * when the child exits, however it ends. */
static int raw_os_release(const char *path, char ***ret) {
	LoopDevice loop = LOOP_DEVICE_INIT, root_part = LOOP_DEVICE_INIT, usr_part = LOOP_DEVICE_INIT;
	_cleanup_close_ int image_fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int root_fd = -EBADF, usr_fd = -EBADF;
	DissectedImage d;
	int r;

	if (image_fd < 0)
		return -errno;
	/* A machine running from the image writably holds an exclusive lock: its file system changes
	 * under a reader then, and may need a journal replay that must not happen here. */
	if (flock(image_fd, LOCK_SH | LOCK_NB) < 0)
		return -errno;
	r = dissect_image_fd(image_fd, &d, NULL, 0);
	if (r < 0)
		return r;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	r = loop_device_attach(image_fd, 0, 0, true, d.table[0] != 0, &loop);
	if (r < 0)
		return r;
	root_fd = mount_partition(&loop, image_fd, &d.partitions[PARTITION_ROOT], &root_part);
	if (root_fd < 0)
		return root_fd;
	r = os_release_read_at(root_fd, ret);
	if (r != -ENOENT || !d.partitions[PARTITION_USR].found)
		return r;
	usr_fd = mount_partition(&loop, image_fd, &d.partitions[PARTITION_USR], &usr_part);
	return usr_fd < 0 ? usr_fd : usr_os_release(usr_fd, ret);
}

static _noreturn_ void raw_child(const char *path, int out_fd) {
	_cleanup_strv_free_ char **fields = NULL;
	const char *v;

	(void) prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (raw_os_release(path, &fields) < 0)
		_exit(EXIT_FAILURE);
	v = strv_env_get(fields, "PRETTY_NAME");
	_exit(v && loop_write(out_fd, v, strlen(v)) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static int raw_os(const char *path, char **ret) {
	_cleanup_close_ int out_fd = -EBADF;
	_cleanup_free_ char *text = NULL;
	int pipe_fds[2], status, r;
	pid_t pid;

	/* Here, not in each child, which would load it anew for every image listed. */
	r = dl_library_open(&dl_blkid, NULL, 0);
	if (r < 0)
		return r;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		safe_close(pipe_fds[0]);
		safe_close(pipe_fds[1]);
		return r;
	}
	if (pid == 0) {
		safe_close(pipe_fds[0]);
		raw_child(path, pipe_fds[1]);
	}
	safe_close(pipe_fds[1]);
	out_fd = pipe_fds[0];
	r = read_full_fd(out_fd, &text, NULL);
	if (r < 0)
		(void) kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	*ret = text[0] ? TAKE_PTR(text) : NULL;
	return 0;
}

int image_os_pretty_name(const char *path, ImageType type, char **ret) {
	return type == IMAGE_RAW ? raw_os(path, ret) : directory_os(path, ret);
}
