/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every enum's string table: each value has a name that maps back to it, names are unique, what
 * is not a name is refused, and "help" prints exactly the names. */
#include <sys/resource.h>

#include "image-find.h"
#include "nspawn-file.h"
#include "settings.h"
#include "tests.h"

static int check_print_all(void (*print_all)(FILE *f), const char *const *names, int max) {
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	_cleanup_free_ char *want = NULL;
	size_t n = 0;

	ASSERT_NOT_NULL(f);
	print_all(f);
	fclose(f);
	want = calloc(1, 4096);
	ASSERT_NOT_NULL(want);
	for (int i = 0; i < max; i++)
		n += snprintf(want + n, 4096 - n, "%s\n", names[i]);
	if (!streq(buf, want)) {
		fprintf(stderr, "print_all() printed:\n%s\nexpected:\n%s\n", buf, want);
		free(buf);
		TEST_FAIL("print_all() does not list the table");
	}
	free(buf);
	return 0;
}

static const char *const not_names[] = { "", "help", "nonsense", "-", " ", "yes ", "no\n" };

/* One function per table through a macro, since each has its own enum type. */
#define CHECK_TABLE(name, type, max)                                                           \
	static int test_##name(void) {                                                         \
		const char *names[(max) + 1];                                                  \
		ASSERT_TRUE((max) > 0);                                                        \
		for (int i = 0; i < (int) (max); i++) {                                        \
			names[i] = name##_to_string((type) i);                                 \
			if (!names[i] || !names[i][0])                                         \
				TEST_FAIL(#name " value %d has no name", i);                   \
			if ((int) name##_from_string(names[i]) != i)                           \
				TEST_FAIL(#name " \"%s\" maps to %d, not %d", names[i],        \
					  (int) name##_from_string(names[i]), i);              \
			for (int j = 0; j < i; j++)                                            \
				if (streq(names[i], names[j]))                                 \
					TEST_FAIL(#name " values %d and %d share \"%s\"", j, i, \
						  names[i]);                                   \
		}                                                                              \
		ASSERT_NULL(name##_to_string((type) (max)));                                   \
		ASSERT_NULL(name##_to_string((type) -1));                                      \
		ASSERT_NULL(name##_to_string((type) -EINVAL));                                 \
		ASSERT_EQ_INT(name##_from_string(NULL), -EINVAL);                              \
		for (size_t k = 0; k < ELEMENTSOF(not_names); k++) {                           \
			bool is_name = false;                                                  \
			for (int i = 0; i < (int) (max); i++)                                  \
				is_name = is_name || streq(names[i], not_names[k]);            \
			if (!is_name && (int) name##_from_string(not_names[k]) != -EINVAL)     \
				TEST_FAIL(#name " accepts \"%s\"", not_names[k]);              \
		}                                                                              \
		/* Names are matched exactly: case matters, no prefixes. */                    \
		for (int i = 0; i < (int) (max); i++) {                                        \
			char upper[64], prefix[64];                                            \
			size_t len = strlen(names[i]);                                         \
			bool has_lower = false;                                                \
			for (size_t c = 0; c <= len && c < sizeof upper; c++) {                \
				has_lower = has_lower || (names[i][c] >= 'a' && names[i][c] <= 'z'); \
				upper[c] = (char) (names[i][c] >= 'a' && names[i][c] <= 'z'       \
							   ? names[i][c] - 32                     \
							   : names[i][c]);                        \
			}                                                                      \
			if (has_lower && (int) name##_from_string(upper) != -EINVAL)           \
				TEST_FAIL(#name " accepts \"%s\"", upper);                     \
			snprintf(prefix, sizeof prefix, "%.*s", (int) len - 1, names[i]);      \
			bool prefix_is_name = false;                                           \
			for (int j = 0; j < (int) (max); j++)                                  \
				prefix_is_name = prefix_is_name || streq(names[j], prefix);    \
			if (!prefix_is_name && (int) name##_from_string(prefix) != -EINVAL)    \
				TEST_FAIL(#name " accepts the prefix \"%s\"", prefix);         \
		}                                                                              \
		return check_print_all(name##_print_all, names, (int) (max));                  \
	}

CHECK_TABLE(start_mode, StartMode, _START_MODE_MAX)
CHECK_TABLE(volatile_mode, VolatileMode, _VOLATILE_MODE_MAX)
CHECK_TABLE(console_mode, ConsoleMode, _CONSOLE_MODE_MAX)
CHECK_TABLE(resolv_conf_mode, ResolvConfMode, _RESOLV_CONF_MODE_MAX)
CHECK_TABLE(timezone_mode, TimezoneMode, _TIMEZONE_MODE_MAX)
CHECK_TABLE(link_journal, LinkJournal, _LINK_JOURNAL_MAX)
CHECK_TABLE(register_mode, RegisterMode, _REGISTER_MODE_MAX)
CHECK_TABLE(settings_file_mode, SettingsFileMode, _SETTINGS_FILE_MODE_MAX)
CHECK_TABLE(image_type, ImageType, _IMAGE_TYPE_MAX)
CHECK_TABLE(private_users_mode, PrivateUsersMode, _PRIVATE_USERS_MODE_MAX)
CHECK_TABLE(private_users_ownership, PrivateUsersOwnership, _PRIVATE_USERS_OWNERSHIP_MAX)
CHECK_TABLE(nspawn_mount_type, NspawnMountType, _NSPAWN_MOUNT_TYPE_MAX)
CHECK_TABLE(bind_idmap, BindIdmap, _BIND_IDMAP_MAX)
CHECK_TABLE(rlimit_name, int, RLIMIT_NLIMITS)

/* The names users type, as systemd-nspawn spells them: a rename here breaks command lines. */
static int test_known_names(void) {
	ASSERT_STREQ(volatile_mode_to_string(VOLATILE_STATE), "state");
	ASSERT_STREQ(console_mode_to_string(CONSOLE_READ_ONLY), "read-only");
	ASSERT_STREQ(console_mode_to_string(CONSOLE_AUTOPIPE), "autopipe");
	ASSERT_STREQ(resolv_conf_mode_to_string(RESOLV_CONF_COPY_HOST), "copy-host");
	ASSERT_STREQ(resolv_conf_mode_to_string(RESOLV_CONF_BIND_STUB), "bind-stub");
	ASSERT_STREQ(resolv_conf_mode_to_string(RESOLV_CONF_AUTO), "auto");
	ASSERT_STREQ(timezone_mode_to_string(TIMEZONE_SYMLINK), "symlink");
	ASSERT_STREQ(link_journal_to_string(LINK_JOURNAL_TRY_GUEST), "try-guest");
	ASSERT_STREQ(register_mode_to_string(REGISTER_AUTO), "auto");
	ASSERT_STREQ(settings_file_mode_to_string(SETTINGS_FILE_OVERRIDE), "override");
	ASSERT_STREQ(settings_file_mode_to_string(SETTINGS_FILE_TRUSTED), "trusted");
	ASSERT_STREQ(image_type_to_string(IMAGE_RAW), "raw");
	ASSERT_STREQ(private_users_mode_to_string(PRIVATE_USERS_PICK), "pick");
	ASSERT_STREQ(private_users_ownership_to_string(PRIVATE_USERS_OWNERSHIP_CHOWN), "chown");
	ASSERT_STREQ(bind_idmap_to_string(BIND_IDMAP_HOST_OWNER), "rootidmap");
	ASSERT_STREQ(rlimit_name_to_string(RLIMIT_NOFILE), "NOFILE");
	ASSERT_STREQ(rlimit_name_to_string(RLIMIT_RTTIME), "RTTIME");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(start_mode), TEST_ENTRY(volatile_mode), TEST_ENTRY(console_mode),
	   TEST_ENTRY(resolv_conf_mode), TEST_ENTRY(timezone_mode), TEST_ENTRY(link_journal),
	   TEST_ENTRY(register_mode), TEST_ENTRY(settings_file_mode), TEST_ENTRY(image_type), TEST_ENTRY(private_users_mode),
	   TEST_ENTRY(private_users_ownership), TEST_ENTRY(nspawn_mount_type), TEST_ENTRY(bind_idmap),
	   TEST_ENTRY(rlimit_name), TEST_ENTRY(known_names))
