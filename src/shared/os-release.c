/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "os-release.h"
#include "parse-util.h"
#include "strv.h"

/* Unquotes a value in place: "..." and '...' with backslash escapes in double quotes, as the
 * format allows. Returns -EINVAL on an unterminated quote. */
static int unquote(char *v) {
	char *w = v;
	char q = 0;

	for (char *r = v; *r; r++) {
		if (q) {
			if (*r == q) {
				q = 0;
				continue;
			}
			if (q == '"' && *r == '\\' && r[1] && strchr("\"\\$`", r[1]))
				r++;
			*w++ = *r;
		} else if (*r == '"' || *r == '\'') {
			q = *r;
		} else if (*r == '\\' && r[1]) {
			*w++ = *++r;
		} else
			*w++ = *r;
	}
	*w = 0;
	return q ? -EINVAL : 0;
}

int os_release_parse(const char *text, char ***ret) {
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	if (!l || !copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *value;
		int r;

		line += strspn(line, " \t");
		if (line[0] == '#' || !line[0])
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		key = line;
		key[strcspn(key, " \t")] = 0;
		value = eq + 1;
		/* Trailing blanks are not part of the value. */
		for (size_t n = strlen(value); n > 0 && strchr(" \t\r", value[n - 1]); n--)
			value[n - 1] = 0;
		if (!env_name_is_valid(key, strlen(key)) || unquote(value) < 0)
			continue;
		r = strv_env_setf(&l, key, value);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int os_release_read_at(int root_fd, char ***ret) {
	static const char *const paths[] = { "etc/os-release", "usr/lib/os-release" };
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT,
	};
	int r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = syscall(SYS_openat2, root_fd, paths[i], &how, sizeof how);
		_cleanup_free_ char *text = NULL;

		if (fd < 0) {
			r = -errno;
			continue;
		}
		r = read_full_fd(fd, &text, NULL);
		if (r < 0)
			return r;
		return os_release_parse(text, ret);
	}
	return r;
}
