/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "mount-custom.h"
#include "network.h"

/* The guardian is a small process started before the container. It waits until berth is gone,
 * whether it finished or was killed with SIGKILL, and then removes what the machine left on the
 * host: it kills what remains in the machine's cgroup and removes the cgroup, moves interfaces back
 * from the container and removes the links and zone bridges berth made for it, and removes the
 * machine's runtime record. Teardown always goes through it, so the code run after a SIGKILL is
 * the code every normal exit exercises too.
 *
 * It costs berth no copy of its memory: it is cloned with CLONE_VM onto a stack of its own and
 * only waits, in system calls, while berth runs. When berth finishes, berth waits for it, so it
 * tears down in the memory they share with nobody else using it. When berth died instead (its
 * memory may be anything, e.g. a malloc cut short), it executes berth's binary afresh and the
 * new process tears down from what berth prepared for that case and what it sent on the way. */

typedef struct GuardianShared GuardianShared;

typedef struct Guardian {
	pid_t pid;
	int socket_fd; /* berth's end; shutting it down starts the teardown */
	GuardianShared *shared; /* what the guardian reads, owned by berth */
} Guardian;

typedef struct GuardianTask {
	const char *machine;
	const char *record_dir;
	const char *cgroup_path;
	bool remove_cgroup; /* remove cgroup_path itself too, not only what is below it */
	bool remove_v1_cgroups; /* berth made the machine's cgroups in v1 hierarchies (cgroup-resources.h) */
	const NetifState *network; /* the container's network as set up so far, or NULL */
	CustomMounts *custom_mounts; /* their overlays' work directories on the host, or NULL */
} GuardianTask;

/* Starts the guardian. keep_fd (or -1) stays open in it, e.g. the tree lock, so the lock is only
 * released once the teardown is complete. task and what it points to must live until
 * guardian_finish(). */
int guardian_start(const GuardianTask *task, int keep_fd, Guardian *ret);
/* Tells the guardian what the container's network is now (after it was set up, or torn down by
 * berth itself); it holds on to the network namespace. */
int guardian_update_network(Guardian *g, const NetifState *network);
/* Starts the teardown and waits for it to finish; returns the guardian's result. */
int guardian_finish(Guardian *g);

/* The argument with which a guardian whose berth died runs berth's binary, and what main() then
 * calls with the whole command line. */
#define GUARDIAN_EXEC_ARG "--guardian-teardown"
int guardian_exec_main(int argc, char *argv[]);
