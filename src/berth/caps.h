/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The capability bounding set a container gets by default: what an OS needs to boot and run
 * services as root in a container, without the powers over the host (modules, raw I/O, time,
 * BPF, perf, ...). The same set systemd-nspawn keeps. */
uint64_t caps_default_bounding_set(bool private_network);

/* Drops every capability not in keep from the bounding set. */
int caps_apply_bounding_set(uint64_t keep);

/* Parses a list of capability names (or numbers) separated by commas or whitespace, as
 * --capability= takes them; "all" (when allow_all) sets every bit. -EINVAL with the bad word in
 * *ret_bad (to be freed). */
int caps_parse_list(const char *s, bool allow_all, uint64_t *ret, char **ret_bad);
/* Prints the capability names the kernel and libcap know, one a line, for "help". */
void caps_print_names(FILE *f);
/* "CAP_A, CAP_B" for messages; NULL when out of memory. */
char *caps_to_names(uint64_t set);

/* The payload's ambient capabilities, in two steps around the change to its user (uid). The kernel
 * clears the ambient set when a process changes from root to another user, and the permitted set
 * too unless told to keep it: caps_keep_for_user() asks it to keep the permitted set (for a user
 * other than root with ambient capabilities), and caps_apply_ambient(), after the change, makes
 * ambient the inheritable set (and, for a user other than root, the permitted set) and raises it
 * into the ambient set, which the kernel hands on across execve(). No-ops when ambient is 0. */
int caps_keep_for_user(uint64_t ambient, uid_t uid);
int caps_apply_ambient(uint64_t ambient, uid_t uid);
