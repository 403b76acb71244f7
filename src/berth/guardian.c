/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fd-util.h"
#include "guardian.h"
#include "log.h"
#include "machine-record.h"

/* Long enough for a container's processes to be torn down after SIGKILL. */
#define GUARDIAN_KILL_TIMEOUT_USEC (10ULL * 1000000ULL)

static _noreturn_ void guardian_main(const GuardianTask *task, int read_fd) {
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	struct pollfd p = { .fd = read_fd, .events = POLLIN };
	int r = 0;

	/* The user's ^C and a service manager's SIGTERM are meant for berth; the guardian must
	 * outlive berth to clean up after it. */
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
		signal(ignored[i], SIG_IGN);
	(void) prctl(PR_SET_NAME, "berth-guardian");

	/* EOF (or an error) on the pipe: berth closed it or died. */
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;

	if (task->cgroup_path)
		r = cgroup_kill_and_remove(task->cgroup_path, GUARDIAN_KILL_TIMEOUT_USEC, task->remove_cgroup);
	if (task->machine && task->record_dir) {
		int k = machine_record_remove(task->record_dir, task->machine);
		if (r >= 0)
			r = k;
	}
	if (r < 0)
		log_warning_errno(r, "Failed to clean up after machine '%s': %m", task->machine);
	_exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

int guardian_start(const GuardianTask *task, int keep_fd, Guardian *ret) {
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return log_error_errno(errno, "Failed to create the guardian's pipe: %m");
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(fds[0]);
		close(fds[1]);
		return log_error_errno(r, "Failed to start the guardian: %m");
	}
	if (pid == 0) {
		int keep[] = { STDERR_FILENO, fds[0], keep_fd };
		close(fds[1]);
		(void) close_all_fds_except(keep, ELEMENTSOF(keep));
		guardian_main(task, fds[0]);
	}
	close(fds[0]);
	*ret = (Guardian) { .pid = pid, .pipe_fd = fds[1] };
	return 0;
}

int guardian_finish(Guardian *g) {
	int status;

	if (g->pid <= 0)
		return 0;
	closep(&g->pipe_fd);
	g->pipe_fd = -EBADF;
	while (waitpid(g->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	g->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
