/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image verbs that change images in place: clone, rename, read-only, clean; and cat of an image's
 * settings file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berthctl.h"
#include "btrfs-util.h"
#include "copy.h"
#include "disk-usage.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-find.h"
#include "image-lookup.h"
#include "locked-entry.h"
#include "log.h"
#include "machine-record.h"
#include "name-util.h"
#include "nspawn-file.h"
#include "parse-util.h"
#include "progress.h"

/* The image NAME: its path, type, and the directory it is in. Logs; 1 for "No image". */
static int find(const char *name, ImageType *ret_type, char **ret_path, char **ret_dir) {
	int r = image_lookup(name, ret_type, ret_path);

	if (r != 0)
		return r;
	*ret_dir = strndup(*ret_path, (size_t) (strrchr(*ret_path, '/') - *ret_path));
	return *ret_dir ? 0 : log_error_errno(ENOMEM, "Out of memory");
}

static int refuse_if_running(const char *name, const char *path) {
	MachineRecord running = {};
	_cleanup_close_ int fd = -EBADF;

	if (machine_record_find_by_root(MACHINE_RECORD_DIR, path, &running) >= 0) {
		log_error("Image '%s' is in use by the running machine '%s'", name, running.name);
		machine_record_done(&running);
		return 1;
	}
	/* A machine running from it holds its lock, also one whose record names another root (a raw
	 * image's names where berth mounted it). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		log_error("Image '%s' is in use by a running machine", name);
		return 1;
	}
	return 0;
}

static int valid_new_name(const char *name) {
	if (machine_name_is_valid(name))
		return 0;
	log_error("Invalid image name '%s'", name);
	return 1;
}

int verb_read_only(int argc, char *argv[]) {
	_cleanup_free_ char *path = NULL, *dir = NULL;
	ImageType type;
	int ro = argc > 2 ? parse_boolean(argv[2]) : 1, r;

	if (ro < 0) {
		log_error("Invalid boolean '%s' for read-only", argv[2]);
		return 1;
	}
	r = find(argv[1], &type, &path, &dir);
	if (r != 0)
		return r;
	r = image_set_read_only(path, type, ro);
	if (r < 0)
		return log_error_errno(r, "Failed to make image '%s' %s: %m", argv[1], ro ? "read-only" : "writable");
	return 0;
}

/* Shared data (reflinks) costs next to nothing: only a copy that copies shows progress. */
static void clone_progress(const CopyProgress *c, void *userdata) {
	if (c->bytes_done > c->bytes_shared)
		progress_update(userdata, c->bytes_done);
}

/* What the copy of the image will write, when progress is shown. */
static uint64_t clone_total(const char *path) {
	_cleanup_close_ int fd = -EBADF;
	DiskUsage usage;

	if (!progress_wanted())
		return 0;
	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	return fd >= 0 && disk_usage_fd(fd, &usage) >= 0 ? usage.data : 0;
}

/* -EOPNOTSUPP when path is no subvolume, or the target is on another file system: then copy. */
static int snapshot_image(const char *path, const char *dir, const char *name) {
	_cleanup_close_ int src_fd = -EBADF, dir_fd = -EBADF;
	int r;

	src_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src_fd < 0 || !btrfs_is_subvolume(src_fd))
		return -EOPNOTSUPP;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	r = btrfs_snapshot(src_fd, dir_fd, name, arg.read_only);
	return r == -EXDEV ? -EOPNOTSUPP : r;
}

int verb_clone(int argc, char *argv[]) {
	_cleanup_free_ char *path = NULL, *dir = NULL, *target = NULL;
	Progress progress;
	ImageType type;
	int r;

	r = valid_new_name(argv[2]);
	if (r != 0 || (r = find(argv[1], &type, &path, &dir)) != 0)
		return r;
	if (asprintf(&target, "%s/%s%s", dir, argv[2], type == IMAGE_RAW ? ".raw" : "") < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	/* A subvolume is snapshotted (at once, sharing everything), read-only from the start if asked. */
	r = snapshot_image(path, dir, argv[2]);
	bool snapshot = r >= 0;
	if (r == -EOPNOTSUPP) {
		progress_begin(&progress, clone_total(path), "Cloning '%s'", argv[1]);
		/* Shares the data where the file system can (reflinks); built aside and renamed when done. */
		r = copy_tree(path, target, COPY_REFLINK | COPY_FILE | COPY_SAME_MOUNT,
			      &(CopyProgress) { .update = clone_progress, .userdata = &progress });
		if (r >= 0)
			progress_finish(&progress);
		else
			progress_clear(&progress);
	}
	if (r == -EEXIST) {
		log_error("Image '%s' exists already", argv[2]);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to clone image '%s' to '%s': %m", argv[1], argv[2]);
	if (arg.read_only && !snapshot && (r = image_set_read_only(target, type, true)) < 0)
		return log_error_errno(r, "Failed to make image '%s' read-only: %m", argv[2]);
	return 0;
}

int verb_rename(int argc, char *argv[]) {
	_cleanup_free_ char *path = NULL, *dir = NULL, *target = NULL, *settings = NULL, *new_settings = NULL;
	ImageType type;
	int r;

	r = valid_new_name(argv[2]);
	if (r != 0 || (r = find(argv[1], &type, &path, &dir)) != 0 || (r = refuse_if_running(argv[1], path)) != 0)
		return r;
	if (asprintf(&target, "%s/%s%s", dir, argv[2], type == IMAGE_RAW ? ".raw" : "") < 0 ||
	    asprintf(&settings, "%s/%s" NSPAWN_FILE_SUFFIX, dir, argv[1]) < 0 ||
	    asprintf(&new_settings, "%s/%s" NSPAWN_FILE_SUFFIX, dir, argv[2]) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (renameat2(AT_FDCWD, path, AT_FDCWD, target, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			log_error("Image '%s' exists already", argv[2]);
			return 1;
		}
		return log_error_errno(errno, "Failed to rename image '%s': %m", argv[1]);
	}
	/* The settings file next to the image goes with it. */
	if (renameat2(AT_FDCWD, settings, AT_FDCWD, new_settings, RENAME_NOREPLACE) < 0 && errno != ENOENT)
		log_warning_errno(errno, "Failed to rename '%s' with its image: %m", settings);
	return 0;
}

static void report_clean(const char *dir, const char *entry, int r) {
	if (r == -ENOENT) /* gone meanwhile: renamed into place, or removed by someone else */
		return;
	if (r < 0 && r != -EBUSY)
		log_warning_errno(r, "Failed to remove '%s/%s': %m", dir, entry);
	else if (!arg.quiet)
		printf(r < 0 ? "Kept %s/%s: in use\n" : "Removed %s/%s\n", dir, entry);
}

/* With --all: an image of the pool, unless it is read-only or a running machine uses it. */
static void clean_image(int dir_fd, const char *dir, const char *entry) {
	_cleanup_free_ char *name = NULL, *path = NULL;
	MachineRecord running = {};
	ImageType type;
	struct stat st;
	int r;

	if (fstatat(dir_fd, entry, &st, AT_SYMLINK_NOFOLLOW) < 0 || image_from_entry(entry, &st, &type, &name) < 0)
		return;
	if (asprintf(&path, "%s/%s", dir, entry) < 0) {
		log_error_errno(ENOMEM, "Out of memory");
		return;
	}
	if (image_is_read_only(path, type)) {
		if (!arg.quiet)
			printf("Kept %s: read-only\n", path);
		return;
	}
	if (machine_record_find_by_root(MACHINE_RECORD_DIR, path, &running) >= 0) {
		if (!arg.quiet)
			printf("Kept %s: in use by the running machine '%s'\n", path, running.name);
		machine_record_done(&running);
		return;
	}
	/* A machine that runs from the image holds its lock, whoever started it. */
	r = locked_entry_remove(dir_fd, entry);
	report_clean(dir, entry, r);
	if (r >= 0)
		image_remove_settings(dir_fd, dir, name);
}

/* Hidden entries are what an interrupted import or copy left; one still being built is locked by
 * the process building it, and kept. With --all, the images of the pool go too. */
int verb_clean(int argc, char *argv[]) {
	for (const char *const *dir = image_search_path; *dir; dir++) {
		_cleanup_close_ int dir_fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool pool = dir == image_search_path;
		DIR *d;
		struct dirent *de;

		if (dir_fd < 0)
			continue;
		d = fdopendir(fcntl(dir_fd, F_DUPFD_CLOEXEC, 3));
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, ".#", 2) == 0)
				report_clean(*dir, de->d_name, locked_entry_remove(dir_fd, de->d_name));
			else if (arg.all && pool)
				clean_image(dir_fd, *dir, de->d_name);
		}
		closedir(d);
	}
	return 0;
}

int verb_cat(int argc, char *argv[]) {
	for (int k = 1; k < argc; k++) {
		_cleanup_free_ char *path = NULL, *dir = NULL, *settings = NULL, *text = NULL;
		ImageType type;
		bool trusted;
		int r = find(argv[k], &type, &path, &dir);

		if (r != 0)
			return r;
		r = nspawn_file_find(NULL, argv[k], path, &settings, &trusted);
		if (r == -ENOENT) {
			log_error("Image '%s' has no settings file", argv[k]);
			return 1;
		}
		if (r < 0 || (r = read_full_file(settings, &text, NULL)) < 0)
			return log_error_errno(r, "Failed to read the settings of '%s': %m", argv[k]);
		printf("# %s%s\n%s", settings, trusted ? "" : " (untrusted: privileged settings are ignored)", text);
	}
	return 0;
}
