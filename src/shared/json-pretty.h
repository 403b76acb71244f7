/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/* Writes the JSON text in (compact, as berthctl prints it) to out with one member or element per
 * line, indented by two spaces a level, ": " after keys, and empty objects and arrays kept as {}
 * and []. Strings pass unchanged, whitespace outside them goes. Ends with a newline. */
void json_write_pretty(const char *in, FILE *out);
