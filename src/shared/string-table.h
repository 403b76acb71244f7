/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Every enum option has a table of names. These macros make the two lookups and a list printer
 * for "help", so the table is the one place a new value is added. */

#define DECLARE_STRING_TABLE(name, type)          \
	const char *name##_to_string(type i);     \
	type name##_from_string(const char *s);   \
	void name##_print_all(FILE *f)

#define DEFINE_STRING_TABLE(name, type, max)                                   \
	const char *name##_to_string(type i) {                                 \
		if ((int) i < 0 || (int) i >= (int) (max))                     \
			return NULL;                                           \
		return name##_table[i];                                        \
	}                                                                      \
	type name##_from_string(const char *s) {                               \
		if (!s)                                                        \
			return (type) -EINVAL;                                 \
		for (int i = 0; i < (int) (max); i++)                          \
			if (name##_table[i] && strcmp(name##_table[i], s) == 0) \
				return (type) i;                               \
		return (type) -EINVAL;                                         \
	}                                                                      \
	void name##_print_all(FILE *f) {                                       \
		for (int i = 0; i < (int) (max); i++)                          \
			if (name##_table[i])                                   \
				fprintf(f, "%s\n", name##_table[i]);           \
	}
