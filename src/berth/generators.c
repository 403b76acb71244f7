/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "generators.h"
#include "log.h"
#include "macro.h"

#define MASK_DIR "/run/systemd/system-generators"

/* Whether none of these paths exists in the guest (follow: through a final symlink, as the
 * generator that reads them does). Any answer but "no such file" counts as present. */
static bool none_exists(const char *const *paths, size_t n, bool follow) {
	for (size_t i = 0; i < n; i++)
		if (faccessat(AT_FDCWD, paths[i], F_OK, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return false;
	return true;
}

static bool always(const GuestFacts *f) {
	(void) f;
	return true;
}

static bool without_device_mapper(const GuestFacts *f) {
	return !f->device_mapper_bound;
}

static bool without_init_arguments(const GuestFacts *f) {
	return !f->init_has_arguments;
}

/* rc-local: the script's path is a build option of systemd's; Debian's and Fedora's. */
static bool without_rc_local(const GuestFacts *f) {
	static const char *const scripts[] = { "/etc/rc.local", "/etc/rc.d/rc.local" };
	(void) f;
	return none_exists(scripts, ELEMENTSOF(scripts), true);
}

/* Offline updates are asked for by a link, looked at itself (systemd.offline-updates(7)). */
static bool without_system_update(const GuestFacts *f) {
	static const char *const links[] = { "/system-update", "/etc/system-update" };
	(void) f;
	return none_exists(links, ELEMENTSOF(links), false);
}

static const struct {
	const char *name;
	bool (*idle)(const GuestFacts *f);
} generators[] = {
	{ "systemd-gpt-auto-generator", always },
	{ "systemd-hibernate-resume-generator", always },
	{ "systemd-cryptsetup-generator", without_device_mapper },
	{ "systemd-integritysetup-generator", without_device_mapper },
	{ "systemd-veritysetup-generator", without_device_mapper },
	{ "systemd-debug-generator", without_init_arguments },
	{ "systemd-run-generator", without_init_arguments },
	{ "systemd-rc-local-generator", without_rc_local },
	{ "systemd-system-update-generator", without_system_update },
};

/* The guest's own generator directories that outrank the vendor's: a name there is the guest's
 * choice (masked or replaced). Most guests have neither, and are asked once. ENOENT: absent;
 * another error: the directory is there but cannot be read, and every name counts as overridden. */
static const char *const override_dirs[] = { "/etc/systemd/system-generators", "/usr/local/lib/systemd/system-generators" };

static bool guest_overrides(const int dir_fds[], const char *name) {
	for (size_t i = 0; i < ELEMENTSOF(override_dirs); i++) {
		if (dir_fds[i] == -ENOENT)
			continue;
		if (dir_fds[i] < 0 || faccessat(dir_fds[i], name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return true;
	}
	return false;
}

int generators_open_mask_dir(void) {
	int fd;

	/* /run is the container's fresh tmpfs: nothing of the guest's is here yet. */
	if ((mkdir("/run/systemd", 0755) < 0 && errno != EEXIST) || (mkdir(MASK_DIR, 0755) < 0 && errno != EEXIST))
		return log_debug_errno(errno, "Failed to create %s, ignoring: %m", MASK_DIR);
	fd = open(MASK_DIR, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_debug_errno(errno, "Failed to open %s, ignoring: %m", MASK_DIR);
	return fd;
}

void generators_mask_idle(int mask_dir_fd, const GuestFacts *facts) {
	int dir_fds[ELEMENTSOF(override_dirs)];

	for (size_t i = 0; i < ELEMENTSOF(override_dirs); i++) {
		dir_fds[i] = open(override_dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir_fds[i] < 0)
			dir_fds[i] = -errno;
	}
	for (size_t i = 0; i < ELEMENTSOF(generators); i++) {
		if (!generators[i].idle(facts) || guest_overrides(dir_fds, generators[i].name))
			continue;
		if (symlinkat("/dev/null", mask_dir_fd, generators[i].name) < 0)
			log_debug_errno(errno, "Failed to mask the guest's %s, ignoring: %m", generators[i].name);
	}
	for (size_t i = 0; i < ELEMENTSOF(override_dirs); i++)
		if (dir_fds[i] >= 0)
			close(dir_fds[i]);
}
