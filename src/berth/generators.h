/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* In a booting container, after the API file systems: masks the guest's systemd generators that
 * cannot act in it, by /dev/null links in /run/systemd/system-generators/ (which outranks every
 * other generator directory). Each costs the guest an exec of its own at every boot for nothing:
 *   systemd-gpt-auto-generator          exits at once in a container;
 *   systemd-hibernate-resume-generator  acts only in an initrd;
 *   systemd-cryptsetup-generator, systemd-integritysetup-generator, systemd-veritysetup-generator
 *                                       set up device-mapper targets, which need the host's
 *                                       /dev/mapper/control: masked unless it is bound in
 *                                       (device_mapper_bound).
 * A generator the guest overrides itself (the same name in /etc/systemd/system-generators/ or
 * /usr/local/lib/systemd/system-generators/) keeps the guest's word. An optimisation only: a
 * failure is logged at debug level and the boot goes on. */
void generators_mask_unusable(bool device_mapper_bound);
