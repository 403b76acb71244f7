/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* The container's system call filter. By default it has the effect of systemd-nspawn's: the
 * groups of calls an OS needs to boot and run its services are allowed, a few more only when the
 * payload's capability bounding set holds the capability they need, and everything else fails
 * (see seccomp-filter.c for what is refused and why). The filter covers every ABI the host's CPU runs
 * (on x86-64 also i386 and x32 programs).
 *
 * berth compiles the filter once, in berth before the container is made, and keeps the compiled
 * programs in SECCOMP_CACHE_DIR (seccomp-cache.h): later starts only read them, and do not even
 * load libseccomp (a policy that names single calls has them checked by it, though). The container's
 * first process loads them from memory as its last step before it executes the payload. */

typedef struct SeccompPolicy {
	uint64_t capabilities; /* the payload's bounding set, one bit per CAP_* */
	char **allow;          /* system calls or @groups allowed besides the default ("+LIST") */
	char **deny;           /* system calls or @groups refused even where allowed above ("~LIST") */
} SeccompPolicy;

typedef struct SeccompProgram {
	struct sock_filter *insns;
	size_t n_insns;
} SeccompProgram;

/* The programs are stacked: a call must pass each of them. */
#define SECCOMP_PROGRAMS_MAX 2

typedef struct SeccompFilter {
	SeccompProgram programs[SECCOMP_PROGRAMS_MAX];
	size_t n_programs; /* 0: no filter (built without seccomp, or the kernel has none) */
} SeccompFilter;

/* Gets the compiled filter for policy: from the cache in cache_dir (NULL: SECCOMP_CACHE_DIR), or
 * compiled and stored there. A cache that cannot be used is only warned about. */
int seccomp_filter_prepare(const SeccompPolicy *policy, const char *cache_dir, SeccompFilter *ret);
void seccomp_filter_done(SeccompFilter *f);

/* Loads the filter into the calling process, for good and for all its children. Reads no files.
 * The kernel takes a filter from a process that holds CAP_SYS_ADMIN or has set no_new_privs. */
int seccomp_filter_apply(const SeccompFilter *f);

/* Warns about each name in the policy's lists that is no system call on any ABI; returns how many.
 * Fails when libseccomp, which it needs for lists that name single calls, cannot be loaded. */
int seccomp_policy_warn_unknown(const SeccompPolicy *policy);
/* The system calls policy allows, sorted, each once (the array is the caller's to free, the
 * strings are not). Fails with -EINVAL for an unknown @group. */
int seccomp_policy_allowed(const SeccompPolicy *policy, const char ***ret, size_t *ret_n);

/* The text each program is compiled from, which names it in the cache: every fact the compiled
 * program depends on (policy, architectures, berth's build, and libseccomp, as library names it:
 * see seccomp_cache_library_id()). */
int seccomp_filter_spec(const SeccompPolicy *policy, const char *library, size_t program, char **ret);
