/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xz-util.h: what is compressed decodes to the same bytes; damage and truncation are errors. */
#include <fcntl.h>
#include <sys/mman.h>

#include "tests.h"
#include "xz-util.h"

static int roundtrip(const uint8_t *data, size_t n, size_t damage_at, bool truncate, int expect) {
	_cleanup_close_ int in = -EBADF, packed = -EBADF;
	_cleanup_free_ uint8_t *out = malloc(n + 1);
	XzReader x;
	size_t got = 0;
	ssize_t k = 0;
	off_t size;

	ASSERT_NOT_NULL(out);
	ASSERT_SYS(in = memfd_create("in", MFD_CLOEXEC));
	ASSERT_SYS(packed = memfd_create("packed", MFD_CLOEXEC));
	ASSERT_EQ_INT(write(in, data, n), (ssize_t) n);
	ASSERT_SYS(lseek(in, 0, SEEK_SET));
	ASSERT_OK(xz_compress_fd(in, packed));
	ASSERT_SYS(size = lseek(packed, 0, SEEK_CUR));
	if (damage_at > 0) {
		uint8_t b;
		ASSERT_EQ_INT(pread(packed, &b, 1, (off_t) damage_at), 1);
		b ^= 0x55;
		ASSERT_EQ_INT(pwrite(packed, &b, 1, (off_t) damage_at), 1);
	}
	if (truncate)
		ASSERT_SYS(ftruncate(packed, size / 2));
	ASSERT_SYS(lseek(packed, 0, SEEK_SET));
	{
		uint8_t head[6];
		ASSERT_EQ_INT(pread(packed, head, sizeof head, 0), 6);
		ASSERT_TRUE(xz_has_magic(head, sizeof head));
	}

	ASSERT_OK(xz_reader_init(&x, packed));
	while (got <= n && (k = xz_reader_read(&x, out + got, n + 1 - got)) > 0)
		got += (size_t) k;
	xz_reader_done(&x);
	if (expect < 0) {
		ASSERT_EQ_INT(k, expect);
		return 0;
	}
	ASSERT_EQ_INT(k, 0);
	ASSERT_EQ_U64(got, n);
	ASSERT_TRUE(memcmp(out, data, n) == 0);
	return 0;
}

static int test_xz(void) {
	size_t n = 1024 * 1024;
	_cleanup_free_ uint8_t *data = malloc(n);
	uint32_t seed = 1;

	ASSERT_NOT_NULL(data);
	for (size_t i = 0; i < n; i++) {
		/* Half text-like, half noise: several blocks, some compressible. */
		seed = seed * 1103515245 + 12345;
		data[i] = i % 2 ? (uint8_t) (seed >> 16) : (uint8_t) ('a' + i % 7);
	}
	ASSERT_PASS(roundtrip(data, n, 0, false, 0));
	ASSERT_PASS(roundtrip(data, 0, 0, false, 0));
	ASSERT_PASS(roundtrip(data, n, 4000, false, -EBADMSG));
	ASSERT_PASS(roundtrip(data, n, 0, true, -EBADMSG));
	ASSERT_FALSE(xz_has_magic("\x1f\x8b\x08\x00\x00\x00", 6));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(xz))
