/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* A user of the container, looked up in its own /etc/passwd and /etc/group (never the host's
 * NSS: the host's users mean nothing in the container). */
typedef struct UserCreds {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;
	gid_t *groups;
	size_t n_groups;
} UserCreds;

/* user: a name or a numeric uid; NULL means root. Root is found even when the tree's passwd
 * lacks it, with home /root and shell /bin/sh. Run after pivot_root. Logs. */
int user_lookup(const char *user, UserCreds *ret);
/* Switches to the user: supplementary groups, gid, uid. */
int user_change(const UserCreds *c);
void user_creds_done(UserCreds *c);
