/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
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
