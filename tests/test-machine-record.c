/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <sys/wait.h>

#include "machine-record.h"
#include "process-util.h"
#include "tests.h"

static const sd_id128_t test_id =
	SD_ID128_MAKE(5e, 1f, 0a, 33, 9c, 42, 4d, 6b, 8a, 17, e2, 90, 3c, 5d, 71, f4);

/* A record whose supervisor is this test process, hence live. */
static int own_record(MachineRecord *rec, const char *name, const char *root) {
	uint64_t start;

	ASSERT_OK(process_start_time(getpid(), &start));
	*rec = (MachineRecord) {
		.name = (char *) name,
		.root = (char *) root,
		.cgroup = (char *) "/sys/fs/cgroup/machine.slice/machine-test.scope",
		.unit = (char *) "machine-test.scope",
		.id = test_id,
		.supervisor = getpid(),
		.supervisor_start = start,
		.leader = 0,
		.start_usec = UINT64_C(1700000000000000),
	};
	return 0;
}

/* A PID that named a process a moment ago and names none now. */
static pid_t dead_pid(void) {
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return -1;
	return pid;
}

/* Counts the entries of dir: plain names (records) and dot files (temporary files). */
static int count_entries(const char *dir, size_t *ret_visible, size_t *ret_hidden) {
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t visible = 0, hidden = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		else if (de->d_name[0] == '.')
			hidden++;
		else
			visible++;
	closedir(d);
	*ret_visible = visible;
	*ret_hidden = hidden;
	return 0;
}

static int test_create_read_update_remove(void) {
	_cleanup_tmpdir_ char *base = tests_mkdtemp();
	_cleanup_free_ char *dir = NULL;
	MachineRecord rec, got = {}, got2 = {};
	size_t visible, hidden;

	ASSERT_NOT_NULL(base);
	/* The directory is made when missing. */
	ASSERT_TRUE(asprintf(&dir, "%s/machines", base) >= 0);
	ASSERT_PASS(own_record(&rec, "alpha", "/var/lib/machines/alpha"));
	ASSERT_OK(machine_record_create(dir, &rec, NULL));

	ASSERT_OK(machine_record_read(dir, "alpha", &got));
	ASSERT_STREQ(got.name, "alpha");
	ASSERT_STREQ(got.root, "/var/lib/machines/alpha");
	ASSERT_STREQ(got.cgroup, rec.cgroup);
	ASSERT_STREQ(got.unit, "machine-test.scope");
	ASSERT_TRUE(sd_id128_equal(got.id, test_id));
	ASSERT_EQ_INT(got.supervisor, getpid());
	ASSERT_EQ_U64(got.supervisor_start, rec.supervisor_start);
	ASSERT_EQ_INT(got.leader, 0);
	ASSERT_EQ_U64(got.start_usec, UINT64_C(1700000000000000));
	machine_record_done(&got);

	/* No temporary file is left next to the record. */
	ASSERT_OK(count_entries(dir, &visible, &hidden));
	ASSERT_EQ_INT(visible, 1);
	ASSERT_EQ_INT(hidden, 0);

	/* The leader becomes known; an empty unit is read back as none. */
	rec.leader = 4242;
	rec.leader_start = 777;
	rec.unit = NULL;
	ASSERT_OK(machine_record_update(dir, &rec));
	ASSERT_OK(machine_record_read(dir, "alpha", &got2));
	ASSERT_EQ_INT(got2.leader, 4242);
	ASSERT_EQ_U64(got2.leader_start, 777);
	ASSERT_NULL(got2.unit);
	ASSERT_STREQ(got2.root, "/var/lib/machines/alpha");
	machine_record_done(&got2);
	ASSERT_OK(count_entries(dir, &visible, &hidden));
	ASSERT_EQ_INT(visible + hidden, 1);

	ASSERT_OK(machine_record_remove(dir, "alpha"));
	ASSERT_ERR(machine_record_read(dir, "alpha", &got), -ENOENT);
	/* Removing what is not there is no error: the goal is reached. */
	ASSERT_OK(machine_record_remove(dir, "alpha"));
	ASSERT_OK(count_entries(dir, &visible, &hidden));
	ASSERT_EQ_INT(visible + hidden, 0);
	/* An update of a record that is gone puts it back, with nothing else left over. */
	ASSERT_OK(machine_record_update(dir, &rec));
	ASSERT_OK(machine_record_read(dir, "alpha", &got2));
	ASSERT_EQ_INT(got2.leader, 4242);
	machine_record_done(&got2);
	ASSERT_OK(count_entries(dir, &visible, &hidden));
	ASSERT_EQ_INT(visible, 1);
	ASSERT_EQ_INT(hidden, 0);
	ASSERT_OK(machine_record_remove(dir, "alpha"));
	return 0;
}

static int test_invalid_names(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	MachineRecord rec, got = {};

	ASSERT_NOT_NULL(dir);
	ASSERT_PASS(own_record(&rec, "../escape", "/x"));
	ASSERT_ERR(machine_record_create(dir, &rec, NULL), -EINVAL);
	ASSERT_ERR(machine_record_update(dir, &rec), -EINVAL);
	ASSERT_ERR(machine_record_read(dir, "../escape", &got), -EINVAL);
	ASSERT_ERR(machine_record_remove(dir, "../escape"), -EINVAL);
	ASSERT_ERR(machine_record_read(dir, "", &got), -EINVAL);
	return 0;
}

/* Two berths cannot hold one name: the second learns who has it. */
static int test_create_busy(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	MachineRecord first, second, holder = {}, got = {};

	ASSERT_NOT_NULL(dir);
	ASSERT_PASS(own_record(&first, "busy", "/srv/first"));
	ASSERT_OK(machine_record_create(dir, &first, NULL));

	ASSERT_PASS(own_record(&second, "busy", "/srv/second"));
	ASSERT_ERR(machine_record_create(dir, &second, &holder), -EBUSY);
	ASSERT_STREQ(holder.name, "busy");
	ASSERT_STREQ(holder.root, "/srv/first");
	ASSERT_EQ_INT(holder.supervisor, getpid());
	machine_record_done(&holder);
	/* Without a holder to fill, the answer is the same. */
	ASSERT_ERR(machine_record_create(dir, &second, NULL), -EBUSY);

	/* The first record is untouched, and no temporary file stays behind. */
	ASSERT_OK(machine_record_read(dir, "busy", &got));
	ASSERT_STREQ(got.root, "/srv/first");
	machine_record_done(&got);
	size_t visible, hidden;
	ASSERT_OK(count_entries(dir, &visible, &hidden));
	ASSERT_EQ_INT(visible, 1);
	ASSERT_EQ_INT(hidden, 0);
	return 0;
}

static int check_replaces_stale(const char *dir, const MachineRecord *stale) {
	MachineRecord mine, got = {}, holder = { .name = NULL };

	ASSERT_OK(machine_record_update(dir, stale));
	ASSERT_PASS(own_record(&mine, stale->name, "/srv/new"));
	ASSERT_OK(machine_record_create(dir, &mine, &holder));
	ASSERT_NULL(holder.name);
	ASSERT_OK(machine_record_read(dir, stale->name, &got));
	ASSERT_STREQ(got.root, "/srv/new");
	ASSERT_EQ_INT(got.supervisor, getpid());
	machine_record_done(&got);
	return 0;
}

/* A record left by a supervisor that is gone does not block the name. */
static int test_stale_replaced(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	MachineRecord stale;
	pid_t dead = dead_pid();

	ASSERT_NOT_NULL(dir);
	ASSERT_TRUE(dead > 0);

	/* Its PID names no process. */
	ASSERT_PASS(own_record(&stale, "stale", "/srv/old"));
	stale.supervisor = dead;
	ASSERT_PASS(check_replaces_stale(dir, &stale));

	/* Its PID was reused by another process: the start time tells. */
	ASSERT_PASS(own_record(&stale, "reused", "/srv/old"));
	stale.supervisor_start += 1;
	ASSERT_PASS(check_replaces_stale(dir, &stale));

	/* No PID at all. */
	ASSERT_PASS(own_record(&stale, "nopid", "/srv/old"));
	stale.supervisor = 0;
	ASSERT_PASS(check_replaces_stale(dir, &stale));
	return 0;
}

/* A record that cannot be parsed is refused on reading, and does not hold a name. */
static int test_garbage(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	_cleanup_close_ int fd = -EBADF;
	MachineRecord got = {}, mine;

	ASSERT_NOT_NULL(dir);
	ASSERT_SYS(fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_OK(tests_write_file(fd, "noname", "ROOT=/x\nSUPERVISOR=1\n", 0644));
	ASSERT_ERR(machine_record_read(dir, "noname", &got), -EBADMSG);
	ASSERT_OK(tests_write_file(fd, "badnum", "NAME=badnum\nSUPERVISOR=abc\n", 0644));
	ASSERT_ERR(machine_record_read(dir, "badnum", &got), -EBADMSG);
	ASSERT_OK(tests_write_file(fd, "badid", "NAME=badid\nID=xyz\n", 0644));
	ASSERT_ERR(machine_record_read(dir, "badid", &got), -EBADMSG);
	ASSERT_NULL(got.name);

	ASSERT_PASS(own_record(&mine, "badnum", "/srv/new"));
	ASSERT_OK(machine_record_create(dir, &mine, NULL));
	ASSERT_OK(machine_record_read(dir, "badnum", &got));
	ASSERT_STREQ(got.root, "/srv/new");
	machine_record_done(&got);
	return 0;
}

static int test_find_by_root(void) {
	_cleanup_tmpdir_ char *dir = tests_mkdtemp();
	MachineRecord a, b, dead, got = {};
	pid_t gone = dead_pid();

	ASSERT_NOT_NULL(dir);
	ASSERT_TRUE(gone > 0);
	ASSERT_PASS(own_record(&a, "a", "/srv/a"));
	ASSERT_PASS(own_record(&b, "b", "/srv/b"));
	ASSERT_PASS(own_record(&dead, "c", "/srv/c"));
	dead.supervisor = gone;
	ASSERT_OK(machine_record_create(dir, &a, NULL));
	ASSERT_OK(machine_record_create(dir, &b, NULL));
	ASSERT_OK(machine_record_create(dir, &dead, NULL));

	ASSERT_OK(machine_record_find_by_root(dir, "/srv/b", &got));
	ASSERT_STREQ(got.name, "b");
	machine_record_done(&got);
	/* Only live records count. */
	ASSERT_ERR(machine_record_find_by_root(dir, "/srv/c", &got), -ENOENT);
	ASSERT_ERR(machine_record_find_by_root(dir, "/srv/none", &got), -ENOENT);
	ASSERT_NULL(got.name);

	_cleanup_free_ char *missing = NULL;
	ASSERT_TRUE(asprintf(&missing, "%s/missing", dir) >= 0);
	ASSERT_ERR(machine_record_find_by_root(missing, "/srv/a", &got), -ENOENT);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(create_read_update_remove), TEST_ENTRY(invalid_names), TEST_ENTRY(create_busy),
	   TEST_ENTRY(stale_replaced), TEST_ENTRY(garbage), TEST_ENTRY(find_by_root))
