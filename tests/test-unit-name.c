/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tests.h"
#include "unit-name.h"

static int check(const char *machine, const char *want) {
	_cleanup_free_ char *unit = NULL;

	ASSERT_OK(unit_name_from_machine(machine, "machine-", ".scope", &unit));
	if (!streq(unit, want))
		TEST_FAIL("unit for \"%s\" is \"%s\", expected \"%s\"", machine, unit, want);
	return 0;
}

/* The names systemd gives machines' scopes: '-' is the slice separator in unit names, so it is
 * escaped, and so is anything else outside [A-Za-z0-9:_.] and a leading '.'. */
static int test_scope_names(void) {
	static const struct {
		const char *machine, *unit;
	} cases[] = {
		{ "foo", "machine-foo.scope" },
		{ "my-vm", "machine-my\\x2dvm.scope" },
		{ "a-b-c", "machine-a\\x2db\\x2dc.scope" },
		{ "-", "machine-\\x2d.scope" },
		{ "debian.bookworm", "machine-debian.bookworm.scope" },
		{ ".hidden", "machine-\\x2ehidden.scope" },
		{ "a..b", "machine-a..b.scope" },
		{ "under_score:colon", "machine-under_score:colon.scope" },
		{ "Mixed09", "machine-Mixed09.scope" },
		{ "a b", "machine-a\\x20b.scope" },
		{ "a/b", "machine-a\\x2fb.scope" },
		{ "a\\b", "machine-a\\x5cb.scope" },
		{ "caf\xc3\xa9", "machine-caf\\xc3\\xa9.scope" },
		{ "", "machine-.scope" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (check(cases[i].machine, cases[i].unit) < 0)
			return -1;
	return 0;
}

static int test_prefix_suffix(void) {
	_cleanup_free_ char *a = NULL, *b = NULL;

	ASSERT_OK(unit_name_from_machine("my-vm", "berth@", ".service", &a));
	ASSERT_STREQ(a, "berth@my\\x2dvm.service");
	ASSERT_OK(unit_name_from_machine("x", "", "", &b));
	ASSERT_STREQ(b, "x");
	return 0;
}

/* Every byte escaped at once: the buffer holds four bytes per character. */
static int test_all_escaped(void) {
	_cleanup_free_ char *unit = NULL;
	char machine[65], want[512];
	size_t n = 0;

	memset(machine, '-', 64);
	machine[64] = 0;
	n += snprintf(want + n, sizeof want - n, "machine-");
	for (int i = 0; i < 64; i++)
		n += snprintf(want + n, sizeof want - n, "\\x2d");
	snprintf(want + n, sizeof want - n, ".scope");

	ASSERT_OK(unit_name_from_machine(machine, "machine-", ".scope", &unit));
	ASSERT_STREQ(unit, want);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(scope_names), TEST_ENTRY(prefix_suffix), TEST_ENTRY(all_escaped))
