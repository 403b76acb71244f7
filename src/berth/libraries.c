/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "blkid-dl.h"
#include "libmount-dl.h"
#include "libraries.h"
#include "log.h"
#include "mnl-dl.h"
#include "network.h"
#include "nftnl-dl.h"
#include "notify.h"
#include "nspawn-file.h"

int library_open(DlLibrary *lib, const char *needed_for) {
	char reason[256];
	int r = dl_library_open(lib, reason, sizeof reason);

	if (r < 0)
		return log_error_errno(r, "Failed to load %s, needed for %s: %s", lib->soname, needed_for, reason);
	return 0;
}

static bool has_tmpfs(const Settings *s) {
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].type == NSPAWN_MOUNT_TMPFS)
			return true;
	return false;
}

int libraries_open_for(const Settings *s) {
	int r = 0;

	if (s->image)
		r = library_open(&dl_blkid, "--image=");
	if (r >= 0 && has_tmpfs(s))
		r = library_open(&dl_libmount, "--tmpfs=");
	/* Port forwarding follows the container's addresses over rtnetlink too. */
	if (r >= 0 && (netif_wanted(s) || s->n_ports > 0))
		r = library_open(&dl_mnl, netif_wanted(s) ? "the network options" : "--port=");
	if (r >= 0 && s->n_ports > 0)
		r = library_open(&dl_nftnl, "--port=");
	/* libsystemd, to notify a service manager, is needed once the payload runs. A boot opens it
	 * then (supervisor.c): its init starts a millisecond sooner, and the guest's own start takes
	 * hundreds. A command's caller waits for its end: opened now, before the guardian and the
	 * container's process share berth's memory, it costs less than opened then (measured here:
	 * 0.4-0.8 ms more per start when mapped into memory other processes share). */
	if (r >= 0 && s->start_mode != START_BOOT)
		r = notify_manager_prepare();
	return r;
}
