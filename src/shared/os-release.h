/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* os-release(5): KEY=VALUE lines, values optionally quoted with shell-style escapes. The result is
 * an environment-style strv ("ID=debian", ...), unquoted. */
int os_release_parse(const char *text, char ***ret);

/* Reads /etc/os-release, falling back to /usr/lib/os-release, below root_fd (AT_FDCWD and "/" for
 * the host). Symlinks are resolved inside root, so an image's os-release cannot point at the host's. */
int os_release_read_at(int root_fd, char ***ret);
