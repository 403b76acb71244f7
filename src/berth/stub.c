/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "stub.h"

/* Signals meant for the command; SIGKILL and SIGSTOP cannot be caught and need no forwarding. */
static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH,
};

static void stub_sigset(sigset_t *set) {
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

int stub_block_signals(void) {
	sigset_t set;
	stub_sigset(&set);
	return sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
}

int stub_unblock_signals(void) {
	sigset_t set;
	stub_sigset(&set);
	return sigprocmask(SIG_UNBLOCK, &set, NULL) < 0 ? -errno : 0;
}

/* Reaps all exited children; returns the payload's exit code once it is among them, or -1. */
static int reap_children(pid_t payload) {
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != payload)
			continue;
		code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return code;
}

_Noreturn void stub_pid1_run(pid_t payload) {
	sigset_t set;

	(void) prctl(PR_SET_NAME, "berth-stub");
	stub_sigset(&set);
	for (;;) {
		siginfo_t si;
		int code;

		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			(void) kill(payload, si.si_signo);
			continue;
		}
		code = reap_children(payload);
		if (code >= 0)
			_exit(code);
	}
}
