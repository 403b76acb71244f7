/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fileio.h"
#include "log.h"
#include "time-util.h"
#include "unit-name.h"

static int mkdir_exist_ok(const char *path) {
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool cgroup_is_populated(const char *path) {
	_cleanup_free_ char *events = NULL, *p = NULL;
	if (asprintf(&p, "%s/cgroup.events", path) < 0 || read_full_file(p, &events, NULL) < 0)
		return false;
	return strstr(events, "populated 1") != NULL;
}

/* Passes every controller path has on to its children, so the container can manage them in its
 * subtree (delegation). A hybrid host has none in its cgroup2 tree; best effort either way. */
static void cgroup_delegate_controllers(const char *path) {
	_cleanup_free_ char *avail_file = NULL, *control_file = NULL, *avail = NULL;
	char *save = NULL;

	if (asprintf(&avail_file, "%s/cgroup.controllers", path) < 0 ||
	    asprintf(&control_file, "%s/cgroup.subtree_control", path) < 0 ||
	    read_full_file(avail_file, &avail, NULL) < 0)
		return;
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		char word[64];
		snprintf(word, sizeof word, "+%s", c);
		(void) write_string_file(control_file, word);
	}
}

/* A process's cgroup2 path (0: this one), from its "0::" line. */
static int cgroup_pid_path(pid_t pid, char **ret) {
	_cleanup_free_ char *content = NULL;
	char file[64], *line, *end;
	int r;

	if (pid > 0)
		snprintf(file, sizeof file, "/proc/%d/cgroup", (int) pid);
	else
		strcpy(file, "/proc/self/cgroup");
	r = read_full_file(file, &content, NULL);

	if (r < 0)
		return r;
	line = strstr(content, "0::");
	if (!line || (line != content && line[-1] != '\n'))
		return -ENOENT;
	line += 3;
	end = strchrnul(line, '\n');
	*ret = strndup(line, end - line);
	return *ret ? 0 : -ENOMEM;
}

int cgroup_attach_self(MachineCgroup *cg) {
	_cleanup_free_ char *procs = NULL;
	int r;

	r = cgroup_pid_path(0, &cg->origin);
	if (r < 0)
		return log_error_errno(r, "Failed to find berth's own cgroup: %m");
	if (asprintf(&procs, "%s/supervisor/cgroup.procs", cg->path) < 0)
		return -ENOMEM;
	r = write_string_file(procs, "0");
	if (r < 0)
		return log_error_errno(r, "Failed to move berth into '%s/supervisor': %m", cg->path);
	/* Only now that no process is left in the machine's cgroup itself may its children get
	 * controllers (cgroup2's rule for inner nodes). */
	cgroup_delegate_controllers(cg->path);
	return 0;
}

int cgroup_detach_self(MachineCgroup *cg) {
	_cleanup_free_ char *procs = NULL;
	int r;

	if (!cg->origin)
		return 0;
	if (asprintf(&procs, "%s%s/cgroup.procs", cg->root, cg->origin) < 0)
		return -ENOMEM;
	r = write_string_file(procs, "0");
	if (r < 0) {
		/* The origin may be gone, or have become an inner node: the root takes any process. */
		free(procs);
		if (asprintf(&procs, "%s/cgroup.procs", cg->root) < 0)
			return -ENOMEM;
		r = write_string_file(procs, "0");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to move berth out of '%s': %m", cg->path);
	cg->origin = mfree(cg->origin);
	return 0;
}

int cgroup_create_machine(const char *machine, MachineCgroup *ret) {
	_cleanup_free_ char *scope = NULL, *slice = NULL, *path = NULL, *payload = NULL, *supervisor = NULL;
	CgroupLayout layout;
	const char *root;
	int r, fd;

	r = cgroup_detect(&layout, &root);
	if (r < 0)
		return log_error_errno(r, "No cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified: "
					  "berth needs one to track the container");
	r = unit_name_from_machine(machine, "machine-", ".scope", &scope);
	if (r < 0)
		return log_error_errno(r, "Failed to make a scope name for '%s': %m", machine);
	if (asprintf(&slice, "%s/machine.slice", root) < 0 ||
	    asprintf(&path, "%s/%s", slice, scope) < 0 ||
	    asprintf(&payload, "%s/payload", path) < 0 || asprintf(&supervisor, "%s/supervisor", path) < 0)
		return log_error_errno(ENOMEM, "Out of memory");

	if (cgroup_is_populated(path))
		return log_error_errno(EBUSY, "Cgroup '%s' still has processes", path);
	/* A leftover of a run that could not clean up is empty: start from a clean tree. */
	(void) cgroup_kill_and_remove(path, 0, true);

	if ((r = mkdir_exist_ok(slice)) < 0 || (r = mkdir_exist_ok(path)) < 0 || (r = mkdir_exist_ok(payload)) < 0 ||
	    (r = mkdir_exist_ok(supervisor)) < 0) {
		(void) cgroup_kill_and_remove(path, 0, true);
		return log_error_errno(r, "Failed to create cgroup '%s': %m", path);
	}
	cgroup_delegate_controllers(slice);
	cgroup_delegate_controllers(path);

	fd = open(payload, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = log_error_errno(errno, "Failed to open cgroup '%s': %m", payload);
		(void) cgroup_kill_and_remove(path, 0, true);
		return r;
	}
	*ret = (MachineCgroup) {
		.backend = CGROUP_BACKEND_CGROUPFS,
		.layout = layout,
		.path = TAKE_PTR(path),
		.payload_fd = fd,
		.root = strdup(root),
	};
	if (!ret->root)
		return log_error_errno(ENOMEM, "Out of memory");
	return 0;
}

/* payload and supervisor in a cgroup made by systemd; returns payload's fd. */
static int make_subgroups(const char *path) {
	_cleanup_free_ char *payload = NULL, *supervisor = NULL;
	int r, fd;

	if (asprintf(&payload, "%s/payload", path) < 0 || asprintf(&supervisor, "%s/supervisor", path) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if ((r = mkdir_exist_ok(payload)) < 0 || (r = mkdir_exist_ok(supervisor)) < 0)
		return log_error_errno(r, "Failed to create cgroups in '%s': %m", path);
	fd = open(payload, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "Failed to open cgroup '%s': %m", payload);
	return fd;
}

/* A cgroup made by systemd, where pid runs now, as the machine's. */
static int cgroup_from_pid(CgroupBackend backend, pid_t pid, MachineCgroup *ret) {
	_cleanup_free_ char *rel = NULL, *path = NULL;
	CgroupLayout layout;
	const char *root;
	int r, fd;

	r = cgroup_detect(&layout, &root);
	if (r < 0)
		return log_error_errno(r, "No cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	r = cgroup_pid_path(pid, &rel);
	if (r < 0)
		return log_error_errno(r, "Failed to find the cgroup of process %d: %m", (int) (pid ?: getpid()));
	/* A path outside our cgroup namespace (entered from outside) is no place for a machine. */
	if (strstr(rel, "/..") || streq(rel, "/"))
		return log_error_errno(EINVAL, "Process %d runs in cgroup '%s', which cannot hold a machine",
				       (int) (pid ?: getpid()), rel);
	if (asprintf(&path, "%s%s", root, rel) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	fd = make_subgroups(path);
	if (fd < 0)
		return fd;
	*ret = (MachineCgroup) {
		.backend = backend,
		.layout = layout,
		.path = TAKE_PTR(path),
		.payload_fd = fd,
		.root = strdup(root),
	};
	return ret->root ? 0 : log_error_errno(ENOMEM, "Out of memory");
}

int cgroup_use_own(MachineCgroup *ret) {
	int r = cgroup_from_pid(CGROUP_BACKEND_UNIT, 0, ret);
	return r < 0 ? r : cgroup_attach_self(ret);
}

int cgroup_adopt_scope(pid_t leader, MachineCgroup *ret) {
	_cleanup_free_ char *procs = NULL;
	char pid[32];
	int r = cgroup_from_pid(CGROUP_BACKEND_SCOPE, leader, ret);

	if (r < 0)
		return r;
	snprintf(pid, sizeof pid, "%d", (int) leader);
	if (asprintf(&procs, "%s/payload/cgroup.procs", ret->path) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = write_string_file(procs, pid);
	if (r < 0)
		return log_error_errno(r, "Failed to move the container into '%s/payload': %m", ret->path);
	return 0;
}

const char *cgroup_cleanup_path(const MachineCgroup *cg, bool *ret_remove_top) {
	static char payload[4096];

	switch (cg->backend) {
	case CGROUP_BACKEND_SCOPE:
		/* systemd removes the scope once it is empty. */
		*ret_remove_top = false;
		return cg->path;
	case CGROUP_BACKEND_UNIT:
		/* The unit lives on (the guardian too runs in it): only the container goes. */
		snprintf(payload, sizeof payload, "%s/payload", cg->path);
		*ret_remove_top = true;
		return payload;
	default:
		*ret_remove_top = true;
		return cg->path;
	}
}

char *cgroup_unit(const MachineCgroup *cg) {
	const char *base = cg->path ? strrchr(cg->path, '/') : NULL;

	if (cg->backend == CGROUP_BACKEND_CGROUPFS || !base)
		return NULL;
	return strdup(base + 1);
}

void cgroup_machine_done(MachineCgroup *cg) {
	closep(&cg->payload_fd);
	free(cg->path);
	free(cg->root);
	free(cg->origin);
	*cg = (MachineCgroup) { .payload_fd = -EBADF };
}

/* cgroup.kill (Linux 5.14) kills a whole subtree at once, racing with nothing; without it each
 * process listed is killed, which is enough since the container's PID 1 is killed too and the
 * kernel then kills the rest of its PID namespace. */
static void cgroup_kill(const char *path) {
	_cleanup_free_ char *kill_file = NULL, *procs_file = NULL, *procs = NULL;
	char *save = NULL;

	if (asprintf(&kill_file, "%s/cgroup.kill", path) < 0)
		return;
	if (write_string_file(kill_file, "1") >= 0)
		return;
	if (asprintf(&procs_file, "%s/cgroup.procs", path) < 0 || read_full_file(procs_file, &procs, NULL) < 0)
		return;
	for (char *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		(void) kill(atoi(l), SIGKILL);
}

static int cgroup_remove_tree(const char *path, bool remove_top) {
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) >= 0)
			(void) cgroup_remove_tree(sub, true);
	}
	closedir(d);
	if (remove_top && rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int cgroup_kill_and_remove(const char *path, unsigned long long timeout_usec, bool remove_top) {
	uint64_t deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;

	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	cgroup_kill(path);
	/* Killed processes leave the cgroup only once the kernel has torn them down. */
	while (cgroup_is_populated(path)) {
		if (now_usec(CLOCK_MONOTONIC) >= deadline)
			return -ETIMEDOUT;
		usleep(2000);
		cgroup_kill(path);
	}
	return cgroup_remove_tree(path, remove_top);
}

int cgroup_delegate_payload(const MachineCgroup *cg, uid_t uid, gid_t gid) {
	/* What systemd itself hands to the owner of a delegated cgroup. */
	static const char *const entries[] = { "", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control" };

	for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/payload%s", cg->path, entries[i]) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
		if (chown(path, uid, gid) < 0 && !(errno == ENOENT && i > 0))
			return log_error_errno(errno, "Failed to hand '%s' to the container's root: %m", path);
	}
	return 0;
}
