/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shell: run a command (or a login shell) inside a running machine and return its exit status.
 * berthctl enters the machine's namespaces itself through the leader's pidfd, so the command is
 * our child and its status is ours to report. The command is born in the machine's cgroup, so it
 * is counted, frozen and killed with the machine; on a terminal it gets a pseudo-terminal of the
 * machine's own, relayed, so it never holds the user's terminal (no TIOCSTI into the host). */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "berthctl.h"
#include "console.h"
#include "event-loop.h"
#include "fd-util.h"
#include "log.h"
#include "machine-lookup.h"
#include "process-util.h"
#include "strv.h"

/* Looks user up in the machine's own /etc/passwd (we are in its mount namespace by now). NSS is
 * avoided on purpose: it would load the host's modules against the machine's files. */
static int lookup_user(const char *user, struct passwd *ret, char **ret_buf) {
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	if (!f)
		return -errno;
	while ((pw = fgetpwent(f))) {
		char *end;
		unsigned long uid = strtoul(user, &end, 10);
		if (!streq(pw->pw_name, user) && !(*user && *end == 0 && uid == pw->pw_uid))
			continue;
		char *buf = NULL;
		if (asprintf(&buf, "%s%c%s%c%s", pw->pw_name, 0, pw->pw_dir, 0, pw->pw_shell) < 0) {
			fclose(f);
			return -ENOMEM;
		}
		*ret = *pw;
		ret->pw_name = buf;
		ret->pw_dir = buf + strlen(buf) + 1;
		ret->pw_shell = ret->pw_dir + strlen(ret->pw_dir) + 1;
		*ret_buf = buf;
		fclose(f);
		return 0;
	}
	fclose(f);
	return -ESRCH;
}

static char **shell_environment(const struct passwd *pw) {
	char **env = NULL;
	const char *term = getenv("TERM");

	if (strv_env_setf(&env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
	    strv_env_setf(&env, "HOME", pw->pw_dir) < 0 ||
	    strv_env_setf(&env, "USER", pw->pw_name) < 0 ||
	    strv_env_setf(&env, "LOGNAME", pw->pw_name) < 0 ||
	    strv_env_setf(&env, "SHELL", pw->pw_shell) < 0 ||
	    strv_env_setf(&env, "TERM", term ?: "vt220") < 0)
		goto fail;
	for (char **e = arg.setenv; e && *e; e++)
		if (strv_env_set(&env, *e) < 0)
			goto fail;
	return env;
fail:
	strv_free(env);
	return NULL;
}

/* Runs in the forked child, inside all the machine's namespaces. Never returns. */
static _noreturn_ void shell_child(const char *user, char **cmd) {
	struct passwd pw = {};
	char *buf = NULL, **env;
	int r;

	r = lookup_user(user, &pw, &buf);
	if (r < 0) {
		log_error_errno(r, "Failed to find user '%s' in the machine: %m", user);
		_exit(EXIT_FAILURE);
	}
	if (setgroups(0, NULL) < 0 && pw.pw_uid != 0)
		log_warning_errno(-errno, "Failed to drop supplementary groups, ignoring: %m");
	if (pw.pw_uid != 0 && initgroups(pw.pw_name, pw.pw_gid) < 0)
		log_debug_errno(-errno, "Failed to set supplementary groups, ignoring: %m");
	if (setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0 || setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0) {
		log_error_errno(-errno, "Failed to change to user '%s': %m", pw.pw_name);
		_exit(EXIT_FAILURE);
	}
	if (chdir(pw.pw_dir) < 0)
		(void) chdir("/");
	env = shell_environment(&pw);
	if (!env)
		_exit(EXIT_FAILURE);
	if (strv_length(cmd) == 0) {
		/* A login shell, as login(1) starts it: argv[0] with a leading dash. */
		const char *base = strrchr(pw.pw_shell, '/');
		char *argv0 = NULL;
		if (asprintf(&argv0, "-%s", base ? base + 1 : pw.pw_shell) < 0)
			_exit(EXIT_FAILURE);
		execve(pw.pw_shell, (char *[]) { argv0, NULL }, env);
		log_error_errno(-errno, "Failed to execute '%s': %m", pw.pw_shell);
		_exit(127);
	}
	environ = env;
	execvp(cmd[0], cmd);
	log_error_errno(-errno, "Failed to execute '%s': %m", cmd[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

static int split_user_machine(const char *spec, char **ret_user, const char **ret_machine) {
	const char *at = strchr(spec, '@');

	if (!at) {
		*ret_user = strdup(arg.uid ?: "root");
		*ret_machine = spec;
	} else {
		/* --uid= wins over USER@; an empty USER means root, as with machinectl */
		*ret_user = arg.uid ? strdup(arg.uid) : at == spec ? strdup("root") : strndup(spec, at - spec);
		*ret_machine = at + 1;
	}
	return *ret_user ? 0 : log_error_errno(-ENOMEM, "Out of memory");
}

static int exit_status(int code, int status) {
	if (code == CLD_EXITED)
		return status;
	if (code == CLD_KILLED || code == CLD_DUMPED)
		return 128 + status;
	return EXIT_FAILURE;
}

static int wait_child(pid_t pid) {
	siginfo_t si = {};

	/* The terminal's ^C goes to the command, which shares our process group. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitid(P_PID, pid, &si, WEXITED) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "Failed to wait for the shell: %m");
	return exit_status(si.si_code, si.si_status);
}

typedef struct Relay {
	EventLoop *event;
	int pidfd;
	int status;
} Relay;

static int on_shell_exit(EventSource *s, const siginfo_t *si, void *userdata) {
	Relay *relay = userdata;

	relay->status = exit_status(si->si_code, si->si_status);
	event_loop_exit(relay->event, 0);
	return 0;
}

static void on_escape(void *userdata) {
	Relay *relay = userdata;

	/* ^]^]^]: the command loses its terminal, as when a terminal window is closed. */
	(void) pidfd_send(relay->pidfd, SIGHUP);
	event_loop_exit(relay->event, 0);
}

/* Relays the pty until the command exits (then its last output is drained) or ^]^]^]. */
static int relay_until_exit(pid_t pid, int master) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(console_freep) Console *console = NULL;
	_cleanup_close_ int pidfd = pidfd_open_pid(pid);
	Relay relay = { .pidfd = pidfd, .status = -1 };
	int r;

	r = pidfd < 0 ? pidfd : event_loop_new(&e);
	relay.event = e;
	if (r >= 0)
		r = event_add_child_pidfd(e, NULL, pidfd, on_shell_exit, &relay);
	if (r >= 0)
		r = console_new(e, master, CONSOLE_FORWARD_INPUT | CONSOLE_FORWARD_OUTPUT, on_escape, &relay, &console);
	if (r >= 0)
		r = event_loop_run(e);
	if (r < 0) {
		(void) kill(pid, SIGKILL);
		return log_error_errno(r, "Failed to relay the shell's terminal: %m");
	}
	if (relay.status >= 0) {
		(void) console_drain(console);
		return relay.status;
	}
	return wait_child(pid);
}

/* The cgroup the command is born in: the machine's payload, or, when a service manager in the
 * machine manages that (processes cannot sit beside enabled controllers), the init.scope of its
 * own processes. -1 when there is none to join. */
static int open_shell_cgroup(const MachineRecord *rec, int *ret_fallback) {
	_cleanup_free_ char *cg = NULL, *scope = NULL;

	*ret_fallback = -EBADF;
	if (!rec->cgroup || machine_payload_cgroup(rec, &cg) < 0 || asprintf(&scope, "%s/init.scope", cg) < 0)
		return -EBADF;
	*ret_fallback = open(scope, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return open(cg, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static pid_t fork_into_cgroup(int cgroup_fd) {
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t) cgroup_fd,
	};

	if (cgroup_fd < 0)
		return -1;
	return (pid_t) syscall(SYS_clone3, &args, sizeof args);
}

int verb_shell(int argc, char *argv[]) {
	_cleanup_close_ int cgroup_fd = -EBADF, cgroup_fallback_fd = -EBADF, master = -EBADF;
	_cleanup_free_ char *user = NULL, *slave = NULL;
	MachineRecord rec = {};
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	const char *name;
	int r;
	pid_t pid;

	r = split_user_machine(argv[1], &user, &name);
	if (r < 0)
		return r;
	/* The cgroup is opened from the host's view, before entering the machine's mounts. */
	r = machine_lookup(name, &rec);
	if (r < 0)
		return r;
	cgroup_fd = open_shell_cgroup(&rec, &cgroup_fallback_fd);
	machine_record_done(&rec);
	r = machine_enter(name);
	if (r < 0)
		return r;
	/* The machine's /dev/ptmx by now: a pty of its devpts, which the command can open. */
	if (tty && (r = console_open_pty(&master, &slave)) < 0)
		return log_error_errno(r, "Failed to allocate a pseudo-terminal in machine '%s': %m", name);
	fflush(stdout);
	fflush(stderr);
	pid = fork_into_cgroup(cgroup_fd);
	if (pid < 0)
		pid = fork_into_cgroup(cgroup_fallback_fd);
	if (pid < 0)
		pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork: %m");
	if (pid == 0) {
		if (tty) {
			int fd;
			if (setsid() < 0 || (fd = open(slave, O_RDWR | O_CLOEXEC)) < 0 || ioctl(fd, TIOCSCTTY, 0) < 0 ||
			    dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
				log_error_errno(-errno, "Failed to set up the shell's terminal: %m");
				_exit(EXIT_FAILURE);
			}
		}
		shell_child(user, argv + 2);
	}
	if (tty)
		return relay_until_exit(pid, master);
	return wait_child(pid);
}
