/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Libraries that only some runs need are opened with dlopen() when one does, not linked: the
 * dynamic loader maps every linked library and its dependencies at each start, before main(), and
 * every page that touches costs a fault.
 *
 * A module per library (blkid-dl.h, mnl-dl.h, ...) lists the functions its callers use in one
 * macro, LIB_SYMBOLS(X) with an X(name) per function. From that list, DL_DECLARE_SYMBOLS makes
 * a pointer sym_name for each, of the function's own type (so the compiler checks every call
 * against the library's header), NULL until the library is opened; DEFINE_DL_LIBRARY defines the
 * pointers and the DlLibrary that opens the library and sets them. Callers call sym_name(...).
 *
 * A library is named by its soname ("libblkid.so.1"), which stands for its ABI: the pointers are
 * checked against the headers berth is built with, and a library of another ABI has another
 * soname, which fails to load rather than being called with the wrong arguments. */

typedef struct DlSymbol {
	void **address; /* &sym_name */
	const char *name;
} DlSymbol;

typedef struct DlLibrary {
	const char *soname;
	const DlSymbol *symbols;
	size_t n_symbols;
	void *handle; /* set once the library is open and every pointer is set */
} DlLibrary;

#define DL_DECLARE_SYMBOL_(name) extern typeof(name) *sym_##name;
#define DL_DEFINE_SYMBOL_(name) typeof(name) *sym_##name = NULL;
#define DL_SYMBOL_ENTRY_(name) { (void **) &sym_##name, #name },

#define DL_DECLARE_SYMBOLS(list) list(DL_DECLARE_SYMBOL_)

#define DEFINE_DL_LIBRARY(library, so, list)                                  \
	list(DL_DEFINE_SYMBOL_)                                                \
	static const DlSymbol library##_symbols_[] = { list(DL_SYMBOL_ENTRY_) }; \
	DlLibrary library = {                                                  \
		.soname = (so),                                                \
		.symbols = library##_symbols_,                                 \
		.n_symbols = ELEMENTSOF(library##_symbols_),                   \
	};

/* Opens lib->soname and sets every pointer of lib; once: an open library returns 0 at once.
 * RTLD_NOW, so that a missing function is found here and not at its first call; RTLD_NODELETE,
 * so that the pointers never outlive the mapping. On failure no pointer is set, and it returns
 * -ELIBACC when the library cannot be opened or -ELIBBAD when it lacks one of the functions, with
 * the reason in ret_error (the dynamic loader's words, without the library's name in front). */
int dl_library_open(DlLibrary *lib, char *ret_error, size_t error_size);

static inline bool dl_library_is_open(const DlLibrary *lib) {
	return lib->handle;
}
