/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signals and state changes: stop, poweroff, reboot, terminate, kill, pause, resume, and the
 * unit verbs start, enable and disable. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "berthctl.h"
#include "fileio.h"
#include "log.h"
#include "machine-lookup.h"
#include "machined.h"
#include "name-util.h"
#include "process-util.h"
#include "strv.h"

static int signal_leader(const MachineRecord *rec, int sig) {
	_cleanup_close_ int pidfd = -EBADF;
	int r;

	if (machine_known_to_machined(rec))
		return machined_kill(machined_bus(), rec->name, "leader", sig);
	pidfd = machine_open_leader(rec);
	if (pidfd < 0)
		return pidfd;
	r = pidfd_send(pidfd, sig);
	if (r < 0)
		return log_error_errno(r, "Failed to send signal %d to machine '%s': %m", sig, rec->name);
	return 0;
}

/* Sends sig to every process in the cgroup tree at path. Processes are signalled by PID from
 * cgroup.procs; a process that exits in between is simply gone. */
static int signal_cgroup(const char *path, int sig) {
	_cleanup_free_ char *procs_path = NULL, *procs = NULL;
	DIR *d;
	int ret = 0;

	if (asprintf(&procs_path, "%s/cgroup.procs", path) < 0)
		return -ENOMEM;
	if (read_full_file(procs_path, &procs, NULL) >= 0) {
		char *save = NULL;
		for (char *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (kill((pid_t) atoi(l), sig) < 0 && errno != ESRCH)
				ret = -errno;
	}
	d = opendir(path);
	if (!d)
		return ret;
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *sub = NULL;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
			break;
		int r = signal_cgroup(sub, sig);
		if (r < 0)
			ret = r;
	}
	closedir(d);
	return ret;
}

typedef int (*MachineAction)(const MachineRecord *rec, const char *verb);

static int for_each_machine(int argc, char *argv[], MachineAction action) {
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		MachineRecord rec = {};
		int r = machine_lookup(argv[i], &rec);
		if (r >= 0)
			r = action(&rec, argv[0]);
		if (r < 0)
			ret = r;
		machine_record_done(&rec);
	}
	return ret;
}

static int action_signal_leader(const MachineRecord *rec, const char *verb) {
	/* The container's init powers off on SIGRTMIN+4 and reboots on SIGINT, as under nspawn. */
	return signal_leader(rec, streq(verb, "reboot") ? SIGINT : SIGRTMIN + 4);
}

int verb_signal_leader(int argc, char *argv[]) {
	return for_each_machine(argc, argv, action_signal_leader);
}

static int action_terminate(const MachineRecord *rec, const char *verb) {
	_cleanup_free_ char *cg = NULL;
	int r;

	/* machined stops the machine's unit, berth included, as systemctl stop would. */
	if (machine_known_to_machined(rec))
		return machined_terminate(machined_bus(), rec->name);
	r = machine_payload_cgroup(rec, &cg);
	if (r < 0)
		return r;
	r = signal_cgroup(cg, SIGKILL);
	if (r < 0)
		return log_error_errno(r, "Failed to terminate machine '%s': %m", rec->name);
	return 0;
}

int verb_terminate(int argc, char *argv[]) {
	return for_each_machine(argc, argv, action_terminate);
}

static int action_kill(const MachineRecord *rec, const char *verb) {
	int sig = arg.signal > 0 ? arg.signal : SIGTERM;
	_cleanup_free_ char *cg = NULL;
	int r;

	if (streq_ptr(arg.kill_whom, "leader"))
		return signal_leader(rec, sig);
	/* machined signals the whole unit, which for berth's machines holds berth itself: berth's
	 * machines get the signal in their payload cgroup only, so berth goes on supervising. */
	if (machine_known_to_machined(rec) && !streq(rec->service, "berth"))
		return machined_kill(machined_bus(), rec->name, "all", sig);
	r = machine_payload_cgroup(rec, &cg);
	if (r < 0)
		return r;
	r = signal_cgroup(cg, sig);
	if (r < 0)
		return log_error_errno(r, "Failed to send signal %d to machine '%s': %m", sig, rec->name);
	return 0;
}

int verb_kill(int argc, char *argv[]) {
	return for_each_machine(argc, argv, action_kill);
}

/* Freezing is asynchronous: cgroup.events says "frozen 1" once every task has stopped. The
 * kernel signals a change of that file with POLLPRI. */
static int wait_frozen(const char *cg, bool frozen) {
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *want = frozen ? "frozen 1" : "frozen 0";

	if (asprintf(&path, "%s/cgroup.events", cg) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int tries = 0; tries < 100; tries++) {
		char buf[256];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return -errno;
		buf[n] = 0;
		if (strstr(buf, want))
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

static int action_freeze(const MachineRecord *rec, const char *verb) {
	_cleanup_free_ char *cg = NULL, *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	bool freeze = streq(verb, "pause");
	int r;

	/* The v2 freezer is part of the core of the unified hierarchy, so it also works for a
	 * machine cgroup on the unified tree of a hybrid host. */
	r = machine_payload_cgroup(rec, &cg);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/cgroup.freeze", cg) < 0)
		return log_error_errno(-ENOMEM, "Out of memory");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to open '%s': %m", path);
	if (write(fd, freeze ? "1" : "0", 1) != 1)
		return log_error_errno(-errno, "Failed to %s machine '%s': %m", verb, rec->name);
	r = wait_frozen(cg, freeze);
	if (r < 0)
		return log_error_errno(r, "Machine '%s' did not %s: %m", rec->name, freeze ? "freeze" : "thaw");
	return 0;
}

int verb_pause(int argc, char *argv[]) {
	return for_each_machine(argc, argv, action_freeze);
}

static int connect_systemd(sd_bus **ret) {
	int r;

	if (access("/run/systemd/system", F_OK) < 0)
		return log_error_errno(-EOPNOTSUPP, "This host does not run systemd: start machines with 'berth' directly");
	r = sd_bus_open_system(ret);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus: %m");
	return 0;
}

static int unit_for(const char *name, char **ret) {
	if (!machine_name_is_valid(name))
		return log_invalid("Invalid machine name '%s'", name);
	if (asprintf(ret, "berth@%s.service", name) < 0)
		return log_error_errno(-ENOMEM, "Out of memory");
	return 0;
}

static int unit_call(sd_bus *bus, const char *method, const char *unit) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", method, &error, &reply, "ss", unit, "replace");
	sd_bus_message_unref(reply);
	if (r < 0)
		return log_error_errno(r, "Failed to %s '%s': %s", method, unit, error.message ?: strerror(-r));
	return 0;
}

int verb_start(int argc, char *argv[]) {
	sd_bus *bus = NULL;
	int r, ret = 0;

	r = connect_systemd(&bus);
	if (r < 0)
		return r;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *unit = NULL;
		r = unit_for(argv[i], &unit);
		if (r >= 0)
			r = unit_call(bus, "StartUnit", unit);
		if (r < 0)
			ret = r;
	}
	sd_bus_flush_close_unref(bus);
	return ret;
}

static int enable_units(sd_bus *bus, bool enable, char **units) {
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager",
					   enable ? "EnableUnitFiles" : "DisableUnitFiles");
	if (r >= 0)
		r = sd_bus_message_append_strv(m, units);
	if (r >= 0)
		r = enable ? sd_bus_message_append(m, "bb", false, true) : sd_bus_message_append(m, "b", false);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &error, &reply);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	if (r < 0)
		return log_error_errno(r, "Failed to %s units: %s", enable ? "enable" : "disable",
				       error.message ?: strerror(-r));
	return sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				  "org.freedesktop.systemd1.Manager", "Reload", NULL, NULL, NULL);
}

int verb_enable(int argc, char *argv[]) {
	bool enable = streq(argv[0], "enable");
	_cleanup_strv_free_ char **units = NULL;
	sd_bus *bus = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		char *unit = NULL;
		r = unit_for(argv[i], &unit);
		if (r < 0)
			return r;
		if (strv_consume(&units, unit) < 0)
			return log_error_errno(-ENOMEM, "Out of memory");
	}
	r = connect_systemd(&bus);
	if (r < 0)
		return r;
	r = enable_units(bus, enable, units);
	for (char **u = units; r >= 0 && arg.now && *u; u++)
		r = unit_call(bus, enable ? "StartUnit" : "StopUnit", *u);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? r : 0;
}
