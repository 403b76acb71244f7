/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-id128.h>

#include "id128-util.h"
#include "tests.h"

/* Our text forms are sd-id128's, both ways, for ids of every byte value. */
static int test_same_as_libsystemd(void) {
	for (int i = 0; i < 256; i++) {
		sd_id128_t id, back;
		char ours[SD_ID128_UUID_STRING_MAX], theirs[SD_ID128_UUID_STRING_MAX];

		for (size_t b = 0; b < sizeof id.bytes; b++)
			id.bytes[b] = (uint8_t) (i * 31 + b * 17);
		ASSERT_STREQ(id128_to_string(id, ours), sd_id128_to_string(id, theirs));
		ASSERT_STREQ(id128_to_uuid_string(id, ours), sd_id128_to_uuid_string(id, theirs));
		ASSERT_OK(id128_from_string(theirs, &back));
		ASSERT_TRUE(sd_id128_equal(back, id));
		ASSERT_OK(id128_from_string(sd_id128_to_string(id, theirs), &back));
		ASSERT_TRUE(sd_id128_equal(back, id));
	}
	return 0;
}

static int test_from_string(void) {
	static const char *const bad[] = {
		"",
		"0123456789abcdef0123456789abcde",          /* 31 digits */
		"0123456789abcdef0123456789abcdef0",        /* 33 */
		"0123456789abcdef0123456789abcdeg",         /* not hex */
		"01234567-89ab-cdef-0123-456789abcdef0",    /* 37 */
		"0123456789-ab-cdef-0123-456789abcdef",     /* dash misplaced */
		"01234567-89ab-cdef-0123x456789abcdef",     /* not a dash */
		"01234567-89abcdef-0123--456789abcdef",
		" 0123456789abcdef0123456789abcde",
		"uninitialized",
	};
	sd_id128_t id = SD_ID128_MAKE(00, 11, 22, 33, 44, 55, 66, 77, 88, 99, aa, bb, cc, dd, ee, ff), upper;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		sd_id128_t kept = id;
		if (id128_from_string(bad[i], &kept) != -EINVAL)
			TEST_FAIL("\"%s\" should not be an id", bad[i]);
		ASSERT_TRUE(sd_id128_equal(kept, id));
	}
	ASSERT_OK(id128_from_string("00112233445566778899AABBCCDDEEFF", &upper));
	ASSERT_TRUE(sd_id128_equal(upper, id));
	ASSERT_OK(id128_from_string("00112233-4455-6677-8899-aAbBcCdDeEfF", &upper));
	ASSERT_TRUE(sd_id128_equal(upper, id));
	ASSERT_STREQ(ID128_TO_UUID_STRING(id), "00112233-4455-6677-8899-aabbccddeeff");
	ASSERT_STREQ(ID128_TO_STRING(id), "00112233445566778899aabbccddeeff");
	return 0;
}

static int test_randomize(void) {
	sd_id128_t a, b;

	ASSERT_OK(id128_randomize(&a));
	ASSERT_OK(id128_randomize(&b));
	ASSERT_FALSE(sd_id128_equal(a, b));
	for (int i = 0; i < 64; i++) {
		ASSERT_OK(id128_randomize(&a));
		/* RFC 9562: version 4, variant 10. */
		ASSERT_EQ_INT(a.bytes[6] >> 4, 4);
		ASSERT_EQ_INT(a.bytes[8] >> 6, 2);
	}
	return 0;
}

/* The host's id, as sd_id128_get_machine() reads it, where the host has one. */
static int test_get_machine(void) {
	sd_id128_t ours, theirs;
	int r = sd_id128_get_machine(&theirs);

	if (r < 0) {
		ASSERT_TRUE(id128_get_machine(&ours) < 0);
		return 0;
	}
	ASSERT_OK(id128_get_machine(&ours));
	ASSERT_TRUE(sd_id128_equal(ours, theirs));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(same_as_libsystemd), TEST_ENTRY(from_string), TEST_ENTRY(randomize),
	   TEST_ENTRY(get_machine))
