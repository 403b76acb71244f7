/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "log.h"
#include "nspawn-file.h"
#include "options-mount.h"

static const struct {
	const char *name;
	const char *expected;
} mount_options[_MOUNT_OPTION_KIND_MAX] = {
	[MOUNT_OPTION_BIND] = { "--bind=", "SOURCE[:DESTINATION[:OPTIONS]], DESTINATION absolute, SOURCE a host "
					   "path, '+PATH' in the container or empty for a temporary directory, "
					   "OPTIONS among rbind, norbind, idmap, noidmap, rootidmap" },
	[MOUNT_OPTION_BIND_RO] = { "--bind-ro=", "SOURCE[:DESTINATION[:OPTIONS]], DESTINATION absolute, SOURCE "
						 "a host path, '+PATH' in the container or empty for a temporary "
						 "directory, OPTIONS among rbind, norbind, idmap, noidmap, rootidmap" },
	[MOUNT_OPTION_TMPFS] = { "--tmpfs=", "PATH[:OPTIONS], PATH absolute" },
	[MOUNT_OPTION_OVERLAY] = { "--overlay=", "LOWER:UPPER or LOWER[:LOWER...]:UPPER:DESTINATION, "
						 "DESTINATION absolute, UPPER empty for a temporary directory" },
	[MOUNT_OPTION_OVERLAY_RO] = { "--overlay-ro=", "LOWER:UPPER or LOWER[:LOWER...]:UPPER:DESTINATION, "
						       "DESTINATION absolute" },
	[MOUNT_OPTION_INACCESSIBLE] = { "--inaccessible=", "an absolute path" },
	[MOUNT_OPTION_PIVOT_ROOT] = { "--pivot-root=", "NEW[:OLD], absolute paths in the container" },
};

static int parse_pivot_root(const char *value, Settings *s) {
	char *new_root = NULL, *old_root = NULL;
	int r = parse_pivot_root_spec(value, &new_root, &old_root);

	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0)
		return log_invalid("Invalid value '%s' for %s, expected %s", value,
				   mount_options[MOUNT_OPTION_PIVOT_ROOT].name,
				   mount_options[MOUNT_OPTION_PIVOT_ROOT].expected);
	free(s->pivot_root_new);
	free(s->pivot_root_old);
	s->pivot_root_new = new_root;
	s->pivot_root_old = old_root;
	s->mask |= SETTING_PIVOT_ROOT;
	return 0;
}

static int parse_spec(MountOptionKind kind, const char *value, NspawnMount *m) {
	switch (kind) {
	case MOUNT_OPTION_BIND:
	case MOUNT_OPTION_BIND_RO:
		return parse_bind_spec(value, kind == MOUNT_OPTION_BIND_RO, m);
	case MOUNT_OPTION_TMPFS:
		return parse_tmpfs_spec(value, m);
	case MOUNT_OPTION_OVERLAY:
	case MOUNT_OPTION_OVERLAY_RO:
		return parse_overlay_spec(value, kind == MOUNT_OPTION_OVERLAY_RO, m);
	case MOUNT_OPTION_INACCESSIBLE:
		return parse_inaccessible_spec(value, m);
	default:
		return -EINVAL;
	}
}

int options_parse_mount(MountOptionKind kind, const char *value, Settings *s) {
	NspawnMount m = {};
	int r;

	if (kind == MOUNT_OPTION_PIVOT_ROOT)
		return parse_pivot_root(value, s);
	r = parse_spec(kind, value, &m);
	if (r >= 0)
		r = nspawn_mount_append(&s->mounts, &s->n_mounts, &m);
	nspawn_mount_done(&m);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0)
		return log_invalid("Invalid value '%s' for %s, expected %s", value, mount_options[kind].name,
				   mount_options[kind].expected);
	s->mask |= SETTING_MOUNTS;
	return 0;
}

int options_verify_mounts(const Settings *s) {
	/* A --volatile=yes root is a tmpfs with the tree's /usr: no directory of the tree to pivot to. */
	if (s->pivot_root_new && s->volatile_mode == VOLATILE_YES)
		return log_invalid("--pivot-root= (PivotRoot=) may not be combined with --volatile=yes");
	return 0;
}
