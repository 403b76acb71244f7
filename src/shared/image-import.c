/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "fd-util.h"
#include "image-import.h"
#include "locked-entry.h"
#include "macro.h"
#include "name-util.h"
#include "tar-extract.h"
#include "xz-util.h"

/* The input: the first bytes, read to tell .xz from plain tar, are handed back before the rest of
 * the fd; and every read is counted, for the caller's progress. */
typedef struct Peeked {
	uint8_t head[8];
	size_t n, off;
	int fd;
	uint64_t bytes_read;
	const ImageImport *imp;
} Peeked;

static ssize_t input_read(Peeked *p, void *buf, size_t n) {
	ssize_t k = tar_read_fd(&p->fd, buf, n);

	if (k > 0) {
		p->bytes_read += (uint64_t) k;
		if (p->imp->progress)
			p->imp->progress(p->bytes_read, p->imp->progress_userdata);
	}
	return k;
}

static ssize_t peeked_read(void *userdata, void *buf, size_t n) {
	Peeked *p = userdata;

	if (p->off < p->n) {
		size_t k = MIN(n, p->n - p->off);
		memcpy(buf, p->head + p->off, k);
		p->off += k;
		return (ssize_t) k;
	}
	return input_read(p, buf, n);
}

static int peek(Peeked *p) {
	while (p->n < sizeof p->head) {
		ssize_t k = input_read(p, p->head + p->n, sizeof p->head - p->n);
		if (k < 0)
			return (int) k;
		if (k == 0)
			break;
		p->n += (size_t) k;
	}
	return 0;
}

static int extract(int dir_fd, ImageImport *imp) {
	Peeked p = { .fd = imp->in_fd, .imp = imp };
	TarExtract t = { .flags = TAR_EXTRACT_OWNERSHIP | TAR_EXTRACT_XATTRS };
	XzReader x;
	int r;

	r = peek(&p);
	if (r < 0)
		return r;
	if (!xz_has_magic(p.head, p.n)) {
		t.read = peeked_read;
		t.userdata = &p;
		r = tar_extract(dir_fd, &t);
	} else {
		r = xz_reader_init_input(&x, peeked_read, &p);
		if (r < 0)
			return r;
		t.read = xz_reader_read;
		t.userdata = &x;
		r = tar_extract(dir_fd, &t);
		xz_reader_done(&x);
	}
	free(imp->bad_entry);
	imp->bad_entry = t.bad_entry;
	return r;
}

/* Copies the (possibly compressed) stream into fd. */
static int unpack_raw(int fd, ImageImport *imp) {
	Peeked p = { .fd = imp->in_fd, .imp = imp };
	XzReader x;
	uint8_t buf[65536];
	ssize_t k;
	int r;

	r = peek(&p);
	if (r < 0)
		return r;
	if (!xz_has_magic(p.head, p.n)) {
		while ((k = peeked_read(&p, buf, sizeof buf)) > 0)
			if ((r = loop_write(fd, buf, (size_t) k)) < 0)
				return r;
		return (int) k;
	}
	r = xz_reader_init_input(&x, peeked_read, &p);
	if (r < 0)
		return r;
	while ((k = xz_reader_read(&x, buf, sizeof buf)) > 0)
		if ((r = loop_write(fd, buf, (size_t) k)) < 0)
			break;
	xz_reader_done(&x);
	return r < 0 ? r : (int) k;
}

/* Makes the hidden ".#NAME<random>" entry, a directory or (raw) a file, and returns an fd on it that
 * holds its lock until the import is done, so a cleaner leaves it alone. */
static int make_hidden(int images_dir_fd, const char *name, bool raw, char **ret) {
	for (int i = 0; i < 16; i++) {
		_cleanup_free_ char *tmp = NULL;
		uint64_t rnd;
		int fd;

		if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
			return -EIO;
		if (asprintf(&tmp, ".#%s%016llx", name, (unsigned long long) rnd) < 0)
			return -ENOMEM;
		fd = locked_entry_create(images_dir_fd, tmp, !raw, raw ? 0600 : 0700);
		if (fd >= 0) {
			*ret = TAKE_PTR(tmp);
			return fd;
		}
		if (fd != -EEXIST)
			return fd;
	}
	return -EEXIST;
}

static int put_in_place(int images_dir_fd, const char *name, ImageImport *imp) {
	_cleanup_close_ int old_fd = -EBADF;

	if (renameat2(images_dir_fd, imp->tmp_name, images_dir_fd, name, RENAME_NOREPLACE) >= 0)
		return 0;
	if (errno != EEXIST || !(imp->flags & IMAGE_IMPORT_FORCE))
		return -errno;
	/* The old image is locked from here until it is gone: a machine running from it holds its
	 * lock (then it is not replaced), and a cleaner leaves it to us once it has the hidden name. */
	old_fd = openat(images_dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (old_fd < 0)
		return -errno;
	if (flock(old_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	/* Swap, so NAME is never missing, then remove the old tree under the hidden name. */
	if (renameat2(images_dir_fd, imp->tmp_name, images_dir_fd, name, RENAME_EXCHANGE) < 0)
		return -errno;
	return rm_rf_at(images_dir_fd, imp->tmp_name);
}

int image_import_raw(int images_dir_fd, const char *name, ImageImport *imp) {
	_cleanup_free_ char *file = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (!machine_name_is_valid(name))
		return -EINVAL;
	if (asprintf(&file, "%s.raw", name) < 0)
		return -ENOMEM;
	if (!(imp->flags & IMAGE_IMPORT_FORCE) && fstatat(images_dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) >= 0)
		return -EEXIST;
	imp->tmp_name = mfree(imp->tmp_name);
	fd = make_hidden(images_dir_fd, name, true, &imp->tmp_name);
	if (fd < 0)
		return fd;
	r = unpack_raw(fd, imp);
	if (r >= 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r >= 0)
		r = put_in_place(images_dir_fd, file, imp);
	if (r < 0)
		(void) unlinkat(images_dir_fd, imp->tmp_name, 0);
	imp->tmp_name = mfree(imp->tmp_name);
	return r;
}

int image_import_tar(int images_dir_fd, const char *name, ImageImport *imp) {
	_cleanup_close_ int dir_fd = -EBADF;
	struct stat st;
	int r;

	if (!machine_name_is_valid(name))
		return -EINVAL;
	if (!(imp->flags & IMAGE_IMPORT_FORCE) && fstatat(images_dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
		return -EEXIST;
	imp->tmp_name = mfree(imp->tmp_name);
	dir_fd = make_hidden(images_dir_fd, name, false, &imp->tmp_name);
	if (dir_fd < 0)
		return dir_fd;
	r = extract(dir_fd, imp);
	if (r >= 0)
		r = put_in_place(images_dir_fd, name, imp);
	if (r < 0)
		(void) rm_rf_at(images_dir_fd, imp->tmp_name);
	imp->tmp_name = mfree(imp->tmp_name);
	return r;
}
