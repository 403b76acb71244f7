/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <string.h>

#include "macro.h"
#include "name-util.h"

static bool name_char_is_valid(char c) {
	return isascii((unsigned char) c) && (isalnum((unsigned char) c) || c == '-' || c == '_');
}

bool hostname_is_valid(const char *name) {
	bool label_start = true;
	size_t n = 0;

	if (isempty(name) || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++, n++) {
		if (*p == '.') {
			if (label_start)
				return false;
			label_start = true;
			continue;
		}
		if (!name_char_is_valid(*p))
			return false;
		label_start = false;
	}
	return !label_start && n <= MACHINE_NAME_MAX;
}

bool machine_name_is_valid(const char *name) {
	return hostname_is_valid(name);
}

int machine_name_from_path(const char *path, char **ret) {
	const char *base, *end;
	char *name;
	size_t n = 0;

	end = path + strlen(path);
	while (end > path && end[-1] == '/')
		end--;
	base = end;
	while (base > path && base[-1] != '/')
		base--;
	/* Image files name their machine without the suffix. */
	if (end - base > 4 && strncmp(end - 4, ".raw", 4) == 0)
		end -= 4;

	name = malloc(MACHINE_NAME_MAX + 1);
	if (!name)
		return -ENOMEM;
	for (const char *p = base; p < end && n < MACHINE_NAME_MAX; p++) {
		if (name_char_is_valid(*p) || (*p == '.' && n > 0 && name[n - 1] != '.'))
			name[n++] = *p;
	}
	while (n > 0 && (name[n - 1] == '.' || name[n - 1] == '-'))
		n--;
	name[n] = 0;
	/* Leading '-' or '.' would read as an option or a hidden file. */
	size_t skip = strspn(name, "-.");
	memmove(name, name + skip, n - skip + 1);

	if (!machine_name_is_valid(name)) {
		free(name);
		return -EINVAL;
	}
	*ret = name;
	return 0;
}
