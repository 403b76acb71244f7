/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* edit NAME: the image's settings file in /etc/systemd/nspawn, changed in an editor on a copy and
 * put in place only when the editor succeeded and berth's parser accepts the result. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berthctl.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-lookup.h"
#include "log.h"
#include "nspawn-file.h"
#include "strv.h"

/* The trusted place: berth honours every setting of a file here. */
#define SETTINGS_DIR "/etc/systemd/nspawn"

/* The text to start from: the settings file in /etc, else the one berth reads now (in /run, or
 * beside the image), else an empty one; and the mode to save with, the file's own if it is in /etc. */
static int starting_text(const char *name, const char *image, const char *settings, char **ret_text,
			 mode_t *ret_mode) {
	_cleanup_free_ char *path = NULL;
	struct stat st;
	bool trusted;
	int r = nspawn_file_find(NULL, name, image, &path, &trusted);

	*ret_mode = 0644;
	if (r == -ENOENT) {
		*ret_text = strdup("");
		return *ret_text ? 0 : log_error_errno(ENOMEM, "Out of memory");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to look for the settings of '%s': %m", name);
	if (stat(path, &st) < 0)
		return log_error_errno(errno, "Failed to read '%s': %m", path);
	r = read_full_file(path, ret_text, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", path);
	if (streq(path, settings))
		*ret_mode = st.st_mode & 07777;
	return 0;
}

/* $SYSTEMD_EDITOR, $EDITOR and $VISUAL (each a command with arguments, split at blanks), then the
 * usual editors: the first that exists runs. */
static _noreturn_ void exec_editor(const char *file) {
	static const char *const vars[] = { "SYSTEMD_EDITOR", "EDITOR", "VISUAL" };
	static const char *const fallbacks[] = { "editor", "nano", "vim", "vi" };

	for (size_t i = 0; i < ELEMENTSOF(vars) + ELEMENTSOF(fallbacks); i++) {
		const char *cmd = i < ELEMENTSOF(vars) ? getenv(vars[i]) : fallbacks[i - ELEMENTSOF(vars)];
		_cleanup_free_ char *copy = NULL;
		_cleanup_strv_free_ char **argv = NULL;
		char *save = NULL;

		if (isempty(cmd))
			continue;
		copy = strdup(cmd);
		for (char *w = copy ? strtok_r(copy, " \t\n", &save) : NULL; w; w = strtok_r(NULL, " \t\n", &save))
			if (strv_extend(&argv, w) < 0)
				_exit(EXIT_FAILURE);
		if (!argv || strv_extend(&argv, file) < 0)
			_exit(EXIT_FAILURE);
		execvp(argv[0], argv);
		if (errno != ENOENT) {
			log_error_errno(errno, "Failed to run the editor '%s': %m", cmd);
			_exit(EXIT_FAILURE);
		}
	}
	log_error("No editor found: set $EDITOR, or install editor, nano, vim or vi");
	_exit(EXIT_FAILURE);
}

/* The editor has the terminal: ^C is for it, so berthctl ignores SIGINT and SIGQUIT until it ends
 * and can clean up after it. Returns 0 when the editor succeeded, -errno after saying what went
 * wrong otherwise. */
static int run_editor(const char *file, const char *settings) {
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status = 0;
	pid_t pid;

	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		exec_editor(file);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0)
		return log_error_errno(errno, "Failed to fork: %m");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_error("The editor failed (exit status %d), '%s' is left as it was", WEXITSTATUS(status), settings);
	else
		log_error("The editor was killed by signal %s, '%s' is left as it was",
			  sigabbrev_np(WTERMSIG(status)) ?: "?", settings);
	return -ECANCELED;
}

/* Whether text parses as berth parses a trusted settings file; the parser reports every problem,
 * naming path and line. */
static bool parses(const char *text, size_t size, const char *path) {
	FILE *f = fmemopen((void *) text, size, "r");
	NspawnFile file;
	int r;

	if (!f)
		return false;
	r = nspawn_file_parse(f, &(NspawnFileParseOptions) { .path = path, .trusted = true }, &file);
	fclose(f);
	if (r < 0)
		return false;
	nspawn_file_done(&file);
	return true;
}

/* Puts the edited copy tmp in place of settings if the text changed and parses: 1 when it did, 0
 * when nothing changed, -errno after saying why not. */
static int save_edit(const char *tmp, const char *settings, const char *before) {
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *after = NULL;
	size_t size;
	int r;

	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (r = read_full_fd(fd, &after, &size)) < 0)
		return log_error_errno(fd < 0 ? -errno : r, "Failed to read the edited copy '%s': %m", tmp);
	if (streq(after, before)) {
		if (!arg.quiet)
			log_info("No changes, nothing saved");
		return 0;
	}
	if (!parses(after, size, settings)) {
		log_error("The edited settings do not parse, '%s' is left as it was", settings);
		return -EINVAL;
	}
	/* On disk before it replaces the old file, so a crash leaves one or the other whole. */
	if (fsync(fd) < 0 || rename(tmp, settings) < 0)
		return log_error_errno(errno, "Failed to save '%s': %m", settings);
	return 1;
}

static int edit_settings(const char *name, const char *settings, const char *before, mode_t mode) {
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&tmp, SETTINGS_DIR "/.#%s" NSPAWN_FILE_SUFFIX "XXXXXX", name) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	/* Beside the settings file, so that the rename that puts it in place is atomic. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "Failed to create a copy to edit in %s: %m", SETTINGS_DIR);
	r = loop_write(fd, before, strlen(before));
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = -errno;
	fd = safe_close(fd);
	if (r < 0)
		log_error_errno(r, "Failed to write '%s': %m", tmp);
	else
		r = run_editor(tmp, settings);
	if (r >= 0)
		r = save_edit(tmp, settings, before);
	if (r <= 0)
		(void) unlink(tmp);
	return r < 0 ? 1 : 0;
}

int verb_edit(int argc, char *argv[]) {
	_cleanup_free_ char *image = NULL, *settings = NULL, *before = NULL;
	ImageType type;
	mode_t mode;
	int r = image_lookup(argv[1], &type, &image);

	if (r != 0)
		return r;
	if (asprintf(&settings, SETTINGS_DIR "/%s" NSPAWN_FILE_SUFFIX, argv[1]) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = starting_text(argv[1], image, settings, &before, &mode);
	if (r < 0)
		return r;
	if ((mkdir("/etc/systemd", 0755) < 0 && errno != EEXIST) || (mkdir(SETTINGS_DIR, 0755) < 0 && errno != EEXIST))
		return log_error_errno(errno, "Failed to create %s: %m", SETTINGS_DIR);
	return edit_settings(argv[1], settings, before, mode);
}
