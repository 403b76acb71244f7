/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-id128.h>

#include "settings.h"

/* --link-journal: makes the guest's persistent journal visible to the host's journalctl under
 * /var/log/journal/MACHINE-ID. guest: the journal lives in the tree and the host's directory is
 * a symlink to it; host: it lives on the host and is bound into the guest. */
typedef struct JournalLink {
	LinkJournal mode;  /* resolved: no, host or guest */
	char *host_dir;    /* /var/log/journal/ID on the host */
	int host_tree_fd;  /* host mode: a detached bind of host_dir, taken before pivot_root */
	char guest_dir[64]; /* /var/log/journal/ID as seen in the guest */
} JournalLink;

/* In berth, before the container starts: creates the directories and the host's symlink as the
 * mode says. The try- modes and auto give up quietly where nspawn's would; the others fail. */
int journal_link_prepare(const Settings *s, sd_id128_t id, JournalLink *ret);
/* In the child: host mode binds the host's directory over the guest's (before/after pivot_root). */
int journal_link_take(JournalLink *j);
int journal_link_apply(const JournalLink *j);
void journal_link_done(JournalLink *j);
