/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "unit-name.h"

int unit_name_from_machine(const char *machine, const char *prefix, const char *suffix, char **ret) {
	size_t plen = strlen(prefix), slen = strlen(suffix);
	char *s = malloc(plen + strlen(machine) * 4 + slen + 1);
	char *p;

	if (!s)
		return -ENOMEM;
	p = stpcpy(s, prefix);
	for (const char *c = machine; *c; c++) {
		bool plain = isalnum((unsigned char) *c) || *c == ':' || *c == '_' || (*c == '.' && c != machine);
		if (plain)
			*p++ = *c;
		else
			p += sprintf(p, "\\x%02x", (unsigned char) *c);
	}
	strcpy(p, suffix);
	*ret = s;
	return 0;
}
