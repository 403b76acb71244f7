/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding running machines: from systemd-machined where it is reachable, and from the records
 * berth writes, which need no daemon and also know berth's machines run with --register=no. */

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"
#include "machined.h"
#include "name-util.h"
#include "process-util.h"

static bool record_live(const MachineRecord *rec) {
	return rec->supervisor > 0 && process_is_same(rec->supervisor, rec->supervisor_start);
}

int machine_lookup(const char *name, MachineRecord *ret) {
	MachineRecord rec = {};
	int r;

	if (!machine_name_is_valid(name))
		return log_invalid("Invalid machine name '%s': expected 1-64 characters of "
				   "[A-Za-z0-9._-], not starting with '-' or '.'", name);
	if (machined_bus()) {
		r = machined_get_machine(machined_bus(), name, ret);
		if (r != -ENXIO)
			return r;
	}
	r = machine_record_read(MACHINE_RECORD_DIR, name, &rec);
	if (r == -ENOENT || (r >= 0 && !record_live(&rec))) {
		machine_record_done(&rec);
		return log_error_errno(-ENXIO, "No machine '%s'", name);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read the record of machine '%s': %m", name);
	*ret = rec;
	return 0;
}

void machine_records_free(MachineRecord *recs, size_t n) {
	for (size_t i = 0; i < n; i++)
		machine_record_done(&recs[i]);
	free(recs);
}

static int record_cmp(const void *a, const void *b) {
	return strcmp(((const MachineRecord *) a)->name, ((const MachineRecord *) b)->name);
}

static bool listed(const MachineRecord *recs, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (streq(recs[i].name, name))
			return true;
	return false;
}

int machine_list_all(MachineRecord **ret, size_t *ret_n) {
	MachineRecord *recs = NULL;
	size_t n = 0, from_machined = 0;
	DIR *d;
	int r;

	if (machined_bus()) {
		r = machined_list_machines(machined_bus(), &recs, &n);
		if (r < 0)
			return r;
		from_machined = n;
	}

	d = opendir(MACHINE_RECORD_DIR);
	if (!d) {
		if (errno != ENOENT) {
			machine_records_free(recs, n);
			return log_error_errno(-errno, "Failed to open '%s': %m", MACHINE_RECORD_DIR);
		}
		*ret = recs;
		*ret_n = n;
		return 0;
	}
	for (struct dirent *de; (de = readdir(d));) {
		MachineRecord rec = {};
		if (!machine_name_is_valid(de->d_name))
			continue; /* also skips temporary files, which start with '.' */
		if (machine_record_read(MACHINE_RECORD_DIR, de->d_name, &rec) < 0)
			continue; /* removed while we looked */
		if (!record_live(&rec) || listed(recs, from_machined, rec.name)) {
			machine_record_done(&rec);
			continue;
		}
		MachineRecord *m = realloc(recs, (n + 1) * sizeof(*recs));
		if (!m) {
			machine_record_done(&rec);
			machine_records_free(recs, n);
			closedir(d);
			return log_error_errno(-ENOMEM, "Out of memory");
		}
		recs = m;
		recs[n++] = rec;
	}
	closedir(d);
	if (n > 0)
		qsort(recs, n, sizeof(*recs), record_cmp);
	*ret = recs;
	*ret_n = n;
	return 0;
}

int machine_open_leader(const MachineRecord *rec) {
	int fd;

	if (rec->leader <= 0)
		return log_error_errno(-ESRCH, "Machine '%s' has no leader process yet", rec->name);
	fd = pidfd_open_pid(rec->leader);
	if (fd < 0)
		return log_error_errno(fd, "Failed to open the leader of machine '%s': %m", rec->name);
	/* Checked after opening: the pidfd then pins the process the start time names. */
	if (!process_is_same(rec->leader, rec->leader_start)) {
		close(fd);
		return log_error_errno(-ESRCH, "The leader of machine '%s' has exited", rec->name);
	}
	return fd;
}

int machine_payload_cgroup(const MachineRecord *rec, char **ret) {
	char *p = NULL;

	if (!rec->cgroup)
		return log_error_errno(-EOPNOTSUPP, "Machine '%s' has no cgroup", rec->name);
	if (asprintf(&p, "%s/payload", rec->cgroup) < 0)
		return log_error_errno(-ENOMEM, "Out of memory");
	if (access(p, F_OK) < 0) {
		/* An older layout without the split: the machine's cgroup is all payload. */
		free(p);
		p = strdup(rec->cgroup);
		if (!p)
			return log_error_errno(-ENOMEM, "Out of memory");
	}
	*ret = p;
	return 0;
}

static const struct {
	const char *name;
	int flag;
} namespaces[] = {
	/* user first: the others are owned by it and can only be joined from inside it */
	{ "user",   CLONE_NEWUSER },
	{ "mnt",    CLONE_NEWNS },
	{ "pid",    CLONE_NEWPID },
	{ "uts",    CLONE_NEWUTS },
	{ "ipc",    CLONE_NEWIPC },
	{ "net",    CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP },
};

/* Joining a namespace we are already in fails for the user namespace, so only the ones that
 * differ from ours go into the setns() mask. */
static int namespaces_to_join(pid_t leader) {
	int flags = 0;

	for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
		char path[64];
		struct stat ours, theirs;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) leader, namespaces[i].name);
		if (stat(path, &theirs) < 0)
			return -errno;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", namespaces[i].name);
		if (stat(path, &ours) < 0)
			return -errno;
		if (ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev)
			flags |= namespaces[i].flag;
	}
	return flags;
}

int machine_enter(const char *name) {
	_cleanup_close_ int pidfd = -EBADF;
	MachineRecord rec = {};
	int r, flags;

	r = machine_lookup(name, &rec);
	if (r < 0)
		return r;
	pidfd = machine_open_leader(&rec);
	flags = pidfd >= 0 ? namespaces_to_join(rec.leader) : pidfd;
	machine_record_done(&rec);
	if (flags < 0)
		return pidfd < 0 ? pidfd : log_error_errno(flags, "Failed to inspect the machine's namespaces: %m");
	if (flags != 0 && setns(pidfd, flags) < 0)
		return log_error_errno(-errno, "Failed to enter the namespaces of machine '%s': %m", name);
	return 0;
}
