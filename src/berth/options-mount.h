/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* berth's mount options, with the value syntax of their .nspawn keys (nspawn-file.h). */
typedef enum MountOptionKind {
	MOUNT_OPTION_BIND,         /* --bind= */
	MOUNT_OPTION_BIND_RO,      /* --bind-ro= */
	MOUNT_OPTION_TMPFS,        /* --tmpfs= */
	MOUNT_OPTION_OVERLAY,      /* --overlay= */
	MOUNT_OPTION_OVERLAY_RO,   /* --overlay-ro= */
	MOUNT_OPTION_INACCESSIBLE, /* --inaccessible= */
	MOUNT_OPTION_PIVOT_ROOT,   /* --pivot-root= */
	_MOUNT_OPTION_KIND_MAX,
} MountOptionKind;

/* Adds the mount to s->mounts (after those given before it), or sets --pivot-root=. Logs an error
 * naming the option and the value, and returns -EINVAL, for a bad value. */
int options_parse_mount(MountOptionKind kind, const char *value, Settings *s);

/* Refuses what the mount settings cannot be combined with. Logs. */
int options_verify_mounts(const Settings *s);
