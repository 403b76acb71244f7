/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* /etc/resolv.conf and /etc/localtime in the container, set from the host's as --resolv-conf=
 * and --timezone= say. Prepared in berth (auto resolved to a concrete mode, host files read),
 * taken in the child before pivot_root (bind sources as detached mounts), applied after it. */
typedef struct HostFiles {
	ResolvConfMode resolv_mode; /* never RESOLV_CONF_AUTO once prepared */
	const char *resolv_source;  /* the host file the mode names */
	char *resolv_content;
	size_t resolv_size;
	int resolv_tree_fd;

	TimezoneMode timezone_mode; /* never TIMEZONE_AUTO once prepared */
	char *zone;                 /* "Europe/Berlin", from the host's /etc/localtime link, or NULL */
	char *localtime_content;
	size_t localtime_size;
	int localtime_tree_fd;
} HostFiles;

int host_files_prepare(const Settings *s, HostFiles *ret);
int host_files_take(HostFiles *h);
int host_files_apply(const HostFiles *h);
void host_files_done(HostFiles *h);
