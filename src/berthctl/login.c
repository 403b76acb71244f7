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

#include <systemd/sd-event.h>

#include "berthctl.h"
#include "console.h"
#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"
#include "machined.h"

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
	sd_event_exit(userdata, 0);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Relays the pty master until ^]^]^]: the getty that machined's login runs is restarted by the
 * machine's service manager when a session ends, so only the user ends the relay. */
static int login_via_machined(const char *name) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
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
	r = sd_event_new(&e);
	if (r >= 0)
		r = console_new(e, master, CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT, on_escape, e, &console);
	if (r >= 0)
		r = sd_event_loop(e);
	if (r < 0)
		return log_error_errno(r, "Failed to relay the login session: %m");
	if (!arg.quiet)
		fprintf(stderr, "\nConnection to machine %s terminated.\n", name);
	return 0;
}

int verb_login(int argc, char *argv[]) {
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(console_freep) Console *console = NULL;
	_cleanup_close_ int master = -EBADF;
	MachineRecord rec = {};
	char slave[64];
	sigset_t chld;
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

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork: %m");
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		login_child(slave);
	}
	if (!arg.quiet)
		fprintf(stderr, "Connected to machine %s. Press ^] three times within 1s to exit session.\n",
			argv[1]);
	r = sd_event_new(&e);
	if (r >= 0)
		r = sd_event_add_child(e, NULL, pid, WEXITED, on_child, NULL);
	if (r >= 0)
		r = console_new(e, master, CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT, on_escape, e, &console);
	if (r >= 0)
		r = sd_event_loop(e);
	if (r < 0) {
		(void) kill(pid, SIGKILL);
		return log_error_errno(r, "Failed to relay the login session: %m");
	}
	(void) console_drain(console);
	console = console_free(console);
	/* Left with ^]^]^]: the getty and its session end with the terminal. */
	(void) kill(pid, SIGHUP);
	(void) waitpid(pid, NULL, 0);
	if (!arg.quiet)
		fprintf(stderr, "\nConnection to machine %s terminated.\n", argv[1]);
	return 0;
}
