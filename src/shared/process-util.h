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
