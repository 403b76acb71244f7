/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-status and show-image: an image's facts, for people and for scripts. */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "berthctl.h"
#include "disk-usage.h"
#include "format-util.h"
#include "image-lookup.h"
#include "image-os.h"
#include "log.h"
#include "properties.h"

/* The pool: where imports land and what clean --all empties. */
#define POOL_DIR "/var/lib/machines"


typedef struct ImageFacts {
	char *path;
	ImageType type;
	const char *kind; /* "directory", "subvolume" or "raw" */
	bool read_only;
	time_t created; /* 0: the file system does not record it */
	time_t modified;
	uint64_t usage; /* bytes on disk */
} ImageFacts;

static void image_facts_done(ImageFacts *f) {
	free(f->path);
}

/* The facts of image NAME: 0, or 1 (the exit status) after logging "No image" and friends, or
 * -errno after logging. */
static int image_facts(const char *name, ImageFacts *ret) {
	ImageFacts f = {};
	_cleanup_close_ int fd = -EBADF;
	struct statx stx;
	DiskUsage usage;
	int r = image_lookup(name, &f.type, &f.path);

	if (r != 0)
		return r;
	fd = open(f.path, O_RDONLY | O_NOCTTY | O_CLOEXEC | (f.type == IMAGE_DIRECTORY ? O_DIRECTORY : 0));
	if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME | STATX_INO, &stx) < 0) {
		r = log_error_errno(errno, "Failed to access image '%s': %m", f.path);
		image_facts_done(&f);
		return r;
	}
	r = disk_usage_fd(fd, &usage);
	if (r < 0) {
		image_facts_done(&f);
		return log_error_errno(r, "Failed to add up the size of image '%s': %m", f.path);
	}
	f.kind = image_kind(f.path, f.type);
	f.read_only = image_is_read_only(f.path, f.type);
	f.created = stx.stx_mask & STATX_BTIME ? (time_t) stx.stx_btime.tv_sec : 0;
	f.modified = (time_t) stx.stx_mtime.tv_sec;
	f.usage = usage.allocated;
	*ret = f;
	return 0;
}

static void print_status(const char *name, const ImageFacts *f, bool first) {
	_cleanup_free_ char *os = NULL;
	char when[FORMAT_TIMESTAMP_MAX], size[FORMAT_BYTES_MAX];

	/* Not being able to read the OS is no error: the line is left out. */
	(void) image_os_pretty_name(f->path, f->type, &os);
	printf("%s%s\n", first ? "" : "\n", name);
	printf("%17s: %s\n", "Type", f->kind);
	printf("%17s: %s\n", "Path", f->path);
	printf("%17s: %s\n", "RO", f->read_only ? "read-only" : "writable");
	if (os)
		printf("%17s: %s\n", "OS", os);
	if (f->created)
		printf("%17s: %s\n", "Created", format_timestamp(when, f->created));
	printf("%17s: %s\n", "Modified", format_timestamp(when, f->modified));
	printf("%17s: %s\n", "Usage", format_bytes(size, f->usage));
}

int verb_image_status(int argc, char *argv[]) {
	int ret = 0;

	if (arg.json)
		return verb_show_image(argc, argv);
	for (int k = 1; k < argc; k++) {
		ImageFacts f;

		if (image_facts(argv[k], &f) != 0) {
			ret = 1;
			continue;
		}
		print_status(argv[k], &f, k == 1);
		image_facts_done(&f);
	}
	return ret;
}

#define N_IMAGE_PROPERTIES 7

static void image_properties(const char *name, const ImageFacts *f, Property p[static N_IMAGE_PROPERTIES]) {
	char created[FORMAT_TIMESTAMP_MAX] = "", modified[FORMAT_TIMESTAMP_MAX];

	if (f->created)
		format_timestamp(created, f->created);
	p[0] = (Property) { "Name", strdup(name) };
	p[1] = (Property) { "Path", strdup(f->path) };
	p[2] = (Property) { "Type", strdup(f->kind) };
	p[3] = (Property) { "ReadOnly", strdup(f->read_only ? "yes" : "no") };
	p[4] = (Property) { "CreationTimestamp", strdup(created) };
	p[5] = (Property) { "ModificationTimestamp", strdup(format_timestamp(modified, f->modified)) };
	p[6] = (Property) { "Usage", fmtstr("%" PRIu64, f->usage) };
}

static int show_pool(void) {
	_cleanup_close_ int fd = open(POOL_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DiskUsage usage = {};
	int r;

	if (fd < 0 && errno != ENOENT)
		return log_error_errno(errno, "Failed to open %s: %m", POOL_DIR);
	if (fd >= 0 && (r = disk_usage_fd(fd, &usage)) < 0)
		return log_error_errno(r, "Failed to add up the size of %s: %m", POOL_DIR);
	Property p[] = {
		{ "PoolPath", strdup(POOL_DIR) },
		{ "PoolUsage", fmtstr("%" PRIu64, usage.allocated) },
	};
	properties_print(p, ELEMENTSOF(p), true);
	properties_free(p, ELEMENTSOF(p));
	return 0;
}

int verb_show_image(int argc, char *argv[]) {
	int ret = 0;
	bool first = true;

	if (arg.json)
		putchar('[');
	if (argc <= 1)
		ret = show_pool();
	for (int k = 1; k < argc; k++) {
		Property p[N_IMAGE_PROPERTIES];
		ImageFacts f;

		if (image_facts(argv[k], &f) != 0) {
			ret = 1;
			continue;
		}
		image_properties(argv[k], &f, p);
		properties_print(p, N_IMAGE_PROPERTIES, first);
		properties_free(p, N_IMAGE_PROPERTIES);
		image_facts_done(&f);
		first = false;
	}
	if (arg.json)
		printf("]\n");
	return ret;
}
