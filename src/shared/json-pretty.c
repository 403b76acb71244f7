/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "json-pretty.h"

static void newline(FILE *out, unsigned depth) {
	fputc('\n', out);
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", out);
}

static const char *skip_space(const char *p) {
	return p + strspn(p, " \t\r\n");
}

void json_write_pretty(const char *in, FILE *out) {
	unsigned depth = 0;
	bool in_string = false, escaped = false;

	for (const char *p = in; *p; p++) {
		char c = *p;

		if (in_string) {
			fputc(c, out);
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			fputc(c, out);
			break;
		case '{':
		case '[': {
			const char *next = skip_space(p + 1);
			if (*next == (c == '{' ? '}' : ']')) {
				fputc(c, out);
				fputc(*next, out);
				p = next;
				break;
			}
			fputc(c, out);
			newline(out, ++depth);
			break;
		}
		case '}':
		case ']':
			newline(out, depth > 0 ? --depth : 0);
			fputc(c, out);
			break;
		case ',':
			fputc(c, out);
			newline(out, depth);
			break;
		case ':':
			fputs(": ", out);
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			break;
		default:
			fputc(c, out);
		}
	}
	fputc('\n', out);
}
