/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup-util.h"

/* The machine's cgroup, in the cgroup2 hierarchy: /sys/fs/cgroup on unified hosts, or
 * /sys/fs/cgroup/unified on hybrid hosts (v1 controllers plus a cgroup2 tree for tracking).
 * Layout: MACHINE/{payload,supervisor}: the container runs in payload, which its cgroup namespace
 * makes its root; berth itself moves to supervisor. Who makes MACHINE is the backend's matter. */

typedef enum CgroupBackend {
	CGROUP_BACKEND_CGROUPFS, /* no service manager: berth makes <root>/machine.slice/machine-NAME.scope */
	CGROUP_BACKEND_SCOPE,    /* systemd made a scope for the container's leader (delegated to us) */
	CGROUP_BACKEND_UNIT,     /* berth's own unit's cgroup (--keep-unit under systemd, delegated) */
	_CGROUP_BACKEND_MAX,
	_CGROUP_BACKEND_INVALID = -EINVAL,
} CgroupBackend;

typedef struct MachineCgroup {
	CgroupBackend backend;
	CgroupLayout layout;
	char *path;      /* the machine's cgroup directory */
	int payload_fd;  /* O_DIRECTORY fd of path/payload, for CLONE_INTO_CGROUP */
	char *root;      /* where the cgroup2 hierarchy is mounted */
	char *origin;    /* berth's own cgroup before cgroup_attach_self, relative to root */
} MachineCgroup;

/* CGROUP_BACKEND_CGROUPFS: creates the machine's cgroup; -EBUSY if one with processes exists already. */
int cgroup_create_machine(const char *machine, MachineCgroup *ret);
/* CGROUP_BACKEND_UNIT: the machine's cgroup is berth's own; berth moves to its supervisor cgroup. */
int cgroup_use_own(MachineCgroup *ret);
/* CGROUP_BACKEND_SCOPE: the machine's cgroup is the one leader was put in; leader moves to payload. */
int cgroup_adopt_scope(pid_t leader, MachineCgroup *ret);
/* What is left to clean once berth is gone, for the guardian: the cgroup to kill and empty, and
 * whether the directory itself is removed too (not one systemd owns). */
const char *cgroup_cleanup_path(const MachineCgroup *cg, bool *ret_remove_top);
/* The unit the machine's cgroup belongs to ("machine-NAME.scope", "berth@NAME.service"), or NULL. */
char *cgroup_unit(const MachineCgroup *cg);
void cgroup_machine_done(MachineCgroup *cg);
/* Moves the calling process into the machine's supervisor cgroup, remembering where it was, and
 * passes the controllers on to the machine's subtree. */
int cgroup_attach_self(MachineCgroup *cg);
/* Moves the calling process back out (to where it was, else to the root), so the machine's
 * cgroup can be removed while berth still runs. */
int cgroup_detach_self(MachineCgroup *cg);

/* Makes the container's root (uid, gid on the host) the owner of the payload cgroup, so that the
 * container's init may manage it from its user namespace. Logs. */
int cgroup_delegate_payload(const MachineCgroup *cg, uid_t uid, gid_t gid);

/* Kills every process in the cgroup tree at path, waits (up to timeout_usec) until it is empty and
 * removes it, deepest directories first (path itself only with remove_top). Missing is success.
 * Used by the guardian, so it does not log. */
int cgroup_kill_and_remove(const char *path, unsigned long long timeout_usec, bool remove_top);
