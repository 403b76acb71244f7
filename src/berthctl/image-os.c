/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "image-os.h"
#include "macro.h"
#include "os-release.h"
#include "strv.h"

static int pretty_name(char **fields, char **ret) {
	const char *v = strv_env_get(fields, "PRETTY_NAME");
	char *s = NULL;

	if (v && !(s = strdup(v)))
		return -ENOMEM;
	*ret = s;
	return 0;
}

int image_os_pretty_name(const char *path, char **ret) {
	_cleanup_close_ int root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **fields = NULL;
	int r;

	if (root_fd < 0)
		return -errno;
	r = os_release_read_at(root_fd, &fields);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	return r < 0 ? r : pretty_name(fields, ret);
}
