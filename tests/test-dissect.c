/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/mman.h>

#include "dissect.h"
#include "tests.h"

/* Images are written here by hand, byte by byte, so that every field of a corrupt or hostile table
 * is under the test's control; one case builds its table with sfdisk to check a real one. */

#define SECTOR 512
#define IMAGE_SECTORS 2048 /* 1 MiB */

#define ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define USR_X86_64 "8484680c-9521-48c6-9c11-b0720656f69e"
#define HOME "933ac7e1-2eb4-4f13-b844-0e14e2aef915"
#define SRV "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"
#define VAR "4d21b016-b534-45c2-a9fb-5c16e091fd2d"
#define SWAP "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"

typedef struct GptPart {
	const char *type;
	uint64_t first, last; /* LBAs, inclusive */
	uint64_t attrs;
} GptPart;

static uint32_t crc32(const uint8_t *p, size_t n) {
	uint32_t c = 0xffffffffU;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return ~c;
}

static void put_le(uint8_t *p, uint64_t v, int bytes) {
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* A GUID in its on-disk mixed-endian form. */
static void put_guid(uint8_t *p, const char *s) {
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t b[16];
	for (int i = 0, j = 0; i < 16; j++) {
		if (s[j] == '-')
			continue;
		sscanf(s + j, "%2hhx", &b[i++]);
		j++;
	}
	for (int i = 0; i < 16; i++)
		p[i] = b[order[i]];
}

/* A squashfs superblock (magic and version 4.0) that blkid recognises, at sector lba. */
static void put_squashfs(uint8_t *img, uint64_t lba) {
	uint8_t *p = img + lba * SECTOR;
	memcpy(p, "hsqs", 4);
	put_le(p + 12, 131072, 4); /* block size */
	put_le(p + 20, 17, 2);     /* log2 of the block size */
	put_le(p + 28, 4, 2);      /* major version */
	put_le(p + 40, 4096, 8);   /* bytes used */
}

/* The primary and backup headers and entry arrays, and the protective MBR. */
static void put_gpt(uint8_t *img, size_t sectors, const GptPart *parts, size_t n) {
	uint8_t entries[128 * 128] = {};
	uint64_t last = sectors - 1;

	for (size_t i = 0; i < n; i++) {
		uint8_t *e = entries + 128 * i;
		put_guid(e, parts[i].type);
		put_guid(e + 16, "01234567-89ab-cdef-0123-456789abcd00");
		e[16 + 15] = (uint8_t) i;
		put_le(e + 32, parts[i].first, 8);
		put_le(e + 40, parts[i].last, 8);
		put_le(e + 48, parts[i].attrs, 8);
	}
	for (int backup = 0; backup < 2; backup++) {
		uint64_t self = backup ? last : 1, entries_lba = backup ? last - 32 : 2;
		uint8_t *h = img + self * SECTOR;
		memcpy(img + entries_lba * SECTOR, entries, sizeof entries);
		memcpy(h, "EFI PART", 8);
		put_le(h + 8, 0x00010000, 4);
		put_le(h + 12, 92, 4);
		put_le(h + 24, self, 8);
		put_le(h + 32, backup ? 1 : last, 8);
		put_le(h + 40, 34, 8);
		put_le(h + 48, last - 33, 8);
		put_guid(h + 56, "fedcba98-7654-3210-fedc-ba9876543210");
		put_le(h + 72, entries_lba, 8);
		put_le(h + 80, 128, 4);
		put_le(h + 84, 128, 4);
		put_le(h + 88, crc32(entries, sizeof entries), 4);
		put_le(h + 16, crc32(h, 92), 4);
	}
	img[446 + 4] = 0xee;
	put_le(img + 446 + 8, 1, 4);
	put_le(img + 446 + 12, sectors - 1 > 0xffffffffU ? 0xffffffffU : sectors - 1, 4);
	img[510] = 0x55;
	img[511] = 0xaa;
}

static int image_fd(const uint8_t *img, size_t size) {
	int fd = memfd_create("image", MFD_CLOEXEC);
	if (fd < 0 || write(fd, img, size) != (ssize_t) size) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Dissects a GPT image with a squashfs superblock in every partition: the table is written for a
 * disk of table_sectors, the image has file_sectors of it (fewer: a truncated image). */
static int dissect_gpt_sized(const GptPart *parts, size_t n, size_t table_sectors, size_t file_sectors,
			     DissectedImage *ret, char *error, size_t error_size) {
	static uint8_t img[2 * IMAGE_SECTORS * SECTOR];
	_cleanup_close_ int fd = -EBADF;

	if (table_sectors > 2 * IMAGE_SECTORS || file_sectors > table_sectors)
		return -EINVAL;
	memset(img, 0, sizeof img);
	put_gpt(img, table_sectors, parts, n);
	for (size_t i = 0; i < n; i++)
		if (parts[i].first < table_sectors)
			put_squashfs(img, parts[i].first);
	fd = image_fd(img, file_sectors * SECTOR);
	if (fd < 0)
		return -errno;
	return dissect_image_fd(fd, ret, error, error_size);
}

static int dissect_gpt(const GptPart *parts, size_t n, DissectedImage *ret, char *error, size_t error_size) {
	return dissect_gpt_sized(parts, n, IMAGE_SECTORS, IMAGE_SECTORS, ret, error, error_size);
}

static int test_gpt_root_only(void) {
	GptPart parts[] = { { ROOT_X86_64, 64, 1023, 0 } };
	DissectedImage d;
	char error[256];

	ASSERT_OK(dissect_gpt(parts, ELEMENTSOF(parts), &d, error, sizeof error));
	ASSERT_STREQ(d.table, "gpt");
	ASSERT_TRUE(d.partitions[PARTITION_ROOT].found);
	ASSERT_EQ_INT(d.partitions[PARTITION_ROOT].partno, 1);
	ASSERT_EQ_U64(d.partitions[PARTITION_ROOT].offset, 64 * SECTOR);
	ASSERT_EQ_U64(d.partitions[PARTITION_ROOT].size, 960 * SECTOR);
	ASSERT_STREQ(d.partitions[PARTITION_ROOT].fstype, "squashfs");
	ASSERT_FALSE(d.partitions[PARTITION_ROOT].read_only);
	ASSERT_FALSE(d.partitions[PARTITION_USR].found);
	return 0;
}

static int test_gpt_designators_and_flags(void) {
	GptPart parts[] = {
		{ ROOT_X86_64, 64, 255, 1ULL << 60 }, /* read-only */
		{ USR_X86_64, 256, 511, 0 },
		{ HOME, 512, 639, 0 },
		{ SWAP, 640, 767, 0 },           /* ignored */
		{ VAR, 768, 895, 1ULL << 63 },   /* no-auto: ignored */
		{ SRV, 896, 1023, 0 },
	};
	DissectedImage d;
	char error[256];

	ASSERT_OK(dissect_gpt(parts, ELEMENTSOF(parts), &d, error, sizeof error));
	ASSERT_TRUE(d.partitions[PARTITION_ROOT].read_only);
	ASSERT_EQ_INT(d.partitions[PARTITION_USR].partno, 2);
	ASSERT_EQ_INT(d.partitions[PARTITION_HOME].partno, 3);
	ASSERT_EQ_INT(d.partitions[PARTITION_SRV].partno, 6);
	ASSERT_FALSE(d.partitions[PARTITION_VAR].found);
	ASSERT_FALSE(d.partitions[PARTITION_USR].read_only);
	return 0;
}

static int test_gpt_hostile(void) {
	GptPart two_roots[] = { { ROOT_X86_64, 64, 255, 0 }, { ROOT_X86_64, 256, 511, 0 } };
	GptPart overlap[] = { { ROOT_X86_64, 64, 511, 0 }, { HOME, 500, 700, 0 } };
	GptPart overlap_ignored[] = { { ROOT_X86_64, 64, 511, 0 }, { SWAP, 100, 200, 0 } };
	GptPart past_end[] = { { ROOT_X86_64, 64, 255, 0 }, { HOME, 256, 3000, 0 } };
	GptPart past_last_usable[] = { { ROOT_X86_64, 64, 255, 0 }, { HOME, 256, 4095, 0 } };
	GptPart no_root[] = { { HOME, 64, 255, 0 } };
	DissectedImage d;
	char error[256];

	ASSERT_ERR(dissect_gpt(two_roots, 2, &d, error, sizeof error), -ENOTUNIQ);
	ASSERT_CONTAINS(error, "both root partitions");
	ASSERT_ERR(dissect_gpt(overlap, 2, &d, error, sizeof error), -EUCLEAN);
	ASSERT_CONTAINS(error, "overlap");
	ASSERT_ERR(dissect_gpt(overlap_ignored, 2, &d, error, sizeof error), -EUCLEAN);
	ASSERT_ERR(dissect_gpt(no_root, 1, &d, error, sizeof error), -ENXIO);
	ASSERT_CONTAINS(error, "no root partition");
	/* A truncated image: the table describes a disk twice the image's size. */
	ASSERT_TRUE(dissect_gpt_sized(past_end, 2, 2 * IMAGE_SECTORS, IMAGE_SECTORS, &d, error, sizeof error) < 0);
	ASSERT_TRUE(error[0] != 0);
	/* An entry beyond the table's own last usable sector is never used. */
	ASSERT_OK(dissect_gpt(past_last_usable, 2, &d, error, sizeof error));
	ASSERT_FALSE(d.partitions[PARTITION_HOME].found);
	return 0;
}

static int test_gpt_bad_crc(void) {
	static uint8_t img[IMAGE_SECTORS * SECTOR];
	GptPart parts[] = { { ROOT_X86_64, 64, 1023, 0 } };
	_cleanup_close_ int fd = -EBADF;
	DissectedImage d;
	char error[256];

	memset(img, 0, sizeof img);
	put_gpt(img, IMAGE_SECTORS, parts, 1);
	put_squashfs(img, 64);
	/* Both headers' checksums wrong: neither copy of the table may be trusted. */
	img[SECTOR + 16] ^= 0xff;
	img[(IMAGE_SECTORS - 1) * SECTOR + 16] ^= 0xff;
	ASSERT_SYS(fd = image_fd(img, sizeof img));
	ASSERT_TRUE(dissect_image_fd(fd, &d, error, sizeof error) < 0);
	ASSERT_TRUE(error[0] != 0);
	return 0;
}

static int test_mbr(void) {
	static uint8_t img[IMAGE_SECTORS * SECTOR];
	_cleanup_close_ int fd = -EBADF, fd2 = -EBADF;
	DissectedImage d;
	char error[256];

	memset(img, 0, sizeof img);
	img[446 + 4] = 0x83;
	put_le(img + 446 + 8, 64, 4);
	put_le(img + 446 + 12, 960, 4);
	img[446 + 16 + 4] = 0x82; /* swap: not a candidate */
	put_le(img + 446 + 16 + 8, 1024, 4);
	put_le(img + 446 + 16 + 12, 512, 4);
	img[510] = 0x55;
	img[511] = 0xaa;
	put_squashfs(img, 64);
	ASSERT_SYS(fd = image_fd(img, sizeof img));
	ASSERT_OK(dissect_image_fd(fd, &d, error, sizeof error));
	ASSERT_STREQ(d.table, "dos");
	ASSERT_EQ_INT(d.partitions[PARTITION_ROOT].partno, 1);
	ASSERT_EQ_U64(d.partitions[PARTITION_ROOT].offset, 64 * SECTOR);

	/* The second partition made Linux too, and overlapping the first. */
	img[446 + 16 + 4] = 0x83;
	put_le(img + 446 + 16 + 8, 512, 4);
	ASSERT_SYS(fd2 = image_fd(img, sizeof img));
	ASSERT_ERR(dissect_image_fd(fd2, &d, error, sizeof error), -EUCLEAN);
	return 0;
}

static int test_bare_and_empty(void) {
	static uint8_t img[64 * SECTOR];
	_cleanup_close_ int fd = -EBADF, empty = -EBADF, junk = -EBADF;
	DissectedImage d;
	char error[256];

	memset(img, 0, sizeof img);
	put_squashfs(img, 0);
	ASSERT_SYS(fd = image_fd(img, sizeof img));
	ASSERT_OK(dissect_image_fd(fd, &d, error, sizeof error));
	ASSERT_STREQ(d.table, "");
	ASSERT_EQ_INT(d.partitions[PARTITION_ROOT].partno, 0);
	ASSERT_STREQ(d.partitions[PARTITION_ROOT].fstype, "squashfs");
	ASSERT_TRUE(dissected_fstype_read_only(d.partitions[PARTITION_ROOT].fstype));

	ASSERT_SYS(empty = memfd_create("empty", MFD_CLOEXEC));
	ASSERT_ERR(dissect_image_fd(empty, &d, error, sizeof error), -ERANGE);
	ASSERT_CONTAINS(error, "empty");

	memset(img, 0x5a, sizeof img);
	ASSERT_SYS(junk = image_fd(img, sizeof img));
	ASSERT_ERR(dissect_image_fd(junk, &d, error, sizeof error), -EBADMSG);
	return 0;
}

/* A table as sfdisk writes it, with a real ext4 made by mkfs.ext4 in the root partition. */
static int test_sfdisk_ext4(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	_cleanup_free_ char *cmd = NULL;
	_cleanup_close_ int fd = -EBADF;
	DissectedImage d;
	char error[256];

	ASSERT_NOT_NULL(dir);
	ASSERT_TRUE(asprintf(&cmd,
			     "cd '%s' && truncate -s 8M disk && "
			     "printf 'label: gpt\\nstart=2048, size=8192, type=" ROOT_X86_64 "\\n"
			     "start=10240, size=4096, type=" HOME ", attrs=\"GUID:60\"\\n' | sfdisk -q disk && "
			     "mkfs.ext4 -q -E offset=1048576 disk 4M && "
			     "mkfs.ext4 -q -E offset=5242880 disk 2M",
			     dir) >= 0);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
	ASSERT_TRUE(asprintf(&cmd, "%s/disk", dir) >= 0);
	ASSERT_SYS(fd = open(cmd, O_RDONLY | O_CLOEXEC));
	ASSERT_OK(dissect_image_fd(fd, &d, error, sizeof error));
	ASSERT_STREQ(d.partitions[PARTITION_ROOT].fstype, "ext4");
	ASSERT_EQ_U64(d.partitions[PARTITION_ROOT].offset, 1048576);
	ASSERT_STREQ(d.partitions[PARTITION_HOME].fstype, "ext4");
	ASSERT_TRUE(d.partitions[PARTITION_HOME].read_only);
	return 0;
}

static int test_designator_table(void) {
	for (PartitionDesignator i = 0; i < _PARTITION_DESIGNATOR_MAX; i++)
		ASSERT_EQ_INT(partition_designator_from_string(partition_designator_to_string(i)), i);
	ASSERT_EQ_INT(partition_designator_from_string("swap"), _PARTITION_DESIGNATOR_INVALID);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(gpt_root_only), TEST_ENTRY(gpt_designators_and_flags), TEST_ENTRY(gpt_hostile),
	   TEST_ENTRY(gpt_bad_crc), TEST_ENTRY(mbr), TEST_ENTRY(bare_and_empty), TEST_ENTRY(sfdisk_ext4),
	   TEST_ENTRY(designator_table))
