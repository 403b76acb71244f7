/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --property=NAME=VALUE: which names and values are taken, and what goes on the bus for each, read
 * back from a sealed message as the service manager would read it. */
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "libsystemd-dl.h"
#include "tests.h"
#include "unit-property.h"

static sd_bus *bus;

/* A bus object that may create messages: it needs a transport, which nothing reads. */
static int bus_open(void) {
	int fds[2];

	/* unit-property.c appends through the pointers the launcher sets when it opens libsystemd. */
	ASSERT_OK(dl_library_open(&dl_libsystemd, NULL, 0));
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
	ASSERT_OK(sd_bus_new(&bus));
	ASSERT_OK(sd_bus_set_fd(bus, fds[0], fds[0]));
	ASSERT_OK(sd_bus_start(bus));
	close(fds[1]);
	return 0;
}

/* The assignment appended to an a(sv) and sealed, rewound to the (sv)'s variant. */
static int encode(const char *assignment, sd_bus_message **ret, const char **ret_name) {
	sd_bus_message *m = NULL;

	ASSERT_OK(sd_bus_message_new_method_call(bus, &m, "org.example", "/", "org.example", "Call"));
	ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
	ASSERT_OK(unit_property_append(m, assignment));
	ASSERT_OK(sd_bus_message_close_container(m));
	ASSERT_OK(sd_bus_message_seal(m, 1, 0));
	ASSERT_OK(sd_bus_message_rewind(m, true));
	ASSERT_OK(sd_bus_message_enter_container(m, 'a', "(sv)"));
	ASSERT_OK(sd_bus_message_enter_container(m, 'r', "sv"));
	ASSERT_OK(sd_bus_message_read(m, "s", ret_name));
	*ret = m;
	return 0;
}

static int expect_u64(const char *assignment, const char *name, uint64_t want) {
	sd_bus_message *m;
	const char *got_name;
	uint64_t v;

	ASSERT_PASS(encode(assignment, &m, &got_name));
	ASSERT_STREQ(got_name, name);
	ASSERT_OK(sd_bus_message_read(m, "v", "t", &v));
	ASSERT_EQ_U64(v, want);
	sd_bus_message_unref(m);
	return 0;
}

static int test_numbers(void) {
	ASSERT_PASS(expect_u64("MemoryMax=1G", "MemoryMax", UINT64_C(1) << 30));
	ASSERT_PASS(expect_u64("MemoryHigh=512M", "MemoryHigh", UINT64_C(512) << 20));
	ASSERT_PASS(expect_u64("MemoryLow=4096", "MemoryLow", 4096));
	ASSERT_PASS(expect_u64("MemorySwapMax=infinity", "MemorySwapMax", UINT64_MAX));
	ASSERT_PASS(expect_u64("TasksMax=100", "TasksMax", 100));
	ASSERT_PASS(expect_u64("TasksMax=infinity", "TasksMax", UINT64_MAX));
	ASSERT_PASS(expect_u64("CPUWeight=1", "CPUWeight", 1));
	ASSERT_PASS(expect_u64("IOWeight=10000", "IOWeight", 10000));
	/* Per cent of one CPU, as microseconds per second under D-Bus's own name. */
	ASSERT_PASS(expect_u64("CPUQuota=50%", "CPUQuotaPerSecUSec", 500000));
	ASSERT_PASS(expect_u64("CPUQuota=200%", "CPUQuotaPerSecUSec", 2000000));
	return 0;
}

static int test_other_types(void) {
	sd_bus_message *m;
	const char *name, *s, *path, *mode;
	int b;

	ASSERT_PASS(encode("CPUAccounting=yes", &m, &name));
	ASSERT_STREQ(name, "CPUAccounting");
	ASSERT_OK(sd_bus_message_read(m, "v", "b", &b));
	ASSERT_TRUE(b);
	sd_bus_message_unref(m);

	ASSERT_PASS(encode("Description=A web server", &m, &name));
	ASSERT_OK(sd_bus_message_read(m, "v", "s", &s));
	ASSERT_STREQ(s, "A web server");
	sd_bus_message_unref(m);

	ASSERT_PASS(encode("DeviceAllow=/dev/net/tun rw", &m, &name));
	ASSERT_STREQ(name, "DeviceAllow");
	ASSERT_OK(sd_bus_message_read(m, "v", "a(ss)", 1, &path, &mode));
	ASSERT_STREQ(path, "/dev/net/tun");
	ASSERT_STREQ(mode, "rw");
	sd_bus_message_unref(m);

	/* Without a mode, all of it. */
	ASSERT_PASS(encode("DeviceAllow=/dev/fuse", &m, &name));
	ASSERT_OK(sd_bus_message_read(m, "v", "a(ss)", 1, &path, &mode));
	ASSERT_STREQ(mode, "rwm");
	sd_bus_message_unref(m);
	return 0;
}

static int test_refused(void) {
	static const char *const bad[] = {
		"CPUWeight=0", "CPUWeight=10001", "CPUWeight=", "CPUWeight=-5", "MemoryMax=1X", "MemoryMax=G",
		"MemoryMax=", "MemoryMax=99999999999999999999", "MemoryMax=20000000000T", "TasksMax=ten",
		"CPUQuota=50", "CPUQuota=0%", "CPUQuota=%", "CPUAccounting=maybe", "Description=",
		"DeviceAllow=/dev/null rx", "DeviceAllow=", "MemoryMax",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (unit_property_check(bad[i]) >= 0)
			TEST_FAIL("'%s' was taken", bad[i]);
	ASSERT_ERR(unit_property_check("CPUWeight=0"), -EINVAL);
	ASSERT_ERR(unit_property_check("FooBar=1"), -ENOENT);
	ASSERT_ERR(unit_property_check("memorymax=1G"), -ENOENT);
	ASSERT_ERR(unit_property_check("MemoryMaxX=1G"), -ENOENT);
	ASSERT_OK(unit_property_check("KillMode=mixed"));
	/* What an error message lists. */
	ASSERT_CONTAINS(unit_property_names(), "CPUAccounting, ");
	ASSERT_CONTAINS(unit_property_names(), "MemoryMax");
	ASSERT_CONTAINS(unit_property_names(), "DeviceAllow");
	return 0;
}

static int test_setup(void) {
	return bus_open();
}

static int test_teardown(void) {
	bus = sd_bus_flush_close_unref(bus);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(setup), TEST_ENTRY(numbers), TEST_ENTRY(other_types), TEST_ENTRY(refused),
	   TEST_ENTRY(teardown))
