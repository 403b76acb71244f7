/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "nspawn-file.h"
#include "settings.h"

/* The machine's NAME.nspawn file, as --settings= (s->settings_mode) says: found as systemd-nspawn
 * finds it (in /etc/systemd/nspawn/ or /run/systemd/nspawn/, trusted, else next to the image,
 * untrusted), read, checked for keys berth cannot honour yet, and merged into s. Runs after
 * options_parse() and before options_verify(), so that the checks see the merged settings, and
 * before anything is touched: a bad file only costs a message. root prefixes the /etc and /run
 * directories and image_dirs replaces the image directories (NULL, NULL: the real ones), for tests.
 * Logs; returns 0 also when there is no file. */
int settings_load_file(Settings *s, const char *root, const char *const *image_dirs);

/* Fails, after an error for each (naming file, line and key), when f sets something berth cannot
 * honour yet. */
int settings_check_file(const NspawnFile *f, const char *path);

/* Merges f (read from path) into s as systemd-nspawn 252 does: a setting the file set is taken
 * unless the command line set it (s->mask), or always with override. Takes what it uses out of f. */
int settings_merge_file(Settings *s, NspawnFile *f, const char *path, bool override);
