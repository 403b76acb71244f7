/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

/* berth's security and resource options, with the value syntax of their .nspawn keys. */
typedef enum ExecOptionKind {
	EXEC_OPTION_CAPABILITY,         /* --capability= */
	EXEC_OPTION_DROP_CAPABILITY,    /* --drop-capability= */
	EXEC_OPTION_AMBIENT_CAPABILITY, /* --ambient-capability= */
	EXEC_OPTION_NO_NEW_PRIVILEGES,  /* --no-new-privileges= */
	EXEC_OPTION_SYSTEM_CALL_FILTER, /* --system-call-filter= */
	EXEC_OPTION_RLIMIT,             /* --rlimit= */
	EXEC_OPTION_OOM_SCORE_ADJUST,   /* --oom-score-adjust= */
	EXEC_OPTION_CPU_AFFINITY,       /* --cpu-affinity= */
	EXEC_OPTION_PERSONALITY,        /* --personality= */
	_EXEC_OPTION_KIND_MAX,
} ExecOptionKind;

/* Parses one of them into s. Returns 1 after printing the values for "help", or logs an error
 * naming the option and returns -EINVAL for a bad value. */
int options_parse_exec(ExecOptionKind kind, const char *value, Settings *s);

/* Once the command line is parsed: the payload's bounding set from the defaults (which depend on
 * the network options) and the capability options. */
void options_finish_exec(Settings *s);

/* Refuses ambient capabilities outside the bounding set, or with --boot. Logs. */
int options_verify_exec(const Settings *s);
