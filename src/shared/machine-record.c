/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "id128-util.h"
#include "machine-record.h"
#include "name-util.h"
#include "parse-util.h"
#include "process-util.h"
#include "strv.h"

void machine_record_done(MachineRecord *r) {
	free(r->name);
	free(r->root);
	free(r->cgroup);
	free(r->unit);
	free(r->class);
	free(r->service);
	*r = (MachineRecord) {};
}

static int record_format(const MachineRecord *rec, char **ret) {
	char id[SD_ID128_STRING_MAX];
	int n = asprintf(ret,
			 "NAME=%s\nROOT=%s\nCGROUP=%s\nUNIT=%s\nID=%s\n"
			 "SUPERVISOR=%d\nSUPERVISOR_START=%" PRIu64 "\n"
			 "LEADER=%d\nLEADER_START=%" PRIu64 "\nSTART_USEC=%" PRIu64 "\n",
			 rec->name, rec->root ?: "", rec->cgroup ?: "", rec->unit ?: "",
			 id128_to_string(rec->id, id), (int) rec->supervisor, rec->supervisor_start,
			 (int) rec->leader, rec->leader_start, rec->start_usec);
	return n < 0 ? -ENOMEM : 0;
}

/* Writes the record to a temporary file in dir; the caller links or renames it into place. */
static int record_write_temp(const char *dir, const MachineRecord *rec, char **ret_tmp) {
	_cleanup_free_ char *text = NULL, *tmp = NULL;
	int r;

	if (!machine_name_is_valid(rec->name))
		return -EINVAL;
	r = record_format(rec, &text);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s/.#%s.%d", dir, rec->name, (int) getpid()) < 0)
		return -ENOMEM;
	r = write_file_at(AT_FDCWD, tmp, text, strlen(text), 0644);
	if (r < 0)
		return r;
	*ret_tmp = TAKE_PTR(tmp);
	return 0;
}

static int parse_field(MachineRecord *rec, const char *key, const char *value) {
	char **target = NULL;
	int64_t n;

	if (streq(key, "NAME"))
		target = &rec->name;
	else if (streq(key, "ROOT"))
		target = &rec->root;
	else if (streq(key, "CGROUP"))
		target = &rec->cgroup;
	else if (streq(key, "UNIT"))
		target = &rec->unit;
	if (target) {
		free(*target);
		*target = isempty(value) ? NULL : strdup(value);
		return 0;
	}
	if (streq(key, "ID"))
		return parse_id128(value, &rec->id);
	if (sscanf(value, "%" SCNd64, &n) != 1)
		return -EINVAL;
	if (streq(key, "SUPERVISOR"))
		rec->supervisor = (pid_t) n;
	else if (streq(key, "SUPERVISOR_START"))
		rec->supervisor_start = (uint64_t) n;
	else if (streq(key, "LEADER"))
		rec->leader = (pid_t) n;
	else if (streq(key, "LEADER_START"))
		rec->leader_start = (uint64_t) n;
	else if (streq(key, "START_USEC"))
		rec->start_usec = (uint64_t) n;
	return 0;
}

int machine_record_read(const char *dir, const char *name, MachineRecord *ret) {
	_cleanup_free_ char *path = NULL, *text = NULL;
	MachineRecord rec = {};
	char *save = NULL;
	int r;

	if (!machine_name_is_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	r = read_full_file(path, &text, NULL);
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		if (parse_field(&rec, line, eq + 1) < 0) {
			machine_record_done(&rec);
			return -EBADMSG;
		}
	}
	if (!rec.name) {
		machine_record_done(&rec);
		return -EBADMSG;
	}
	*ret = rec;
	return 0;
}

static bool record_is_live(const MachineRecord *rec) {
	return process_is_same(rec->supervisor, rec->supervisor_start);
}

int machine_record_create(const char *dir, const MachineRecord *rec, MachineRecord *ret_holder) {
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	int r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	r = record_write_temp(dir, rec, &tmp);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, rec->name) < 0) {
		unlink(tmp);
		return -ENOMEM;
	}
	/* link() fails if the name exists, so two starting machines cannot both get it. */
	for (int attempt = 0; attempt < 2; attempt++) {
		MachineRecord old = {};

		if (link(tmp, path) >= 0) {
			unlink(tmp);
			return 0;
		}
		r = -errno;
		if (r != -EEXIST)
			break;
		r = machine_record_read(dir, rec->name, &old);
		if (r >= 0 && record_is_live(&old)) {
			if (ret_holder)
				*ret_holder = old;
			else
				machine_record_done(&old);
			r = -EBUSY;
			break;
		}
		machine_record_done(&old);
		/* Stale: its supervisor is gone. Remove it and try once more. */
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	unlink(tmp);
	return r;
}

int machine_record_update(const char *dir, const MachineRecord *rec) {
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	int r = record_write_temp(dir, rec, &tmp);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", dir, rec->name) < 0) {
		unlink(tmp);
		return -ENOMEM;
	}
	/* Swapped in, not renamed over: readers see the old or the new record all the same, and ext4
	 * does not write a file renamed over another out at once (auto_da_alloc), which made the
	 * update and the record's removal at the end cost over half a millisecond where /run is ext4.
	 * The old record is left under the temporary name. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) < 0 && rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	(void) unlink(tmp);
	return 0;
}

int machine_record_remove(const char *dir, const char *name) {
	_cleanup_free_ char *path = NULL;
	if (!machine_name_is_valid(name))
		return -EINVAL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int machine_record_find_by_root(const char *dir, const char *root, MachineRecord *ret) {
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = -ENOENT;

	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while ((de = readdir(d))) {
		MachineRecord rec = {};
		if (!machine_name_is_valid(de->d_name) || machine_record_read(dir, de->d_name, &rec) < 0)
			continue;
		if (streq_ptr(rec.root, root) && record_is_live(&rec)) {
			*ret = rec;
			r = 0;
			break;
		}
		machine_record_done(&rec);
	}
	closedir(d);
	return r;
}
