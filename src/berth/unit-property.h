/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

/* Unit properties given with --property=NAME=VALUE for the machine's scope, as systemd-run takes
 * them: resource control (CPUWeight=, MemoryMax=, TasksMax=, ...), accounting, devices and a few
 * more, each sent to the service manager in its D-Bus type. */

/* Checks an assignment: 0, -ENOENT for a name berth does not know, -EINVAL for a bad value. */
int unit_property_check(const char *assignment);
/* Appends the assignment to an open "a(sv)" container of m. */
int unit_property_append(sd_bus_message *m, const char *assignment);
/* The value of a numeric assignment (bytes, a count, or CPUQuota= as microseconds per second;
 * UINT64_MAX for "infinity"): -ENOENT for an unknown name, -EMEDIUMTYPE for one that is no number. */
int unit_property_number(const char *assignment, uint64_t *ret);
/* The names berth knows, as "A, B, C", for error messages. */
const char *unit_property_names(void);
