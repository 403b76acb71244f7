/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-id128.h>

#include "user.h"

typedef struct EnvironmentContext {
	sd_id128_t uuid;
	char **host_os_release; /* parsed, for container_host_* */
	const char *term;       /* TERM for the console */
	const UserCreds *user;
	const char *notify_socket; /* NOTIFY_SOCKET for the payload, or NULL */
	char **extra;           /* --setenv, applied last */
} EnvironmentContext;

/* The command's environment: PATH, container=berth, container_uuid, container_host_*, TERM,
 * HOME, USER, LOGNAME, then --setenv. Nothing of berth's own environment leaks in. */
int environment_build(const EnvironmentContext *c, char ***ret);
