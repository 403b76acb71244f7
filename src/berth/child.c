/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup-devices.h"
#include "child.h"
#include "environment.h"
#include "fd-util.h"
#include "generators.h"
#include "log.h"
#include "machine-id.h"
#include "mount-util.h"
#include "mount-custom.h"
#include "mount.h"
#include "network.h"
#include "notify.h"
#include "os-release.h"
#include "process-attrs.h"
#include "process-util.h"
#include "rootfs.h"
#include "socket-util.h"
#include "seccomp-filter.h"
#include "strv.h"
#include "stub.h"
#include "user.h"

static _Noreturn void child_fail(const ChildContext *c, int error, int exit_code, bool logged) {
	ChildMessage m = { .type = CHILD_FAILED, .error = error, .exit_code = exit_code, .logged = logged };
	(void) !write(c->sync_fd, &m, sizeof m);
	_exit(exit_code);
}

/* Hands the notification socket to berth, which reads it; the container keeps only the path. */
static int send_notify_socket(const ChildContext *c, int fd) {
	ChildMessage m = { .type = CHILD_NOTIFY_SOCKET };
	int r = send_with_fd(c->sync_fd, &m, sizeof m, fd);

	if (r < 0)
		return log_error_errno(r, "Failed to pass the notification socket to berth: %m");
	return 0;
}

static bool wants_notify_socket(const Settings *s) {
	return s->start_mode == START_BOOT || s->notify_ready;
}

/* PR_SET_PDEATHSIG makes the kernel kill the container's PID 1, and so its whole PID namespace,
 * when berth dies. It is set after fork, so berth may already be gone: check through its pidfd. */
static int die_with_parent(const ChildContext *c) {
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return log_error_errno(errno, "Failed to set the parent death signal: %m");
	/* A pidfd polls readable once its process exited (signals through it cannot cross into an
	 * outer PID namespace, polling can). */
	if (poll(&(struct pollfd) { .fd = c->parent_pidfd, .events = POLLIN }, 1, 0) != 0)
		_exit(EXIT_FAILURE);
	return 0;
}

/* Everything done while the host's tree is still visible: the root is assembled, and the host
 * objects the container gets (the pty, files to bind) are taken as detached mounts. */
/* Keeps stdio, the sync socket, berth's pidfd, the tree and /proc berth made, and the bind mounts
 * berth took for the container (mount_custom_take_host_binds). */
static int close_fds_but_ours(const ChildContext *c) {
	size_t n = 7, most = 7 + (c->custom_mounts ? c->custom_mounts->n : 0);
	_cleanup_free_ int *keep = malloc(most * sizeof(int));

	if (!keep)
		return -ENOMEM;
	memcpy(keep, (int[]) { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO, c->sync_fd, c->parent_pidfd, c->root_fd,
			       c->proc_fd },
	       7 * sizeof(int));
	for (size_t i = 0; c->custom_mounts && i < c->custom_mounts->n; i++)
		if (c->custom_mounts->mounts[i].tree_fd >= 0)
			keep[n++] = c->custom_mounts->mounts[i].tree_fd;
	return close_all_fds_except(keep, n);
}

static int setup_before_pivot(const ChildContext *c, ApiVfsContext *api, int *ret_console_tree, char **ret_root) {
	int r;

	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return log_error_errno(errno, "Failed to make the mount namespace private: %m");
	r = rootfs_setup(c->settings, c->tree, c->root_fd, ret_root);
	if (r < 0)
		return r;
	/* In a user namespace, /proc and /sys can only be mounted while the host's are in sight, and
	 * device nodes not made at all: the host's are bound. */
	if (c->userns && (r = mount_take_api_vfs_for_userns(api)) < 0)
		return r;
	/* Bind sources and overlay layers on the host can only be reached now. */
	r = mount_custom_take(c->custom_mounts, *ret_root);
	if (r < 0)
		return r;
	*ret_console_tree = -EBADF;
	if (c->console_path) {
		r = mount_clone_detached(c->console_path);
		if (r < 0)
			return log_error_errno(r, "Failed to take the console '%s': %m", c->console_path);
		*ret_console_tree = r;
	}
	r = journal_link_take(c->journal);
	if (r < 0)
		return r;
	return host_files_take(c->host_files);
}

static int setup_container(const ChildContext *c) {
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int console_tree = -EBADF, generator_masks = -EBADF;
	const Settings *s = c->settings;
	ApiVfsContext api;
	int r;

	api = (ApiVfsContext) {
		.private_network = s->private_network,
		.userns = c->userns,
		.host_os_release = c->host_os_release,
		.uuid = c->uuid,
	};
	api_vfs_context_init_fds(&api);
	api.proc_fd = c->proc_fd;
	r = setup_before_pivot(c, &api, &console_tree, &root);
	if (r >= 0)
		r = rootfs_pivot(root);
	api.console_tree_fd = console_tree;
	if (r >= 0)
		r = mount_setup_api_vfs(&api);
	api.console_tree_fd = -EBADF;
	api_vfs_context_done(&api);
	if (r < 0)
		return r;
	/* On the fresh /run, under whatever the user binds there. */
	if (s->start_mode == START_BOOT)
		generator_masks = generators_open_mask_dir();
	/* After the API file systems, so that mounts below /dev, /run or /tmp land on them. */
	r = mount_custom_apply(c->custom_mounts);
	if (r < 0)
		return r;
	if (generator_masks >= 0)
		generators_mask_idle(generator_masks, &(GuestFacts) {
			.device_mapper_bound = c->device_mapper_bound,
			.init_has_arguments = (s->command && s->command[0]) || strv_env_get(s->environment, "SYSTEMD_PROC_CMDLINE"),
		});
	if (wants_notify_socket(s)) {
		_cleanup_close_ int notify_fd = -EBADF;
		if ((r = notify_socket_create(&notify_fd)) < 0 || (r = send_notify_socket(c, notify_fd)) < 0)
			return r;
	}
	if ((r = mount_seal_run_host()) < 0)
		return r;
	if (c->transient_machine_id && (r = machine_id_bind_transient(c->uuid)) < 0)
		return r;
	r = host_files_apply(c->host_files);
	if (r < 0 || (r = journal_link_apply(c->journal)) < 0)
		return r;
	if (sethostname(s->hostname ?: s->machine, strlen(s->hostname ?: s->machine)) < 0)
		return log_error_errno(errno, "Failed to set the hostname: %m");
	if (s->private_network && (r = loopback_setup()) < 0)
		return r;
	return 0;
}

/* The console becomes stdin and stdout; take_tty makes it the controlling terminal. Standard error
 * stays berth's until just before the exec (stdio_finish), so that a failure of the last steps is
 * reported where berth's own messages go, not into a console that may not be shown at all. */
static int setup_stdio(const ChildContext *c, bool take_tty, int *ret_console_fd) {
	_cleanup_close_ int fd = -EBADF;

	*ret_console_fd = -EBADF;
	if (!c->console_path)
		return 0;
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "Failed to open /dev/console: %m");
	if (take_tty && ioctl(fd, TIOCSCTTY, 0) < 0)
		return log_error_errno(errno, "Failed to make /dev/console the controlling terminal: %m");
	for (int i = 0; i < 2; i++)
		if (dup2(fd, i) < 0)
			return log_error_errno(errno, "Failed to set up stdio: %m");
	*ret_console_fd = TAKE_FD(fd);
	return 0;
}

/* The console becomes standard error too. */
static int stdio_finish(int console_fd) {
	if (console_fd < 0)
		return 0;
	if (dup2(console_fd, STDERR_FILENO) < 0)
		return log_error_errno(errno, "Failed to set up stdio: %m");
	close(console_fd);
	return 0;
}

static int exit_code_for_exec_error(int error) {
	return error == -ENOENT || error == -ENOTDIR ? 127 : 126;
}

/* No command: the user's shell as a login shell ("-bash"), as nspawn does. Returns on failure. */
static void exec_login_shell(const char *shell) {
	_cleanup_free_ char *arg0 = NULL;
	const char *base;

	if (isempty(shell))
		shell = "/bin/sh";
	base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
	if (asprintf(&arg0, "-%s", base) < 0) {
		errno = ENOMEM;
		return;
	}
	execv(shell, (char *[]) { arg0, NULL });
}

/* --boot: the tree's init, with the command line's arguments as its own. Returns on failure. */
static void exec_init(char * const *args) {
	static const char *const inits[] = { "/usr/lib/systemd/systemd", "/lib/systemd/systemd", "/sbin/init" };
	size_t n = 0;
	char **argv;

	while (args && args[n])
		n++;
	argv = calloc(n + 2, sizeof(char *));
	if (!argv) {
		errno = ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = args[i];
	for (size_t i = 0; i < ELEMENTSOF(inits); i++) {
		argv[0] = (char *) inits[i];
		execv(inits[i], argv);
	}
	errno = ENOENT;
	free(argv);
}

/* The last steps, in the process that becomes the command: user, environment, exec. filtered: it
 * runs under the system call filter already (the stub's). */
static _Noreturn void exec_payload(const ChildContext *c, bool take_tty, bool filtered) {
	const Settings *s = c->settings;
	_cleanup_strv_free_ char **env = NULL, **host = NULL;
	UserCreds user = {};
	EnvironmentContext ec;
	const char *cwd;
	bool filter_first;
	int console_fd, r;

	if ((r = setup_stdio(c, take_tty, &console_fd)) < 0 || (r = user_lookup(s->user, &user)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	(void) os_release_parse(c->host_os_release ?: "", &host);
	ec = (EnvironmentContext) { .uuid = c->uuid, .host_os_release = host, .term = c->term,
				    .user = &user, .extra = s->environment,
				    .notify_socket = wants_notify_socket(s) ? NOTIFY_SOCKET_PATH : NULL };
	if (environment_build(&ec, &env) < 0)
		child_fail(c, log_error_errno(ENOMEM, "Out of memory"), EXIT_FAILURE, true);

	cwd = s->chdir ?: s->start_mode == START_BOOT ? "/" : access(user.home, X_OK) >= 0 ? user.home : "/";
	if (chdir(cwd) < 0)
		child_fail(c, log_error_errno(errno, "Failed to change to directory '%s' (--chdir=): %m", cwd),
			   EXIT_FAILURE, true);
	/* The system call filter comes last, so that none of berth's own steps runs under it. But the
	 * kernel takes a filter only from a process with CAP_SYS_ADMIN (or no_new_privs, which would
	 * disarm the set-user-ID programs in the container), and a change to a user other than root
	 * drops it: then the filter goes first, and the change of credentials runs under it. */
	filter_first = user.uid != 0;
	if ((r = caps_apply_bounding_set(s->capabilities)) < 0 ||
	    (r = caps_keep_for_user(s->ambient_capabilities, user.uid)) < 0 ||
	    (!filtered && filter_first && (r = seccomp_filter_apply(c->seccomp)) < 0) ||
	    (r = user_change(&user)) < 0 || (r = caps_apply_ambient(s->ambient_capabilities, user.uid)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	/* A change of credentials clears the parent death signal: set it again. */
	if (s->user && (r = die_with_parent(c)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	if (!filtered && !filter_first && (r = seccomp_filter_apply(c->seccomp)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	/* It matters only from the execve() on, and then holds for every process the command starts. */
	if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(c, log_error_errno(errno, "Failed to set no_new_privs: %m"), EXIT_FAILURE, true);
	if ((r = stdio_finish(console_fd)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);

	environ = env;
	if (s->start_mode == START_BOOT)
		exec_init(s->command);
	else if (s->command)
		execvp(s->command[0], s->command);
	else
		exec_login_shell(user.shell);
	child_fail(c, -errno, exit_code_for_exec_error(-errno), false);
}

/* The stub only waits and forwards signals: it keeps CAP_KILL, for a command that runs as another
 * user, and no other capability. */
static int stub_drop_capabilities(void) {
	cap_value_t keep = CAP_KILL;
	cap_t caps = cap_init();
	int r = 0;

	if (!caps)
		return log_error_errno(ENOMEM, "Out of memory");
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET) < 0 || cap_set_proc(caps) < 0)
		r = log_error_errno(errno, "Failed to drop the capabilities of the stub: %m");
	cap_free(caps);
	return r;
}

static _Noreturn void run_with_stub(const ChildContext *c) {
	int console_fd, r;
	pid_t pid;

	if (stub_block_signals() < 0)
		child_fail(c, log_error_errno(errno, "Failed to block signals: %m"), EXIT_FAILURE, true);
	if (setup_stdio(c, false, &console_fd) < 0)
		child_fail(c, -EIO, EXIT_FAILURE, true);
	/* The stub is a process of the container, which the command could trace and make do its
	 * bidding: it gets the container's bounding set and system call filter too (the command
	 * inherits both), and drops its capabilities once the command runs. */
	if ((r = caps_apply_bounding_set(c->settings->capabilities)) < 0 ||
	    (r = seccomp_filter_apply(c->seccomp)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	pid = fork();
	if (pid < 0)
		child_fail(c, log_error_errno(errno, "Failed to start the command: %m"), EXIT_FAILURE, true);
	if (pid == 0) {
		(void) stub_unblock_signals();
		if (setsid() < 0)
			child_fail(c, log_error_errno(errno, "Failed to start a session: %m"), EXIT_FAILURE, true);
		exec_payload(c, true, true);
	}
	if ((r = stub_drop_capabilities()) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	/* The stub keeps nothing of berth's: exec of the command closes the rest. */
	if (stdio_finish(console_fd) < 0)
		child_fail(c, -EIO, EXIT_FAILURE, true);
	close(c->sync_fd);
	close(c->parent_pidfd);
	stub_pid1_run(pid);
}

/* What the child fills in (the detached mounts it takes) goes to copies: with shares_memory, the
 * originals are berth's own, and berth would take the child's fds for its own. */
static void use_own_copies(ChildContext *c, HostFiles *host_files, JournalLink *journal, CustomMounts *custom) {
	const CustomMounts *original = c->custom_mounts;

	*host_files = *c->host_files;
	c->host_files = host_files;
	*journal = *c->journal;
	c->journal = journal;
	*custom = (CustomMounts) { .n = original->n };
	c->custom_mounts = custom;
	if (original->n == 0)
		return;
	custom->mounts = malloc(original->n * sizeof(CustomMount));
	if (!custom->mounts)
		child_fail(c, log_error_errno(ENOMEM, "Out of memory"), EXIT_FAILURE, true);
	memcpy(custom->mounts, original->mounts, original->n * sizeof(CustomMount));
}

/* With shares_memory, berth cannot move us while it waits: we join the cgroups it prepared. */
static void join_cgroups(const ChildContext *c) {
	int r;

	if (c->join_cgroup_fd >= 0) {
		_cleanup_close_ int fd = openat(c->join_cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		/* "0" is the writer: our PID in berth's namespace is not ours to see. */
		if (fd < 0 || write(fd, "0", 1) != 1)
			child_fail(c, log_error_errno(errno, "Failed to move the container into its cgroup: %m"),
				   EXIT_FAILURE, true);
	}
	if (c->join_devices_cgroup && (r = cgroup_devices_join_self(c->settings->machine)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
}

/* Those not at their default (all of them when that cannot be read). */
static void reset_signal_dispositions(void) {
	uint64_t changed = UINT64_MAX;

	(void) signals_not_default(&changed);
	for (int sig = 1; sig < _NSIG && sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (changed & (UINT64_C(1) << (sig - 1))))
			(void) sigaction(sig, &(struct sigaction) { .sa_handler = SIG_DFL }, NULL);
}

_Noreturn void child_main(const ChildContext *context) {
	ChildContext own = *context;
	const ChildContext *c = &own;
	HostFiles host_files;
	JournalLink journal;
	CustomMounts custom;
	int root_fd = context->root_fd, proc_fd = context->proc_fd, r;

	sigset_t none;

	if (die_with_parent(c) < 0)
		child_fail(c, -EIO, EXIT_FAILURE, true);
	/* berth blocked and ignored signals for its own loop, and inherited what its caller ignored
	 * (an exec keeps that): the container starts with defaults, or a ^C would not reach its
	 * commands. */
	sigemptyset(&none);
	(void) sigprocmask(SIG_SETMASK, &none, NULL);
	reset_signal_dispositions();
	use_own_copies(&own, &host_files, &journal, &custom);
	if (c->shares_memory)
		join_cgroups(c);
	/* Else berth may have to put us in the machine's cgroup first (a scope systemd makes for this
	 * process): it says when we are there. EOF: berth failed, and says why. In a user namespace,
	 * berth first sends the container's /proc, and then the tree with the go. */
	else if ((c->userns && receive_with_fd(c->sync_fd, &(char) { 0 }, 1, &proc_fd) != 1) ||
		 receive_with_fd(c->sync_fd, &(char) { 0 }, 1, &root_fd) != 1)
		_exit(EXIT_FAILURE);
	/* Root of the user namespace now that it has a map: nothing here is the host's root's. */
	if (c->userns && (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0))
		child_fail(c, log_error_errno(errno, "Failed to become root in the user namespace: %m"), EXIT_FAILURE,
			   true);
	/* Before anything is mounted: /sys shows the network namespace of whoever mounts it. */
	if (c->netns_fd >= 0 && setns(c->netns_fd, CLONE_NEWNET) < 0)
		child_fail(c, log_error_errno(errno, "Failed to join the network namespace '%s': %m",
					      c->settings->network_namespace_path),
			   EXIT_FAILURE, true);
	/* Now that we run in the payload cgroup, a new cgroup namespace makes it the root we see. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(c, log_error_errno(errno, "Failed to create a cgroup namespace: %m"), EXIT_FAILURE, true);
	/* Nothing of berth's reaches the container but stdio and the sync socket. */
	own.root_fd = root_fd;
	own.proc_fd = proc_fd;
	r = close_fds_but_ours(c);
	if (r < 0)
		child_fail(c, log_error_errno(r, "Failed to close file descriptors: %m"), EXIT_FAILURE, true);
	if (setsid() < 0)
		child_fail(c, log_error_errno(errno, "Failed to start a session: %m"), EXIT_FAILURE, true);

	r = setup_container(c);
	if (r < 0 || (r = process_attrs_apply(c->settings)) < 0)
		child_fail(c, r, EXIT_FAILURE, true);
	/* berth confines devices and resources, moves links in and registers the machine meanwhile:
	 * all of it holds before the payload runs. EOF: berth failed, and says why. */
	if (!c->shares_memory && receive_with_fd(c->sync_fd, &(char) { 0 }, 1, &(int) { -EBADF }) != 1)
		_exit(EXIT_FAILURE);

	if (c->settings->start_mode == START_PID2)
		run_with_stub(c);
	exec_payload(c, true, false);
}
