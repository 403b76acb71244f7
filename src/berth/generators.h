/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* A booting container's systemd runs every generator at each boot, each an exec of its own (about
 * 19 ms of CPU here). berth masks those that would do nothing in this container, by /dev/null
 * links in /run/systemd/system-generators/ (which outranks every other generator directory):
 *   systemd-gpt-auto-generator          exits at once in a container;
 *   systemd-hibernate-resume-generator  acts only in an initrd;
 *   systemd-cryptsetup-generator, systemd-integritysetup-generator, systemd-veritysetup-generator
 *                                       set up device-mapper targets, which need the host's
 *                                       /dev/mapper/control: masked unless it is bound in;
 *   systemd-debug-generator, systemd-run-generator
 *                                       read only the kernel command line, which in a container
 *                                       is init's arguments: masked when it has none;
 *   systemd-rc-local-generator          masked when neither /etc/rc.local nor /etc/rc.d/rc.local
 *                                       exists;
 *   systemd-system-update-generator     masked when neither /system-update nor
 *                                       /etc/system-update exists.
 * The guest passes no credentials (berth has none to give), the other input newer generators read.
 * A generator the guest overrides itself (the same name in /etc/systemd/system-generators/ or
 * /usr/local/lib/systemd/system-generators/) keeps the guest's word. An optimisation only: a
 * failure is logged at debug level and the boot goes on. */

typedef struct GuestFacts {
	bool device_mapper_bound; /* the host's /dev/mapper/control is bound in */
	bool init_has_arguments;  /* init gets arguments, or SYSTEMD_PROC_CMDLINE in its environment */
} GuestFacts;

/* On the container's fresh /run, before the user's mounts (which may cover it: then they win):
 * creates the directory of the masks and returns it open, or a negative errno. */
int generators_open_mask_dir(void);

/* In the container's final tree, after the user's mounts, so that what they add is seen. */
void generators_mask_idle(int mask_dir_fd, const GuestFacts *facts);
