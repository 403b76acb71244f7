/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The capability bounding set a container gets by default: what an OS needs to boot and run
 * services as root in a container, without the powers over the host (modules, raw I/O, time,
 * BPF, perf, ...). The same set systemd-nspawn keeps. */
uint64_t caps_default_bounding_set(bool private_network);

/* Drops every capability not in keep from the bounding set. */
int caps_apply_bounding_set(uint64_t keep);
