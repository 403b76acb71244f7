/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* NULL-terminated string arrays. */
size_t strv_length(char * const *l);
int strv_extend(char ***l, const char *value);
int strv_consume(char ***l, char *value);
char **strv_copy(char * const *l);
bool strv_contains(char * const *l, const char *s);

/* Environment blocks ("NAME=VALUE" strings): set replaces an entry of the same name. */
int strv_env_set(char ***l, const char *assignment);
int strv_env_setf(char ***l, const char *name, const char *value);
const char *strv_env_get(char * const *l, const char *name);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
