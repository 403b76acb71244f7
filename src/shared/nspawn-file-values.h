/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The value syntaxes of .nspawn keys that berth's command line shares with the file (--capability=,
 * --rlimit=, --personality=, ...), so that an option and its key accept the same. Pure functions,
 * implemented in nspawn-file-values.c. */

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A system call name, or a known @group (syscall-groups.h). */
bool syscall_name_is_valid(const char *s);
/* Capability names (or numbers) separated by whitespace, and "all" when allow_all. -EINVAL with the
 * bad word in *ret_bad (to be freed). */
int parse_capability_list(const char *s, bool allow_all, uint64_t *ret, char **ret_bad);
/* An architecture name ("x86-64", "x86") as PER_LINUX or PER_LINUX32. */
int parse_personality(const char *s, unsigned long *ret);
const char *personality_names(void);
/* SOFT[:HARD] for RLIMIT_* resource; -EILSEQ: the soft limit is above the hard one. */
int parse_rlimit(int resource, const char *s, struct rlimit *ret);
int parse_oom_score_adjust(const char *s, int *ret);
/* Adds the CPUs in s to *set (allocating it); -ERANGE for a CPU beyond the supported. */
int parse_cpu_list(const char *s, cpu_set_t **set, size_t *size);
/* SHIFT[:RANGE], a first UID and a count (65536 when not given) that stays below UID_INVALID. */
int parse_uid_shift_range(const char *s, uid_t *ret_shift, uid_t *ret_range);
