/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A process's start time in clock ticks since boot (field 22 of /proc/PID/stat). With the PID it
 * names one process for good: a reused PID has a later start time. */
int process_start_time(pid_t pid, uint64_t *ret);
/* Whether pid still names the process that had start_time. */
bool process_is_same(pid_t pid, uint64_t start_time);

int pidfd_open_pid(pid_t pid);
int pidfd_send(int pidfd, int sig);

/* Runs fn(userdata) in a child process that shares the caller's memory, and waits for it: the
 * caller stays suspended until the child exits (vfork semantics), so the child may use the heap
 * and what the caller's variables hold. Much cheaper than fork() where copying and then faulting
 * in a large address space dominates: for a few system calls in a process of their own, such as
 * entering a namespace. The child has its own fd table and starts with every signal blocked.
 * Returns what fn returned (0-255), or -errno when the child could not run or was killed. */
int run_in_child(int (*fn)(void *userdata), void *userdata);
