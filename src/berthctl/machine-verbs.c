/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* list, status and show: what berthctl knows about running machines. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berthctl.h"
#include "fileio.h"
#include "log.h"
#include "machine-lookup.h"
#include "os-release.h"
#include "properties.h"
#include "status-sections.h"
#include "strv.h"

/* A machine's facts, in the order show prints them. */
#define N_PROPERTIES 9

static char *machine_os(const MachineRecord *rec, const char *key) {
	_cleanup_strv_free_ char **os = NULL;
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int fd = -EBADF;

	/* The leader's root is the machine's root as the machine sees it, whatever berth mounted. */
	if (asprintf(&root, "/proc/%d/root", (int) rec->leader) < 0)
		return NULL;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || os_release_read_at(fd, &os) < 0)
		return NULL;
	const char *v = strv_env_get(os, key);
	return v ? strdup(v) : NULL;
}

static void machine_properties(const MachineRecord *rec, Property p[static N_PROPERTIES]) {
	char id[SD_ID128_STRING_MAX];
	struct tm tm;
	time_t t = (time_t) (rec->start_usec / 1000000);
	char ts[64] = "";

	if (rec->start_usec > 0 && localtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%a %Y-%m-%d %H:%M:%S %Z", &tm);
	p[0] = (Property) { "Name", strdup(rec->name) };
	p[1] = (Property) { "Id", strdup(sd_id128_to_string(rec->id, id)) };
	p[2] = (Property) { "Class", strdup(rec->class ?: "container") };
	p[3] = (Property) { "Service", strdup(rec->service ?: "berth") };
	p[4] = (Property) { "Unit", strdup(rec->unit ?: "") };
	p[5] = (Property) { "Leader", fmtstr("%d", (int) rec->leader) };
	p[6] = (Property) { "RootDirectory", strdup(rec->root ?: "") };
	p[7] = (Property) { "Cgroup", strdup(rec->cgroup ?: "") };
	p[8] = (Property) { "Timestamp", strdup(ts) };
}

void json_string(const char *s) {
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char) *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int verb_list(int argc, char *argv[]) {
	MachineRecord *recs = NULL;
	size_t n = 0;
	int r;

	r = machine_list_all(&recs, &n);
	if (r < 0)
		return r;
	if (arg.json) {
		putchar('[');
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *os = machine_os(&recs[i], "ID"), *ver = machine_os(&recs[i], "VERSION_ID");
			printf("%s{\"machine\":", i > 0 ? "," : "");
			json_string(recs[i].name);
			printf(",\"class\":");
			json_string(recs[i].class ?: "container");
			printf(",\"service\":");
			json_string(recs[i].service ?: "berth");
			printf(",\"os\":");
			json_string(os);
			printf(",\"version\":");
			json_string(ver);
			printf(",\"leader\":%d,\"unit\":", (int) recs[i].leader);
			json_string(recs[i].unit);
			putchar('}');
		}
		printf("]\n");
	} else {
		if (!arg.no_legend)
			printf("%-16s %-10s %-8s %-10s %-8s\n", "MACHINE", "CLASS", "SERVICE", "OS", "VERSION");
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *os = machine_os(&recs[i], "ID"), *ver = machine_os(&recs[i], "VERSION_ID");
			printf("%-16s %-10s %-8s %-10s %-8s\n", recs[i].name, recs[i].class ?: "container",
			       recs[i].service ?: "berth",
			       os ?: "-", ver ?: "-");
		}
		if (!arg.no_legend)
			printf("\n%zu machine%s listed.\n", n, n == 1 ? "" : "s");
	}
	machine_records_free(recs, n);
	return 0;
}

static int show_one(const MachineRecord *rec, bool first) {
	Property p[N_PROPERTIES];

	machine_properties(rec, p);
	properties_print(p, N_PROPERTIES, first);
	properties_free(p, N_PROPERTIES);
	return 0;
}

int verb_show(int argc, char *argv[]) {
	MachineRecord *recs = NULL;
	size_t n = 0;
	int r, ret = 0;

	if (argc <= 1) {
		r = machine_list_all(&recs, &n);
		if (r < 0)
			return r;
	} else {
		recs = calloc(argc - 1, sizeof(*recs));
		if (!recs)
			return log_error_errno(-ENOMEM, "Out of memory");
		for (int i = 1; i < argc; i++) {
			r = machine_lookup(argv[i], &recs[n]);
			if (r < 0)
				ret = r;
			else
				n++;
		}
	}
	if (arg.json)
		putchar('[');
	for (size_t i = 0; i < n; i++)
		show_one(&recs[i], i == 0);
	if (arg.json)
		printf("]\n");
	machine_records_free(recs, n);
	return ret;
}

/* Prints the processes of the cgroup at path and below it, one line each with its command line. */
static void print_cgroup_tree(const char *path, int depth) {
	_cleanup_free_ char *procs_path = NULL, *procs = NULL;
	DIR *d;

	printf("%*s%s\n", 19 + 2 * depth, "", depth == 0 ? path : strrchr(path, '/') + 1);
	if (asprintf(&procs_path, "%s/cgroup.procs", path) >= 0 && read_full_file(procs_path, &procs, NULL) >= 0) {
		char *save = NULL;
		for (char *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			_cleanup_free_ char *cmdpath = NULL, *cmd = NULL;
			size_t sz = 0;
			if (asprintf(&cmdpath, "/proc/%s/cmdline", l) < 0 || read_full_file(cmdpath, &cmd, &sz) < 0)
				continue;
			for (size_t i = 0; i + 1 < sz; i++)
				if (cmd[i] == 0)
					cmd[i] = ' ';
			printf("%*s%s %s\n", 21 + 2 * depth, "", l, cmd);
		}
	}
	d = opendir(path);
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		_cleanup_free_ char *sub = NULL;
		if (de->d_type == DT_DIR && de->d_name[0] != '.' && asprintf(&sub, "%s/%s", path, de->d_name) >= 0)
			print_cgroup_tree(sub, depth + 1);
	}
	closedir(d);
}

static void print_processes(const MachineRecord *rec) {
	if (!rec->cgroup)
		return;
	printf("           CGroup:\n");
	print_cgroup_tree(rec->cgroup, 0);
}

int verb_status(int argc, char *argv[]) {
	int ret = 0;

	if (arg.json)
		putchar('[');
	for (int i = 1; i < argc; i++) {
		MachineRecord rec = {};
		int r = machine_lookup(argv[i], &rec);
		if (r < 0) {
			ret = r;
			continue;
		}
		if (arg.json) {
			show_one(&rec, i == 1);
			machine_record_done(&rec);
			continue;
		}
		_cleanup_free_ char *os = machine_os(&rec, "PRETTY_NAME");
		Property p[N_PROPERTIES];
		machine_properties(&rec, p);
		printf("%s%s(%s)\n", i > 1 ? "\n" : "", rec.name, p[1].value);
		printf("            Since: %s\n", p[8].value);
		printf("           Leader: %d\n", (int) rec.leader);
		printf("          Service: %s; class %s\n", p[3].value, p[2].value);
		printf("             Root: %s\n", rec.root ?: "-");
		if (rec.unit)
			printf("             Unit: %s\n", rec.unit);
		if (os)
			printf("               OS: %s\n", os);
		status_print_addresses(&rec);
		print_processes(&rec);
		status_print_journal(&rec, 10);
		properties_free(p, N_PROPERTIES);
		machine_record_done(&rec);
	}
	if (arg.json)
		printf("]\n");
	return ret;
}
