/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "event-loop.h"
#include "macro.h"

/* A relay between a pseudo-terminal's master and our own stdin/stdout on an event loop: berth's
 * container console (the slave is the container's /dev/console), and berthctl's login and shell
 * (the slave is a pty of the machine). */

typedef enum ConsoleFlags {
	CONSOLE_FORWARD_INPUT = 1 << 0,  /* interactive: berth's stdin goes to the container */
	CONSOLE_FORWARD_OUTPUT = 1 << 1, /* the container's output goes to berth's stdout; without it,
	                                  * output is read and dropped (passive) so the container never
	                                  * blocks on a full pty */
	_CONSOLE_FLAGS_ALL = CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT,
} ConsoleFlags;

/* Allocates the pty: the master is O_RDWR|O_NOCTTY|O_CLOEXEC|O_NONBLOCK and unlocked, with the window
 * size of berth's terminal (stdout or stdin, whichever is a tty). When berth's stdout is not a
 * terminal, output post-processing (OPOST, so ONLCR) is turned off on the pty so that piped output
 * stays byte-exact; the container may turn it on again (systemd as PID 1 does). ret_slave_path is
 * /dev/pts/N. */
int console_open_pty(int *ret_master_fd, char **ret_slave_path);

typedef struct Console Console;

/* Starts relaying on e. master_fd stays the caller's: it must outlive the Console.
 *
 * While the Console lives:
 * - with CONSOLE_FORWARD_INPUT and stdin a tty, that terminal is in raw mode;
 * - SIGWINCH is blocked and handled by a signal source on e (when stdin or stdout is a tty), so the
 *   caller must not add its own SIGWINCH source on e;
 * - with CONSOLE_FORWARD_OUTPUT, SIGPIPE is ignored, so that a closed stdout shows up as EPIPE.
 * console_free() undoes all three. berth's own stdin/stdout file descriptions are not changed: the
 * relay works on private non-blocking reopenings of them (see console.c).
 *
 * EOF on stdin stops forwarding input, nothing more. An error writing stdout (EPIPE, EIO) stops
 * forwarding output; the pty is still read so the container never blocks. Three ^] (0x1d) typed
 * within one second, with nothing else in between, call on_escape(userdata); the bytes are
 * forwarded like any other. */
int console_new(EventLoop *e, int master_fd, ConsoleFlags flags, void (*on_escape)(void *userdata),
		void *userdata, Console **ret);

/* After the container's init exited, outside the event loop: reads what the pty still holds, until
 * no slave is open anymore (EIO) or nothing came for 200 ms (5 s at most in total), and writes it to
 * stdout when forwarding output, waiting for stdout as needed. */
int console_drain(Console *c);

/* Restores the terminal, the signal mask and SIGPIPE, and frees. Accepts NULL, returns NULL. */
Console *console_free(Console *c);
DEFINE_POINTER_CLEANUP(Console *, console_free)
