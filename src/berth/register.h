/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "cgroup-devices.h"
#include "settings.h"

/* berth and the service manager: on a host whose PID 1 is systemd, the machine gets a scope unit
 * of its own (or keeps berth's unit, with --keep-unit) and is registered with systemd-machined
 * (org.freedesktop.machine1), so machinectl and the other systemd tools see it. */

typedef struct Registration {
	sd_bus *bus;    /* the system bus; NULL when the host has no service manager to talk to */
	bool machined;  /* register the machine with systemd-machined */
	bool registered; /* the machine is registered right now */
} Registration;

/* The machine as the service manager is told about it. */
typedef struct MachineInfo {
	const char *name;
	sd_id128_t id;     /* the guest's machine id */
	pid_t leader;      /* the container's PID 1, in berth's PID namespace */
	const char *root;  /* the directory the machine runs from */
	const char *slice; /* NULL: machine.slice */
	int kill_signal;
	char **properties; /* --property= assignments */
	const int *ifindices; /* the host side of its network interfaces */
	size_t n_ifindices;
	const BoundDevices *devices; /* bound device nodes its scope lets it open, or NULL */
} MachineInfo;

/* Finds out what the host offers: on a systemd host, connects to the system bus and, unless
 * --register=no, checks that systemd-machined answers. Without it, --register=yes fails; auto goes
 * on and says so in one line (unless quiet). Logs. */
int register_prepare(const Settings *s, Registration *ret);

/* Creates the machine's scope with the leader in it and waits until it exists: systemd-machined
 * makes it when the machine is registered (CreateMachineWithNetwork), systemd does otherwise
 * (StartTransientUnit). Logs. */
int register_create_scope(Registration *reg, const MachineInfo *m);

/* Registers a machine whose leader already runs in its unit (RegisterMachineWithNetwork): berth's
 * own with --keep-unit, or the scope of an earlier start after a reboot. Logs. */
int register_machine(Registration *reg, const MachineInfo *m);

/* UnregisterMachine, if registered; a machine machined already forgot is fine. */
void register_unregister(Registration *reg, const char *name);

void registration_done(Registration *reg);
