/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-id128.h>

/* Before the container starts: the machine's id is the tree's /etc/machine-id when that holds
 * one; otherwise the --uuid given (fallback, may be null) or a random one, and *ret_transient
 * says it is not the tree's: a command gets it bound over the file for the run (a booting init
 * sets it up itself from container_uuid). */
int machine_id_pick(const char *tree, sd_id128_t fallback, sd_id128_t *ret, bool *ret_transient);

/* In the container, after pivot_root: binds a file with id over /etc/machine-id, creating the
 * file as an empty mount point if it is missing and the root is writable. */
int machine_id_bind_transient(sd_id128_t id);
