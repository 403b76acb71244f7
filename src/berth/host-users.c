/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fileio.h"
#include "host-users.h"
#include "macro.h"

/* Where systemd's user database looks for records: its services' sockets, and the drop-in
 * directories nss-systemd(8) names (/lib/userdb on hosts whose /lib is not /usr/lib's link). */
static const char *const userdb_sources[] = {
	"/run/systemd/userdb", "/etc/userdb", "/run/userdb", "/run/host/userdb",
	"/usr/local/lib/userdb", "/usr/lib/userdb", "/lib/userdb",
};

static bool is_blank(char c) {
	return c == ' ' || c == '\t';
}

/* The sources on one line's "database:" part, or NULL when the line is not database's. */
static const char *sources_of(const char *line, const char *end, const char *database) {
	size_t n = strlen(database);

	while (line < end && is_blank(*line))
		line++;
	if ((size_t) (end - line) <= n || strncasecmp(line, database, n) != 0)
		return NULL;
	line += n;
	while (line < end && is_blank(*line))
		line++;
	return line < end && *line == ':' ? line + 1 : NULL;
}

static bool only_files_and_systemd(const char *p, const char *end) {
	size_t count = 0;

	for (;;) {
		size_t n;

		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			return count > 0;
		for (n = 0; p + n < end && !is_blank(p[n]) && p[n] != '#'; n++)
			;
		if (!((n == 5 && strncmp(p, "files", 5) == 0) || (n == 7 && strncmp(p, "systemd", 7) == 0)))
			return false;
		count++;
		p += n;
	}
}

bool nsswitch_lists_only_files_and_systemd(const char *conf, const char *database) {
	bool plain = false;
	size_t lines = 0;

	for (const char *line = conf; *line;) {
		const char *end = strchrnul(line, '\n');
		const char *sources = sources_of(line, end, database);

		if (sources) {
			lines++;
			plain = only_files_and_systemd(sources, end);
		}
		line = *end ? end + 1 : end;
	}
	return lines == 1 && plain;
}

/* The ID of an entry line (NAME:PASSWORD:ID:...), in *ret; false for a line of another form. */
static bool entry_id(const char *line, const char *end, uid_t *ret) {
	uint64_t id = 0;
	const char *p = line;

	for (unsigned colons = 0; colons < 2; p++) {
		if (p == end)
			return false;
		colons += *p == ':';
	}
	if (p == end || *p == ':')
		return false;
	for (; p < end && *p != ':'; p++) {
		if (*p < '0' || *p > '9' || (id = id * 10 + (uint64_t) (*p - '0')) > UINT32_MAX)
			return false;
	}
	*ret = (uid_t) id;
	return p < end;
}

int id_file_includes(const char *text, const uid_t *ids, size_t n) {
	bool found = false;

	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n'), *p = line;
		uid_t id;

		while (p < end && (is_blank(*p) || *p == '\r' || *p == '\v' || *p == '\f'))
			p++;
		/* What glibc's files source skips. */
		if (p < end && *p != '#') {
			if (!entry_id(line, end, &id))
				return -EBADMSG;
			for (size_t i = 0; i < n; i++)
				found |= ids[i] == id;
		}
		line = *end ? end + 1 : end;
	}
	return found;
}

static int file_includes(const char *path, const uid_t *ids, size_t n) {
	_cleanup_free_ char *text = NULL;
	int r = read_full_file(path, &text, NULL);

	/* NSS's files source finds nothing in a missing file, and asks the next source. */
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	return id_file_includes(text, ids, n);
}

/* 1 or 0 when the files hold the whole answer, else a negative errno. */
static int answer_from_files(const uid_t *ids, size_t n) {
	_cleanup_free_ char *conf = NULL;
	int r;

	if (read_full_file("/etc/nsswitch.conf", &conf, NULL) < 0 ||
	    !nsswitch_lists_only_files_and_systemd(conf, "passwd") ||
	    !nsswitch_lists_only_files_and_systemd(conf, "group"))
		return -EOPNOTSUPP;
	for (size_t i = 0; i < ELEMENTSOF(userdb_sources); i++)
		if (access(userdb_sources[i], F_OK) == 0 || errno != ENOENT)
			return -EOPNOTSUPP;
	r = file_includes("/etc/passwd", ids, n);
	if (r == 0)
		r = file_includes("/etc/group", ids, n);
	return r;
}

bool host_users_include(const uid_t *ids, size_t n) {
	int r = answer_from_files(ids, n);

	if (r >= 0)
		return r > 0;
	for (size_t i = 0; i < n; i++)
		if (getpwuid(ids[i]) || getgrgid((gid_t) ids[i]))
			return true;
	return false;
}
