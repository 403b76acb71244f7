/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "cgroup.h"
#include "settings.h"

/* A device node of the host that --bind= or --bind-ro= hands the container: it may open it (read
 * only with --bind-ro=), as systemd-nspawn allows, though not make it with mknod. */
typedef struct BoundDevice {
	bool block;
	dev_t rdev;
	bool read_only;
} BoundDevice;

typedef struct BoundDevices {
	BoundDevice *devices;
	size_t n;
} BoundDevices;

/* The device nodes among the host bind sources of s ("+" sources are in the image and grant
 * nothing). Logs. */
int bound_devices_find(const Settings *s, BoundDevices *ret);
void bound_devices_done(BoundDevices *d);
/* Whether the character (or block) device rdev is among them. */
bool bound_devices_include(const BoundDevices *d, bool block, dev_t rdev);

/* The device-mapper's control node, /dev/mapper/control. */
#define DEVICE_MAPPER_CONTROL makedev(10, 236)

/* Device access of the container: only the nodes berth makes in its /dev (null, zero, full, random,
 * urandom, tty, net/tun, console and ptys) and the bound ones may be opened or made; block devices
 * and everything else are denied, even to a root that may call mknod. On a hybrid host the v1 devices controller
 * enforces it (the machine's own cgroup there, which pid joins; 0: the container joins it itself,
 * cgroup_devices_join_self); with no v1 devices hierarchy, a BPF device program on the payload's
 * cgroup2 directory. Logs. */
int cgroup_devices_apply(const MachineCgroup *cg, const char *machine, pid_t pid, const BoundDevices *bound);
/* In the container's first process, before it makes anything: joins the machine's v1 devices cgroup
 * when the host has that hierarchy. Logs. */
int cgroup_devices_join_self(const char *machine);
