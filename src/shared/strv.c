/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

void strv_free(char **l) {
	STRV_FOREACH(s, l)
		free(*s);
	free(l);
}

size_t strv_length(char * const *l) {
	size_t n = 0;
	STRV_FOREACH(s, l)
		n++;
	return n;
}

int strv_consume(char ***l, char *value) {
	size_t n = strv_length(*l);
	char **nl;

	if (!value)
		return -ENOMEM;
	nl = realloc(*l, sizeof(char *) * (n + 2));
	if (!nl) {
		free(value);
		return -ENOMEM;
	}
	nl[n] = value;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend(char ***l, const char *value) {
	return strv_consume(l, strdup(value));
}

char **strv_copy(char * const *l) {
	char **c = calloc(1, sizeof(char *));
	if (!c)
		return NULL;
	STRV_FOREACH(s, l)
		if (strv_extend(&c, *s) < 0) {
			strv_free(c);
			return NULL;
		}
	return c;
}

bool strv_contains(char * const *l, const char *s) {
	STRV_FOREACH(i, l)
		if (streq(*i, s))
			return true;
	return false;
}

static char **env_find(char * const *l, const char *name, size_t len) {
	STRV_FOREACH(s, l)
		if (strncmp(*s, name, len) == 0 && (*s)[len] == '=')
			return (char **) s;
	return NULL;
}

int strv_env_set(char ***l, const char *assignment) {
	const char *eq = strchr(assignment, '=');
	char **slot;
	char *copy;

	if (!eq)
		return -EINVAL;
	slot = env_find(*l, assignment, eq - assignment);
	if (!slot)
		return strv_extend(l, assignment);
	copy = strdup(assignment);
	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int strv_env_setf(char ***l, const char *name, const char *value) {
	_cleanup_free_ char *a = NULL;
	if (asprintf(&a, "%s=%s", name, value) < 0)
		return -ENOMEM;
	return strv_env_set(l, a);
}

const char *strv_env_get(char * const *l, const char *name) {
	char **slot = env_find(l, name, strlen(name));
	return slot ? strchr(*slot, '=') + 1 : NULL;
}
