/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the tar extractor, unpacking into root/ inside a fresh directory. Whatever
 * the archive says, the extraction may fail but nothing may appear beside root/. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "tar-extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Mem {
	const uint8_t *p;
	size_t n, off;
} Mem;

static ssize_t mem_read(void *userdata, void *buf, size_t n) {
	Mem *m = userdata;
	size_t k = MIN(n, m->n - m->off);

	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t) k;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void) st;
	(void) ftw;
	if (flag == FTW_DP)
		(void) rmdir(path);
	else
		(void) unlink(path);
	return 0;
}

static int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void) ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		(void) chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

/* Counts the entries of a directory other than "." and "..". */
static int count_entries(const char *path) {
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char top[] = "/tmp/fuzz-tar-extract.XXXXXX", root[64];
	Mem m = { .p = data, .n = size };
	TarExtract t = { .read = mem_read, .userdata = &m, .flags = TAR_EXTRACT_XATTRS };
	int fd;

	if (!mkdtemp(top))
		abort();
	snprintf(root, sizeof root, "%s/root", top);
	if (mkdir(root, 0755) < 0 || (fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	(void) tar_extract(fd, &t);
	free(t.bad_entry);
	close(fd);
	if (count_entries(top) != 1)
		abort(); /* something landed beside root/ */
	(void) nftw(top, make_writable, 16, FTW_PHYS | FTW_MOUNT);
	(void) nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return 0;
}
