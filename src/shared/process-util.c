/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "process-util.h"

int process_start_time(pid_t pid, uint64_t *ret) {
	_cleanup_free_ char *stat = NULL;
	char path[64];
	const char *p;
	uint64_t t;
	int r;

	snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
	r = read_full_file(path, &stat, NULL);
	if (r < 0)
		return r;
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(stat, ')');
	if (!p)
		return -EIO;
	p++;
	/* Skip fields 3..21 to reach 22, starttime. */
	for (int field = 2; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	if (sscanf(p, " %" SCNu64, &t) != 1)
		return -EIO;
	*ret = t;
	return 0;
}

bool process_is_same(pid_t pid, uint64_t start_time) {
	uint64_t t;
	return pid > 0 && process_start_time(pid, &t) >= 0 && t == start_time;
}

int pidfd_open_pid(pid_t pid) {
	int fd = (int) syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

int pidfd_send(int pidfd, int sig) {
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* Only the pages touched are ever allocated: a few for a short task, more for a container's setup. */
#define CHILD_STACK_SIZE (1024 * 1024)

pid_t clone_sharing_memory(int (*fn)(void *userdata), void *userdata, int flags, int *ret_pidfd) {
	void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	sigset_t all, saved;
	int pidfd = -EBADF;
	pid_t pid;

	if (stack == MAP_FAILED)
		return -errno;
	/* No handler of the caller's may run in the child, on its stack. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	/* Returns once the child executed a program or exited: then the stack is free again. */
	pid = clone(fn, (char *) stack + CHILD_STACK_SIZE, flags | CLONE_VM | CLONE_VFORK | SIGCHLD |
		    (ret_pidfd ? CLONE_PIDFD : 0), userdata, &pidfd);
	if (pid < 0)
		pid = -errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	munmap(stack, CHILD_STACK_SIZE);
	if (pid > 0 && ret_pidfd)
		*ret_pidfd = pidfd;
	return pid;
}

int run_in_child(int (*fn)(void *userdata), void *userdata) {
	pid_t pid = clone_sharing_memory(fn, userdata, 0, NULL);
	int status;

	if (pid < 0)
		return pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}
