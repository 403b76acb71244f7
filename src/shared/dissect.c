/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "blkid-dl.h"
#include "dissect.h"
#include "macro.h"

static const char *const partition_designator_table[_PARTITION_DESIGNATOR_MAX] = {
	[PARTITION_ROOT] = "root",
	[PARTITION_USR] = "usr",
	[PARTITION_HOME] = "home",
	[PARTITION_SRV] = "srv",
	[PARTITION_VAR] = "var",
	[PARTITION_TMP] = "tmp",
	[PARTITION_ESP] = "esp",
	[PARTITION_XBOOTLDR] = "xbootldr",
};
DEFINE_STRING_TABLE(partition_designator, PartitionDesignator, _PARTITION_DESIGNATOR_MAX)

/* GPT partition type UUIDs of the Discoverable Partitions Specification. Root and usr are per
 * architecture: only the host's own are taken, so an image for another architecture has no root. */
static const struct {
	const char *uuid;
	PartitionDesignator designator;
} gpt_types[] = {
#if defined(__x86_64__)
	{ "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", PARTITION_ROOT },
	{ "8484680c-9521-48c6-9c11-b0720656f69e", PARTITION_USR },
#elif defined(__i386__)
	{ "44479540-f297-41b2-9af7-d131d5f0458a", PARTITION_ROOT },
	{ "75250d76-8cc6-458e-bd66-bd47cc81a812", PARTITION_USR },
#elif defined(__aarch64__)
	{ "b921b045-1df0-41c3-af44-4c6f280d3fae", PARTITION_ROOT },
	{ "b0e01050-ee5f-4390-949a-9101b17104e9", PARTITION_USR },
#elif defined(__arm__)
	{ "69dad710-2ce4-4e3c-b16c-21a1d49abed3", PARTITION_ROOT },
	{ "7d0359a3-02b3-4f0a-865c-654403e70625", PARTITION_USR },
#elif defined(__riscv) && __riscv_xlen == 64
	{ "72ec70a6-cf74-40e6-bd49-4bda08e8f224", PARTITION_ROOT },
	{ "beaec34b-8442-439b-a40b-984381ed097d", PARTITION_USR },
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{ "c31c45e6-3f39-412e-80fb-4809c4980599", PARTITION_ROOT },
	{ "15bb03af-77e7-4d4a-b12b-c0d084f7491c", PARTITION_USR },
#elif defined(__s390x__)
	{ "5eead9a9-fe09-4a1e-a1d7-520d00531306", PARTITION_ROOT },
	{ "8a4f5770-50aa-4ed3-874a-99b710db6fea", PARTITION_USR },
#endif
	{ "933ac7e1-2eb4-4f13-b844-0e14e2aef915", PARTITION_HOME },
	{ "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", PARTITION_SRV },
	{ "4d21b016-b534-45c2-a9fb-5c16e091fd2d", PARTITION_VAR },
	{ "7ec6f557-3bc5-4aca-b293-16ef5df639d1", PARTITION_TMP },
	{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", PARTITION_ESP },
	{ "bc13c2ff-59e6-4262-a352-b275fd6f7172", PARTITION_XBOOTLDR },
};

/* GPT partition attributes (UEFI: bits 48-63 belong to the partition type). */
#define GPT_FLAG_READ_ONLY (1ULL << 60) /* mount read-only */
#define GPT_FLAG_NO_AUTO (1ULL << 63)   /* not to be mounted automatically */

/* MBR partition type of a Linux filesystem. */
#define MBR_TYPE_LINUX 0x83

static const char *const mountable_fstypes[] = { "ext4", "btrfs", "xfs", "squashfs", "erofs", "vfat" };

typedef struct Errbuf {
	char *buf;
	size_t size;
} Errbuf;

_printf_(3, 4) static int fail(Errbuf *e, int r, const char *fmt, ...) {
	va_list ap;

	if (e->buf && e->size > 0) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->size, fmt, ap);
		va_end(ap);
	}
	return -r;
}

bool dissected_fstype_read_only(const char *fstype) {
	return streq(fstype, "squashfs") || streq(fstype, "erofs");
}

static int image_size(int fd, uint64_t *ret) {
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, ret) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	*ret = (uint64_t) st.st_size;
	return 0;
}

/* The filesystem in [offset, offset+size) of the image, which must be one berth mounts. */
static int probe_fstype(int fd, uint64_t offset, uint64_t size, DissectedPartition *p, Errbuf *e,
			const char *what) {
	blkid_probe pr = sym_blkid_new_probe();
	const char *type = NULL;
	int r;

	if (!pr)
		return -ENOMEM;
	if (sym_blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, (blkid_loff_t) size) < 0) {
		sym_blkid_free_probe(pr);
		return fail(e, EIO, "Failed to read the %s partition", what);
	}
	sym_blkid_probe_enable_superblocks(pr, 1);
	sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	sym_blkid_probe_enable_partitions(pr, 0);
	r = sym_blkid_do_safeprobe(pr);
	if (r == 0 && sym_blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type)
		snprintf(p->fstype, sizeof p->fstype, "%s", type);
	sym_blkid_free_probe(pr);
	if (r == -2)
		return fail(e, EUCLEAN, "The %s partition has signatures of several filesystems", what);
	if (!type)
		return fail(e, EPROTONOSUPPORT, "The %s partition holds no known filesystem", what);
	for (size_t i = 0; i < ELEMENTSOF(mountable_fstypes); i++)
		if (streq(p->fstype, mountable_fstypes[i]))
			return 0;
	return fail(e, EPROTONOSUPPORT, "The %s partition holds a '%s' filesystem, which berth does not mount",
		    what, p->fstype);
}

static PartitionDesignator gpt_designator(const char *uuid) {
	if (!uuid)
		return _PARTITION_DESIGNATOR_INVALID;
	for (size_t i = 0; i < ELEMENTSOF(gpt_types); i++)
		if (strcasecmp(uuid, gpt_types[i].uuid) == 0)
			return gpt_types[i].designator;
	return _PARTITION_DESIGNATOR_INVALID;
}

typedef struct Extent {
	uint64_t start, end;
	int partno;
} Extent;

/* Every entry of the table is checked, the ones berth ignores too: a table with overlapping or
 * out-of-range entries is corrupt or hostile, and none of it is trusted. */
static int check_extents(blkid_partlist pl, int n, uint64_t disk_size, Errbuf *e) {
	Extent ext[128];

	if (n > (int) ELEMENTSOF(ext))
		return fail(e, E2BIG, "The partition table has %d partitions, more than %zu", n, ELEMENTSOF(ext));
	for (int i = 0; i < n; i++) {
		blkid_partition par = sym_blkid_partlist_get_partition(pl, i);
		blkid_loff_t start = sym_blkid_partition_get_start(par), size = sym_blkid_partition_get_size(par);
		int partno = sym_blkid_partition_get_partno(par);

		/* An MBR extended partition contains the logical ones by design. */
		if (sym_blkid_partition_is_extended(par)) {
			ext[i] = (Extent) {};
			continue;
		}
		if (start < 0 || size <= 0)
			return fail(e, ERANGE, "Partition %d has size zero", partno);
		if ((uint64_t) start > disk_size / 512 || (uint64_t) size > disk_size / 512 - (uint64_t) start)
			return fail(e, ERANGE, "Partition %d lies past the end of the image (%" PRIu64 " bytes)",
				    partno, disk_size);
		ext[i] = (Extent) { (uint64_t) start, (uint64_t) start + (uint64_t) size, partno };
		for (int j = 0; j < i; j++)
			if (ext[i].start < ext[j].end && ext[j].start < ext[i].end)
				return fail(e, EUCLEAN, "Partitions %d and %d overlap", ext[j].partno, partno);
	}
	return 0;
}

static int take_partition(DissectedImage *d, PartitionDesignator des, blkid_partition par, Errbuf *e) {
	DissectedPartition *p = &d->partitions[des];
	int partno = sym_blkid_partition_get_partno(par);

	if (p->found)
		return fail(e, ENOTUNIQ, "Partitions %d and %d are both %s partitions for this architecture",
			    p->partno, partno, partition_designator_to_string(des));
	p->found = true;
	p->partno = partno;
	p->offset = (uint64_t) sym_blkid_partition_get_start(par) * 512;
	p->size = (uint64_t) sym_blkid_partition_get_size(par) * 512;
	return 0;
}

static int dissect_table(int fd, blkid_probe pr, uint64_t disk_size, DissectedImage *d, Errbuf *e) {
	blkid_partlist pl = sym_blkid_probe_get_partitions(pr);
	bool gpt = streq(d->table, "gpt");
	int n, r, linux_parts = 0;

	if (!pl)
		return fail(e, EBADMSG, "Failed to read the partition table");
	n = sym_blkid_partlist_numof_partitions(pl);
	if (n < 0)
		return fail(e, EBADMSG, "Failed to read the partition table");
	r = check_extents(pl, n, disk_size, e);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		blkid_partition par = sym_blkid_partlist_get_partition(pl, i);
		PartitionDesignator des;

		if (gpt) {
			unsigned long long flags = sym_blkid_partition_get_flags(par);
			des = gpt_designator(sym_blkid_partition_get_type_string(par));
			if (des < 0 || (flags & GPT_FLAG_NO_AUTO))
				continue;
			r = take_partition(d, des, par, e);
			if (r < 0)
				return r;
			d->partitions[des].read_only = flags & GPT_FLAG_READ_ONLY;
		} else {
			/* An MBR disk is taken only when it has exactly one Linux partition: it is the root. */
			if (sym_blkid_partition_get_type(par) != MBR_TYPE_LINUX || sym_blkid_partition_is_extended(par))
				continue;
			if (++linux_parts > 1)
				return fail(e, ENOTUNIQ, "The MBR partition table has several Linux partitions; "
							 "berth cannot tell which is the root");
			r = take_partition(d, PARTITION_ROOT, par, e);
			if (r < 0)
				return r;
		}
	}
	if (!d->partitions[PARTITION_ROOT].found)
		return fail(e, ENXIO, "The %s partition table has no root partition for this architecture",
			    gpt ? "GPT" : "MBR");
	for (PartitionDesignator i = 0; i < _PARTITION_DESIGNATOR_MAX; i++) {
		DissectedPartition *p = &d->partitions[i];
		if (p->found && (r = probe_fstype(fd, p->offset, p->size, p, e, partition_designator_to_string(i))) < 0)
			return r;
	}
	return 0;
}

int dissect_image_fd(int fd, DissectedImage *ret, char *ret_error, size_t error_size) {
	Errbuf e = { ret_error, error_size };
	DissectedImage d = {};
	const char *pttype = NULL;
	char reason[128];
	blkid_probe pr;
	uint64_t size;
	int r;

	if (ret_error && error_size > 0)
		*ret_error = 0;
	r = dl_library_open(&dl_blkid, reason, sizeof reason);
	if (r < 0)
		return fail(&e, -r, "%s cannot be loaded: %s", dl_blkid.soname, reason);
	r = image_size(fd, &size);
	if (r < 0)
		return fail(&e, -r, "Failed to find the size of the image");
	if (size == 0)
		return fail(&e, ERANGE, "The image is empty");

	pr = sym_blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (sym_blkid_probe_set_device(pr, fd, 0, (blkid_loff_t) size) < 0) {
		sym_blkid_free_probe(pr);
		return fail(&e, EIO, "Failed to read the image");
	}
	sym_blkid_probe_enable_partitions(pr, 1);
	sym_blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	/* Superblocks too: a bare filesystem has no table. Both found means the image is ambiguous,
	 * which blkid_do_safeprobe() reports. */
	sym_blkid_probe_enable_superblocks(pr, 1);
	sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	r = sym_blkid_do_safeprobe(pr);
	if (r == -2) {
		sym_blkid_free_probe(pr);
		return fail(&e, EUCLEAN, "The image has several conflicting signatures");
	}
	if (r == 0 && sym_blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL) == 0 && pttype) {
		if (streq(pttype, "PMBR"))
			r = fail(&e, EBADMSG, "The image has no valid partition table: a protective MBR, but no GPT "
					      "header with a correct checksum");
		else if (!streq(pttype, "gpt") && !streq(pttype, "dos"))
			r = fail(&e, EPROTONOSUPPORT, "The image has a '%s' partition table; berth reads GPT and MBR",
				 pttype);
		if (r < 0) {
			sym_blkid_free_probe(pr);
			return r;
		}
		snprintf(d.table, sizeof d.table, "%s", pttype);
		r = dissect_table(fd, pr, size, &d, &e);
		sym_blkid_free_probe(pr);
	} else {
		const char *type = NULL;
		bool fs = r == 0 && sym_blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type;

		sym_blkid_free_probe(pr);
		if (!fs)
			return fail(&e, EBADMSG, "The image has no valid partition table and no filesystem");
		d.partitions[PARTITION_ROOT] = (DissectedPartition) { .found = true, .size = size };
		r = probe_fstype(fd, 0, size, &d.partitions[PARTITION_ROOT], &e, "root");
	}
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}
