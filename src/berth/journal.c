/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "id128-util.h"
#include "journal.h"
#include "log.h"
#include "mount-util.h"

#define JOURNAL_DIR "/var/log/journal"

static bool mode_is_try(LinkJournal m) {
	return m == LINK_JOURNAL_TRY_HOST || m == LINK_JOURNAL_TRY_GUEST || m == LINK_JOURNAL_AUTO;
}

/* Creates var/log/journal/ID below the tree, never following a symlink out of it. */
static int mkdir_in_tree(const char *tree, const char *id) {
	const char *parts[] = { "var", "log", "journal", id };
	_cleanup_close_ int fd = open(tree, O_DIRECTORY | O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		struct open_how how = { .flags = O_DIRECTORY | O_PATH | O_CLOEXEC,
					.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH };
		int next;

		if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST)
			return -errno;
		next = (int) syscall(SYS_openat2, fd, parts[i], &how, sizeof how);
		if (next < 0)
			return -errno;
		close(fd);
		fd = next;
	}
	return 0;
}

/* guest: the host's /var/log/journal/ID links to the tree's. */
static int prepare_guest(const Settings *s, const char *id, JournalLink *j) {
	_cleanup_free_ char *target = NULL;
	char current[4096];
	ssize_t n;
	int r;

	if (s->ephemeral || s->volatile_mode != VOLATILE_NO)
		return -EROFS; /* nothing the guest writes stays in the tree */
	r = mkdir_in_tree(s->directory, id);
	if (r < 0)
		return r;
	if (asprintf(&target, "%s" JOURNAL_DIR "/%s", s->directory, id) < 0)
		return -ENOMEM;
	n = readlink(j->host_dir, current, sizeof current - 1);
	if (n > 0 && (current[n] = 0, streq(current, target)))
		return 0;
	if (n < 0 && errno != ENOENT)
		return errno == EINVAL ? -EEXIST : -errno; /* a directory or file of the host's own */
	if (n > 0 && unlink(j->host_dir) < 0)
		return -errno;
	if (mkdir(JOURNAL_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	return symlink(target, j->host_dir) < 0 ? -errno : 0;
}

static int prepare_host(const Settings *s, const char *id, JournalLink *j) {
	int r;
	if (mkdir(JOURNAL_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(j->host_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* The guest needs a mount point; in an overlay or volatile root it is made there. */
	if (!s->ephemeral && s->volatile_mode == VOLATILE_NO && !s->read_only) {
		r = mkdir_in_tree(s->directory, id);
		if (r < 0)
			return r;
	}
	return 0;
}

static LinkJournal resolve_auto(const char *host_dir) {
	struct stat st;
	if (lstat(host_dir, &st) < 0)
		return LINK_JOURNAL_NO;
	return S_ISLNK(st.st_mode) ? LINK_JOURNAL_TRY_GUEST : S_ISDIR(st.st_mode) ? LINK_JOURNAL_TRY_HOST : LINK_JOURNAL_NO;
}

int journal_link_prepare(const Settings *s, sd_id128_t id, JournalLink *ret) {
	JournalLink j = { .host_tree_fd = -EBADF };
	char ids[SD_ID128_STRING_MAX];
	LinkJournal mode = s->link_journal;
	int r = 0;

	id128_to_string(id, ids);
	snprintf(j.guest_dir, sizeof j.guest_dir, JOURNAL_DIR "/%s", ids);
	if (asprintf(&j.host_dir, JOURNAL_DIR "/%s", ids) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	if (mode == LINK_JOURNAL_AUTO)
		mode = resolve_auto(j.host_dir);

	if (mode == LINK_JOURNAL_GUEST || mode == LINK_JOURNAL_TRY_GUEST) {
		r = prepare_guest(s, ids, &j);
		j.mode = LINK_JOURNAL_GUEST;
	} else if (mode == LINK_JOURNAL_HOST || mode == LINK_JOURNAL_TRY_HOST) {
		r = prepare_host(s, ids, &j);
		j.mode = LINK_JOURNAL_HOST;
	} else
		j.mode = LINK_JOURNAL_NO;

	if (r < 0 && !mode_is_try(mode)) {
		free(j.host_dir);
		return log_error_errno(r, "--link-journal=%s: failed to link '%s' for the guest's journal: %m",
				       link_journal_to_string(mode), j.guest_dir);
	}
	if (r < 0) {
		log_debug_errno(r, "Not linking the guest's journal: %m");
		j.mode = LINK_JOURNAL_NO;
	}
	*ret = j;
	return 0;
}

int journal_link_take(JournalLink *j) {
	if (j->mode != LINK_JOURNAL_HOST)
		return 0;
	j->host_tree_fd = mount_clone_detached(j->host_dir);
	if (j->host_tree_fd < 0)
		return log_error_errno(j->host_tree_fd, "Failed to take '%s': %m", j->host_dir);
	return 0;
}

int journal_link_apply(const JournalLink *j) {
	int r;
	if (j->mode != LINK_JOURNAL_HOST)
		return 0;
	if (mkdir(JOURNAL_DIR, 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create " JOURNAL_DIR " in the container: %m");
	if (mkdir(j->guest_dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create '%s' in the container: %m", j->guest_dir);
	r = mount_attach(j->host_tree_fd, j->guest_dir);
	if (r < 0)
		return log_error_errno(r, "Failed to bind the host's journal directory to '%s': %m", j->guest_dir);
	return 0;
}

void journal_link_done(JournalLink *j) {
	free(j->host_dir);
	closep(&j->host_tree_fd);
	*j = (JournalLink) { .host_tree_fd = -EBADF };
}
