/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shell: run a command (or a login shell) inside a running machine and return its exit status.
 * berthctl enters the machine's namespaces itself through the leader's pidfd, so the command is
 * our child and its status is ours to report. */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berthctl.h"
#include "log.h"
#include "machine-lookup.h"
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

static int wait_child(pid_t pid) {
	int status;

	/* The terminal's ^C goes to the command, which shares our process group. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_error_errno(-errno, "Failed to wait for the shell: %m");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAILURE;
}

int verb_shell(int argc, char *argv[]) {
	_cleanup_free_ char *user = NULL;
	const char *name;
	int r;
	pid_t pid;

	r = split_user_machine(argv[1], &user, &name);
	if (r < 0)
		return r;
	r = machine_enter(name);
	if (r < 0)
		return r;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "Failed to fork: %m");
	if (pid == 0)
		shell_child(user, argv + 2);
	return wait_child(pid);
}
