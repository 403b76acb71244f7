/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fileio.h"
#include "host-files.h"
#include "log.h"
#include "mount-util.h"

#define RESOLVED_STUB "/run/systemd/resolve/stub-resolv.conf"
#define ZONEINFO "/usr/share/zoneinfo/"

/* What a resolv.conf mode does with the container's file, and from where. */
typedef enum FileAction { ACTION_NONE, ACTION_COPY, ACTION_REPLACE, ACTION_BIND, ACTION_DELETE } FileAction;

static const char *resolv_source_of(ResolvConfMode m) {
	switch (m) {
	case RESOLV_CONF_COPY_HOST: case RESOLV_CONF_REPLACE_HOST: case RESOLV_CONF_BIND_HOST:
		return "/etc/resolv.conf";
	case RESOLV_CONF_COPY_STATIC: case RESOLV_CONF_REPLACE_STATIC: case RESOLV_CONF_BIND_STATIC:
		return "/usr/lib/systemd/resolv.conf";
	case RESOLV_CONF_COPY_UPLINK: case RESOLV_CONF_REPLACE_UPLINK: case RESOLV_CONF_BIND_UPLINK:
		return "/run/systemd/resolve/resolv.conf";
	case RESOLV_CONF_COPY_STUB: case RESOLV_CONF_REPLACE_STUB: case RESOLV_CONF_BIND_STUB:
		return RESOLVED_STUB;
	default:
		return NULL;
	}
}

static FileAction resolv_action_of(ResolvConfMode m) {
	if (m >= RESOLV_CONF_COPY_HOST && m <= RESOLV_CONF_COPY_STUB)
		return ACTION_COPY;
	if (m >= RESOLV_CONF_REPLACE_HOST && m <= RESOLV_CONF_REPLACE_STUB)
		return ACTION_REPLACE;
	if (m >= RESOLV_CONF_BIND_HOST && m <= RESOLV_CONF_BIND_STUB)
		return ACTION_BIND;
	return m == RESOLV_CONF_DELETE ? ACTION_DELETE : ACTION_NONE;
}

static bool root_is_writable(const Settings *s) {
	return !s->read_only && s->volatile_mode != VOLATILE_STATE;
}

/* auto: left alone with a private network; else resolved's stub when it runs, else the host's
 * file; copied into a writable root, bound into a read-only one. */
static ResolvConfMode resolv_conf_auto(const Settings *s) {
	bool stub = access(RESOLVED_STUB, F_OK) >= 0;
	if (s->private_network)
		return RESOLV_CONF_OFF;
	if (root_is_writable(s))
		return stub ? RESOLV_CONF_COPY_STUB : RESOLV_CONF_COPY_HOST;
	return stub ? RESOLV_CONF_BIND_STUB : RESOLV_CONF_BIND_HOST;
}

/* The zone the host's /etc/localtime links to, "Etc/UTC" for "../usr/share/zoneinfo/Etc/UTC". */
static char *host_zone(void) {
	char target[PATH_MAX];
	ssize_t n = readlink("/etc/localtime", target, sizeof target - 1);
	const char *z;

	if (n <= 0)
		return NULL;
	target[n] = 0;
	z = strstr(target, ZONEINFO);
	return z && z[strlen(ZONEINFO)] ? strdup(z + strlen(ZONEINFO)) : NULL;
}

/* auto: a symlink where the host has a named zone the tree also has, a bind in a read-only
 * root, else a copy. */
static TimezoneMode timezone_auto(const Settings *s, const char *zone, const char *tree) {
	_cleanup_free_ char *p = NULL;
	if (zone && tree && asprintf(&p, "%s" ZONEINFO "%s", tree, zone) >= 0 && access(p, F_OK) >= 0 &&
	    root_is_writable(s))
		return TIMEZONE_SYMLINK;
	return root_is_writable(s) ? TIMEZONE_COPY : TIMEZONE_BIND;
}

int host_files_prepare(const Settings *s, HostFiles *ret) {
	HostFiles h = { .resolv_tree_fd = -EBADF, .localtime_tree_fd = -EBADF };

	h.resolv_mode = s->resolv_conf == RESOLV_CONF_AUTO ? resolv_conf_auto(s) : s->resolv_conf;
	h.resolv_source = resolv_source_of(h.resolv_mode);
	if (h.resolv_source && read_full_file(h.resolv_source, &h.resolv_content, &h.resolv_size) < 0) {
		if (s->resolv_conf != RESOLV_CONF_AUTO)
			log_warning("--resolv-conf=%s: cannot read '%s' on the host, leaving /etc/resolv.conf alone",
				    resolv_conf_mode_to_string(s->resolv_conf), h.resolv_source);
		h.resolv_mode = RESOLV_CONF_OFF;
		h.resolv_source = NULL;
	}

	h.zone = host_zone();
	h.timezone_mode = s->timezone == TIMEZONE_AUTO ? timezone_auto(s, h.zone, s->directory) : s->timezone;
	if ((h.timezone_mode == TIMEZONE_COPY || h.timezone_mode == TIMEZONE_BIND) &&
	    read_full_file("/etc/localtime", &h.localtime_content, &h.localtime_size) < 0) {
		if (s->timezone != TIMEZONE_AUTO)
			log_warning("--timezone=%s: the host has no readable /etc/localtime, leaving it alone",
				    timezone_mode_to_string(s->timezone));
		h.timezone_mode = TIMEZONE_OFF;
	}
	if (h.timezone_mode == TIMEZONE_SYMLINK && !h.zone) {
		if (s->timezone != TIMEZONE_AUTO)
			log_warning("--timezone=symlink: the host's /etc/localtime names no zone, leaving it alone");
		h.timezone_mode = TIMEZONE_OFF;
	}
	*ret = h;
	return 0;
}

int host_files_take(HostFiles *h) {
	if (resolv_action_of(h->resolv_mode) == ACTION_BIND) {
		h->resolv_tree_fd = mount_clone_detached(h->resolv_source);
		if (h->resolv_tree_fd < 0)
			return log_error_errno(h->resolv_tree_fd, "Failed to take '%s': %m", h->resolv_source);
	}
	if (h->timezone_mode == TIMEZONE_BIND) {
		h->localtime_tree_fd = mount_clone_detached("/etc/localtime");
		if (h->localtime_tree_fd < 0)
			return log_error_errno(h->localtime_tree_fd, "Failed to take /etc/localtime: %m");
	}
	return 0;
}

static bool is_symlink(const char *path) {
	struct stat st;
	return lstat(path, &st) >= 0 && S_ISLNK(st.st_mode);
}

static bool file_has_content(const char *path, const char *data, size_t size) {
	_cleanup_free_ char *old = NULL;
	size_t old_size;
	return read_full_file(path, &old, &old_size) >= 0 && old_size == size && memcmp(old, data, size) == 0;
}

static int file_copy_in(const char *path, const char *data, size_t size, bool replace) {
	int r;
	if (is_symlink(path)) {
		/* copy leaves a symlink alone (it is the OS's choice); replace removes it. */
		if (!replace)
			return 0;
		if (unlink(path) < 0)
			return log_error_errno(errno, "Failed to remove '%s': %m", path);
	}
	/* Leave a file that is right already untouched: no needless writes to the tree. */
	if (file_has_content(path, data, size))
		return 0;
	r = write_file_at(AT_FDCWD, path, data, size, 0644);
	if (r < 0)
		return log_error_errno(r, "Failed to write '%s' in the container: %m", path);
	return 0;
}

static int file_bind_in(const char *path, int tree_fd) {
	_cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF;
	int r;

	/* Missing, or a dangling symlink: made where it leads, inside the container's root. */
	if (root_fd < 0)
		return log_error_errno(errno, "Failed to open the container's root: %m");
	fd = chase_create(root_fd, path, CHASE_CREATE_FILE);
	if (fd < 0)
		return log_error_errno(fd, "Failed to create '%s' to bind over: %m", path);
	r = mount_attach(tree_fd, path);
	if (r >= 0)
		r = mount_make_read_only(path, false);
	if (r < 0)
		return log_error_errno(r, "Failed to bind the host's file over '%s': %m", path);
	return 0;
}

static int file_delete(const char *path) {
	if (unlink(path) < 0 && errno != ENOENT)
		return log_error_errno(errno, "Failed to remove '%s' in the container: %m", path);
	return 0;
}

static int apply_resolv_conf(const HostFiles *h) {
	const char *path = "/etc/resolv.conf";
	switch (resolv_action_of(h->resolv_mode)) {
	case ACTION_COPY:
		return file_copy_in(path, h->resolv_content, h->resolv_size, false);
	case ACTION_REPLACE:
		return file_copy_in(path, h->resolv_content, h->resolv_size, true);
	case ACTION_BIND:
		return file_bind_in(path, h->resolv_tree_fd);
	case ACTION_DELETE:
		return file_delete(path);
	default:
		return 0;
	}
}

static int apply_timezone(const HostFiles *h) {
	const char *path = "/etc/localtime";
	_cleanup_free_ char *target = NULL;
	char current[PATH_MAX];
	ssize_t n;

	switch (h->timezone_mode) {
	case TIMEZONE_COPY:
		return file_copy_in(path, h->localtime_content, h->localtime_size, true);
	case TIMEZONE_BIND:
		return file_bind_in(path, h->localtime_tree_fd);
	case TIMEZONE_DELETE:
		return file_delete(path);
	case TIMEZONE_SYMLINK:
		if (asprintf(&target, ".." ZONEINFO "%s", h->zone) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
		/* Leave a link that is right already untouched: no needless writes to the tree. */
		n = readlink(path, current, sizeof current - 1);
		if (n > 0 && (current[n] = 0, streq(current, target)))
			return 0;
		if ((unlink(path) < 0 && errno != ENOENT) || symlink(target, path) < 0)
			return log_error_errno(errno, "Failed to link /etc/localtime to '%s': %m", target);
		return 0;
	default:
		return 0;
	}
}

int host_files_apply(const HostFiles *h) {
	int r;

	/* Without /etc there is nothing to set up (a --volatile=yes root, a minimal tree). */
	if (access("/etc", F_OK) < 0)
		return 0;
	r = apply_resolv_conf(h);
	if (r < 0)
		return r;
	return apply_timezone(h);
}

void host_files_done(HostFiles *h) {
	free(h->resolv_content);
	free(h->zone);
	free(h->localtime_content);
	closep(&h->resolv_tree_fd);
	closep(&h->localtime_tree_fd);
	*h = (HostFiles) { .resolv_tree_fd = -EBADF, .localtime_tree_fd = -EBADF };
}
