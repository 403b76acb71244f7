/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Facts as name/value pairs, printed by show and show-image alike. */
typedef struct Property {
	const char *name; /* static */
	char *value;      /* owned; NULL prints as empty */
} Property;

/* Prints the properties -p selects (all without it): NAME=VALUE lines, only the values with
 * --value, or one JSON object with --json. A record that is not the first is set apart: a blank
 * line, or a comma between JSON objects. */
void properties_print(const Property *p, size_t n, bool first);

void properties_free(Property *p, size_t n);

/* A formatted value for a Property; NULL when out of memory. */
char *fmtstr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
