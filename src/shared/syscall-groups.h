/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Named groups of system calls, such as "@file-system", as systemd-nspawn and systemd's
 * SystemCallFilter= know them: the same names with the same members, so a filter written for one
 * means the same to the other. A member starting with '@' names another group. A group lists the
 * call's name on every architecture; a name an architecture (or libseccomp) does not know is
 * skipped there. Pure data: what is allowed where is the caller's policy. */

typedef struct SyscallGroup {
	const char *name;              /* "@file-system" */
	const char *help;              /* one line, for listings */
	const char *const *syscalls;   /* NULL-terminated */
} SyscallGroup;

extern const SyscallGroup syscall_groups[];
extern const size_t syscall_groups_count;

/* The group called name ("@mount"), or NULL. */
const SyscallGroup *syscall_group_find(const char *name);
