/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Builds prefix + escaped(machine) + suffix, escaping as systemd does in unit names ('-' and any
 * byte other than [A-Za-z0-9:_.] as \xNN), so "my-vm" gives "machine-my\x2dvm.scope". */
int unit_name_from_machine(const char *machine, const char *prefix, const char *suffix, char **ret);
