/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-id128.h>

/* Each running machine has a record in MACHINE_RECORD_DIR/NAME, so berthctl can find it without
 * machined and a second berth cannot take the same name. The supervisor's PID with its start time
 * says whether the record is live; a record whose supervisor is gone is stale and may be replaced. */
#define MACHINE_RECORD_DIR "/run/berth/machines"

typedef struct MachineRecord {
	char *name;
	char *root;   /* the directory the machine runs from */
	char *cgroup; /* absolute path of its cgroup directory */
	char *unit;   /* the systemd unit, if any */
	sd_id128_t id;
	pid_t supervisor;
	uint64_t supervisor_start;
	pid_t leader;
	uint64_t leader_start;
	uint64_t start_usec; /* CLOCK_REALTIME */
	/* Not in berth's records, whose machines are containers run by berth: filled by readers
	 * that learn of machines elsewhere (berthctl asking systemd-machined). NULL: berth's. */
	char *class;
	char *service;
} MachineRecord;

void machine_record_done(MachineRecord *r);

/* Creates the record, failing with -EBUSY if a live one has the name (then *ret_holder, if not
 * NULL, gets that record); a stale one is replaced. dir is MACHINE_RECORD_DIR except in tests. */
int machine_record_create(const char *dir, const MachineRecord *rec, MachineRecord *ret_holder);
/* Rewrites an existing record atomically (e.g. once the leader is known). */
int machine_record_update(const char *dir, const MachineRecord *rec);
int machine_record_read(const char *dir, const char *name, MachineRecord *ret);
int machine_record_remove(const char *dir, const char *name);
/* Finds a live record whose root is root (compared as given; pass canonical paths). */
int machine_record_find_by_root(const char *dir, const char *root, MachineRecord *ret);
