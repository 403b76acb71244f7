/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dissect.h"
#include "image-raw.h"
#include "log.h"
#include "macro.h"

#define IMAGE_RAW_ROOT IMAGE_RAW_MOUNT_DIR "/root"

/* Where the other partitions go below the root. The ESP goes to /efi when the image has that
 * directory, otherwise to /boot unless an XBOOTLDR partition takes /boot. */
static const char *const partition_mount_point[_PARTITION_DESIGNATOR_MAX] = {
	[PARTITION_USR] = "usr",
	[PARTITION_HOME] = "home",
	[PARTITION_SRV] = "srv",
	[PARTITION_VAR] = "var",
	[PARTITION_TMP] = "var/tmp",
	[PARTITION_XBOOTLDR] = "boot",
};

static int lock_image(const Settings *s, bool shared, int *ret_fd) {
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = open(s->image, (shared ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_error_errno(errno, "Failed to open image '%s'%s: %m", s->image,
				       shared ? "" : " for writing (use --read-only to run it without writing)");
	if (fstat(fd, &st) < 0)
		return log_error_errno(errno, "Failed to access image '%s': %m", s->image);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(EBADFD, "Image '%s' is neither a regular file nor a block device", s->image);
	if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return log_error_errno(errno, "Failed to lock image '%s': %m", s->image);
		log_error("Image '%s' is in use by another container%s", s->image,
			  shared ? "" : "; use --ephemeral, --volatile or --read-only to run it alongside");
		return -EBUSY;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The partition's device: the kernel's loopNpM, or, when the kernel reads no partition tables, a
 * loop device of its own over the partition's range of the image. */
static int partition_device(ImageRaw *i, PartitionDesignator des, const DissectedPartition *p, bool read_only,
			    char *dev, size_t size) {
	int r;

	r = loop_device_partition(&i->loop, i->image_fd, p->partno, p->offset, p->size, read_only, &i->parts[des],
				  dev, size);
	if (r < 0)
		return log_error_errno(r, "Failed to find a device for the %s partition: %m",
				       partition_designator_to_string(des));
	return 0;
}

static int mount_partition(ImageRaw *i, PartitionDesignator des, const DissectedPartition *p, const char *where,
			   bool read_only) {
	char dev[64];
	const char *data = NULL;
	unsigned long flags = 0;
	int r;

	r = partition_device(i, des, p, read_only, dev, sizeof dev);
	if (r < 0)
		return r;
	/* The boot partitions hold no devices or programs to run; the others are the OS's own. */
	if (des == PARTITION_ESP || des == PARTITION_XBOOTLDR)
		flags |= MS_NODEV | MS_NOSUID | MS_NOEXEC;
	if (streq(p->fstype, "vfat"))
		data = "umask=0077"; /* the ESP holds boot secrets: root only, as on a host */
	read_only = read_only || p->read_only || dissected_fstype_read_only(p->fstype);
	if (mount(dev, where, p->fstype, flags | (read_only ? MS_RDONLY : 0), data) < 0)
		return log_error_errno(errno, "Failed to mount the %s filesystem of '%s' on '%s': %m", p->fstype,
				       dev, where);
	return 0;
}

static const char *esp_place(const DissectedImage *d) {
	struct stat st;

	if (stat(IMAGE_RAW_ROOT "/efi", &st) >= 0 && S_ISDIR(st.st_mode))
		return "efi";
	return d->partitions[PARTITION_XBOOTLDR].found ? NULL : "boot";
}

static int mount_partitions(ImageRaw *i, const DissectedImage *d, bool read_only) {
	int r;

	r = mount_partition(i, PARTITION_ROOT, &d->partitions[PARTITION_ROOT], IMAGE_RAW_ROOT, read_only);
	if (r < 0)
		return r;
	for (PartitionDesignator p = 0; p < _PARTITION_DESIGNATOR_MAX; p++) {
		const char *place = p == PARTITION_ESP ? esp_place(d) : partition_mount_point[p];
		_cleanup_free_ char *where = NULL;
		struct stat st;

		if (p == PARTITION_ROOT || !d->partitions[p].found || !place)
			continue;
		if (asprintf(&where, "%s/%s", IMAGE_RAW_ROOT, place) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
		/* Only on a directory the image has: a symlink there could point anywhere. */
		if (lstat(where, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_warning("Image has a %s partition but no directory /%s, ignoring it",
				    partition_designator_to_string(p), place);
			continue;
		}
		r = mount_partition(i, p, &d->partitions[p], where, read_only);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A mount namespace of berth's own: what is mounted in it is seen by the container (cloned from
 * it) but never by the host, and it is gone when berth, its guardian and its container are, so the
 * autoclear loop device detaches then too, whichever way the run ends. */
static int enter_private_namespace(void) {
	if (mkdir("/run/berth", 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create /run/berth: %m");
	if (mkdir(IMAGE_RAW_MOUNT_DIR, 0700) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create '%s': %m", IMAGE_RAW_MOUNT_DIR);
	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(errno, "Failed to make a mount namespace for the image: %m");
	/* Slave: the host's new mounts still reach berth, berth's never reach the host. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return log_error_errno(errno, "Failed to make the mounts of berth's namespace private: %m");
	if (mount("berth-image", IMAGE_RAW_MOUNT_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return log_error_errno(errno, "Failed to mount a tmpfs on '%s': %m", IMAGE_RAW_MOUNT_DIR);
	if (mkdir(IMAGE_RAW_ROOT, 0755) < 0)
		return log_error_errno(errno, "Failed to create '%s': %m", IMAGE_RAW_ROOT);
	return 0;
}

/* An overlay takes one directory as its lower layer and does not reach into the mounts below it:
 * over an image whose /usr or /home is a partition of its own, the container would see empty
 * directories there. */
static int check_overlay(const Settings *s, const DissectedImage *d) {
	if (!s->ephemeral && s->volatile_mode != VOLATILE_OVERLAY)
		return 0;
	for (PartitionDesignator p = 0; p < _PARTITION_DESIGNATOR_MAX; p++)
		if (p != PARTITION_ROOT && p != PARTITION_ESP && p != PARTITION_XBOOTLDR && d->partitions[p].found)
			return log_error_errno(EOPNOTSUPP, "Image '%s' has a %s partition: %s runs only on images "
							   "with the OS in one root partition; use --volatile=yes or "
							   "--volatile=state",
					       s->image, partition_designator_to_string(p),
					       s->ephemeral ? "--ephemeral" : "--volatile=overlay");
	return 0;
}

int image_raw_setup(Settings *s, ImageRaw *ret) {
	/* An ephemeral or volatile run puts an overlay or a tmpfs over the image: the image itself is
	 * only ever read. */
	bool read_only = s->read_only || s->ephemeral || s->volatile_mode != VOLATILE_NO;
	ImageRaw i = IMAGE_RAW_INIT;
	DissectedImage d;
	char error[256];
	int r;

	r = lock_image(s, read_only, &i.image_fd);
	if (r < 0)
		return r;
	r = dissect_image_fd(i.image_fd, &d, error, sizeof error);
	if (r < 0) {
		image_raw_done(&i);
		if (r == -ENOMEM)
			return log_error_errno(ENOMEM, "Out of memory");
		log_error("Image '%s' cannot be used: %s", s->image, error);
		return r;
	}
	r = check_overlay(s, &d);
	if (r < 0) {
		image_raw_done(&i);
		return r;
	}
	r = loop_device_attach(i.image_fd, 0, 0, read_only, d.table[0] != 0, &i.loop);
	if (r < 0) {
		image_raw_done(&i);
		return log_error_errno(r, "Failed to attach image '%s' to a loop device: %m", s->image);
	}
	r = enter_private_namespace();
	if (r >= 0)
		r = mount_partitions(&i, &d, read_only);
	if (r < 0) {
		image_raw_done(&i);
		return r;
	}
	free(s->directory);
	s->directory = strdup(IMAGE_RAW_ROOT);
	if (!s->directory) {
		image_raw_done(&i);
		return log_error_errno(ENOMEM, "Out of memory");
	}
	*ret = i;
	return 0;
}

void image_raw_done(ImageRaw *i) {
	for (PartitionDesignator p = 0; p < _PARTITION_DESIGNATOR_MAX; p++)
		if (i->parts[p].path[0])
			loop_device_done(&i->parts[p]);
	loop_device_done(&i->loop);
	closep(&i->image_fd);
}
