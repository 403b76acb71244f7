/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "cgroup.h"

/* Resource limits and per-controller cgroups for machines berth runs without a service manager.
 * On a hybrid host the cgroup2 tree has no controllers, so the container also gets a cgroup of its
 * own in each v1 hierarchy it needs: <mount>/machine.slice/machine-NAME.scope. */

/* pid for cgroup_v1_join: the calling process itself, whatever PID namespace it is in. */
#define CGROUP_JOIN_SELF ((pid_t) -1)

/* Makes (or finds) the machine's cgroup in the v1 hierarchy of controller and moves pid into it
 * (0: nobody yet; CGROUP_JOIN_SELF: the caller); its path goes to ret_path (may be NULL). -ENOENT
 * when that hierarchy is not mounted. Logs. */
int cgroup_v1_join(const char *controller, const char *machine, pid_t pid, char **ret_path);
/* Removes the machine's cgroups in every v1 hierarchy, once their processes are gone. Missing is
 * success. Used by the guardian, so it does not log. */
int cgroup_v1_remove(const char *machine);

/* Applies the --property= assignments berth can write itself (MemoryMax=, CPUQuota=, TasksMax=) to
 * the payload of cg, whose first process is pid: in the cgroup2 tree when it has the controller,
 * else in the v1 hierarchy. Any other property, an unavailable controller and --slice= are refused
 * with an error naming them, since there is no service manager to take them. Logs. */
int cgroup_resources_apply(const MachineCgroup *cg, const char *machine, pid_t pid, char *const *properties,
			   const char *slice);
