/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The org.freedesktop.machine1 client of berthctl: machines as systemd-machined knows them, and the
 * verbs it carries out for any manager's machine (terminate, kill, login). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-util.h"
#include "fd-util.h"
#include "log.h"
#include "machined.h"
#include "process-util.h"

#define MACHINED "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"

/* A ping starts machined if it is only activatable, and fails when it cannot run (not installed,
 * masked), so a failed start does not count as reachable. */
static bool machined_answers(sd_bus *bus) {
	return sd_bus_call_method(bus, MACHINED, MACHINED_PATH, "org.freedesktop.DBus.Peer", "Ping",
				  NULL, NULL, NULL) >= 0;
}

sd_bus *machined_bus(void) {
	static sd_bus *bus;
	static bool looked;

	if (looked)
		return bus;
	looked = true;
	if (sd_bus_open_system(&bus) < 0)
		return bus = NULL;
	if (!machined_answers(bus))
		bus = sd_bus_flush_close_unref(bus);
	return bus;
}

/* The cgroup of a unit, as an absolute path in this host's cgroup2 hierarchy. */
static char *unit_cgroup(sd_bus *bus, const char *unit) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *unit_path, *suffix = strrchr(unit, '.'), *root;
	_cleanup_free_ char *interface = NULL, *cg = NULL;
	CgroupLayout layout;
	char *ret = NULL;

	if (!suffix || cgroup_detect(&layout, &root) < 0)
		return NULL;
	/* "machine-x.scope" has its ControlGroup on org.freedesktop.systemd1.Scope, and so on. */
	if (asprintf(&interface, "org.freedesktop.systemd1.%c%s", suffix[1] & ~0x20, suffix + 2) < 0)
		return NULL;
	if (sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "GetUnit", NULL, &reply, "s", unit) < 0 ||
	    sd_bus_message_read(reply, "o", &unit_path) < 0 ||
	    sd_bus_get_property_string(bus, "org.freedesktop.systemd1", unit_path, interface, "ControlGroup",
				       NULL, &cg) < 0 || !cg || !*cg)
		return NULL;
	return asprintf(&ret, "%s%s", root, cg) < 0 ? NULL : ret;
}

static int read_string(sd_bus_message *m, char **ret) {
	const char *s;
	int r = sd_bus_message_read(m, "v", "s", &s);
	if (r < 0)
		return r;
	free(*ret);
	*ret = *s ? strdup(s) : NULL;
	return *s && !*ret ? -ENOMEM : 0;
}

static int read_id(sd_bus_message *m, sd_id128_t *ret) {
	const void *bytes;
	size_t n;
	int r;

	r = sd_bus_message_enter_container(m, 'v', "ay");
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'y', &bytes, &n);
	if (r >= 0 && n == sizeof(*ret))
		memcpy(ret, bytes, n);
	return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* The properties of the machine object at path: one GetAll call. */
static int read_machine(sd_bus *bus, const char *path, MachineRecord *ret) {
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	MachineRecord m = {};
	uint32_t leader = 0;
	int r;

	r = sd_bus_call_method(bus, MACHINED, path, "org.freedesktop.DBus.Properties", "GetAll", NULL, &reply,
			       "s", "org.freedesktop.machine1.Machine");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;
		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (streq(key, "Name"))
			r = read_string(reply, &m.name);
		else if (streq(key, "Unit"))
			r = read_string(reply, &m.unit);
		else if (streq(key, "RootDirectory"))
			r = read_string(reply, &m.root);
		else if (streq(key, "Class"))
			r = read_string(reply, &m.class);
		else if (streq(key, "Service"))
			r = read_string(reply, &m.service);
		else if (streq(key, "Leader"))
			r = sd_bus_message_read(reply, "v", "u", &leader);
		else if (streq(key, "Timestamp"))
			r = sd_bus_message_read(reply, "v", "t", &m.start_usec);
		else if (streq(key, "Id"))
			r = read_id(reply, &m.id);
		else
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r < 0 || !m.name) {
		machine_record_done(&m);
		return r < 0 ? r : -EBADMSG;
	}
	m.leader = (pid_t) leader;
	if (m.leader > 0)
		(void) process_start_time(m.leader, &m.leader_start);

	/* berth's own record knows the machine's cgroup with its payload split; others' machines
	 * have the cgroup of their unit. */
	MachineRecord own = {};
	if (machine_record_read(MACHINE_RECORD_DIR, m.name, &own) >= 0 && own.leader == m.leader) {
		m.cgroup = own.cgroup;
		own.cgroup = NULL;
	} else if (m.unit)
		m.cgroup = unit_cgroup(bus, m.unit);
	machine_record_done(&own);
	*ret = m;
	return 0;
}

int machined_get_machine(sd_bus *bus, const char *name, MachineRecord *ret) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r;

	r = sd_bus_call_method(bus, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "GetMachine", &error, &reply, "s", name);
	if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
		return -ENXIO;
	if (r < 0)
		return log_error_errno(r, "Failed to ask systemd-machined for machine '%s': %s", name,
				       error.message ?: strerror(-r));
	r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = read_machine(bus, path, ret);
	if (r < 0)
		return log_error_errno(r, "Failed to read machine '%s' from systemd-machined: %m", name);
	return 0;
}

int machined_list_machines(sd_bus *bus, MachineRecord **ret, size_t *ret_n) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	MachineRecord *list = NULL;
	const char *path;
	size_t n = 0;
	int r;

	r = sd_bus_call_method(bus, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "ListMachines", &error, &reply, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to list machines of systemd-machined: %s", error.message ?: strerror(-r));
	r = sd_bus_message_enter_container(reply, 'a', "(ssso)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(ssso)", NULL, NULL, NULL, &path)) > 0) {
		MachineRecord m = {};
		/* A machine gone between the list and the question is simply not listed. */
		if (read_machine(bus, path, &m) < 0)
			continue;
		MachineRecord *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			machine_record_done(&m);
			r = -ENOMEM;
			break;
		}
		list = grown;
		list[n++] = m;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			machine_record_done(&list[i]);
		free(list);
		return log_error_errno(r, "Failed to read the machines of systemd-machined: %m");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int machined_kill(sd_bus *bus, const char *name, const char *whom, int sig) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "KillMachine", &error, NULL,
			       "ssi", name, whom, (int32_t) sig);
	if (r < 0)
		return log_error_errno(r, "Failed to send signal %d to machine '%s': %s", sig, name,
				       error.message ?: strerror(-r));
	return 0;
}

int machined_terminate(sd_bus *bus, const char *name) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "TerminateMachine", &error, NULL,
			       "s", name);
	if (r < 0)
		return log_error_errno(r, "Failed to terminate machine '%s': %s", name, error.message ?: strerror(-r));
	return 0;
}

int machined_open_login(sd_bus *bus, const char *name) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *pty_path;
	int fd, r;

	r = sd_bus_call_method(bus, MACHINED, MACHINED_PATH, MACHINED_MANAGER, "OpenMachineLogin", &error, &reply,
			       "s", name);
	if (r >= 0)
		r = sd_bus_message_read(reply, "hs", &fd, &pty_path);
	if (r < 0)
		return log_error_errno(r, "Failed to get a login prompt in machine '%s': %s", name,
				       error.message ?: strerror(-r));
	/* The message owns its fd. */
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to take the login pty of machine '%s': %m", name);
	return fd;
}
