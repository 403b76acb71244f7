/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "mount-custom.h"
#include "network.h"

/* The guardian is a small process forked before the container starts. It waits until berth is
 * gone, whether it exited or was killed with SIGKILL, and then removes what the machine left on
 * the host: it kills what remains in the machine's cgroup and removes the cgroup, moves interfaces
 * back from the container and removes the links and zone bridges berth made for it, and removes the
 * machine's runtime record. Teardown always goes through it, so the path taken after a SIGKILL is
 * the one every normal exit exercises too. */

typedef struct Guardian {
	pid_t pid;
	int socket_fd; /* berth's end; closing it (or dying) starts the teardown */
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

/* Forks the guardian. keep_fd (or -1) stays open in it, e.g. the tree lock, so the lock is only
 * released once the teardown is complete. */
int guardian_start(const GuardianTask *task, int keep_fd, Guardian *ret);
/* Tells the guardian what the container's network is now (after it was set up, or torn down by
 * berth itself); it holds on to the network namespace. */
int guardian_update_network(Guardian *g, const NetifState *network);
/* Starts the teardown and waits for it to finish; returns the guardian's result. */
int guardian_finish(Guardian *g);
