/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "cgroup-util.h"

static bool is_cgroup2(const char *path) {
	struct statfs fs;
	return statfs(path, &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup_detect(CgroupLayout *ret_layout, const char **ret_root) {
	if (is_cgroup2("/sys/fs/cgroup")) {
		*ret_layout = CGROUP_LAYOUT_UNIFIED;
		*ret_root = "/sys/fs/cgroup";
		return 0;
	}
	if (is_cgroup2("/sys/fs/cgroup/unified")) {
		*ret_layout = CGROUP_LAYOUT_HYBRID;
		*ret_root = "/sys/fs/cgroup/unified";
		return 0;
	}
	return -EOPNOTSUPP;
}
