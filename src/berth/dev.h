/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* A private /dev: a tmpfs with the basic nodes, a new devpts instance, /dev/shm, /dev/mqueue and
 * /dev/console bound to berth's pty (console_tree_fd, or -1 in pipe mode). After pivot_root. */
int dev_setup(int console_tree_fd);
