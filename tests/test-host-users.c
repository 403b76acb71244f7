/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's user database: when berth reads /etc/passwd and /etc/group itself, and what it finds
 * in them. */

#include "host-users.h"
#include "tests.h"

static int test_nsswitch(void) {
	static const char debian[] =
		"# /etc/nsswitch.conf\n"
		"passwd:         files systemd\n"
		"group:          files systemd\n"
		"shadow:         files\n"
		"hosts:          files dns\n";
	static const char files_only[] = "passwd: files\ngroup:\tfiles # local only\n";
	static const char ldap[] = "passwd: files ldap\ngroup: files ldap\n";
	static const char action[] = "passwd: files [NOTFOUND=return] systemd\ngroup: files\n";
	static const char twice[] = "passwd: files\npasswd: sss\ngroup: files\n";
	static const char compat[] = "passwd: compat\ngroup: compat\n";
	static const char empty[] = "passwd:\ngroup: files\n";
	static const char commented[] = "#passwd: files\ngroup: files\n";
	static const char upper[] = "Passwd: files systemd\n";
	static const char lookalike[] = "passwdx: files\n";

	ASSERT_TRUE(nsswitch_lists_only_files_and_systemd(debian, "passwd"));
	ASSERT_TRUE(nsswitch_lists_only_files_and_systemd(debian, "group"));
	ASSERT_TRUE(nsswitch_lists_only_files_and_systemd(files_only, "passwd"));
	ASSERT_TRUE(nsswitch_lists_only_files_and_systemd(files_only, "group"));
	ASSERT_TRUE(nsswitch_lists_only_files_and_systemd(upper, "passwd"));
	/* Another source, an action, a second line or none: NSS answers. */
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(ldap, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(action, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(twice, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(compat, "group"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(empty, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(commented, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd(lookalike, "passwd"));
	ASSERT_FALSE(nsswitch_lists_only_files_and_systemd("", "group"));
	return 0;
}

static int includes(const char *text, uid_t a, uid_t b) {
	return id_file_includes(text, (const uid_t[]) { a, b }, 2);
}

static int test_files(void) {
	static const char passwd[] =
		"root:x:0:0:root:/root:/bin/bash\n"
		"# far:x:524288:524288::/:/bin/false\n"
		"\n"
		"  \n"
		"far:x:589824:589824::/nonexistent:/usr/sbin/nologin\n";
	static const char group[] =
		"root:x:0:\n"
		"top:x:655358:alice,bob";

	ASSERT_EQ_INT(includes(passwd, 589824, 655358), 1);
	/* Comments and blank lines are no entries. */
	ASSERT_EQ_INT(includes(passwd, 524288, 589822), 0);
	ASSERT_EQ_INT(includes(group, 589824, 655358), 1);
	ASSERT_EQ_INT(includes(group, 524288, 589822), 0);
	/* A group's members' names are no IDs, nor is a user's group. */
	ASSERT_EQ_INT(includes("staff:x:50:1000,2000\n", 1000, 2000), 0);
	ASSERT_EQ_INT(includes("me:x:1000:2000::/:/bin/sh\n", 2000, 2000), 0);
	ASSERT_EQ_INT(includes("", 0, 0), 0);
	/* Lines whose ID glibc might read otherwise: NSS answers. */
	ASSERT_EQ_INT(includes("odd:x:+5:5::/:/bin/sh\n", 5, 5), -EBADMSG);
	ASSERT_EQ_INT(includes("odd:x::5::/:/bin/sh\n", 5, 5), -EBADMSG);
	ASSERT_EQ_INT(includes("odd:x:4294967296:5::/:/bin/sh\n", 0, 0), -EBADMSG);
	ASSERT_EQ_INT(includes("odd:x:5\n", 5, 5), -EBADMSG);
	ASSERT_EQ_INT(includes("no fields at all\n", 5, 5), -EBADMSG);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(nsswitch), TEST_ENTRY(files))
