/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "nspawn-file.h"
#include "nspawn-file-values.h"
#include "options-userns.h"
#include "parse-util.h"

#define EXPECTED_PRIVATE_USERS "a boolean, 'pick', 'identity' or SHIFT[:RANGE] (a first UID and a count)"

int options_parse_private_users(const char *value, Settings *s) {
	int b = value ? parse_boolean(value) : 1;
	uid_t shift = UID_INVALID, range = 0x10000;
	PrivateUsersMode mode;

	if (b >= 0)
		mode = b ? PRIVATE_USERS_YES : PRIVATE_USERS_NO;
	else if ((int) (mode = private_users_mode_from_string(value)) >= 0) {
		if (mode == PRIVATE_USERS_IDENTITY)
			shift = 0;
	} else if (parse_uid_shift_range(value, &shift, &range) >= 0)
		mode = PRIVATE_USERS_YES;
	else
		return log_invalid("Invalid value '%s' for --private-users=, expected %s", value,
				   EXPECTED_PRIVATE_USERS);
	s->private_users = mode;
	s->uid_shift = shift;
	s->uid_range = range;
	s->mask |= SETTING_PRIVATE_USERS;
	return 0;
}

int options_parse_userns_flag(Settings *s) {
	/* As nspawn: without the kernel's support, -U asks for nothing. */
	if (access("/proc/self/ns/user", F_OK) < 0)
		return 0;
	s->private_users = PRIVATE_USERS_PICK;
	s->uid_shift = UID_INVALID;
	s->uid_range = 0x10000;
	s->mask |= SETTING_PRIVATE_USERS;
	return 0;
}

int options_parse_private_users_ownership(const char *value, Settings *s) {
	PrivateUsersOwnership o;

	if (streq(value, "help")) {
		for (int i = 0; i < _PRIVATE_USERS_OWNERSHIP_MAX; i++)
			puts(private_users_ownership_to_string(i));
		return 1;
	}
	o = private_users_ownership_from_string(value);
	if ((int) o < 0)
		return log_invalid("Invalid value '%s' for --private-users-ownership=, expected one of: off, "
				   "chown, map, auto", value);
	s->private_users_ownership = o;
	s->mask |= SETTING_PRIVATE_USERS_OWNERSHIP;
	return 0;
}

int options_verify_userns(Settings *s) {
	if (s->private_users_ownership < 0)
		s->private_users_ownership = s->private_users == PRIVATE_USERS_PICK ? PRIVATE_USERS_OWNERSHIP_AUTO
										   : PRIVATE_USERS_OWNERSHIP_OFF;
	if (s->private_users == PRIVATE_USERS_NO)
		return 0;
	if (access("/proc/self/ns/user", F_OK) < 0)
		return log_invalid("--private-users= needs user namespaces, which this kernel does not have");
	/* A changed owner would have to be written to the tree under the overlay or tmpfs, or to a tree
	 * that is mounted read-only: a copy-up of everything, or impossible. */
	if (s->private_users_ownership == PRIVATE_USERS_OWNERSHIP_CHOWN && s->read_only)
		return log_invalid("--read-only and --private-users-ownership=chown may not be combined");
	if (s->private_users_ownership == PRIVATE_USERS_OWNERSHIP_CHOWN &&
	    (s->ephemeral || s->volatile_mode != VOLATILE_NO))
		return log_invalid("--ephemeral or --volatile= and --private-users-ownership=chown may not be "
				   "combined: the tree under the overlay cannot change its owners");
	/* berth maps host sources before the container exists; one in the tree ("+") would have to be
	 * mapped from inside, where there is no privilege to. */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type == NSPAWN_MOUNT_BIND && s->mounts[i].idmap != BIND_IDMAP_NONE &&
		    (!s->mounts[i].source || s->mounts[i].source[0] == '+'))
			return log_invalid("The bind option '%s' of '%s' needs a host source with --private-users=",
					   bind_idmap_to_string(s->mounts[i].idmap), s->mounts[i].destination);
	return 0;
}
