/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* One "NAME:\tHEX" line of /proc/self/status. */
static int status_mask(const char *status, const char *name, uint64_t *ret) {
	const char *p = strstr(status, name);
	char *end;

	if (!p)
		return -EIO;
	p += strlen(name);
	errno = 0;
	*ret = strtoull(p, &end, 16);
	return errno != 0 || end == p || *end != '\n' ? -EIO : 0;
}

int signals_not_default(uint64_t *ret) {
	char status[8192]; /* about 1.5 kB; a long Groups: line still ends far before SigCgt: */
	uint64_t ignored, caught;
	ssize_t n = read_file_start("/proc/self/status", status, sizeof status);

	if (n < 0)
		return (int) n;
	if (status_mask(status, "\nSigIgn:\t", &ignored) < 0 || status_mask(status, "\nSigCgt:\t", &caught) < 0)
		return -EIO;
	*ret = ignored | caught;
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

/* The spawner runs only a few system calls, on a stack of its own below the child's. */
#define SPAWNER_STACK_SIZE (64 * 1024)

/* Until the go, the spawner runs beside its parent in the same memory: system calls only, and
 * every signal blocked (inherited). */
static int spawner_main(void *userdata) {
	UsernsSpawner *s = userdata;
	char go;

	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL) < 0 || syscall(SYS_getppid) != s->parent ||
	    syscall(SYS_read, s->go[0], &go, 1) != 1)
		return EXIT_FAILURE;
	/* The parent waits for us now, and we wait (vfork) until the child executed a program. */
	s->child = clone(s->fn, (char *) s->stack + SPAWNER_STACK_SIZE + CHILD_STACK_SIZE,
			 s->flags | CLONE_PARENT | CLONE_VM | CLONE_VFORK | CLONE_PIDFD, s->userdata, &s->child_pidfd);
	if (s->child < 0)
		s->child = -errno;
	return EXIT_SUCCESS;
}

int userns_spawner_start(UsernsSpawner *s) {
	sigset_t all, saved;
	int r = 0;

	*s = (UsernsSpawner) { .go = { -EBADF, -EBADF }, .child_pidfd = -EBADF, .parent = getpid() };
	if (pipe2(s->go, O_CLOEXEC) < 0)
		return -errno;
	s->stack = mmap(NULL, SPAWNER_STACK_SIZE + CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (s->stack == MAP_FAILED) {
		s->stack = NULL;
		r = -errno;
		userns_spawner_done(s);
		return r;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	/* Our fd table too: the child's pidfd lands in it. */
	s->pid = clone(spawner_main, (char *) s->stack + SPAWNER_STACK_SIZE,
		       CLONE_VM | CLONE_FILES | CLONE_NEWUSER | SIGCHLD, s);
	if (s->pid < 0)
		r = -errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (r < 0) {
		s->pid = 0;
		userns_spawner_done(s);
	}
	return r;
}

pid_t userns_spawner_clone(UsernsSpawner *s, int (*fn)(void *userdata), void *userdata, int flags, int *ret_pidfd) {
	pid_t spawner = s->pid;
	int status;

	s->fn = fn;
	s->userdata = userdata;
	s->flags = flags;
	s->child = -ECHILD;
	if (write(s->go[1], "", 1) != 1)
		return -errno;
	s->pid = 0;
	while (waitpid(spawner, &status, __WALL) < 0)
		if (errno != EINTR)
			return -errno;
	if (s->child > 0)
		*ret_pidfd = s->child_pidfd;
	return s->child;
}

void userns_spawner_done(UsernsSpawner *s) {
	/* EOF on its pipe: a spawner that still waits exits. */
	for (size_t i = 0; i < 2; i++)
		if (s->go[i] >= 0)
			close(s->go[i]);
	s->go[0] = s->go[1] = -EBADF;
	if (s->pid > 0)
		while (waitpid(s->pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	s->pid = 0;
	if (s->stack)
		munmap(s->stack, SPAWNER_STACK_SIZE + CHILD_STACK_SIZE);
	s->stack = NULL;
}
