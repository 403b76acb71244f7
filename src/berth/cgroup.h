/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>

/* The machine's cgroup, in the cgroup2 hierarchy: /sys/fs/cgroup on unified hosts, or
 * /sys/fs/cgroup/unified on hybrid hosts (v1 controllers plus a cgroup2 tree for tracking).
 * Layout: <root>/machine.slice/machine-NAME.scope/{payload,supervisor}: the container starts in
 * payload, which its cgroup namespace makes its root; berth itself moves to supervisor. */

typedef enum CgroupLayout {
	CGROUP_LAYOUT_UNIFIED,
	CGROUP_LAYOUT_HYBRID,
	_CGROUP_LAYOUT_MAX,
	_CGROUP_LAYOUT_INVALID = -EINVAL,
} CgroupLayout;

typedef struct MachineCgroup {
	CgroupLayout layout;
	char *path;      /* the machine's cgroup directory */
	int payload_fd;  /* O_DIRECTORY fd of path/payload, for CLONE_INTO_CGROUP */
	char *root;      /* where the cgroup2 hierarchy is mounted */
	char *origin;    /* berth's own cgroup before cgroup_attach_self, relative to root */
} MachineCgroup;

/* Where the cgroup2 hierarchy is mounted and what kind of host this is. */
int cgroup_detect(CgroupLayout *ret_layout, const char **ret_root);

/* Creates the machine's cgroup; -EBUSY if one with processes exists already. */
int cgroup_create_machine(const char *machine, MachineCgroup *ret);
void cgroup_machine_done(MachineCgroup *cg);
/* Moves the calling process into the machine's supervisor cgroup, remembering where it was. */
int cgroup_attach_self(MachineCgroup *cg);
/* Moves the calling process back out (to where it was, else to the root), so the machine's
 * cgroup can be removed while berth still runs. */
int cgroup_detach_self(MachineCgroup *cg);

/* Kills every process in the cgroup tree at path, waits (up to timeout_usec) until it is empty and
 * removes it, deepest directories first. Missing is success. Used by the guardian, so it does
 * not log. */
int cgroup_kill_and_remove(const char *path, unsigned long long timeout_usec);
