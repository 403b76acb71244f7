/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "cgroup.h"

/* Device access of the container: only the nodes berth makes in its /dev (null, zero, full, random,
 * urandom, tty, net/tun, console and ptys) may be opened or made; block devices and everything else
 * are denied, even to a root that may call mknod. On a hybrid host the v1 devices controller
 * enforces it (the machine's own cgroup there, which pid joins); with no v1 devices hierarchy, a
 * BPF device program on the payload's cgroup2 directory. Logs. */
int cgroup_devices_apply(const MachineCgroup *cg, const char *machine, pid_t pid);
