/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image-find.h"
#include "macro.h"
#include "name-util.h"

static const char *const image_type_table[_IMAGE_TYPE_MAX] = {
	[IMAGE_DIRECTORY] = "directory",
	[IMAGE_RAW] = "raw",
};
DEFINE_STRING_TABLE(image_type, ImageType, _IMAGE_TYPE_MAX)

const char *const image_search_path[] = {
	"/var/lib/machines",
	"/usr/local/lib/machines",
	"/usr/lib/machines",
	"/var/lib/container",
	NULL,
};

static int try_candidate(const char *dir, const char *name, const char *suffix, ImageType *ret_type,
			 char **ret_path) {
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0)
		return -ENOMEM;
	if (stat(p, &st) < 0)
		return -errno;

	if (!*suffix && S_ISDIR(st.st_mode))
		*ret_type = IMAGE_DIRECTORY;
	else if (*suffix && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		*ret_type = IMAGE_RAW;
	else
		return -ENOENT;
	*ret_path = TAKE_PTR(p);
	return 0;
}

int image_find(const char *name, const char *const *dirs, ImageType *ret_type, char **ret_path) {
	if (!machine_name_is_valid(name))
		return -EINVAL;
	if (!dirs)
		dirs = image_search_path;

	for (const char *const *d = dirs; *d; d++) {
		ImageType type;
		char *path;
		int r;

		r = try_candidate(*d, name, "", &type, &path);
		if (r == -ENOENT)
			r = try_candidate(*d, name, ".raw", &type, &path);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		*ret_type = type;
		*ret_path = path;
		return 0;
	}
	return -ENOENT;
}

int image_from_entry(const char *entry, const struct stat *st, ImageType *ret_type, char **ret_name) {
	size_t n = strlen(entry);
	ImageType type;
	char *name;

	if (S_ISDIR(st->st_mode))
		type = IMAGE_DIRECTORY;
	else if (S_ISREG(st->st_mode) && n > 4 && streq(entry + n - 4, ".raw")) {
		type = IMAGE_RAW;
		n -= 4;
	} else
		return -ENOENT;
	name = strndup(entry, n);
	if (!name)
		return -ENOMEM;
	/* Valid names start with neither '.' nor '-': hidden entries are never images. */
	if (!machine_name_is_valid(name)) {
		free(name);
		return -ENOENT;
	}
	*ret_type = type;
	*ret_name = name;
	return 0;
}
