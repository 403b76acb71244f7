/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* What the container's processes inherit from its first one, beyond credentials: resource limits
 * (--rlimit=), the OOM score adjustment (--oom-score-adjust=), the CPU affinity (--cpu-affinity=)
 * and the execution domain (--personality=). Applied in the container's first process, after its
 * file systems are set up and while it still has all of root's capabilities (raising a hard limit
 * or lowering the OOM score needs CAP_SYS_RESOURCE). Logs. */
int process_attrs_apply(const Settings *s);
