/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "name-util.h"
#include "tests.h"

static const char *const valid[] = {
	"a", "A", "0", "foo", "my-vm", "my_vm", "debian.bookworm", "a.b.c", "a-", "x1.y2",
	/* exactly 64 */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static const char *const invalid[] = {
	"",
	/* 65 */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	".", "..", ".a", "a.", "a..b", "-a", "-", "a b", " a", "a ", "a/b", "/a", "a\tb", "a\nb",
	"a:b", "a@b", "a=b", "a*", "ä", "caf\xc3\xa9", "a\\x2d",
};

static int test_machine_name(void) {
	for (size_t i = 0; i < ELEMENTSOF(valid); i++)
		if (!machine_name_is_valid(valid[i]))
			TEST_FAIL("\"%s\" should be a valid machine name", valid[i]);
	for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
		if (machine_name_is_valid(invalid[i]))
			TEST_FAIL("\"%s\" should not be a valid machine name", invalid[i]);
	ASSERT_FALSE(machine_name_is_valid(NULL));
	return 0;
}

/* A machine name becomes the container's hostname: the same rules hold. */
static int test_hostname(void) {
	for (size_t i = 0; i < ELEMENTSOF(valid); i++)
		if (!hostname_is_valid(valid[i]))
			TEST_FAIL("\"%s\" should be a valid hostname", valid[i]);
	for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
		if (hostname_is_valid(invalid[i]))
			TEST_FAIL("\"%s\" should not be a valid hostname", invalid[i]);
	ASSERT_FALSE(hostname_is_valid(NULL));
	return 0;
}

static int check_from_path(const char *path, const char *want) {
	_cleanup_free_ char *name = NULL;
	int r = machine_name_from_path(path, &name);

	if (r < 0)
		TEST_FAIL("machine_name_from_path(\"%s\") failed: %s", path, strerror(-r));
	if (!streq(name, want))
		TEST_FAIL("machine_name_from_path(\"%s\") = \"%s\", expected \"%s\"", path, name, want);
	if (!machine_name_is_valid(name))
		TEST_FAIL("machine_name_from_path(\"%s\") gave the invalid \"%s\"", path, name);
	return 0;
}

static int test_from_path(void) {
	static const struct {
		const char *path, *name;
	} cases[] = {
		{ "/var/lib/machines/foo", "foo" },
		{ "/var/lib/machines/foo/", "foo" },
		{ "/var/lib/machines/foo//", "foo" },
		{ "foo", "foo" },
		{ "./foo", "foo" },
		{ "/srv/my tree.raw", "mytree" },
		{ "/srv/image.raw", "image" },
		{ "/srv/image.raw/", "image" },
		{ "/srv/debian.bookworm", "debian.bookworm" },
		{ "/srv/a..b", "a.b" },
		{ "/srv/.hidden", "hidden" },
		{ "/srv/-opt-", "opt" },
		{ "/srv/.-x", "x" },
		{ "/srv/trailing.", "trailing" },
		{ "/srv/caf\xc3\xa9", "caf" },
		{ "/srv/my_vm-1", "my_vm-1" },
		{ "/raw", "raw" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (check_from_path(cases[i].path, cases[i].name) < 0)
			return -1;

	/* Too long: cut to the longest valid name. */
	char path[256] = "/srv/";
	memset(path + 5, 'x', 100);
	path[105] = 0;
	_cleanup_free_ char *name = NULL;
	ASSERT_OK(machine_name_from_path(path, &name));
	ASSERT_EQ_INT(strlen(name), MACHINE_NAME_MAX);
	ASSERT_TRUE(strspn(name, "x") == MACHINE_NAME_MAX);
	return 0;
}

static int test_from_path_invalid(void) {
	static const char *const bad[] = { "/", "", "///", "/srv/...", "/srv/---", "/srv/\xc3\xa9",
					   "/srv/ " };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *name = NULL;
		int r = machine_name_from_path(bad[i], &name);
		if (r != -EINVAL) {
			TEST_FAIL("machine_name_from_path(\"%s\") = %d \"%s\", expected -EINVAL", bad[i], r,
				  name ?: "");
		}
		ASSERT_NULL(name);
	}
	return 0;
}

TESTS_MAIN(TEST_ENTRY(machine_name), TEST_ENTRY(hostname), TEST_ENTRY(from_path),
	   TEST_ENTRY(from_path_invalid))
