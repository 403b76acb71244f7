/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* In a new network namespace: brings the loopback interface up, the only one there is. */
int loopback_setup(void);
