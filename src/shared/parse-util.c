/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "id128-util.h"
#include "macro.h"
#include "parse-util.h"

int parse_boolean(const char *s) {
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -EINVAL;
}

int parse_unsigned(const char *s, unsigned *ret) {
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char) s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno == ERANGE || v > UINT_MAX)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = (unsigned) v;
	return 0;
}

/* "RTMIN+3", "RTMAX-1", "RTMIN": real-time signals are named relative to the range ends, since
 * their numbers differ between libcs. */
static int parse_rt_signal(const char *s, int *ret) {
	unsigned off = 0;
	int base, sign;

	if (strncmp(s, "RTMIN", 5) == 0)
		base = SIGRTMIN, sign = 1;
	else if (strncmp(s, "RTMAX", 5) == 0)
		base = SIGRTMAX, sign = -1;
	else
		return -EINVAL;
	s += 5;
	if (*s) {
		if (*s != (sign > 0 ? '+' : '-') || parse_unsigned(s + 1, &off) < 0)
			return -EINVAL;
	}
	if (off > (unsigned) (SIGRTMAX - SIGRTMIN))
		return -ERANGE;
	*ret = base + sign * (int) off;
	return 0;
}

int parse_signal(const char *s, int *ret_signo) {
	unsigned n;

	if (parse_unsigned(s, &n) >= 0) {
		if (n < 1 || n > (unsigned) SIGRTMAX)
			return -ERANGE;
		*ret_signo = (int) n;
		return 0;
	}
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	if (parse_rt_signal(s, ret_signo) >= 0)
		return 0;
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *name = sigabbrev_np(i);
		if (name && streq(name, s)) {
			*ret_signo = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *signal_to_string(int signo, char buf[static 16]) {
	const char *name = signo < SIGRTMIN ? sigabbrev_np(signo) : NULL;

	if (name)
		snprintf(buf, 16, "%s", name);
	else if (signo >= SIGRTMIN && signo <= SIGRTMAX)
		snprintf(buf, 16, "RTMIN+%d", signo - SIGRTMIN);
	else
		snprintf(buf, 16, "%d", signo);
	return buf;
}

int parse_id128(const char *s, sd_id128_t *ret) {
	sd_id128_t id;
	if (id128_from_string(s, &id) < 0)
		return -EINVAL;
	*ret = id;
	return 0;
}

bool env_name_is_valid(const char *name, size_t len) {
	if (len == 0 || isdigit((unsigned char) name[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char) name[i]) && name[i] != '_')
			return false;
	return true;
}

bool env_assignment_is_valid(const char *assignment) {
	const char *eq = strchr(assignment, '=');
	return eq && env_name_is_valid(assignment, eq - assignment);
}

/* Absolute, and without "//", "." or ".." components, so it means the same inside and outside. */
bool path_is_absolute_and_normal(const char *path) {
	if (!path || path[0] != '/')
		return false;
	for (const char *p = path; *p;) {
		size_t slashes = strspn(p, "/"), n;
		const char *e;

		if (slashes > 1)
			return false;
		p += slashes;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		n = e - p;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = e;
	}
	return true;
}
