/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "console.h"
#include "event-loop.h"

typedef struct SupervisorConfig {
	const char *machine;
	pid_t pid;         /* the container's PID 1 */
	int pidfd;
	int kill_signal;   /* sent to PID 1 on the first SIGTERM/SIGINT; the second kills */
	int pty_master;    /* or -1 in pipe mode */
	ConsoleFlags console_flags;
	int notify_fd;     /* the container's notification socket, or -1 */
	bool notify_ready; /* READY=1 to our manager waits for the container's READY=1 */
	bool boot;         /* PID 1 is an init: its reboot() ends it with SIGHUP, a halt with SIGINT */
	bool quiet;
	/* Adds the caller's own sources to the loop (NULL for none); a failure ends the run. */
	int (*attach)(EventLoop *e, void *userdata);
	void *attach_userdata;
} SupervisorConfig;

typedef struct ContainerExit {
	int exit_code; /* the exit status, 128+N for signal N, 0 for a poweroff */
	bool reboot;   /* the container's init asked to be started again */
} ContainerExit;

/* Signals the supervisor handles on its event loop; block them before the container is cloned
 * (the child unblocks them), so none is lost in between. */
int supervisor_block_signals(void);

/* Runs the event loop until the container's PID 1 exits, and says how it ended. */
int supervisor_run(const SupervisorConfig *c, ContainerExit *ret);
