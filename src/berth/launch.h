/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* berth's exit code when the container rebooted and --keep-unit asks its unit to restart it. */
#define EXIT_REBOOT 133

/* Runs the container the settings describe, from finding its tree to tearing it down. Returns
 * the exit code berth should exit with: the command's, 128+N for a signal, or 1 after logging
 * why berth itself failed. */
int launch_container(Settings *s);
