/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup-resources.h"
#include "fileio.h"
#include "log.h"
#include "unit-name.h"
#include "unit-property.h"

#define V1_ROOT "/sys/fs/cgroup"
/* The period CPUQuota= is enforced over, as systemd uses: 100 ms. */
#define CPU_PERIOD_USEC UINT64_C(100000)

static int v1_path(const char *controller, const char *machine, bool slice_only, char **ret) {
	_cleanup_free_ char *scope = NULL;
	int r = unit_name_from_machine(machine, "machine-", ".scope", &scope);

	if (r < 0)
		return r;
	if (slice_only ? asprintf(ret, V1_ROOT "/%s/machine.slice", controller) < 0
		       : asprintf(ret, V1_ROOT "/%s/machine.slice/%s", controller, scope) < 0)
		return -ENOMEM;
	return 0;
}

static bool is_v1_hierarchy(const char *path) {
	struct statfs fs;
	return statfs(path, &fs) >= 0 && fs.f_type == CGROUP_SUPER_MAGIC;
}

int cgroup_v1_join(const char *controller, const char *machine, pid_t pid, char **ret_path) {
	_cleanup_free_ char *top = NULL, *slice = NULL, *path = NULL, *procs = NULL;
	char buf[32];
	int r;

	if (asprintf(&top, V1_ROOT "/%s", controller) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (!is_v1_hierarchy(top))
		return -ENOENT;
	if ((r = v1_path(controller, machine, true, &slice)) < 0 || (r = v1_path(controller, machine, false, &path)) < 0)
		return log_error_errno(r, "Failed to make a cgroup name for '%s': %m", machine);
	if ((mkdir(slice, 0755) < 0 && errno != EEXIST) || (mkdir(path, 0755) < 0 && errno != EEXIST))
		return log_error_errno(errno, "Failed to create cgroup '%s': %m", path);
	if (pid == 0) {
		if (ret_path)
			*ret_path = TAKE_PTR(path);
		return 0;
	}
	/* "0" is the writer itself: a process in a PID namespace of its own does not know its PID. */
	snprintf(buf, sizeof buf, "%d", pid == CGROUP_JOIN_SELF ? 0 : (int) pid);
	if (asprintf(&procs, "%s/cgroup.procs", path) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = write_string_file(procs, buf);
	if (r < 0)
		return log_error_errno(r, "Failed to move the container into '%s': %m", path);
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

int cgroup_v1_remove(const char *machine) {
	_cleanup_free_ char *scope = NULL;
	DIR *d;
	struct dirent *de;
	int r = unit_name_from_machine(machine, "machine-", ".scope", &scope);

	if (r < 0)
		return r;
	d = opendir(V1_ROOT);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char top[PATH_MAX], path[PATH_MAX];
		int k;
		/* Mount points are directories; joined hierarchies ("cpu,cpuacct") also appear as links.
		 * Most hold nothing of the machine's: looked at first, the cheaper question. */
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    (size_t) snprintf(top, sizeof top, V1_ROOT "/%s", de->d_name) >= sizeof top ||
		    (size_t) snprintf(path, sizeof path, "%s/machine.slice/%s", top, scope) >= sizeof path)
			continue;
		if (access(path, F_OK) < 0)
			k = errno == ENOENT ? 0 : -errno;
		else
			k = is_v1_hierarchy(top) ? cgroup_kill_and_remove(path, 0, true) : 0;
		if (k < 0 && r >= 0)
			r = k;
	}
	closedir(d);
	return r;
}

/* Writes value to file in the payload's cgroup2 directory if the controller is there (1), else
 * 0. */
static int write_v2(const MachineCgroup *cg, const char *file, const char *value) {
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/payload/%s", cg->path, file) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (access(path, F_OK) < 0)
		return 0;
	r = write_string_file(path, value);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s' to '%s': %m", value, path);
	return 1;
}

static int write_v1(const char *controller, const char *machine, pid_t pid, const char *file, const char *value) {
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int r = cgroup_v1_join(controller, machine, pid, &dir);

	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = write_string_file(path, value);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s' to '%s': %m", value, path);
	return 1;
}

static void format_limit(uint64_t v, const char *infinity, char buf[static 32]) {
	if (v == UINT64_MAX)
		snprintf(buf, 32, "%s", infinity);
	else
		snprintf(buf, 32, "%" PRIu64, v);
}

static int apply_one(const MachineCgroup *cg, const char *machine, pid_t pid, const char *assignment) {
	char v2[64], v1[32];
	uint64_t v;
	int r = unit_property_number(assignment, &v);

	if (r < 0)
		return r;
	if (strncmp(assignment, "MemoryMax=", 10) == 0) {
		format_limit(v, "max", v2);
		if ((r = write_v2(cg, "memory.max", v2)) != 0)
			return r;
		format_limit(v, "-1", v1);
		return write_v1("memory", machine, pid, "memory.limit_in_bytes", v1);
	}
	if (strncmp(assignment, "TasksMax=", 9) == 0) {
		format_limit(v, "max", v2);
		if ((r = write_v2(cg, "pids.max", v2)) != 0)
			return r;
		return write_v1("pids", machine, pid, "pids.max", v2);
	}
	if (strncmp(assignment, "CPUQuota=", 9) == 0) {
		/* From microseconds per second to microseconds per period. */
		uint64_t quota = v / (UINT64_C(1000000) / CPU_PERIOD_USEC);
		snprintf(v2, sizeof v2, "%" PRIu64 " %" PRIu64, quota, CPU_PERIOD_USEC);
		if ((r = write_v2(cg, "cpu.max", v2)) != 0)
			return r;
		snprintf(v1, sizeof v1, "%" PRIu64, CPU_PERIOD_USEC);
		if ((r = write_v1("cpu", machine, pid, "cpu.cfs_period_us", v1)) <= 0)
			return r;
		snprintf(v1, sizeof v1, "%" PRIu64, quota);
		return write_v1("cpu", machine, pid, "cpu.cfs_quota_us", v1);
	}
	return -EMEDIUMTYPE;
}

int cgroup_resources_apply(const MachineCgroup *cg, const char *machine, pid_t pid, char *const *properties,
			   const char *slice) {
	if (slice)
		return log_error_errno(EOPNOTSUPP, "Cannot put machine '%s' in slice '%s': --slice= needs systemd, "
					       "and no service manager is reachable", machine, slice);
	for (char *const *p = properties; p && *p; p++) {
		int r = apply_one(cg, machine, pid, *p);
		if (r == -ENOENT)
			return log_error_errno(r, "Cannot apply property '%s': its cgroup controller is not available "
						  "on this host", *p);
		if (r == -EMEDIUMTYPE)
			return log_error_errno(EOPNOTSUPP, "Cannot apply property '%s' without systemd: only MemoryMax=, "
						      "CPUQuota= and TasksMax= are written to the machine's cgroup directly",
					       *p);
		if (r < 0)
			return r;
	}
	return 0;
}
