/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include <systemd/sd-bus.h>

#include "machine-record.h"

/* systemd-machined, where it is reachable, is where berthctl learns of running machines (berth's
 * and every other manager's) and has them signalled, terminated and logged into. */

/* The system bus when org.freedesktop.machine1 is owned or activatable there, else NULL (no bus,
 * or no machined: berthctl then serves the verbs from berth's records). Connects once. */
sd_bus *machined_bus(void);

/* The machine called name: -ENXIO when machined knows none (not logged). Fills what berth's
 * records hold (the cgroup from berth's record of it, else from its unit) plus class and service. */
int machined_get_machine(sd_bus *bus, const char *name, MachineRecord *ret);
/* Every machine machined knows. */
int machined_list_machines(sd_bus *bus, MachineRecord **ret, size_t *ret_n);

/* KillMachine: whom is "leader" or "all". Log. */
int machined_kill(sd_bus *bus, const char *name, const char *whom, int sig);
/* TerminateMachine: machined stops the machine's unit. Logs. */
int machined_terminate(sd_bus *bus, const char *name);
/* OpenMachineLogin: the master of a pty on which the machine's own service manager runs a getty.
 * Returns the fd. Logs. */
int machined_open_login(sd_bus *bus, const char *name);
