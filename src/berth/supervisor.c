/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "event-loop.h"
#include "libsystemd-dl.h"
#include "log.h"
#include "notify.h"
#include "parse-util.h"
#include "process-util.h"
#include "supervisor.h"

typedef struct Supervisor {
	const SupervisorConfig *config;
	EventLoop *event;
	unsigned stop_requests;
	uint64_t watchdog_usec; /* the service manager's WATCHDOG_USEC, or 0 */
	ContainerExit exit;
} Supervisor;

static const int handled_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

int supervisor_block_signals(void) {
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++)
		sigaddset(&set, handled_signals[i]);
	return sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
}

static int on_child_exit(EventSource *s, const siginfo_t *si, void *userdata) {
	Supervisor *sv = userdata;
	bool killed = si->si_code != CLD_EXITED;

	sv->exit = (ContainerExit) { .exit_code = killed ? 128 + si->si_status : si->si_status };
	/* In a PID namespace, reboot(2) by its init kills it with SIGHUP (restart) or SIGINT (halt,
	 * power-off): that is how a booted container asks to be restarted or says it is done. */
	if (sv->config->boot && killed && si->si_status == SIGHUP)
		sv->exit = (ContainerExit) { .reboot = true };
	else if (sv->config->boot && killed && si->si_status == SIGINT)
		sv->exit = (ContainerExit) { .exit_code = 0 };
	event_loop_exit(sv->event, 0);
	return 0;
}

/* SIGTERM/SIGINT: ask the container to stop with the kill signal; a second request kills it. */
static int on_stop_signal(EventSource *s, const struct signalfd_siginfo *si, void *userdata) {
	Supervisor *sv = userdata;
	int sig = sv->stop_requests++ == 0 ? sv->config->kill_signal : SIGKILL;
	char name[16];

	if (!sv->config->quiet && sig != SIGKILL)
		log_info("Stopping container '%s' with SIG%s; send it again to kill it at once",
			 sv->config->machine, signal_to_string(sig, name));
	notify_manager("STOPPING=1");
	(void) pidfd_send(sv->config->pidfd, sig);
	return 0;
}

static void on_console_escape(void *userdata) {
	Supervisor *sv = userdata;
	if (!sv->config->quiet)
		log_info("Killing container '%s' (Ctrl-] pressed three times)", sv->config->machine);
	(void) pidfd_send(sv->config->pidfd, SIGKILL);
}

static int add_sources(Supervisor *sv) {
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
	int r;

	r = event_add_child_pidfd(sv->event, NULL, sv->config->pidfd, on_child_exit, sv);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the container's PID 1: %m");
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
		r = event_add_signal(sv->event, NULL, stop_signals[i], on_stop_signal, sv);
		if (r < 0)
			return log_error_errno(r, "Failed to watch signals: %m");
	}
	if (sv->config->attach)
		return sv->config->attach(sv->event, sv->config->attach_userdata);
	return 0;
}

/* A service manager that set WATCHDOG_USEC hears from the loop twice per period. */
static int on_watchdog(EventSource *s, uint64_t usec, void *userdata) {
	Supervisor *sv = userdata;

	notify_manager("WATCHDOG=1");
	return event_source_set_time(s, usec + sv->watchdog_usec / 2);
}

static int watchdog_start(Supervisor *sv) {
	if (!dl_library_is_open(&dl_libsystemd) || sym_sd_watchdog_enabled(false, &sv->watchdog_usec) <= 0)
		return 0;
	return event_add_time(sv->event, NULL, event_loop_now(sv->event) + sv->watchdog_usec / 2, on_watchdog, sv);
}

int supervisor_run(const SupervisorConfig *c, ContainerExit *ret) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(console_freep) Console *console = NULL;
	_cleanup_(notify_relay_freep) NotifyRelay *relay = NULL;
	Supervisor sv = { .config = c };
	int r;

	/* A boot's supervisor opens libsystemd now that the guest's init runs, when a service manager
	 * listens; a command's is open already (libraries_open_for()). */
	if (c->boot && (r = notify_manager_prepare()) < 0)
		return r;
	r = event_loop_new(&e);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	sv.event = e;
	r = add_sources(&sv);
	if (r < 0)
		return r;
	if (c->pty_master >= 0) {
		r = console_new(e, c->pty_master, c->console_flags, on_console_escape, &sv, &console);
		if (r < 0)
			return log_error_errno(r, "Failed to relay the console: %m");
	}

	if (c->notify_fd >= 0) {
		r = notify_relay_new(e, c->notify_fd, c->notify_ready, NULL, NULL, &relay);
		if (r < 0)
			return log_error_errno(r, "Failed to watch the container's notifications: %m");
	}
	r = watchdog_start(&sv);
	if (r < 0)
		log_warning_errno(r, "Failed to set up the service manager's watchdog, ignoring: %m");
	/* Without --notify-ready=yes, berth is ready as soon as the container runs. */
	notify_manager(c->notify_ready ? "STATUS=Container running" : "READY=1\nSTATUS=Container running");

	r = event_loop_run(e);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	if (console)
		(void) console_drain(console);
	*ret = sv.exit;
	return 0;
}
