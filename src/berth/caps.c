/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"
#include "nspawn-file-values.h"

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

int caps_parse_list(const char *s, bool allow_all, uint64_t *ret, char **ret_bad) {
	_cleanup_free_ char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	/* The file's lists are separated by whitespace, nspawn's options by commas: take both. */
	for (char *p = copy; (p = strchr(p, ',')); p++)
		*p = ' ';
	return parse_capability_list(copy, allow_all, ret, ret_bad);
}

/* libcap names capabilities in lower case; nspawn, the kernel's headers and the man pages in upper. */
static char *cap_name(int c) {
	char *name = cap_to_name((cap_value_t) c), *copy;

	if (!name)
		return NULL;
	copy = strdup(name);
	cap_free(name);
	for (char *p = copy; p && *p; p++)
		*p = (char) toupper((unsigned char) *p);
	return copy;
}

void caps_print_names(FILE *f) {
	for (int c = 0; c < (int) cap_max_bits() && c < 64; c++) {
		_cleanup_free_ char *name = cap_name(c);
		if (name)
			fprintf(f, "%s\n", name);
	}
}

char *caps_to_names(uint64_t set) {
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	bool first = true;

	if (!f)
		return NULL;
	for (int c = 0; c < 64; c++) {
		_cleanup_free_ char *name = NULL;
		if (!(set & CAP(c)))
			continue;
		name = cap_name(c);
		fprintf(f, "%s%s", first ? "" : ", ", name ?: "?");
		first = false;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int caps_keep_for_user(uint64_t ambient, uid_t uid) {
	if (ambient == 0 || uid == 0)
		return 0;
	/* Cleared again by the execve(). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return log_error_errno(errno, "Failed to keep the capabilities across the change of user: %m");
	return 0;
}

static int caps_set_sets(uint64_t ambient, uid_t uid) {
	cap_t caps = cap_get_proc();
	int r = 0;

	if (!caps)
		return log_error_errno(errno, "Failed to read the capabilities: %m");
	/* Root keeps its permitted and effective sets (its execve() gives it the bounding set anyway);
	 * another user has only what it keeps as ambient capabilities. */
	if (uid != 0 && (cap_clear_flag(caps, CAP_PERMITTED) < 0 || cap_clear_flag(caps, CAP_EFFECTIVE) < 0))
		r = -errno;
	for (int c = 0; r >= 0 && c < 64; c++) {
		cap_value_t v = (cap_value_t) c;
		if (!(ambient & CAP(c)))
			continue;
		if (cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET) < 0 ||
		    (uid != 0 && cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0))
			r = -errno;
	}
	if (r >= 0 && cap_set_proc(caps) < 0)
		r = -errno;
	cap_free(caps);
	if (r < 0)
		return log_error_errno(r, "Failed to set the capabilities for the ambient set: %m");
	return 0;
}

int caps_apply_ambient(uint64_t ambient, uid_t uid) {
	int r;

	if (ambient == 0)
		return 0;
	/* A capability is raised into the ambient set only when it is in both the permitted and the
	 * inheritable set. */
	r = caps_set_sets(ambient, uid);
	if (r < 0)
		return r;
	for (int c = 0; c < 64; c++) {
		if (!(ambient & CAP(c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) c, 0, 0) < 0)
			return log_error_errno(errno, "Failed to raise capability %d into the ambient set: %m", c);
	}
	return 0;
}
