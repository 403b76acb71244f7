/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dlopen-util.h"

/* dlerror() starts with the name it was asked for ("libfoo.so.1: cannot open shared object file:
 * ..."); the caller names the library already. */
static void set_error(const DlLibrary *lib, const char *text, char *ret_error, size_t error_size) {
	size_t n = strlen(lib->soname);

	if (!ret_error || error_size == 0)
		return;
	if (!text)
		text = "unknown error";
	else if (strncmp(text, lib->soname, n) == 0 && strncmp(text + n, ": ", 2) == 0)
		text += n + 2;
	snprintf(ret_error, error_size, "%s", text);
}

int dl_library_open(DlLibrary *lib, char *ret_error, size_t error_size) {
	void *handle;

	if (lib->handle)
		return 0;
	handle = dlopen(lib->soname, RTLD_NOW | RTLD_NODELETE);
	if (!handle) {
		set_error(lib, dlerror(), ret_error, error_size);
		return -ELIBACC;
	}
	for (size_t i = 0; i < lib->n_symbols; i++) {
		void *p = dlsym(handle, lib->symbols[i].name);

		if (p) {
			*lib->symbols[i].address = p;
			continue;
		}
		if (ret_error && error_size > 0)
			snprintf(ret_error, error_size, "it has no function '%s'", lib->symbols[i].name);
		while (i > 0)
			*lib->symbols[--i].address = NULL;
		(void) dlclose(handle);
		return -ELIBBAD;
	}
	lib->handle = handle;
	return 0;
}
