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

static const char *const unusable_anywhere[] = {
	"systemd-gpt-auto-generator",
	"systemd-hibernate-resume-generator",
};

static const char *const unusable_without_device_mapper[] = {
	"systemd-cryptsetup-generator",
	"systemd-integritysetup-generator",
	"systemd-veritysetup-generator",
};

/* Whether the guest's configuration names this generator itself: masked or replaced, its choice. */
static bool guest_overrides(const char *name) {
	static const char *const dirs[] = { "/etc/systemd/system-generators", "/usr/local/lib/systemd/system-generators" };
	char path[128];

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(path, sizeof path, "%s/%s", dirs[i], name);
		if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return true;
	}
	return false;
}

static void mask(const char *const *names, size_t n) {
	char path[128];

	for (size_t i = 0; i < n; i++) {
		if (guest_overrides(names[i]))
			continue;
		snprintf(path, sizeof path, MASK_DIR "/%s", names[i]);
		if (symlink("/dev/null", path) < 0)
			log_debug_errno(errno, "Failed to mask the guest's %s, ignoring: %m", names[i]);
	}
}

void generators_mask_unusable(bool device_mapper_bound) {
	/* /run is the container's fresh tmpfs: nothing of the guest's is here yet. */
	if ((mkdir("/run/systemd", 0755) < 0 && errno != EEXIST) || (mkdir(MASK_DIR, 0755) < 0 && errno != EEXIST)) {
		log_debug_errno(errno, "Failed to create %s, ignoring: %m", MASK_DIR);
		return;
	}
	mask(unusable_anywhere, ELEMENTSOF(unusable_anywhere));
	if (!device_mapper_bound)
		mask(unusable_without_device_mapper, ELEMENTSOF(unusable_without_device_mapper));
}
