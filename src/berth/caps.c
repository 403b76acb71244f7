/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/capability.h>
#include <sys/capability.h>

#include "caps.h"
#include "log.h"

#define CAP(c) (UINT64_C(1) << (c))

uint64_t caps_default_bounding_set(bool private_network) {
	uint64_t set = CAP(CAP_AUDIT_CONTROL) | CAP(CAP_AUDIT_WRITE) | CAP(CAP_CHOWN) |
		       CAP(CAP_DAC_OVERRIDE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_FOWNER) |
		       CAP(CAP_FSETID) | CAP(CAP_IPC_OWNER) | CAP(CAP_KILL) | CAP(CAP_LEASE) |
		       CAP(CAP_LINUX_IMMUTABLE) | CAP(CAP_MKNOD) | CAP(CAP_NET_BIND_SERVICE) |
		       CAP(CAP_NET_BROADCAST) | CAP(CAP_NET_RAW) | CAP(CAP_SETFCAP) | CAP(CAP_SETGID) |
		       CAP(CAP_SETPCAP) | CAP(CAP_SETUID) | CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_BOOT) |
		       CAP(CAP_SYS_CHROOT) | CAP(CAP_SYS_NICE) | CAP(CAP_SYS_PTRACE) |
		       CAP(CAP_SYS_RESOURCE) | CAP(CAP_SYS_TTY_CONFIG);
	/* In its own network namespace the container may configure its own interfaces. */
	if (private_network)
		set |= CAP(CAP_NET_ADMIN);
	return set;
}

int caps_apply_bounding_set(uint64_t keep) {
	int last = (int) cap_max_bits() - 1;

	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & CAP(c))
			continue;
		if (cap_drop_bound((cap_value_t) c) < 0)
			return log_error_errno(errno, "Failed to drop capability %d from the bounding set: %m", c);
	}
	return 0;
}
