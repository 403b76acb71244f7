/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-id128.h>

#include "host-files.h"
#include "journal.h"
#include "mount-custom.h"
#include "seccomp-filter.h"
#include "settings.h"

/* What the container's first process needs. It runs in a copy of berth's memory, or in berth's
 * memory itself while berth waits (shares_memory): either way pointers into berth's data stay
 * valid, and what it fills in, it fills in on copies of its own. */
typedef struct ChildContext {
	const Settings *settings;
	const char *tree;            /* the canonical host path of the tree */
	int sync_fd;                 /* the child's end of the socket pair to berth */
	int parent_pidfd;            /* berth, to notice it died before PR_SET_PDEATHSIG took hold */
	const char *console_path;    /* the pty slave, or NULL in pipe mode */
	const char *term;            /* TERM for the command */
	const char *host_os_release; /* the host's os-release text */
	sd_id128_t uuid;
	bool transient_machine_id;
	JournalLink *journal;         /* likewise */
	HostFiles *host_files;         /* the child's own copy: it fills in the detached mounts */
	CustomMounts *custom_mounts;   /* likewise */
	const SeccompFilter *seccomp;  /* compiled by berth: the child only loads it */
	bool device_mapper_bound;      /* /dev/mapper/control is bound in (--bind=): see generators.h */
	int netns_fd;                  /* a network namespace to join (--network-namespace-path=), or -1 */
	bool userns;                   /* it runs in a user namespace of its own, mapped by berth */
	/* With userns: the tree as an id-mapped mount, which berth sends with the go (or has open for
	 * a child sharing its memory), and the container's /proc, which berth makes and sends to a
	 * copied child (a child sharing its memory makes its own: userns_may_mount_proc()). */
	int root_fd;
	int proc_fd;
	/* Started with clone_sharing_memory(): berth is suspended until the exec and sends nothing, so
	 * the child moves itself into its cgroups, which berth prepared. */
	bool shares_memory;
	int join_cgroup_fd;            /* with shares_memory: the payload's cgroup2 directory */
	bool join_devices_cgroup;      /* with shares_memory: the machine's v1 devices cgroup too */
} ChildContext;

/* Messages from the child to berth on the sync socket. EOF means the command was executed. Unless
 * it shares berth's memory, the child first waits for one byte from berth: it is in the machine's
 * cgroup (and its user namespace is mapped), go on; an id-mapped mount of the tree may come with
 * it. In a user namespace, a message with the container's /proc comes first. Then it waits for a
 * second byte before the payload runs. */
typedef enum ChildMessageType {
	CHILD_NOTIFY_SOCKET, /* the container's notification socket comes with it (SCM_RIGHTS) */
	CHILD_FAILED,        /* it could not start the command */
} ChildMessageType;

typedef struct ChildMessage {
	int32_t type;
	int32_t error;     /* CHILD_FAILED: a negative errno */
	int32_t exit_code; /* CHILD_FAILED: what berth should exit with */
	int32_t logged;    /* CHILD_FAILED: the child already said what went wrong */
} ChildMessage;

/* Runs in the cloned process: builds the container and executes the command. Never returns. */
_Noreturn void child_main(const ChildContext *c);
