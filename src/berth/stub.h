/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* --as-pid2: the container's PID 1 is this stub. It reaps every orphan, forwards the signals a
 * service would expect to its one child (the command, PID 2), and when that child ends exits
 * with its status (128+N when it was killed by signal N), which ends the container. */
_Noreturn void stub_pid1_run(pid_t payload);

/* Blocks the signals the stub handles; the payload must unblock them before exec. */
int stub_block_signals(void);
int stub_unblock_signals(void);
