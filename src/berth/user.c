/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "parse-util.h"
#include "user.h"

void user_creds_done(UserCreds *c) {
	free(c->name);
	free(c->home);
	free(c->shell);
	free(c->groups);
	*c = (UserCreds) {};
}

static bool passwd_entry_matches(const struct passwd *pw, const char *user, bool numeric, unsigned uid) {
	return numeric ? pw->pw_uid == (uid_t) uid : streq(pw->pw_name, user);
}

/* The file read at once and parsed from memory: glibc's entry readers ask the file's position
 * before each entry, a system call each on a real file. The text is freed with the stream. */
static FILE *open_in_memory(const char *path, char **ret_text) {
	size_t size;
	FILE *f;
	int r = read_full_file(path, ret_text, &size);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	f = size > 0 ? fmemopen(*ret_text, size, "r") : fopen("/dev/null", "re");
	if (!f) {
		free(*ret_text);
		*ret_text = NULL;
	}
	return f;
}

static int find_passwd_entry(const char *user, UserCreds *c) {
	_cleanup_free_ char *text = NULL;
	FILE *f = open_in_memory("/etc/passwd", &text);
	bool numeric;
	unsigned uid = 0;
	struct passwd *pw;

	numeric = parse_unsigned(user, &uid) >= 0;
	if (!f)
		return -errno;
	while ((pw = fgetpwent(f))) {
		if (!passwd_entry_matches(pw, user, numeric, uid))
			continue;
		c->name = strdup(pw->pw_name);
		c->home = strdup(pw->pw_dir);
		c->shell = strdup(pw->pw_shell);
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
		fclose(f);
		return c->name && c->home && c->shell ? 0 : -ENOMEM;
	}
	fclose(f);
	return -ESRCH;
}

static int find_groups(UserCreds *c) {
	_cleanup_free_ char *text = NULL;
	FILE *f = open_in_memory("/etc/group", &text);
	struct group *gr;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((gr = fgetgrent(f))) {
		for (char **m = gr->gr_mem; m && *m; m++) {
			gid_t *n;
			if (!streq(*m, c->name))
				continue;
			n = realloc(c->groups, sizeof(gid_t) * (c->n_groups + 1));
			if (!n) {
				fclose(f);
				return -ENOMEM;
			}
			c->groups = n;
			c->groups[c->n_groups++] = gr->gr_gid;
		}
	}
	fclose(f);
	return 0;
}

int user_lookup(const char *user, UserCreds *ret) {
	UserCreds c = {};
	int r;

	r = find_passwd_entry(user ?: "root", &c);
	/* A tree without a passwd file (a --volatile=yes root) still runs as root. */
	if ((r == -ESRCH || r == -ENOENT) && !user) {
		c = (UserCreds) { .name = strdup("root"), .home = strdup("/root"), .shell = strdup("/bin/sh") };
		r = c.name && c.home && c.shell ? 0 : -ENOMEM;
	}
	if (r == -ESRCH || r == -ENOENT) {
		user_creds_done(&c);
		return log_error_errno(r, "No user '%s' in the container's /etc/passwd (--user=)", user);
	}
	if (r >= 0)
		r = find_groups(&c);
	if (r < 0) {
		user_creds_done(&c);
		return log_error_errno(r, "Failed to look up user '%s' in the container: %m", user ?: "root");
	}
	*ret = c;
	return 0;
}

int user_change(const UserCreds *c) {
	if (setgroups(c->n_groups, c->groups) < 0)
		return log_error_errno(errno, "Failed to set the groups of '%s': %m", c->name);
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		return log_error_errno(errno, "Failed to change to group %u: %m", (unsigned) c->gid);
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		return log_error_errno(errno, "Failed to change to user '%s': %m", c->name);
	return 0;
}
