/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "dlopen-util.h"
#include "settings.h"

/* The libraries berth opens only for the runs that need them (dlopen-util.h): libblkid for a raw
 * image, libmount for --tmpfs=, libmnl for the network options, libnftnl for --port=, and
 * libseccomp to compile the system call filter (seccomp-filter.c). A plain run of a directory
 * tree maps none of them. libsystemd is opened by the bus code on a host that runs systemd, and for
 * a service manager that listens to berth (notify.h): here for a command, by the supervisor of a
 * boot once the guest's init runs. */

/* Opens lib; when it cannot, says which library, what needed it ("--image=") and why. */
int library_open(DlLibrary *lib, const char *needed_for);

/* Opens every library the settings call for, before anything is set up: a missing one stops berth
 * with nothing to undo. The container's process finds them open: it must never load one itself,
 * from whatever file system it sees. */
int libraries_open_for(const Settings *s);
