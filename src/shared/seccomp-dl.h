/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if HAVE_SECCOMP

#include <seccomp.h>

#include "dlopen-util.h"

/* libseccomp, opened when the launcher compiles a system call filter (from its tables of each
 * ABI's calls) or checks the names of system calls; a filter found in its cache needs none of it. */

#define SECCOMP_SYMBOLS(X)                      \
	X(seccomp_arch_native)                  \
	X(seccomp_syscall_resolve_name)         \
	X(seccomp_syscall_resolve_name_arch)    \
	X(seccomp_syscall_resolve_num_arch)

DL_DECLARE_SYMBOLS(SECCOMP_SYMBOLS)

extern DlLibrary dl_seccomp;

#endif
