/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* login: a login prompt of the machine on a pseudo-terminal of its own, relayed to ours with the
 * same console as berth's, ^]^]^] included. systemd-machined, where it knows the machine, has the
 * machine's service manager start a getty on a pty it opens; otherwise berthctl enters the
 * machine's namespaces, takes a pty from the machine's devpts and runs the machine's getty (or
 * login) on it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berthctl.h"
#include "console.h"
#include "event-loop.h"
#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"
#include "machined.h"
#include "process-util.h"

/* In the forked child, in the machine's namespaces: the pty's slave becomes the controlling
 * terminal and stdio, and the getty prompts on it. */
static _noreturn_ void login_child(const char *slave) {
	char *const agetty[] = { (char *) "agetty", (char *) "--noclear", (char *) "--keep-baud", (char *) "-",
				 (char *) "115200,38400,9600", (char *) "vt220", NULL };
	char *const login[] = { (char *) "login", NULL };
	char *const env[] = { (char *) "TERM=vt220", (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			      NULL };
	int fd;

	if (setsid() < 0)
		_exit(EXIT_FAILURE);
	fd = open(slave, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		_exit(EXIT_FAILURE);
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			_exit(EXIT_FAILURE);
	execve("/sbin/agetty", agetty, env);
	execve("/usr/sbin/agetty", agetty, env);
	execve("/bin/login", login, env);
	fprintf(stderr, "No agetty or login in the machine\n");
	_exit(127);
}

static void on_escape(void *userdata) {
	event_loop_exit(userdata, 0);
}

static int on_child(EventSource *s, const siginfo_t *si, void *userdata) {
	bool *exited = userdata;

	*exited = true;
	event_loop_exit(event_source_get_loop(s), 0);
	return 0;
}

/* Relays the pty master until ^]^]^]: the getty that machined's login runs is restarted by the
 * machine's service manager when a session ends, so only the user ends the relay. */
static int login_via_machined(const char *name) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(console_freep) Console *console = NULL;
	_cleanup_close_ int master = -EBADF;
	int r;

	master = machined_open_login(machined_bus(), name);
	if (master < 0)
		return master;
	r = fd_set_nonblock(master, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the login pty: %m");
	if (!arg.quiet)
		fprintf(stderr, "Connected to machine %s. Press ^] three times within 1s to exit session.\n", name);
	r = event_loop_new(&e);
	if (r >= 0)
		r = console_new(e, master, CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT, on_escape, e, &console);
	if (r >= 0)
		r = event_loop_run(e);
	if (r < 0)
		return log_error_errno(r, "Failed to relay the login session: %m");
	if (!arg.quiet)
		fprintf(stderr, "\nConnection to machine %s terminated.\n", name);
	return 0;
}

int verb_login(int argc, char *argv[]) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(console_freep) Console *console = NULL;
	_cleanup_close_ int master = -EBADF, pidfd = -EBADF;
	MachineRecord rec = {};
	bool exited = false;
	char slave[64];
	pid_t pid;
	int r, n;

	r = machine_lookup(argv[1], &rec);
	if (r < 0)
		return r;
	bool machined = machine_known_to_machined(&rec);
	machine_record_done(&rec);
	if (machined)
		return login_via_machined(argv[1]);

	r = machine_enter(argv[1]);
	if (r < 0)
		return r;
	/* The machine's own devpts: its ptmx, its pts numbers. */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		return log_error_errno(-errno, "Failed to allocate a pseudo-terminal in machine '%s': %m", argv[1]);
	snprintf(slave, sizeof slave, "/dev/pts/%d", n);

	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork: %m");
	if (pid == 0)
		login_child(slave);
	pidfd = pidfd_open_pid(pid);
	if (pidfd < 0) {
		(void) kill(pid, SIGKILL);
		(void) waitpid(pid, NULL, 0);
		return log_error_errno(pidfd, "Failed to watch the login process: %m");
	}
	if (!arg.quiet)
		fprintf(stderr, "Connected to machine %s. Press ^] three times within 1s to exit session.\n",
			argv[1]);
	r = event_loop_new(&e);
	if (r >= 0)
		r = event_add_child_pidfd(e, NULL, pidfd, on_child, &exited);
	if (r >= 0)
		r = console_new(e, master, CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT, on_escape, e, &console);
	if (r >= 0)
		r = event_loop_run(e);
	if (r < 0) {
		(void) pidfd_send(pidfd, SIGKILL);
		(void) waitpid(pid, NULL, 0);
		return log_error_errno(r, "Failed to relay the login session: %m");
	}
	(void) console_drain(console);
	console = console_free(console);
	/* Left with ^]^]^]: the getty and its session end with the terminal. (An exited one was
	 * reaped by the loop.) */
	if (!exited) {
		(void) pidfd_send(pidfd, SIGHUP);
		(void) waitpid(pid, NULL, 0);
	}
	if (!arg.quiet)
		fprintf(stderr, "\nConnection to machine %s terminated.\n", argv[1]);
	return 0;
}
