/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsystemd-dl.h"
#include "macro.h"
#include "parse-util.h"
#include "unit-property.h"

typedef enum PropertyType {
	PROPERTY_BOOLEAN,
	PROPERTY_STRING,
	PROPERTY_WEIGHT,  /* 1...10000 */
	PROPERTY_BYTES,   /* a size with an optional K, M, G or T (powers of 1024), or "infinity" */
	PROPERTY_COUNT,   /* a number, or "infinity" */
	PROPERTY_PERCENT, /* N% of one CPU, sent as microseconds per second */
	PROPERTY_DEVICE,  /* "PATH [r][w][m]" */
} PropertyType;

static const struct {
	const char *name;
	const char *bus_name; /* when D-Bus calls it differently */
	PropertyType type;
} properties[] = {
	{ "CPUAccounting", NULL, PROPERTY_BOOLEAN },
	{ "MemoryAccounting", NULL, PROPERTY_BOOLEAN },
	{ "IOAccounting", NULL, PROPERTY_BOOLEAN },
	{ "TasksAccounting", NULL, PROPERTY_BOOLEAN },
	{ "Description", NULL, PROPERTY_STRING },
	{ "CollectMode", NULL, PROPERTY_STRING },
	{ "DevicePolicy", NULL, PROPERTY_STRING },
	{ "KillMode", NULL, PROPERTY_STRING },
	{ "CPUWeight", NULL, PROPERTY_WEIGHT },
	{ "StartupCPUWeight", NULL, PROPERTY_WEIGHT },
	{ "IOWeight", NULL, PROPERTY_WEIGHT },
	{ "StartupIOWeight", NULL, PROPERTY_WEIGHT },
	{ "MemoryMin", NULL, PROPERTY_BYTES },
	{ "MemoryLow", NULL, PROPERTY_BYTES },
	{ "MemoryHigh", NULL, PROPERTY_BYTES },
	{ "MemoryMax", NULL, PROPERTY_BYTES },
	{ "MemorySwapMax", NULL, PROPERTY_BYTES },
	{ "TasksMax", NULL, PROPERTY_COUNT },
	{ "CPUQuota", "CPUQuotaPerSecUSec", PROPERTY_PERCENT },
	{ "DeviceAllow", NULL, PROPERTY_DEVICE },
};

const char *unit_property_names(void) {
	static char buf[512];
	size_t n = 0;

	if (!buf[0])
		for (size_t i = 0; i < ELEMENTSOF(properties); i++)
			n += snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", properties[i].name);
	return buf;
}

static int parse_u64(const char *s, uint64_t *ret) {
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char) s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_bytes(const char *s, uint64_t *ret) {
	static const char suffixes[] = "KMGT";
	_cleanup_free_ char *digits = NULL;
	size_t n = strlen(s);
	const char *p;
	uint64_t v, factor = 1;
	int r;

	if (streq(s, "infinity")) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (n > 1 && (p = strchr(suffixes, s[n - 1])) && *p) {
		factor = UINT64_C(1) << (10 * (p - suffixes + 1));
		n--;
	}
	digits = strndup(s, n);
	if (!digits)
		return -ENOMEM;
	r = parse_u64(digits, &v);
	if (r < 0)
		return r;
	if (v > UINT64_MAX / factor)
		return -ERANGE;
	*ret = v * factor;
	return 0;
}

/* One property's value in its D-Bus type; m may be NULL to check only. */
static int append_value(sd_bus_message *m, const char *name, PropertyType type, const char *value) {
	uint64_t u;
	int r;

	switch (type) {
	case PROPERTY_BOOLEAN:
		r = parse_boolean(value);
		return r < 0 ? r : m ? sym_sd_bus_message_append(m, "(sv)", name, "b", r) : 0;
	case PROPERTY_STRING:
		return isempty(value) ? -EINVAL : m ? sym_sd_bus_message_append(m, "(sv)", name, "s", value) : 0;
	case PROPERTY_WEIGHT:
		r = parse_u64(value, &u);
		if (r < 0 || u < 1 || u > 10000)
			return -EINVAL;
		return m ? sym_sd_bus_message_append(m, "(sv)", name, "t", u) : 0;
	case PROPERTY_BYTES:
		r = parse_bytes(value, &u);
		return r < 0 ? r : m ? sym_sd_bus_message_append(m, "(sv)", name, "t", u) : 0;
	case PROPERTY_COUNT:
		if (streq(value, "infinity"))
			u = UINT64_MAX;
		else if ((r = parse_u64(value, &u)) < 0)
			return r;
		return m ? sym_sd_bus_message_append(m, "(sv)", name, "t", u) : 0;
	case PROPERTY_PERCENT: {
		_cleanup_free_ char *digits = NULL;
		size_t n = strlen(value);
		if (n < 2 || value[n - 1] != '%' || !(digits = strndup(value, n - 1)))
			return -EINVAL;
		r = parse_u64(digits, &u);
		if (r < 0 || u == 0 || u > UINT64_MAX / 10000)
			return -EINVAL;
		/* N% of one CPU is N/100 of each second. */
		return m ? sym_sd_bus_message_append(m, "(sv)", name, "t", u * 10000) : 0;
	}
	case PROPERTY_DEVICE: {
		_cleanup_free_ char *path = NULL;
		const char *space = strchr(value, ' ');
		const char *mode = space ? space + strspn(space, " ") : "rwm";
		path = strndup(value, space ? (size_t) (space - value) : strlen(value));
		if (!path)
			return -ENOMEM;
		if (isempty(path) || isempty(mode) || strspn(mode, "rwm") != strlen(mode))
			return -EINVAL;
		return m ? sym_sd_bus_message_append(m, "(sv)", name, "a(ss)", 1, path, mode) : 0;
	}
	}
	return -EINVAL;
}

static int handle(sd_bus_message *m, const char *assignment) {
	const char *eq = strchr(assignment, '=');

	if (!eq)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(properties); i++)
		if (strlen(properties[i].name) == (size_t) (eq - assignment) &&
		    strncmp(properties[i].name, assignment, eq - assignment) == 0)
			return append_value(m, properties[i].bus_name ?: properties[i].name, properties[i].type, eq + 1);
	return -ENOENT;
}

int unit_property_check(const char *assignment) {
	return handle(NULL, assignment);
}

int unit_property_append(sd_bus_message *m, const char *assignment) {
	return handle(m, assignment);
}

int unit_property_number(const char *assignment, uint64_t *ret) {
	const char *eq = strchr(assignment, '=');
	uint64_t v;
	int r;

	if (!eq)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(properties); i++) {
		const char *name = properties[i].name;
		if (strlen(name) != (size_t) (eq - assignment) || strncmp(name, assignment, eq - assignment) != 0)
			continue;
		r = append_value(NULL, name, properties[i].type, eq + 1);
		if (r < 0)
			return r;
		switch (properties[i].type) {
		case PROPERTY_BYTES:
			r = parse_bytes(eq + 1, &v);
			break;
		case PROPERTY_COUNT:
			v = UINT64_MAX;
			r = streq(eq + 1, "infinity") ? 0 : parse_u64(eq + 1, &v);
			break;
		case PROPERTY_PERCENT:
			/* Checked above: digits and a final '%'; N% of one CPU is N/100 of each second. */
			v = strtoull(eq + 1, NULL, 10) * 10000;
			r = 0;
			break;
		default:
			return -EMEDIUMTYPE;
		}
		if (r >= 0)
			*ret = v;
		return r;
	}
	return -ENOENT;
}
