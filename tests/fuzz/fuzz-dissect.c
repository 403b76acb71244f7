/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes, as an image file in memory, to the dissection. It either fails with a
 * message or describes partitions that lie inside the image, do not overlap and hold a filesystem
 * berth mounts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const DissectedImage *d, size_t size) {
	if (!d->partitions[PARTITION_ROOT].found)
		abort();
	for (PartitionDesignator i = 0; i < _PARTITION_DESIGNATOR_MAX; i++) {
		const DissectedPartition *p = &d->partitions[i];
		if (!p->found)
			continue;
		if (p->size == 0 || p->offset > size || p->size > size - p->offset || !p->fstype[0])
			abort();
		for (PartitionDesignator j = 0; j < i; j++) {
			const DissectedPartition *q = &d->partitions[j];
			if (q->found && p->offset < q->offset + q->size && q->offset < p->offset + p->size)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	DissectedImage d;
	char error[256];
	int fd, r;

	/* Bigger inputs say nothing new about the table and only slow the run down. */
	if (size > 4 * 1024 * 1024)
		return 0;
	fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t) size)
		abort();
	r = dissect_image_fd(fd, &d, error, sizeof error);
	if (r < 0 && r != -ENOMEM && error[0] == 0)
		abort();
	if (r >= 0)
		check(&d, size);
	close(fd);
	return 0;
}
