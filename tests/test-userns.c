/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User namespaces: the ranges picked for machine names, and the shift of a tree's owners (which
 * needs root, as berth does). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"
#include "uid-shift.h"
#include "userns.h"

static int test_candidates(void) {
	uid_t seen[64];

	for (unsigned n = 0; n < ELEMENTSOF(seen); n++) {
		uid_t c = userns_candidate("debian", n);
		ASSERT_TRUE(c % 0x10000 == 0);
		ASSERT_TRUE(c >= USERNS_PICK_FIRST && c <= USERNS_PICK_LAST);
		/* The same name asks for the same ranges, in the same order, at every start. */
		ASSERT_EQ_INT(c, userns_candidate("debian", n));
		seen[n] = c;
	}
	/* The next candidates are other ranges (a collision now and then is fine, a cycle is not). */
	unsigned distinct = 0;
	for (unsigned i = 0; i < ELEMENTSOF(seen); i++) {
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= seen[i] == seen[j];
		distinct += !dup;
	}
	ASSERT_TRUE(distinct > 60);
	ASSERT_NE_INT(userns_candidate("debian", 0), userns_candidate("debian2", 0));
	ASSERT_NE_INT(userns_candidate("a", 0), userns_candidate("b", 0));
	return 0;
}

static int make_file(const char *dir, const char *name, uid_t uid, gid_t gid, mode_t mode) {
	char path[1024];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_SYS(fd);
	close(fd);
	ASSERT_SYS(chown(path, uid, gid));
	ASSERT_SYS(chmod(path, mode));
	return 0;
}

static int owner_at(const char *dir, const char *name, uid_t *uid, gid_t *gid, mode_t *mode) {
	char path[1024];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ASSERT_SYS(lstat(path, &st));
	*uid = st.st_uid;
	*gid = st.st_gid;
	*mode = st.st_mode & 07777;
	return 0;
}

#define ASSERT_OWNER(dir, name, u, g)                              \
	do {                                                       \
		uid_t _u;                                          \
		gid_t _g;                                          \
		mode_t _m;                                         \
		ASSERT_PASS(owner_at((dir), (name), &_u, &_g, &_m)); \
		ASSERT_EQ_INT(_u, (u));                            \
		ASSERT_EQ_INT(_g, (g));                            \
	} while (0)

static int test_shift_tree(void) {
	_cleanup_tmpdir_ char *top = tests_mkdtemp();
	char tree[256], outside[256], linked[1024], sym[1024];
	const uid_t base = 0x100000;
	uid_t u;
	gid_t g;
	mode_t m;

	snprintf(tree, sizeof tree, "%s/tree", top);
	snprintf(outside, sizeof outside, "%s/outside", top);
	ASSERT_SYS(mkdir(tree, 0755));
	ASSERT_SYS(mkdir(outside, 0755));
	ASSERT_PASS(make_file(tree, "root-file", 0, 0, 0644));
	ASSERT_PASS(make_file(tree, "user-file", 1000, 100, 0600));
	ASSERT_PASS(make_file(tree, "far-file", 70000, 70000, 0644)); /* outside the range: left alone */
	ASSERT_PASS(make_file(tree, "setuid", 0, 0, 04755));
	ASSERT_PASS(make_file(outside, "target", 0, 0, 0644));
	snprintf(sym, sizeof sym, "%s/symlink", tree);
	snprintf(linked, sizeof linked, "%s/target", outside);
	ASSERT_SYS(symlink(linked, sym));

	/* A hard link to a file outside: refused, and nothing changed. */
	snprintf(linked, sizeof linked, "%s/linked", tree);
	{
		char target[1024];
		snprintf(target, sizeof target, "%s/target", outside);
		ASSERT_SYS(link(target, linked));
	}
	ASSERT_ERR(uid_shift_tree(tree, 0, base, 0x10000), -EXDEV);
	ASSERT_OWNER(tree, "root-file", 0, 0);
	ASSERT_OWNER(tree, ".", 0, 0);
	ASSERT_SYS(unlink(linked));

	/* A hard link inside the tree is fine. */
	{
		char a[1024], b[1024];
		snprintf(a, sizeof a, "%s/root-file", tree);
		snprintf(b, sizeof b, "%s/root-file-again", tree);
		ASSERT_SYS(link(a, b));
	}
	ASSERT_OK(uid_shift_tree(tree, 0, base, 0x10000));
	ASSERT_OWNER(tree, ".", base, base);
	ASSERT_OWNER(tree, "root-file", base, base);
	ASSERT_OWNER(tree, "root-file-again", base, base);
	ASSERT_OWNER(tree, "user-file", base + 1000, base + 100);
	ASSERT_OWNER(tree, "far-file", 70000, 70000);
	ASSERT_OWNER(tree, "symlink", base, base);
	ASSERT_OWNER(outside, "target", 0, 0); /* not through the symlink */
	ASSERT_PASS(owner_at(tree, "setuid", &u, &g, &m));
	ASSERT_EQ_INT(m, 04755);

	/* And back, from one range to another. */
	ASSERT_OK(uid_shift_tree(tree, base, 0, 0x10000));
	ASSERT_OWNER(tree, "user-file", 1000, 100);
	ASSERT_OWNER(tree, ".", 0, 0);
	return 0;
}

static int test_may_mount_proc(void) {
	static const char host[] =
		"22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw\n"
		"28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
		"40 22 0:34 / /proc/sys/fs/binfmt_misc rw,relatime shared:21 - autofs systemd-1 rw,fd=29\n"
		"41 28 0:35 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,mode=755\n";
	/* A container's /proc: files bound over, a read-only /proc/sys. */
	static const char container[] =
		"300 299 0:60 / / rw,relatime - overlay overlay rw\n"
		"301 300 0:62 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
		"302 301 0:62 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw\n"
		"303 301 0:63 /reg /proc/kcore ro,nosuid,nodev,noexec - tmpfs tmpfs ro\n";
	static const char no_proc[] = "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n";
	/* /procfs is not below /proc. */
	static const char lookalike[] =
		"22 28 0:21 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
		"23 28 0:22 / /procfs rw - tmpfs tmpfs rw";

	ASSERT_TRUE(userns_may_mount_proc_under(host));
	ASSERT_FALSE(userns_may_mount_proc_under(container));
	ASSERT_FALSE(userns_may_mount_proc_under(no_proc));
	ASSERT_TRUE(userns_may_mount_proc_under(lookalike));
	ASSERT_FALSE(userns_may_mount_proc_under("garbage\n"));
	return 0;
}

TESTS_MAIN(TEST_ENTRY(candidates), TEST_ENTRY(shift_tree), TEST_ENTRY(may_mount_proc))
