/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The host's user database, asked whether it has users or groups with given IDs, as getpwuid()
 * and getgrgid() answer. Loading glibc's NSS modules for that (libnss_systemd pulls in libm) costs
 * more than the rest of a start with -U, so where the answer is in /etc/passwd and /etc/group
 * alone, berth reads them itself. That is the case when nsswitch.conf names no other source for
 * passwd and group than "files" and "systemd", without actions, and systemd's user database has
 * nothing to offer: no service in /run/systemd/userdb/ and no drop-in directory (nss-systemd(8)),
 * which leaves only the root and nobody it makes up. Anything else, or a file berth cannot read
 * to the end, goes through NSS. An entry glibc would skip as malformed counts for berth: it errs
 * towards picking another range. */

/* Whether a user or a group has one of the n IDs. */
bool host_users_include(const uid_t *ids, size_t n);

/* The parts, for tests. Whether nsswitch.conf (its text) has exactly one line for database and it
 * names only "files" and "systemd". */
bool nsswitch_lists_only_files_and_systemd(const char *conf, const char *database);

/* Whether the text of a passwd or group file has an entry with one of the IDs (the third field
 * of both): 1 or 0, or -EBADMSG for a line berth does not read the way glibc does (then NSS
 * answers). */
int id_file_includes(const char *text, const uid_t *ids, size_t n);
