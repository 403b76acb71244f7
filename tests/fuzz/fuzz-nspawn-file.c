/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the .nspawn parser, as a trusted and as an untrusted file. Every message
 * must name the file and a line; a parse either fails with -EINVAL or gives a model that frees
 * cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nspawn-file.h"

#define FUZZ_PATH "fuzz.nspawn"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(int level, const char *message, void *userdata) {
	size_t n = strlen(FUZZ_PATH ":");

	(void) level;
	(void) userdata;
	if (strncmp(message, FUZZ_PATH ":", n) != 0 || message[n] < '1' || message[n] > '9')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	for (int trusted = 0; trusted <= 1; trusted++) {
		NspawnFileParseOptions opts = {
			.path = FUZZ_PATH,
			.trusted = trusted,
			.log = check_message,
		};
		NspawnFile f;
		FILE *in;
		int r;

		/* fmemopen() refuses an empty buffer; an empty file is a stream with nothing in it. */
		in = size > 0 ? fmemopen((void *) data, size, "r") : fopen("/dev/null", "re");
		if (!in)
			return 0;
		r = nspawn_file_parse(in, &opts, &f);
		fclose(in);
		if (r == 0)
			nspawn_file_done(&f);
		else if (r != -EINVAL && r != -ENOMEM)
			abort();
	}
	return 0;
}
