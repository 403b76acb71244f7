/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* Parses berth's command line into s. Returns 1 when berth should exit successfully right away
 * (--help, --version, "help" for an enum), 0 to go on, or a negative errno after logging an error
 * that names the option. */
int options_parse(int argc, char *argv[], Settings *s);

/* Checks combinations and fills in what follows from other settings (machine name from the
 * directory, ...). Logs and returns -EINVAL on a conflict. */
int options_verify(Settings *s);
