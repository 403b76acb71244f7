/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sched.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "fileio.h"
#include "log.h"
#include "nspawn-file.h"
#include "process-attrs.h"

static int apply_rlimits(const Settings *s) {
	for (int i = 0; i < RLIMIT_NLIMITS; i++) {
		if (!(s->rlimits_set & (UINT32_C(1) << i)))
			continue;
		if (setrlimit(i, &s->rlimits[i]) < 0)
			return log_error_errno(errno, "Failed to set the resource limit RLIMIT_%s: %m",
					       rlimit_name_to_string(i) ?: "?");
	}
	return 0;
}

int process_attrs_apply(const Settings *s) {
	int r;

	r = apply_rlimits(s);
	if (r < 0)
		return r;
	if (s->oom_score_adjust_set) {
		char buf[16];
		snprintf(buf, sizeof buf, "%d", s->oom_score_adjust);
		/* The container's own /proc: this process, whatever its PID on the host. */
		r = write_string_file("/proc/self/oom_score_adj", buf);
		if (r < 0)
			return log_error_errno(r, "Failed to set the OOM score adjustment to %d: %m", s->oom_score_adjust);
	}
	if (s->cpu_affinity && sched_setaffinity(0, s->cpu_affinity_size, s->cpu_affinity) < 0)
		return log_error_errno(errno, "Failed to set the CPU affinity: %m");
	if (s->personality != PERSONALITY_UNSET && personality(s->personality) < 0)
		return log_error_errno(errno, "Failed to set the personality %#lx: %m", s->personality);
	return 0;
}
