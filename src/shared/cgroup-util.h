/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>

/* Where a host's cgroup2 hierarchy is: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on
 * hybrid hosts (v1 controllers plus a cgroup2 tree for tracking). */

typedef enum CgroupLayout {
	CGROUP_LAYOUT_UNIFIED,
	CGROUP_LAYOUT_HYBRID,
	_CGROUP_LAYOUT_MAX,
	_CGROUP_LAYOUT_INVALID = -EINVAL,
} CgroupLayout;

/* The layout and where the cgroup2 hierarchy is mounted; -EOPNOTSUPP without one. */
int cgroup_detect(CgroupLayout *ret_layout, const char **ret_root);
