/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "tar-write.h"

#define TAR_BLOCK 512

/* A file with more than one link, seen once: later names of the same inode become links to it. */
typedef struct Seen {
	dev_t dev;
	ino_t ino;
	char *path;
} Seen;

typedef struct Writer {
	TarWriteFn write;
	void *userdata;
	Seen *seen;
	size_t n_seen;
} Writer;

int tar_write_fd(void *userdata, const void *buf, size_t n) {
	return loop_write(*(int *) userdata, buf, n);
}

/* Octal when it fits the field, else the field is left for a pax record to override. */
static void put_octal(char *f, size_t len, uint64_t v) {
	char tmp[32];

	if (v >= (1ull << (3 * (len - 1)))) {
		memset(f, '0', len - 1);
		return;
	}
	snprintf(tmp, sizeof tmp, "%0*llo", (int) len - 1, (unsigned long long) v);
	memcpy(f, tmp, len - 1);
}

static int write_header(Writer *w, const char *name, char type, const char *link, uint64_t size,
			const struct stat *st) {
	uint8_t h[TAR_BLOCK] = {};
	unsigned sum = 0;

	strncpy((char *) h, name, 100);
	put_octal((char *) h + 100, 8, st->st_mode & 07777);
	put_octal((char *) h + 108, 8, st->st_uid);
	put_octal((char *) h + 116, 8, st->st_gid);
	put_octal((char *) h + 124, 12, size);
	put_octal((char *) h + 136, 12, st->st_mtime > 0 ? (uint64_t) st->st_mtime : 0);
	h[156] = (uint8_t) type;
	if (link)
		strncpy((char *) h + 157, link, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	if (type == '3' || type == '4') {
		put_octal((char *) h + 329, 8, major(st->st_rdev));
		put_octal((char *) h + 337, 8, minor(st->st_rdev));
	}
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *) h + 148, 8, "%06o", sum);
	return w->write(w->userdata, h, sizeof h);
}

static int write_padding(Writer *w, uint64_t n) {
	static const uint8_t zero[TAR_BLOCK];
	size_t pad = (size_t) ((TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK);

	return pad ? w->write(w->userdata, zero, pad) : 0;
}

/* "LEN key=value\n" where LEN counts the whole record, its own digits included. */
static int pax_append(char **buf, size_t *len, const char *key, const char *value) {
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1, digits = 1, total;
	char *n;

	while (body + digits >= (digits == 1 ? 10u : digits == 2 ? 100u : digits == 3 ? 1000u :
				 digits == 4 ? 10000u : digits == 5 ? 100000u : 1000000u))
		digits++;
	total = body + digits;
	n = realloc(*buf, *len + total + 1);
	if (!n)
		return -ENOMEM;
	*buf = n;
	snprintf(n + *len, total + 1, "%zu %s=%s\n", total, key, value);
	*len += total;
	return 0;
}

/* Long names, long link targets, big sizes and ids go in a pax record before the entry. */
static int write_pax(Writer *w, const char *name, const char *link, uint64_t size, const struct stat *st) {
	_cleanup_free_ char *rec = NULL;
	char num[32];
	size_t len = 0;
	int r = 0;

	if (strlen(name) > 100)
		r = pax_append(&rec, &len, "path", name);
	if (r >= 0 && link && strlen(link) > 100)
		r = pax_append(&rec, &len, "linkpath", link);
	if (r >= 0 && size >= (1ull << 33)) {
		snprintf(num, sizeof num, "%llu", (unsigned long long) size);
		r = pax_append(&rec, &len, "size", num);
	}
	if (r >= 0 && (st->st_uid >= (1u << 21) || st->st_gid >= (1u << 21))) {
		snprintf(num, sizeof num, "%u", (unsigned) st->st_uid);
		r = pax_append(&rec, &len, "uid", num);
		snprintf(num, sizeof num, "%u", (unsigned) st->st_gid);
		if (r >= 0)
			r = pax_append(&rec, &len, "gid", num);
	}
	if (r < 0 || len == 0)
		return r;
	r = write_header(w, "./PaxHeaders/entry", 'x', NULL, len, &(struct stat) { .st_mode = 0644 });
	if (r >= 0)
		r = w->write(w->userdata, rec, len);
	return r < 0 ? r : write_padding(w, len);
}

static int write_entry(Writer *w, const char *name, char type, const char *link, uint64_t size,
		       const struct stat *st) {
	int r = write_pax(w, name, link, size, st);
	return r < 0 ? r : write_header(w, name, type, link, size, st);
}

static int write_file(Writer *w, int parent_fd, const char *base, const char *name, const struct stat *st) {
	_cleanup_close_ int fd = -EBADF;
	uint8_t buf[65536];
	uint64_t left = (uint64_t) st->st_size;
	int r;

	fd = openat(parent_fd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = write_entry(w, name, '0', NULL, left, st);
	if (r < 0)
		return r;
	while (left > 0) {
		ssize_t k = read(fd, buf, (size_t) MIN(left, (uint64_t) sizeof buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO; /* the file shrank while being written */
		r = w->write(w->userdata, buf, (size_t) k);
		if (r < 0)
			return r;
		left -= (uint64_t) k;
	}
	return write_padding(w, (uint64_t) st->st_size);
}

static int remember(Writer *w, const struct stat *st, const char *name, const char **ret_first) {
	Seen *n;

	for (size_t i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino) {
			*ret_first = w->seen[i].path;
			return 1;
		}
	n = realloc(w->seen, (w->n_seen + 1) * sizeof *n);
	if (!n)
		return -ENOMEM;
	w->seen = n;
	n[w->n_seen] = (Seen) { st->st_dev, st->st_ino, strdup(name) };
	if (!n[w->n_seen].path)
		return -ENOMEM;
	w->n_seen++;
	return 0;
}

static int write_dir(Writer *w, int dir_fd, const char *prefix);

static int write_one(Writer *w, int dir_fd, const char *base, const char *name) {
	char link[4097];
	struct stat st;
	const char *first;
	ssize_t k;
	int r;

	if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		r = remember(w, &st, name, &first);
		if (r < 0)
			return r;
		if (r > 0)
			return write_entry(w, name, '1', first, 0, &st);
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return write_file(w, dir_fd, base, name, &st);
	case S_IFLNK:
		k = readlinkat(dir_fd, base, link, sizeof link - 1);
		if (k < 0)
			return -errno;
		link[k] = 0;
		return write_entry(w, name, '2', link, 0, &st);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		return write_entry(w, name, S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6',
				   NULL, 0, &st);
	case S_IFDIR: {
		_cleanup_close_ int fd = openat(dir_fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = write_entry(w, name, '5', NULL, 0, &st);
		return r < 0 ? r : write_dir(w, fd, name);
	}
	default:
		return 0; /* sockets belong to a running system, not an image */
	}
}

static int write_dir(Writer *w, int dir_fd, const char *prefix) {
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return -errno;
	}
	while (r >= 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *name = NULL;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&name, "%s/%s", prefix, de->d_name) < 0)
			r = -ENOMEM;
		else
			r = write_one(w, dirfd(d), de->d_name, name);
	}
	if (r >= 0 && errno != 0)
		r = -errno;
	closedir(d);
	return r;
}

int tar_write_tree(int dir_fd, TarWriteFn write_fn, void *userdata) {
	static const uint8_t end[2 * TAR_BLOCK];
	Writer w = { .write = write_fn, .userdata = userdata };
	_cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	r = write_header(&w, "./", '5', NULL, 0, &st);
	if (r >= 0)
		r = write_dir(&w, fd, ".");
	if (r >= 0)
		r = write_fn(userdata, end, sizeof end);
	for (size_t i = 0; i < w.n_seen; i++)
		free(w.seen[i].path);
	free(w.seen);
	return r;
}
