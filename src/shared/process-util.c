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

/* Plenty for a few system calls and a message; only the pages touched are ever allocated. */
#define CHILD_STACK_SIZE (256 * 1024)

int run_in_child(int (*fn)(void *userdata), void *userdata) {
	void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	sigset_t all, saved;
	int status, r = 0;
	pid_t pid;

	if (stack == MAP_FAILED)
		return -errno;
	/* No handler of the caller's may run in the child, on its stack. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = clone(fn, (char *) stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, userdata);
	if (pid < 0)
		r = -errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	while (r == 0 && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			r = -errno;
	munmap(stack, CHILD_STACK_SIZE);
	if (r < 0)
		return r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}
