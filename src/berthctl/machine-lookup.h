/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "machine-record.h"

/* Finds the running machine called name from berth's records under MACHINE_RECORD_DIR. Logs
 * "No machine 'x'" or a bad-name error itself and returns -ENXIO or -EINVAL. */
int machine_lookup(const char *name, MachineRecord *ret);
/* Whether systemd-machined told of the machine (it then has a class), so verbs may go through it. */
static inline bool machine_known_to_machined(const MachineRecord *rec) {
	return rec->class != NULL;
}
/* All live machines, sorted by name. */
int machine_list_all(MachineRecord **ret, size_t *ret_n);
void machine_records_free(MachineRecord *recs, size_t n);
/* Opens a pidfd for the machine's leader, refusing if its PID now names another process. */
int machine_open_leader(const MachineRecord *rec);
/* The cgroup holding the machine's processes only: berth keeps its supervisor in a sibling
 * "supervisor" group, which signals and the freezer must not reach. */
int machine_payload_cgroup(const MachineRecord *rec, char **ret);

/* Moves this process into the machine's namespaces (those that differ from ours, its user namespace
 * first), through its leader's pidfd. A child forked afterwards is in its PID namespace. Logs. */
int machine_enter(const char *name);
