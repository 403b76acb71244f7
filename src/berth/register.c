/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "libraries.h"
#include "libsystemd-dl.h"
#include "log.h"
#include "register.h"
#include "time-util.h"
#include "unit-name.h"
#include "unit-property.h"

#define MACHINED_SERVICE "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* How long systemd may take to start the machine's scope: it only moves a process and makes a
 * cgroup, but a busy manager answers late. */
#define SCOPE_JOB_TIMEOUT_USEC (60ULL * 1000000ULL)

/* Only the library sets an error: without it open, there is nothing to free. */
static void bus_error_freep(sd_bus_error *e) {
	if (dl_library_is_open(&dl_libsystemd))
		sym_sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(bus_error_freep)

/* What sd_booted(3) checks: systemd made this directory when it started as the host's init. */
static bool host_runs_systemd(void) {
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bus's words for an error when it has some, else the errno's. */
static const char *bus_error_text(const sd_bus_error *e, int r) {
	if (e && e->message)
		return e->message;
	return strerror(r < 0 ? -r : r);
}

/* Why the machine cannot be registered: NULL when it can. Fills *ret_error on a bus failure. */
static const char *machined_unreachable(Registration *reg, sd_bus_error *error) {
	int r;

	if (!reg->bus)
		return "this host does not run systemd";
	/* Ping activates machined when it is not running yet, as any call to it would. */
	r = sym_sd_bus_call_method(reg->bus, MACHINED_SERVICE, MACHINED_PATH, "org.freedesktop.DBus.Peer", "Ping",
				   error, NULL, NULL);
	if (r < 0)
		return bus_error_text(error, r);
	return NULL;
}

int register_prepare(const Settings *s, Registration *ret) {
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	Registration reg = {};
	const char *why;
	int r;

	if (host_runs_systemd()) {
		r = library_open(&dl_libsystemd, "talking to systemd");
		if (r < 0)
			return r;
		r = sym_sd_bus_open_system(&reg.bus);
		if (r < 0) {
			if (s->register_mode == REGISTER_YES)
				return log_error_errno(r, "Cannot register machine '%s': failed to connect to the "
							  "system bus: %m", s->machine);
			/* Without the bus, systemd cannot make a scope either: berth's own cgroup it is. */
			log_warning_errno(r, "Failed to connect to the system bus, running machine '%s' without "
					     "systemd: %m", s->machine);
			reg.bus = NULL;
		}
	}
	if (s->register_mode == REGISTER_NO) {
		*ret = reg;
		return 0;
	}

	why = machined_unreachable(&reg, &error);
	if (!why)
		reg.machined = true;
	else if (s->register_mode == REGISTER_YES) {
		log_error("Cannot register machine '%s' (--register=yes): systemd-machined is not reachable: %s",
			  s->machine, why);
		registration_done(&reg);
		return -EHOSTUNREACH;
	} else if (!s->quiet)
		log_info("Not registering machine '%s' with systemd-machined: %s", s->machine, why);
	*ret = reg;
	return 0;
}

/* What systemd-nspawn's scope and unit allow too: the container may create tun devices and use
 * its ptys; berth itself (which runs in the scope too) may use loop devices for disk images; the
 * container may open the device nodes bound into it. */
static int append_device_policy(sd_bus_message *msg, const BoundDevices *bound) {
	int r = sym_sd_bus_message_append(msg, "(sv)(sv)", "DevicePolicy", "s", "closed", "DeviceAllow", "a(ss)", 5,
					  "/dev/net/tun", "rwm", "char-pts", "rw", "/dev/loop-control", "rw",
					  "block-loop", "rw", "block-blkext", "rw");

	/* By number, as /dev/char/MAJOR:MINOR: systemd takes only paths below /dev/, and reads these
	 * without looking the node up, so a source elsewhere (or gone by then) is the node stat()ed. */
	for (size_t i = 0; r >= 0 && bound && i < bound->n; i++) {
		const BoundDevice *b = &bound->devices[i];
		char node[64];
		snprintf(node, sizeof node, "/dev/%s/%u:%u", b->block ? "block" : "char", major(b->rdev), minor(b->rdev));
		r = sym_sd_bus_message_append(msg, "(sv)", "DeviceAllow", "a(ss)", 1, node, b->read_only ? "r" : "rw");
	}
	return r;
}

static int append_scope_properties(sd_bus_message *msg, const MachineInfo *m) {
	_cleanup_free_ char *description = NULL;
	int r;

	if (asprintf(&description, "Container %s", m->name) < 0)
		return -ENOMEM;
	r = sym_sd_bus_message_open_container(msg, 'a', "(sv)");
	if (r < 0)
		return r;
	/* A failed scope would stay loaded and block the name for the next start. */
	r = sym_sd_bus_message_append(msg, "(sv)(sv)(sv)(sv)", "Slice", "s", m->slice ?: "machine.slice", "Description",
				      "s", description, "Delegate", "b", 1, "CollectMode", "s", "inactive-or-failed");
	if (r < 0 || (r = append_device_policy(msg, m->devices)) < 0)
		return r;
	r = sym_sd_bus_message_append(msg, "(sv)(sv)", "KillMode", "s", "mixed", "KillSignal", "i", m->kill_signal);
	if (r < 0)
		return r;
	for (char **p = m->properties; p && *p; p++) {
		r = unit_property_append(msg, *p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The arguments CreateMachineWithNetwork and RegisterMachineWithNetwork share, the host side of
 * the machine's network interfaces last. */
static int append_machine(sd_bus_message *msg, const MachineInfo *m) {
	int r = sym_sd_bus_message_append(msg, "sayssus", m->name, SD_BUS_MESSAGE_APPEND_ID128(m->id), "berth",
					  "container", (uint32_t) m->leader, m->root);
	if (r < 0)
		return r;
	return sym_sd_bus_message_append_array(msg, 'i', m->ifindices, m->n_ifindices * sizeof(int));
}

static int create_machine(Registration *reg, const MachineInfo *m) {
	_cleanup_(sym_sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sym_sd_bus_message_new_method_call(reg->bus, &msg, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER,
					       "CreateMachineWithNetwork");
	if (r >= 0)
		r = append_machine(msg, m);
	if (r >= 0)
		r = append_scope_properties(msg, m);
	if (r >= 0)
		r = sym_sd_bus_message_close_container(msg);
	if (r < 0)
		return log_error_errno(r, "Failed to build the registration of machine '%s': %m", m->name);
	/* machined answers once the scope's start job finished. */
	r = sym_sd_bus_call(reg->bus, msg, 0, &error, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to register machine '%s' with systemd-machined: %s", m->name,
				       bus_error_text(&error, r));
	reg->registered = true;
	return 0;
}

typedef struct JobWait {
	char *path;
	char *result;
} JobWait;

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
	JobWait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	if (sym_sd_bus_message_read(msg, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->path && streq(path, w->path) && !w->result)
		w->result = strdup(result);
	return 0;
}

/* Processes the bus until systemd says how job w->path ended. */
static int wait_for_job(sd_bus *bus, JobWait *w) {
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + SCOPE_JOB_TIMEOUT_USEC;

	while (!w->result) {
		int r = sym_sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (now_usec(CLOCK_MONOTONIC) >= deadline)
			return -ETIMEDOUT;
		r = sym_sd_bus_wait(bus, deadline - now_usec(CLOCK_MONOTONIC));
		if (r < 0)
			return r;
	}
	return streq(w->result, "done") ? 0 : -EIO;
}

static int start_scope(Registration *reg, const MachineInfo *m) {
	_cleanup_(sym_sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sym_sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_free_ char *scope = NULL;
	JobWait w = {};
	const char *job;
	int r;

	r = unit_name_from_machine(m->name, "machine-", ".scope", &scope);
	if (r < 0)
		return log_error_errno(r, "Failed to make a scope name for '%s': %m", m->name);
	/* Before the call, so the job's end cannot pass unseen. */
	r = sym_sd_bus_match_signal(reg->bus, &slot, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
				    on_job_removed, &w);
	if (r < 0)
		return log_error_errno(r, "Failed to watch systemd's jobs: %m");

	r = sym_sd_bus_message_new_method_call(reg->bus, &msg, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
					       "StartTransientUnit");
	if (r >= 0)
		r = sym_sd_bus_message_append(msg, "ss", scope, "fail");
	if (r >= 0)
		r = append_scope_properties(msg, m);
	if (r >= 0)
		r = sym_sd_bus_message_append(msg, "(sv)", "PIDs", "au", 1, (uint32_t) m->leader);
	if (r >= 0)
		r = sym_sd_bus_message_close_container(msg);
	if (r >= 0)
		r = sym_sd_bus_message_append(msg, "a(sa(sv))", 0);
	if (r < 0)
		return log_error_errno(r, "Failed to build the request for scope '%s': %m", scope);
	r = sym_sd_bus_call(reg->bus, msg, 0, &error, &reply);
	if (r < 0)
		return log_error_errno(r, "Failed to create scope '%s' for machine '%s': %s", scope, m->name,
				       bus_error_text(&error, r));
	r = sym_sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return log_error_errno(r, "Failed to read systemd's answer for scope '%s': %m", scope);
	w.path = strdup(job);
	if (!w.path)
		return log_error_errno(ENOMEM, "Out of memory");
	r = wait_for_job(reg->bus, &w);
	if (r < 0)
		log_error_errno(r, "Failed to start scope '%s' for machine '%s' (job %s): %m", scope, m->name,
				w.result ?: "unfinished");
	free(w.path);
	free(w.result);
	return r;
}

int register_create_scope(Registration *reg, const MachineInfo *m) {
	return reg->machined ? create_machine(reg, m) : start_scope(reg, m);
}

int register_machine(Registration *reg, const MachineInfo *m) {
	_cleanup_(sym_sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (!reg->machined)
		return 0;
	r = sym_sd_bus_message_new_method_call(reg->bus, &msg, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER,
					       "RegisterMachineWithNetwork");
	if (r >= 0)
		r = append_machine(msg, m);
	if (r < 0)
		return log_error_errno(r, "Failed to build the registration of machine '%s': %m", m->name);
	r = sym_sd_bus_call(reg->bus, msg, 0, &error, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to register machine '%s' with systemd-machined: %s", m->name,
				       bus_error_text(&error, r));
	reg->registered = true;
	return 0;
}

void register_unregister(Registration *reg, const char *name) {
	_cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	if (!reg->registered)
		return;
	reg->registered = false;
	r = sym_sd_bus_call_method(reg->bus, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER, "UnregisterMachine",
				   &error, NULL, "s", name);
	/* Once the machine's unit is gone, machined forgets the machine by itself. */
	if (r < 0 && !sym_sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
		log_warning("Failed to unregister machine '%s' from systemd-machined, ignoring: %s", name,
			    bus_error_text(&error, r));
}

void registration_done(Registration *reg) {
	if (reg->bus)
		reg->bus = sym_sd_bus_flush_close_unref(reg->bus);
	*reg = (Registration) {};
}
