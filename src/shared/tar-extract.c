/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "tar-extract.h"

#define TAR_BLOCK 512
/* Bounds for what a pax or GNU long-name record may ask us to hold in memory. */
#define TAR_META_MAX (1024 * 1024)

typedef struct TarHeader {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag;
	char linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8];
	char prefix[155], pad[12];
} TarHeader;

/* What the next real entry takes from the pax and GNU records before it. */
typedef struct TarPending {
	char *path, *linkpath, *xattrs; /* xattrs: "name\0value-len(8 bytes)value..." packed */
	size_t xattrs_len;
	bool have_size, have_mtime, have_uid, have_gid;
	uint64_t size, uid, gid;
	int64_t mtime;
} TarPending;

static void pending_done(TarPending *p) {
	free(p->path);
	free(p->linkpath);
	free(p->xattrs);
	*p = (TarPending) {};
}

/* Returns -ENODATA when the stream ends before the first byte, -EBADMSG when it ends later. */
static int read_or_end(TarExtract *t, void *buf, size_t n) {
	uint8_t *p = buf;
	bool first = true;

	while (n > 0) {
		ssize_t k = t->read(t->userdata, p, n);
		if (k < 0)
			return (int) k;
		if (k == 0)
			return first ? -ENODATA : -EBADMSG;
		first = false;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int read_full(TarExtract *t, void *buf, size_t n) {
	int r = read_or_end(t, buf, n);
	return r == -ENODATA ? -EBADMSG : r; /* truncated */
}

static int skip(TarExtract *t, uint64_t n) {
	uint8_t buf[16384];

	while (n > 0) {
		size_t k = (size_t) MIN(n, (uint64_t) sizeof buf);
		int r = read_full(t, buf, k);
		if (r < 0)
			return r;
		n -= k;
	}
	return 0;
}

static uint64_t padded(uint64_t n) {
	return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

/* Octal, space or NUL terminated; or GNU base-256 when the high bit of the first byte is set. */
static int parse_number(const char *f, size_t len, uint64_t *ret) {
	uint64_t v = 0;
	size_t i = 0;

	if ((uint8_t) f[0] & 0x80) {
		if ((uint8_t) f[0] & 0x40)
			return -EBADMSG; /* negative */
		v = (uint8_t) f[0] & 0x3f;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -EBADMSG;
			v = (v << 8) | (uint8_t) f[i];
		}
		*ret = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -EBADMSG;
		v = v * 8 + (uint64_t) (f[i] - '0');
	}
	if (i < len && f[i] != ' ' && f[i] != '\0')
		return -EBADMSG;
	*ret = v;
	return 0;
}

static bool header_is_zero(const uint8_t *b) {
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

static int header_check(const TarHeader *h) {
	const uint8_t *b = (const uint8_t *) h;
	uint64_t want, sum = 0;

	if (parse_number(h->chksum, sizeof h->chksum, &want) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return sum == want ? 0 : -EBADMSG;
}

static char *field_dup(const char *f, size_t len) {
	return strndup(f, strnlen(f, len));
}

/* Reads a record body of size n (padded to blocks) into a NUL-terminated buffer. */
static int read_body(TarExtract *t, uint64_t n, char **ret) {
	_cleanup_free_ char *buf = NULL;
	int r;

	if (n > TAR_META_MAX)
		return -EBADMSG;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	r = read_full(t, buf, n);
	if (r < 0)
		return r;
	buf[n] = 0;
	r = skip(t, padded(n) - n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

static int pax_number(const char *v, size_t len, uint64_t *ret) {
	uint64_t x = 0;

	if (len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '.')
			break; /* sub-second mtimes: the whole seconds are enough */
		if (v[i] < '0' || v[i] > '9' || x > UINT64_MAX / 10 - 1)
			return -EBADMSG;
		x = x * 10 + (uint64_t) (v[i] - '0');
	}
	*ret = x;
	return 0;
}

static int pax_xattr_add(TarPending *p, const char *name, size_t nlen, const char *v, size_t vlen) {
	size_t need = nlen + 1 + sizeof(uint64_t) + vlen;
	char *n;
	uint64_t l = vlen;

	if (p->xattrs_len + need > TAR_META_MAX)
		return -EBADMSG;
	n = realloc(p->xattrs, p->xattrs_len + need);
	if (!n)
		return -ENOMEM;
	p->xattrs = n;
	n += p->xattrs_len;
	memcpy(n, name, nlen);
	n[nlen] = 0;
	memcpy(n + nlen + 1, &l, sizeof l);
	memcpy(n + nlen + 1 + sizeof l, v, vlen);
	p->xattrs_len += need;
	return 0;
}

static int pax_record(TarPending *p, const char *key, size_t klen, const char *v, size_t vlen) {
#define KEY_IS(s) (klen == strlen(s) && memcmp(key, s, klen) == 0)
	if (KEY_IS("path") || KEY_IS("linkpath")) {
		char **dst = KEY_IS("path") ? &p->path : &p->linkpath;
		free(*dst);
		*dst = strndup(v, vlen);
		return *dst ? 0 : -ENOMEM;
	}
	if (KEY_IS("size"))
		return p->have_size = true, pax_number(v, vlen, &p->size);
	if (KEY_IS("uid"))
		return p->have_uid = true, pax_number(v, vlen, &p->uid);
	if (KEY_IS("gid"))
		return p->have_gid = true, pax_number(v, vlen, &p->gid);
	if (KEY_IS("mtime")) {
		uint64_t m;
		if (vlen > 0 && v[0] == '-')
			return 0; /* before 1970: keep the header's */
		int r = pax_number(v, vlen, &m);
		if (r < 0)
			return r;
		p->have_mtime = true;
		p->mtime = (int64_t) MIN(m, (uint64_t) INT64_MAX);
		return 0;
	}
	if (klen > 12 && memcmp(key, "SCHILY.xattr.", 13) == 0)
		return pax_xattr_add(p, key + 13, klen - 13, v, vlen);
	return 0; /* atime, ctime, uname, comments...: nothing we keep */
#undef KEY_IS
}

/* Records are "LEN KEY=VALUE\n", LEN counting the whole record. */
static int pax_parse(TarPending *p, const char *body, size_t n) {
	size_t off = 0;

	while (off < n) {
		size_t len = 0, i = off;
		const char *rec, *eq;
		int r;

		for (; i < n && body[i] >= '0' && body[i] <= '9'; i++) {
			len = len * 10 + (size_t) (body[i] - '0');
			if (len > n)
				return -EBADMSG;
		}
		if (i >= n || body[i] != ' ' || len == 0 || len > n - off || body[off + len - 1] != '\n')
			return -EBADMSG;
		rec = body + i + 1;
		eq = memchr(rec, '=', (size_t) (body + off + len - 1 - rec));
		if (!eq)
			return -EBADMSG;
		r = pax_record(p, rec, (size_t) (eq - rec), eq + 1, (size_t) (body + off + len - 1 - eq - 1));
		if (r < 0)
			return r;
		off += len;
	}
	return 0;
}

/* Accepts names relative to the image: "./" and repeated slashes are dropped, "" and "." mean the
 * top; absolute names and ".." are refused. Writes the cleaned name into a new string. */
static int path_clean(const char *in, char **ret) {
	_cleanup_free_ char *out = NULL;
	size_t o = 0;

	if (in[0] == '/')
		return -EXDEV;
	out = malloc(strlen(in) + 2);
	if (!out)
		return -ENOMEM;
	for (const char *p = in; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return -EXDEV;
		if (l > 0 && !(l == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, l);
			o += l;
		}
		p += l;
		p += strspn(p, "/");
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = 0;
	*ret = TAKE_PTR(out);
	return 0;
}

/* Opens the parent directory of a clean path beneath dir_fd, following no symlink at all: a
 * symlink in the tree, whatever it points to, cannot redirect where an entry lands. */
static int open_parent(int dir_fd, char *path, const char **ret_base) {
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	char *slash = strrchr(path, '/');
	int fd;

	if (!slash) {
		*ret_base = path;
		fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? -errno : fd;
	}
	*slash = 0;
	fd = (int) syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
	*slash = '/';
	if (fd < 0)
		return errno == ELOOP || errno == EXDEV ? -EXDEV : -errno;
	*ret_base = slash + 1;
	return fd;
}

typedef struct TarEntry {
	char *path; /* cleaned */
	char *link; /* cleaned hardlink target, or the symlink's text as recorded */
	char type;
	mode_t mode;
	uint64_t size, uid, gid, devmajor, devminor;
	int64_t mtime;
} TarEntry;

/* Removes what is in the way of a new entry; an existing directory stays for a directory entry. */
static int clear_place(int parent_fd, const char *base, bool want_dir) {
	struct stat st;

	if (fstatat(parent_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		return unlinkat(parent_fd, base, AT_REMOVEDIR) < 0 ? -errno : 0;
	}
	return unlinkat(parent_fd, base, 0) < 0 ? -errno : 0;
}

static int write_data(TarExtract *t, int parent_fd, const char *base, const TarEntry *e) {
	_cleanup_close_ int fd = -EBADF;
	uint8_t buf[65536];
	uint64_t left = e->size;
	int r;

	fd = openat(parent_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (left > 0) {
		size_t k = (size_t) MIN(left, (uint64_t) sizeof buf);
		r = read_full(t, buf, k);
		if (r < 0)
			return r;
		r = loop_write(fd, buf, k);
		if (r < 0)
			return r;
		left -= k;
	}
	return skip(t, padded(e->size) - e->size);
}

static int make_hardlink(int dir_fd, int parent_fd, const char *base, const TarEntry *e) {
	_cleanup_close_ int tfd = -EBADF;
	const char *tbase;
	struct stat st;

	tfd = open_parent(dir_fd, e->link, &tbase);
	if (tfd < 0)
		return tfd;
	/* Only files already unpacked: not a directory, and no symlink is followed to find it. */
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -EXDEV : -errno;
	if (S_ISDIR(st.st_mode))
		return -EXDEV;
	return linkat(tfd, tbase, parent_fd, base, 0) < 0 ? -errno : 0;
}

static int make_node(TarExtract *t, int dir_fd, int parent_fd, const char *base, const TarEntry *e) {
	mode_t m = e->mode & 07777;
	int r;

	r = clear_place(parent_fd, base, e->type == '5');
	if (r < 0)
		return r;
	switch (e->type) {
	case '0': case '\0': case '7':
		return write_data(t, parent_fd, base, e);
	case '1':
		return make_hardlink(dir_fd, parent_fd, base, e);
	case '2':
		return symlinkat(e->link, parent_fd, base) < 0 ? -errno : 0;
	case '3': case '4': case '6': {
		mode_t type = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
		dev_t dev = e->type == '6' ? 0 : makedev(e->devmajor, e->devminor);
		return mknodat(parent_fd, base, type | (m & 0777), dev) < 0 ? -errno : 0;
	}
	case '5':
		if (r > 0)
			return 0;
		return mkdirat(parent_fd, base, 0700) < 0 ? -errno : 0;
	default:
		return -ENOTSUP;
	}
}

static void apply_xattrs(int parent_fd, const char *base, const TarPending *p) {
	_cleanup_close_ int fd = -EBADF;
	char path[64];

	if (p->xattrs_len == 0)
		return;
	fd = openat(parent_fd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Through /proc/self/fd: the O_PATH fd names exactly the inode just made. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	for (size_t off = 0; off < p->xattrs_len;) {
		const char *name = p->xattrs + off;
		size_t nlen = strlen(name);
		uint64_t vlen;
		memcpy(&vlen, name + nlen + 1, sizeof vlen);
		(void) lsetxattr(path, name, name + nlen + 1 + sizeof vlen, vlen, 0);
		off += nlen + 1 + sizeof vlen + vlen;
	}
}

/* Ownership first, then the mode (chown clears setuid bits), then the time. */
static int apply_meta(TarExtract *t, int parent_fd, const char *base, const TarEntry *e,
		      const TarPending *p) {
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = e->mtime } };

	if (e->type == '1')
		return 0; /* the link shares the target's inode and its metadata */
	if (t->flags & TAR_EXTRACT_OWNERSHIP &&
	    fchownat(parent_fd, base, (uid_t) e->uid, (gid_t) e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (t->flags & TAR_EXTRACT_XATTRS)
		apply_xattrs(parent_fd, base, p);
	if (e->type != '2' && fchmodat(parent_fd, base, e->mode & 07777, 0) < 0)
		return -errno;
	/* A directory's time is set at the end (DirTimes); files and links keep theirs now. */
	if (e->type != '5' && utimensat(parent_fd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int entry_fill(TarEntry *e, const TarHeader *h, const TarPending *p) {
	_cleanup_free_ char *name = NULL, *link = NULL;
	uint64_t mode, mtime;
	int r;

	if (p->path)
		name = strdup(p->path);
	else if (h->prefix[0] && memcmp(h->magic, "ustar\0", 6) == 0) {
		if (asprintf(&name, "%.155s/%.100s", h->prefix, h->name) < 0)
			name = NULL;
	} else
		name = field_dup(h->name, sizeof h->name);
	link = p->linkpath ? strdup(p->linkpath) : field_dup(h->linkname, sizeof h->linkname);
	if (!name || !link)
		return -ENOMEM;
	if (parse_number(h->mode, sizeof h->mode, &mode) < 0 ||
	    parse_number(h->size, sizeof h->size, &e->size) < 0 ||
	    parse_number(h->uid, sizeof h->uid, &e->uid) < 0 ||
	    parse_number(h->gid, sizeof h->gid, &e->gid) < 0 ||
	    parse_number(h->mtime, sizeof h->mtime, &mtime) < 0 ||
	    parse_number(h->devmajor, sizeof h->devmajor, &e->devmajor) < 0 ||
	    parse_number(h->devminor, sizeof h->devminor, &e->devminor) < 0)
		return -EBADMSG;
	e->type = h->typeflag;
	e->mode = (mode_t) (mode & 07777);
	e->mtime = (int64_t) MIN(mtime, (uint64_t) INT64_MAX);
	if (p->have_size)
		e->size = p->size;
	if (p->have_uid)
		e->uid = p->uid;
	if (p->have_gid)
		e->gid = p->gid;
	if (p->have_mtime)
		e->mtime = p->mtime;
	if (e->type == '1' || e->type == '2' || e->type == '3' || e->type == '4' || e->type == '5' ||
	    e->type == '6')
		e->size = 0; /* these carry no data, whatever the header claims */
	e->path = TAKE_PTR(name);
	e->link = TAKE_PTR(link);
	r = path_clean(e->path, &name);
	if (r < 0)
		return r;
	free(e->path);
	e->path = TAKE_PTR(name);
	if (e->type == '1') {
		r = path_clean(e->link, &name);
		if (r < 0)
			return r;
		free(e->link);
		e->link = TAKE_PTR(name);
	}
	return 0;
}

/* Directories get their times once everything in them is made: each entry made inside one changes
 * its modification time again. */
typedef struct DirTimes {
	struct DirTime {
		char *path;
		int64_t mtime;
	} *items;
	size_t n;
} DirTimes;

static int dir_times_add(DirTimes *d, const char *path, int64_t mtime) {
	struct DirTime *items = realloc(d->items, (d->n + 1) * sizeof(*items));
	char *copy = strdup(path);

	if (items)
		d->items = items;
	if (!items || !copy) {
		free(copy);
		return -ENOMEM;
	}
	d->items[d->n++] = (struct DirTime) { copy, mtime };
	return 0;
}

static int dir_times_apply(DirTimes *d, int dir_fd) {
	for (size_t i = 0; i < d->n; i++) {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = d->items[i].mtime } };
		_cleanup_close_ int parent_fd = -EBADF;
		const char *base;

		parent_fd = open_parent(dir_fd, d->items[i].path, &base);
		if (parent_fd < 0)
			return parent_fd;
		if (utimensat(parent_fd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return 0;
}

static void dir_times_done(DirTimes *d) {
	for (size_t i = 0; i < d->n; i++)
		free(d->items[i].path);
	free(d->items);
}

static int entry_extract(TarExtract *t, int dir_fd, TarEntry *e, const TarPending *p, DirTimes *dirs) {
	_cleanup_close_ int parent_fd = -EBADF;
	const char *base;
	int r;

	if (streq(e->path, ".")) {
		if (e->type != '5')
			return -EBADMSG;
		/* The top itself: take its mode, nothing else. */
		return fchmodat(dir_fd, ".", e->mode & 07777, 0) < 0 ? -errno : 0;
	}
	parent_fd = open_parent(dir_fd, e->path, &base);
	if (parent_fd < 0)
		return parent_fd;
	r = make_node(t, dir_fd, parent_fd, base, e);
	if (r >= 0)
		r = apply_meta(t, parent_fd, base, e, p);
	if (r >= 0 && e->type == '5')
		r = dir_times_add(dirs, e->path, e->mtime);
	return r;
}

/* Handles one header: a metadata record fills pending, a real entry is created. Returns 1 at the
 * end of the archive. */
static int tar_step(TarExtract *t, int dir_fd, TarPending *p, DirTimes *dirs) {
	TarHeader h;
	TarEntry e = {};
	uint64_t size;
	int r;

	r = read_or_end(t, &h, sizeof h);
	if (r == -ENODATA)
		return 1; /* some writers stop without the two zero blocks */
	if (r < 0)
		return r;
	if (header_is_zero((const uint8_t *) &h))
		return 1;
	if (header_check(&h) < 0 || parse_number(h.size, sizeof h.size, &size) < 0)
		return -EBADMSG;

	if (h.typeflag == 'x' || h.typeflag == 'g' || h.typeflag == 'L' || h.typeflag == 'K') {
		_cleanup_free_ char *body = NULL;
		r = read_body(t, size, &body);
		if (r < 0)
			return r;
		if (h.typeflag == 'g')
			return 0; /* global defaults: nothing we need */
		if (h.typeflag == 'x')
			return pax_parse(p, body, size);
		free(h.typeflag == 'L' ? p->path : p->linkpath);
		*(h.typeflag == 'L' ? &p->path : &p->linkpath) = strndup(body, size);
		return (h.typeflag == 'L' ? p->path : p->linkpath) ? 0 : -ENOMEM;
	}

	r = entry_fill(&e, &h, p);
	if (r >= 0)
		r = entry_extract(t, dir_fd, &e, p, dirs);
	if (r < 0) {
		free(t->bad_entry);
		t->bad_entry = e.path ? TAKE_PTR(e.path) : field_dup(h.name, sizeof h.name);
	}
	free(e.path);
	free(e.link);
	pending_done(p);
	return r;
}

int tar_extract(int dir_fd, TarExtract *t) {
	TarPending p = {};
	DirTimes dirs = {};
	int r;

	t->bad_entry = mfree(t->bad_entry);
	for (;;) {
		r = tar_step(t, dir_fd, &p, &dirs);
		if (r != 0)
			break;
	}
	if (r >= 0)
		r = dir_times_apply(&dirs, dir_fd);
	dir_times_done(&dirs);
	pending_done(&p);
	return r < 0 ? r : 0;
}

ssize_t tar_read_fd(void *userdata, void *buf, size_t n) {
	ssize_t k;

	do
		k = read(*(int *) userdata, buf, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}
