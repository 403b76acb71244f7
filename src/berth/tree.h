/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "settings.h"

/* Finds the tree to run: --directory (created from --template when missing), or the image named
 * by --machine in the image directories. Replaces s->directory with the canonical path and checks
 * that it looks like an OS tree. Logs what is wrong. */
int tree_resolve(Settings *s);

/* Locks the tree for this run: exclusively for a writable run, shared for runs that never write
 * to it (ephemeral, volatile, read-only). A conflict is an error naming the machine that holds
 * the lock. Returns the fd holding the lock. */
int tree_lock(const char *root, bool shared, int *ret_fd);
