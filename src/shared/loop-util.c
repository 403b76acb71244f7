/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "loop-util.h"
#include "macro.h"

/* Another process may take the device LOOP_CTL_GET_FREE returned before we configure it: then
 * LOOP_CONFIGURE fails with EBUSY and a new one is asked for. */
#define LOOP_ATTACH_TRIES 64

typedef struct LoopRequest {
	int image_fd;
	uint64_t offset, size;
	bool read_only, partscan;
} LoopRequest;

static int configure(int loop_fd, const LoopRequest *q, bool direct_io) {
	struct loop_config config = {
		.fd = (uint32_t) q->image_fd,
		.info = {
			.lo_offset = q->offset,
			.lo_sizelimit = q->size,
			/* AUTOCLEAR: detached with the last fd and mount. PARTSCAN: loopNpM devices. */
			.lo_flags = LO_FLAGS_AUTOCLEAR | (q->partscan ? LO_FLAGS_PARTSCAN : 0) |
				    (q->read_only ? LO_FLAGS_READ_ONLY : 0) | (direct_io ? LO_FLAGS_DIRECT_IO : 0),
		},
	};

	return ioctl(loop_fd, LOOP_CONFIGURE, &config) < 0 ? -errno : 0;
}

static int attach_one(int control, const LoopRequest *q, LoopDevice *ret) {
	_cleanup_close_ int fd = -EBADF;
	char path[32];
	int nr, r;

	nr = ioctl(control, LOOP_CTL_GET_FREE);
	if (nr < 0)
		return -errno;
	snprintf(path, sizeof path, "/dev/loop%d", nr);
	fd = open(path, (q->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EBUSY : -errno;
	/* Direct I/O needs the backing file's filesystem to support O_DIRECT with the loop device's
	 * block size; where it does not, the kernel refuses with EINVAL and buffered I/O is used. */
	r = configure(fd, q, true);
	if (r == -EINVAL)
		r = configure(fd, q, false);
	if (r < 0)
		return r;
	ret->fd = TAKE_FD(fd);
	ret->nr = nr;
	snprintf(ret->path, sizeof ret->path, "%s", path);
	return 0;
}

int loop_device_attach(int image_fd, uint64_t offset, uint64_t size, bool read_only, bool partscan,
		       LoopDevice *ret) {
	_cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	LoopRequest q = { image_fd, offset, size, read_only, partscan };
	int r = -EBUSY;

	if (control < 0)
		return -errno;
	for (int i = 0; i < LOOP_ATTACH_TRIES && r == -EBUSY; i++)
		r = attach_one(control, &q, ret);
	return r;
}

int loop_device_partition_path(const LoopDevice *d, int partno, char *ret, size_t size) {
	struct stat st;

	if (partno == 0) {
		snprintf(ret, size, "%s", d->path);
		return 0;
	}
	/* The scan runs in LOOP_CONFIGURE: the partition is in sysfs by now, or never will be. */
	snprintf(ret, size, "/sys/class/block/loop%dp%d", d->nr, partno);
	if (access(ret, F_OK) < 0)
		return -EOPNOTSUPP;
	snprintf(ret, size, "%sp%d", d->path, partno);
	/* The node in /dev appears asynchronously. */
	for (int i = 0; i < 500; i++) {
		if (stat(ret, &st) >= 0 && S_ISBLK(st.st_mode))
			return 0;
		nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -ENXIO;
}

int loop_device_partition(const LoopDevice *d, int image_fd, int partno, uint64_t offset, uint64_t size,
			  bool read_only, LoopDevice *ret_part, char *ret, size_t ret_size) {
	int r = loop_device_partition_path(d, partno, ret, ret_size);

	if (r != -EOPNOTSUPP)
		return r;
	/* The kernel reads no partition tables: a loop device over the partition's range. */
	r = loop_device_attach(image_fd, offset, size, read_only, false, ret_part);
	if (r < 0)
		return r;
	snprintf(ret, ret_size, "%s", ret_part->path);
	return 0;
}

void loop_device_done(LoopDevice *d) {
	closep(&d->fd);
	d->nr = -1;
}
