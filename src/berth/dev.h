/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* The basic nodes: null, zero, full, random, urandom, tty. */
#define DEV_N_NODES 6

/* In a user namespace, where no node can be made: detached binds of the host's basic nodes, in
 * dev_setup()'s order, taken before pivot_root. Logs. */
int dev_take_host_nodes(int node_fds[static DEV_N_NODES]);

/* A private /dev: a tmpfs with the basic nodes (made, or node_fds bound when not NULL), a new devpts
 * instance, /dev/shm, /dev/mqueue and /dev/console bound to berth's pty (console_tree_fd, or -1 in
 * pipe mode). After pivot_root. */
int dev_setup(int console_tree_fd, const int *node_fds);
