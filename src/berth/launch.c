/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup-devices.h"
#include "cgroup-resources.h"
#include "child.h"
#include "console.h"
#include "fd-util.h"
#include "fileio.h"
#include "guardian.h"
#include "image-raw.h"
#include "host-files.h"
#include "journal.h"
#include "launch.h"
#include "libraries.h"
#include "log.h"
#include "machine-id.h"
#include "machine-record.h"
#include "mount-custom.h"
#include "network.h"
#include "notify.h"
#include "port-forward.h"
#include "port-proxy.h"
#include "process-util.h"
#include "register.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "socket-util.h"
#include "strv.h"
#include "supervisor.h"
#include "time-util.h"
#include "tree.h"
#include "userns.h"

/* Everything berth holds for one run; released in launch_done. */
typedef struct Launch {
	Settings *settings;
	int lock_fd;
	sd_id128_t uuid;
	bool transient_machine_id;
	char *host_os_release;
	HostFiles host_files;
	CustomMounts custom_mounts;
	BoundDevices bound_devices; /* the device nodes among the binds, which it may open */
	JournalLink journal;
	SeccompFilter seccomp;
	ConsoleMode console_mode;
	int pty_master;
	char *pty_path;
	MachineRecord record;
	bool record_created;
	Registration reg;
	MachineCgroup cgroup;
	Guardian guardian;
	NetifState net;    /* the container's links, while it runs */
	PortForwarding ports;
	PortProxy *proxy;  /* holds the host ports from start to end, and relays ::1 */
	int netns_path_fd; /* --network-namespace-path=, for the container to join */
	pid_t pid;
	int pidfd;
	int notify_fd;
	UserNamespace userns;
	int root_fd;       /* the tree as an id-mapped mount, for the child, until it is sent */
	ImageRaw image;    /* --image=: its lock and loop device */
	bool child_shares_memory; /* this run's child was started with clone_sharing_memory() */
} Launch;

static void launch_done(Launch *l) {
	closep(&l->lock_fd);
	free(l->host_os_release);
	host_files_done(&l->host_files);
	mount_custom_done(&l->custom_mounts);
	bound_devices_done(&l->bound_devices);
	journal_link_done(&l->journal);
	seccomp_filter_done(&l->seccomp);
	closep(&l->pty_master);
	free(l->pty_path);
	closep(&l->pidfd);
	closep(&l->notify_fd);
	cgroup_machine_done(&l->cgroup);
	registration_done(&l->reg);
	/* Torn down at the end of each run already (stop_network). */
	port_forward_done(&l->ports);
	l->proxy = port_proxy_free(l->proxy);
	netif_state_done(&l->net);
	closep(&l->netns_path_fd);
	closep(&l->root_fd);
	image_raw_done(&l->image);
	userns_done(&l->userns);
	/* Only when no guardian took it over (start_guardian). */
	if (l->record_created)
		(void) machine_record_remove(MACHINE_RECORD_DIR, l->record.name);
	l->record.name = NULL; /* borrowed from the settings */
	l->record.root = NULL;
	machine_record_done(&l->record);
}

static ConsoleMode console_mode_pick(ConsoleMode m) {
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (m == CONSOLE_AUTOPIPE)
		return tty ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
	if (m < 0)
		return tty ? CONSOLE_INTERACTIVE : CONSOLE_READ_ONLY;
	return m;
}

/* The host-side preparation that needs nothing of the kernel's but files: tree, lock, ids. */
static int prepare(Launch *l) {
	Settings *s = l->settings;
	bool shared = s->ephemeral || s->read_only || s->volatile_mode != VOLATILE_NO;
	int r;

	/* The libraries and the system call filter first: what berth cannot load stops it before
	 * anything is made. */
	r = libraries_open_for(s);
	if (r < 0)
		return r;
	if (mkdir("/run/berth", 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create /run/berth: %m");
	/* Compiled (or read from its cache) here, so the container's process only loads it. */
	r = seccomp_filter_prepare(&(SeccompPolicy) { .capabilities = s->capabilities,
						       .allow = s->syscall_allow,
						       .deny = s->syscall_deny },
				   NULL, &l->seccomp);
	if (r < 0)
		return r;

	r = tree_resolve(s);
	if (r >= 0 && s->image)
		r = image_raw_setup(s, &l->image);
	if (r < 0)
		return r;
	/* Bad network settings are reported before anything is set up. */
	r = netif_check(s);
	if (r < 0 || (r = port_proxy_new(s->ports, s->n_ports, &l->proxy)) < 0)
		return r;
	if (s->network_namespace_path &&
	    (r = netif_open_namespace_path(s->network_namespace_path, &l->netns_path_fd)) < 0)
		return r;
	r = tree_lock(s->directory, shared, &l->lock_fd);
	if (r < 0)
		return r;
	r = userns_prepare(s, s->directory, &l->userns);
	if (r < 0)
		return r;
	r = machine_id_pick(s->directory, s->uuid, &l->uuid, &l->transient_machine_id);
	if (r < 0)
		return r;
	if (read_full_file("/etc/os-release", &l->host_os_release, NULL) < 0)
		(void) read_full_file("/usr/lib/os-release", &l->host_os_release, NULL);
	r = host_files_prepare(s, &l->host_files);
	if (r < 0)
		return r;
	r = journal_link_prepare(s, l->uuid, &l->journal);
	if (r < 0)
		return r;
	if (mkdir(ROOTFS_STAGING_DIR, 0700) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create %s: %m", ROOTFS_STAGING_DIR);
	r = mount_custom_prepare(s, &l->custom_mounts);
	if (r >= 0)
		r = bound_devices_find(s, &l->bound_devices);
	if (r >= 0 && l->userns.enabled)
		r = mount_custom_take_host_binds(&l->custom_mounts, l->userns.shift);
	if (r < 0)
		return r;

	l->console_mode = console_mode_pick(s->console_mode);
	if (l->console_mode != CONSOLE_PIPE) {
		r = console_open_pty(&l->pty_master, &l->pty_path);
		if (r < 0)
			return log_error_errno(r, "Failed to allocate a pseudo-terminal for the console: %m");
		/* The container's root opens it as its console, and group tty (5) writes to it. */
		if (l->userns.enabled &&
		    chown(l->pty_path, userns_root_uid(&l->userns), userns_root_uid(&l->userns) + 5) < 0)
			return log_error_errno(errno, "Failed to hand the console to the container's root: %m");
	}
	return 0;
}

static int start_guardian(Launch *l) {
	GuardianTask task = {
		.machine = l->settings->machine,
		.record_dir = MACHINE_RECORD_DIR,
		.network = &l->net,
		.custom_mounts = &l->custom_mounts,
	};
	int r;

	task.cgroup_path = cgroup_cleanup_path(&l->cgroup, &task.remove_cgroup);
	task.remove_v1_cgroups = l->cgroup.backend == CGROUP_BACKEND_CGROUPFS;
	r = guardian_start(&task, l->lock_fd, &l->guardian);
	if (r >= 0) /* the guardian removes the record from now on */
		l->record_created = false;
	return r;
}

/* The machine's name, and the cgroup and guardian where berth can make them before the container
 * runs: from then on, the guardian cleans up. Under systemd without --keep-unit, the scope is made
 * for the container's leader (place_machine). */
static int begin_machine(Launch *l) {
	Settings *s = l->settings;
	MachineRecord holder = {};
	int r;

	l->record = (MachineRecord) {
		.name = s->machine,
		.root = s->directory,
		.id = l->uuid,
		.supervisor = getpid(),
		.start_usec = now_usec(CLOCK_REALTIME),
	};
	(void) process_start_time(getpid(), &l->record.supervisor_start);
	r = machine_record_create(MACHINE_RECORD_DIR, &l->record, &holder);
	if (r == -EBUSY) {
		log_error("Machine '%s' is already running (berth PID %d, from '%s')", holder.name,
			  (int) holder.supervisor, holder.root ?: "?");
		machine_record_done(&holder);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to record machine '%s' in %s: %m", s->machine, MACHINE_RECORD_DIR);
	l->record_created = true;

	r = register_prepare(s, &l->reg);
	if (r < 0)
		return r;
	if (l->reg.bus && s->keep_unit) {
		/* The unit's cgroup is delegated to us; the guardian runs in it beside berth. */
		r = cgroup_use_own(&l->cgroup);
		return r < 0 ? r : start_guardian(l);
	}
	if (l->reg.bus)
		return 0;

	r = cgroup_create_machine(s->machine, &l->cgroup);
	if (r < 0)
		return r;
	r = start_guardian(l);
	if (r < 0) {
		(void) cgroup_kill_and_remove(l->cgroup.path, 0, true);
		return r;
	}
	/* After the guardian started: it stays outside, to remove the machine's cgroup at the end. */
	return cgroup_attach_self(&l->cgroup);
}

/* The child waits in its cgroup, with its users mapped: it may set itself up now (with the tree
 * as an id-mapped mount under -U), while berth does what must be done before the payload runs. */
static int let_child_set_up(Launch *l, int sync_fd) {
	int r = send_with_fd(sync_fd, "", 1, l->root_fd);

	l->root_fd = safe_close(l->root_fd);
	if (r < 0)
		return log_error_errno(r, "Failed to start the container: %m");
	return 0;
}

/* The container's root manages the payload's cgroup (systemd as PID 1 makes its own below it). */
static int delegate_payload_cgroup(Launch *l) {
	return cgroup_delegate_payload(&l->cgroup, userns_root_uid(&l->userns), userns_root_uid(&l->userns));
}

/* The container runs and waits: put it in its scope (made now, on its first start under systemd)
 * and register it, then let it go on. */
static int place_machine(Launch *l, int sync_fd) {
	Settings *s = l->settings;
	MachineInfo m = {
		.name = s->machine,
		.id = l->uuid,
		.leader = l->pid,
		.root = s->directory,
		.slice = s->slice,
		.kill_signal = s->kill_signal,
		.properties = s->properties,
		.ifindices = l->net.ifindices,
		.n_ifindices = l->net.n_ifindices,
		.devices = &l->bound_devices,
	};
	int r;

	if (!l->cgroup.path) {
		r = register_create_scope(&l->reg, &m);
		if (r < 0)
			return r;
		r = cgroup_adopt_scope(l->pid, &l->cgroup);
		if (r < 0)
			return r;
		/* Started before berth moves into the scope: it stays outside, to kill what is left. */
		r = start_guardian(l);
		if (r < 0)
			return r;
		r = cgroup_attach_self(&l->cgroup);
		if (r < 0 || (r = let_child_set_up(l, sync_fd)) < 0)
			return r;
	} else {
		r = register_machine(&l->reg, &m);
		if (r < 0)
			return r;
	}

	l->record.leader = l->pid;
	(void) process_start_time(l->pid, &l->record.leader_start);
	free(l->record.cgroup);
	l->record.cgroup = strdup(l->cgroup.path);
	free(l->record.unit);
	l->record.unit = cgroup_unit(&l->cgroup);
	r = machine_record_update(MACHINE_RECORD_DIR, &l->record);
	if (r < 0)
		log_warning_errno(r, "Failed to update the record of machine '%s', ignoring: %m", l->record.name);

	/* A child that shared berth's memory got its cgroup before it was made, and runs its payload. */
	if (l->child_shares_memory)
		return 0;
	if (l->userns.enabled && (r = delegate_payload_cgroup(l)) < 0)
		return r;
	/* The child set itself up meanwhile, and waits for this to run the payload. */
	r = send_with_fd(sync_fd, "x", 1, -EBADF);
	if (r < 0)
		return log_error_errno(r, "Failed to start the container: %m");
	return 0;
}

/* Whether berth has nothing to do between the container's clone and its payload's exec: no links
 * to move in, no scope or registration, no limits to write after the clone, a child that executes
 * something (the stub of --as-pid2 stays), and in a user namespace, a child that may make its own
 * /proc. Then the child may share berth's memory (clone_sharing_memory) while berth waits, instead
 * of a copy of it. */
static bool child_may_share_memory(const Launch *l) {
	const Settings *s = l->settings;

	return !l->reg.bus && l->cgroup.path && l->cgroup.payload_fd >= 0 && !netif_wanted(s) && s->n_ports == 0 &&
	       strv_length(s->properties) == 0 && !s->slice && s->start_mode != START_PID2 &&
	       (!l->userns.enabled || userns_may_mount_proc());
}

static int run_child(void *userdata) {
	child_main(userdata);
}

/* Under -U, a spawner holds the container's user namespace first: berth maps it, takes the tree
 * through it, and then the spawner clones the child into it, sharing berth's memory. */
static pid_t clone_into_user_namespace(Launch *l, ChildContext *c, int flags, int *ret_pidfd) {
	UsernsSpawner spawner;
	pid_t pid;
	int r;

	r = delegate_payload_cgroup(l);
	if (r < 0)
		return r;
	r = userns_spawner_start(&spawner);
	if (r < 0)
		return log_error_errno(r, "Failed to create the container's user namespace: %m");
	r = userns_write_maps(&l->userns, spawner.pid);
	if (r >= 0)
		r = userns_map_tree(&l->userns, spawner.pid, l->settings->directory, &c->root_fd);
	pid = r < 0 ? r : userns_spawner_clone(&spawner, run_child, c, flags & ~CLONE_NEWUSER, ret_pidfd);
	userns_spawner_done(&spawner);
	c->root_fd = safe_close(c->root_fd);
	if (r >= 0 && pid < 0)
		return log_error_errno(pid, "Failed to create the container's namespaces: %m");
	return pid;
}

static int clone_container(Launch *l, int *ret_sync_fd) {
	Settings *s = l->settings;
	_cleanup_close_ int parent_pidfd = pidfd_open_pid(getpid());
	int sync[2], pidfd = -EBADF, flags;
	ChildContext c;
	pid_t pid;

	if (parent_pidfd < 0)
		return log_error_errno(parent_pidfd, "Failed to open a pidfd for berth: %m");
	l->child_shares_memory = child_may_share_memory(l);
	/* Confined before it exists: it runs its payload before berth could do anything more. */
	if (l->child_shares_memory && l->cgroup.backend == CGROUP_BACKEND_CGROUPFS) {
		int r = cgroup_devices_apply(&l->cgroup, s->machine, 0, &l->bound_devices);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
		return log_error_errno(errno, "Failed to create a socket pair: %m");
	c = (ChildContext) {
		.settings = s,
		.tree = s->directory,
		.sync_fd = sync[1],
		.parent_pidfd = parent_pidfd,
		.console_path = l->pty_path,
		.term = l->console_mode == CONSOLE_INTERACTIVE ? getenv("TERM") : NULL,
		.host_os_release = l->host_os_release,
		.uuid = l->uuid,
		/* A booting systemd sets its id up itself from container_uuid, and tells a first boot
		 * ("uninitialized") from a tree that merely has none yet: berth's mount would hide both. */
		.transient_machine_id = l->transient_machine_id && s->start_mode != START_BOOT,
		.host_files = &l->host_files,
		.custom_mounts = &l->custom_mounts,
		.journal = &l->journal,
		.seccomp = &l->seccomp,
		.device_mapper_bound = bound_devices_include(&l->bound_devices, false, DEVICE_MAPPER_CONTROL),
		.netns_fd = l->netns_path_fd,
		.userns = l->userns.enabled,
		.root_fd = -EBADF,
		.proc_fd = -EBADF,
		.shares_memory = l->child_shares_memory,
		.join_cgroup_fd = l->child_shares_memory ? l->cgroup.payload_fd : -EBADF,
		.join_devices_cgroup = l->child_shares_memory && l->cgroup.backend == CGROUP_BACKEND_CGROUPFS,
	};
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		(l->userns.enabled ? CLONE_NEWUSER : 0) |
		(s->private_network && l->netns_path_fd < 0 ? CLONE_NEWNET : 0);
	fflush(stdout);
	fflush(stderr);

	if (l->child_shares_memory) {
		/* The child replaces environ with the payload's before its exec: berth keeps its own. */
		char **own_environ = environ;
		if (l->userns.enabled)
			pid = clone_into_user_namespace(l, &c, flags, &pidfd);
		else if ((pid = clone_sharing_memory(run_child, &c, flags, &pidfd)) < 0)
			log_error_errno(pid, "Failed to create the container's namespaces: %m");
		environ = own_environ;
	} else {
		struct clone_args args = {
			.flags = (uint64_t) flags | CLONE_PIDFD | (l->cgroup.payload_fd >= 0 ? CLONE_INTO_CGROUP : 0),
			.pidfd = (uint64_t) (uintptr_t) &pidfd,
			.exit_signal = SIGCHLD,
			.cgroup = l->cgroup.payload_fd >= 0 ? (uint64_t) l->cgroup.payload_fd : 0,
		};
		pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
		if (pid < 0)
			pid = log_error_errno(errno, "Failed to create the container's namespaces: %m");
		else if (pid == 0) {
			close(sync[0]);
			child_main(&c);
		}
	}
	close(sync[1]);
	if (pid < 0) {
		close(sync[0]);
		return pid;
	}
	l->pid = pid;
	l->pidfd = pidfd;
	*ret_sync_fd = sync[0];
	return 0;
}

/* Follows the child until it executed the command (EOF) or reports why it could not. Returns the
 * exit code berth must exit with when it failed, or 0. */
static int wait_for_exec(Launch *l, int sync_fd) {
	for (;;) {
		ChildMessage m;
		int fd;
		ssize_t n = receive_with_fd(sync_fd, &m, sizeof m, &fd);

		if (n != sizeof m) {
			safe_close(fd);
			return 0;
		}
		if (m.type == CHILD_NOTIFY_SOCKET) {
			safe_close(l->notify_fd);
			l->notify_fd = fd;
			continue;
		}
		safe_close(fd);
		if (!m.logged) {
			const char *cmd = l->settings->command ? l->settings->command[0] : "the login shell";
			log_error_errno(m.error, "Failed to execute '%s' in the container: %m", cmd);
		}
		return m.exit_code ? m.exit_code : 1;
	}
}

/* The container's addresses changed: port forwarding follows them. */
static int on_network_change(EventSource *source, int fd, uint32_t revents, void *userdata) {
	port_forward_update(userdata);
	return 0;
}

static int attach_ports(EventLoop *e, void *userdata) {
	Launch *l = userdata;
	int fd = port_forward_fd(&l->ports), r;

	if (fd >= 0) {
		r = event_add_io(e, NULL, fd, EPOLLIN, on_network_change, &l->ports);
		if (r < 0)
			return log_error_errno(r, "Failed to watch the container's network: %m");
	}
	return port_proxy_attach(l->proxy, e, &l->ports.current);
}

static int supervise(Launch *l, ContainerExit *ret) {
	Settings *s = l->settings;
	SupervisorConfig config = {
		.machine = s->machine,
		.pid = l->pid,
		.pidfd = l->pidfd,
		.kill_signal = s->kill_signal,
		.pty_master = l->pty_master,
		.notify_fd = l->notify_fd,
		.notify_ready = s->notify_ready,
		.boot = s->start_mode == START_BOOT,
		.quiet = s->quiet,
		.attach = attach_ports,
		.attach_userdata = l,
	};
	int r;

	switch (l->console_mode) {
	case CONSOLE_INTERACTIVE:
		config.console_flags = CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT;
		break;
	case CONSOLE_READ_ONLY:
		config.console_flags = CONSOLE_FORWARD_OUTPUT;
		break;
	default:
		config.console_flags = 0;
	}
	r = supervisor_run(&config, ret);
	port_proxy_detach(l->proxy);
	return r;
}

static int start_network(Launch *l) {
	int r = netif_setup(l->settings, l->pid, &l->net);
	if (r >= 0)
		r = port_forward_start(l->settings, &l->net, &l->ports);
	/* Even after a failure: the guardian holds what was made, until berth removed it. */
	if (guardian_update_network(&l->guardian, &l->net) < 0 && r >= 0)
		r = -EIO;
	return r;
}

/* berth removes the container's links itself, so that a reboot can make them again; the guardian
 * only does when berth could not. */
static void stop_network(Launch *l) {
	port_forward_done(&l->ports);
	if (l->net.n_undo == 0 && l->net.netns_fd < 0)
		return;
	netif_teardown(&l->net);
	(void) guardian_update_network(&l->guardian, &l->net);
}

/* Without a service manager, berth itself confines the container's devices and resources: before
 * the child makes its cgroup namespace, so that it sees its own cgroups as the root in every
 * hierarchy (a child that shares berth's memory joins them itself, clone_container()). */
static int confine_child(Launch *l) {
	Settings *s = l->settings;
	int r;

	if (l->cgroup.backend != CGROUP_BACKEND_CGROUPFS)
		return 0;
	r = cgroup_devices_apply(&l->cgroup, s->machine, l->pid, &l->bound_devices);
	if (r >= 0)
		r = cgroup_resources_apply(&l->cgroup, s->machine, l->pid, s->properties, s->slice);
	return r;
}

/* The child waits for the go: its users are mapped before it does anything. */
static int map_and_start_child(Launch *l, int sync_fd) {
	int r;

	r = userns_write_maps(&l->userns, l->pid);
	if (r < 0 || (r = userns_map_tree(&l->userns, l->pid, l->settings->directory, &l->root_fd)) < 0)
		return r;
	if (l->userns.enabled) {
		_cleanup_close_ int proc_fd = -EBADF;
		r = userns_make_proc(&l->userns, l->pidfd, &proc_fd);
		if (r < 0)
			return r;
		r = send_with_fd(sync_fd, "p", 1, proc_fd);
		if (r < 0)
			return log_error_errno(r, "Failed to pass /proc to the container: %m");
	}
	/* Born in its cgroup (else it waits until it is in its scope, place_machine). */
	if (!l->cgroup.path)
		return 0;
	r = confine_child(l);
	return r < 0 ? r : let_child_set_up(l, sync_fd);
}

/* One start of the container, up to its exit. */
static int run_once(Launch *l, ContainerExit *ret) {
	_cleanup_close_ int sync_fd = -EBADF;
	int r, failed;

	r = clone_container(l, &sync_fd);
	if (r < 0)
		return r;
	/* A child that shared berth's memory needed nothing of berth's, and runs its payload by now. */
	if (!l->child_shares_memory && (r = map_and_start_child(l, sync_fd)) < 0)
		return r;
	/* Its links go in before it runs the payload, and before registration, which names their
	 * host side. */
	r = start_network(l);
	if (r >= 0)
		r = place_machine(l, sync_fd);
	if (r >= 0) {
		/* The supervisor runs even when the child failed, so its exit is reaped and its output
		 * shown. */
		failed = wait_for_exec(l, sync_fd);
		r = supervise(l, ret);
		if (failed)
			*ret = (ContainerExit) { .exit_code = failed };
		l->pidfd = safe_close(l->pidfd);
		l->notify_fd = safe_close(l->notify_fd);
		/* machined knows the machine by its leader, which is gone; a reboot registers the next one. */
		register_unregister(&l->reg, l->settings->machine);
	}
	stop_network(l);
	return r;
}

static int run(Launch *l, int *ret_exit_code) {
	ContainerExit exit;
	int r;

	r = prepare(l);
	if (r < 0)
		return r;
	r = begin_machine(l);
	if (r < 0)
		return r;
	if (!l->settings->quiet)
		log_info("Spawning container '%s' on '%s'%s", l->settings->machine, l->settings->directory,
			 l->console_mode == CONSOLE_INTERACTIVE ?
				 ".\nPress Ctrl-] three times within 1s to kill the container" : "");
	r = supervisor_block_signals();
	if (r < 0)
		return log_error_errno(r, "Failed to block signals: %m");

	for (;;) {
		r = run_once(l, &exit);
		if (r < 0 || !exit.reboot)
			break;
		/* Under a service manager (--keep-unit), the unit restarts us on 133 (documented). */
		if (l->settings->keep_unit) {
			exit.exit_code = EXIT_REBOOT;
			break;
		}
		if (!l->settings->quiet)
			log_info("Container '%s' is rebooting", l->settings->machine);
		notify_manager("STATUS=Container rebooting");
	}
	/* A boot that failed before its supervisor ran had told its manager nothing (libsystemd is not
	 * open then): nothing to take back either. */
	notify_manager("STOPPING=1\nSTATUS=Container stopped");
	*ret_exit_code = exit.exit_code;
	return r;
}

int launch_container(Settings *s) {
	Launch l = { .settings = s, .lock_fd = -EBADF, .pty_master = -EBADF, .pidfd = -EBADF, .notify_fd = -EBADF,
		     .journal = { .host_tree_fd = -EBADF },
		     .host_files = { .resolv_tree_fd = -EBADF, .localtime_tree_fd = -EBADF },
		     .cgroup = { .payload_fd = -EBADF },
		     .guardian = { .socket_fd = -EBADF }, .image = IMAGE_RAW_INIT, .net = NETIF_STATE_INIT,
		     .netns_path_fd = -EBADF, .userns = USER_NAMESPACE_INIT, .root_fd = -EBADF };
	int exit_code = EXIT_FAILURE, r;

	r = run(&l, &exit_code);
	if (r < 0)
		exit_code = EXIT_FAILURE;
	else if (!s->quiet && exit_code != 0)
		log_info("Container '%s' exited with status %d", s->machine, exit_code);

	/* The container's PID 1 is gone or never started; the guardian removes the rest. */
	if (l.pid > 0 && r < 0)
		(void) pidfd_send(l.pidfd, SIGKILL);
	register_unregister(&l.reg, s->machine);
	/* Out of the machine's cgroup first: the guardian kills everything left in it. */
	if (cgroup_detach_self(&l.cgroup) < 0 && exit_code == 0)
		exit_code = EXIT_FAILURE;
	if (guardian_finish(&l.guardian) < 0 && exit_code == 0)
		exit_code = EXIT_FAILURE;
	launch_done(&l);
	return exit_code;
}
