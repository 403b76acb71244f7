/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Libraries opened on demand: every pointer set, once; a library that is missing or lacks a
 * function leaves every pointer NULL and says why. */
#include "blkid-dl.h"
#include "dlopen-util.h"
#include "tests.h"

static int test_open(void) {
	char error[256] = "";
	blkid_probe pr;

	ASSERT_FALSE(dl_library_is_open(&dl_blkid));
	ASSERT_NULL(sym_blkid_new_probe);
	ASSERT_OK(dl_library_open(&dl_blkid, error, sizeof error));
	ASSERT_TRUE(dl_library_is_open(&dl_blkid));
	for (size_t i = 0; i < dl_blkid.n_symbols; i++)
		ASSERT_NOT_NULL(*dl_blkid.symbols[i].address);
	/* The library's own functions. */
	pr = sym_blkid_new_probe();
	ASSERT_NOT_NULL(pr);
	sym_blkid_free_probe(pr);
	/* Opened once: the second call has nothing to do. */
	ASSERT_OK(dl_library_open(&dl_blkid, NULL, 0));
	return 0;
}

static int test_missing_library(void) {
	static void *fn;
	static const DlSymbol symbols[] = { { &fn, "anything" } };
	DlLibrary lib = { .soname = "libberth-no-such-library.so.0", .symbols = symbols, .n_symbols = 1 };
	char error[256];

	ASSERT_ERR(dl_library_open(&lib, error, sizeof error), -ELIBACC);
	ASSERT_CONTAINS(error, "cannot open shared object file");
	/* The caller names the library: the reason does not repeat it. */
	ASSERT_NOT_CONTAINS(error, "libberth-no-such-library");
	ASSERT_FALSE(dl_library_is_open(&lib));
	ASSERT_NULL(fn);
	return 0;
}

static int test_missing_function(void) {
	static void *first, *second;
	static const DlSymbol symbols[] = { { &first, "blkid_new_probe" }, { &second, "blkid_no_such_function" } };
	DlLibrary lib = { .soname = "libblkid.so.1", .symbols = symbols, .n_symbols = ELEMENTSOF(symbols) };
	char error[256];

	ASSERT_ERR(dl_library_open(&lib, error, sizeof error), -ELIBBAD);
	ASSERT_STREQ(error, "it has no function 'blkid_no_such_function'");
	ASSERT_FALSE(dl_library_is_open(&lib));
	ASSERT_NULL(first);
	ASSERT_NULL(second);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(open), TEST_ENTRY(missing_library), TEST_ENTRY(missing_function))
