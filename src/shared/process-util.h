/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A process's start time in clock ticks since boot (field 22 of /proc/PID/stat). With the PID it
 * names one process for good: a reused PID has a later start time. */
int process_start_time(pid_t pid, uint64_t *ret);
/* Whether pid still names the process that had start_time. */
bool process_is_same(pid_t pid, uint64_t start_time);

/* The signals this process ignores or catches, as a mask with bit N-1 for signal N (SigIgn and
 * SigCgt of /proc/self/status): what an exec keeps (ignored) or a forked child must not run
 * (caught), so that resetting these resets every disposition, in 3 system calls instead of 64. */
int signals_not_default(uint64_t *ret);

int pidfd_open_pid(pid_t pid);
int pidfd_send(int pidfd, int sig);

/* Starts fn(userdata) in a child process that shares the caller's memory, with the extra clone
 * flags (namespaces): the caller stays suspended until the child executes a program or exits
 * (vfork semantics), so the child may use the heap and what the caller's variables hold, but
 * whatever it changes there is changed for the caller too. No copy of the address space is made,
 * and neither side pays copy-on-write faults after it. The child has its own fd table and starts
 * with every signal blocked. Returns the child's PID (and a pidfd for it, when asked), or -errno. */
pid_t clone_sharing_memory(int (*fn)(void *userdata), void *userdata, int flags, int *ret_pidfd);
/* Runs fn(userdata) in a child process that shares the caller's memory (clone_sharing_memory),
 * and waits for it to exit: for a few system calls in a process of their own, such as entering a
 * namespace. Returns what fn returned (0-255), or -errno when the child could not run or was killed. */
int run_in_child(int (*fn)(void *userdata), void *userdata);

/* A child in a user namespace that the caller maps before the child runs, sharing the caller's
 * memory as with clone_sharing_memory(): a spawner process is cloned into the new user namespace
 * (sharing memory and fd table) and waits; the caller writes its /proc/PID/uid_map and gid_map,
 * then the spawner clones fn(userdata) with the extra flags, as the caller's child, while the
 * caller waits until that child executed a program or exited. Namespaces in flags belong to the
 * new user namespace. */
typedef struct UsernsSpawner {
	pid_t pid;       /* the spawner, while it waits: its maps are the caller's to write */
	pid_t parent;
	int go[2];       /* a byte lets it clone the child, EOF lets it exit */
	void *stack;     /* its stack and the child's */
	int (*fn)(void *userdata);
	void *userdata;
	int flags;
	pid_t child;     /* set by the spawner: the child's PID or -errno */
	int child_pidfd;
} UsernsSpawner;

/* Starts the spawner. Returns 0 or -errno. */
int userns_spawner_start(UsernsSpawner *s);
/* Has it clone the child, and waits until the child executed a program or exited. Returns the
 * child's PID (and its pidfd) or -errno. The spawner is gone after this. */
pid_t userns_spawner_clone(UsernsSpawner *s, int (*fn)(void *userdata), void *userdata, int flags, int *ret_pidfd);
/* Ends a spawner that still waits and frees what it used. */
void userns_spawner_done(UsernsSpawner *s);
