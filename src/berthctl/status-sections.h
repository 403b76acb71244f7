/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "machine-record.h"

/* Parts of status that look beyond the machine's record: the addresses of its network namespace
 * (none printed when it shares the host's network) and the latest lines its unit logged. */
void status_print_addresses(const MachineRecord *rec);
void status_print_journal(const MachineRecord *rec, unsigned lines);
