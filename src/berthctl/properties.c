/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "berthctl.h"
#include "properties.h"
#include "strv.h"

static bool property_wanted(const char *name) {
	return !arg.property || strv_contains(arg.property, name);
}

void properties_print(const Property *p, size_t n, bool first) {
	bool any = false;

	if (arg.json) {
		printf("%s{", first ? "" : ",");
		for (size_t i = 0; i < n; i++) {
			if (!property_wanted(p[i].name))
				continue;
			printf("%s\"%s\":", any ? "," : "", p[i].name);
			json_string(p[i].value);
			any = true;
		}
		putchar('}');
		return;
	}
	if (!first)
		putchar('\n');
	for (size_t i = 0; i < n; i++) {
		if (!property_wanted(p[i].name))
			continue;
		if (arg.value)
			printf("%s\n", p[i].value ?: "");
		else
			printf("%s=%s\n", p[i].name, p[i].value ?: "");
	}
}

void properties_free(Property *p, size_t n) {
	for (size_t i = 0; i < n; i++)
		free(p[i].value);
}

char *fmtstr(const char *fmt, ...) {
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}
