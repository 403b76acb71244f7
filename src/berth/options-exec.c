/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The security and resource options, whose values are those of their .nspawn keys. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "log.h"
#include "nspawn-file-values.h"
#include "nspawn-file.h"
#include "options-exec.h"
#include "parse-util.h"
#include "strv.h"
#include "syscall-groups.h"

/* --capability=, --drop-capability=, --ambient-capability=: lists that add up. */
static int parse_capability_option(ExecOptionKind kind, const char *value, Settings *s) {
	static const char *const names[] = {
		[EXEC_OPTION_CAPABILITY] = "--capability=",
		[EXEC_OPTION_DROP_CAPABILITY] = "--drop-capability=",
		[EXEC_OPTION_AMBIENT_CAPABILITY] = "--ambient-capability=",
	};
	const char *option = names[kind];
	_cleanup_free_ char *bad = NULL;
	uint64_t set;
	int r;

	if (streq(value, "help")) {
		caps_print_names(stdout);
		return 1;
	}
	r = caps_parse_list(value, kind != EXEC_OPTION_AMBIENT_CAPABILITY, &set, &bad);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0)
		return log_invalid("Invalid capability '%s' for %s, expected names such as CAP_NET_ADMIN%s "
				   "(see %shelp)", bad ?: value, option,
				   kind != EXEC_OPTION_AMBIENT_CAPABILITY ? " or 'all'" : "", option);
	if (kind == EXEC_OPTION_CAPABILITY)
		s->capability_add |= set;
	else if (kind == EXEC_OPTION_DROP_CAPABILITY)
		s->capability_drop |= set;
	else
		s->ambient_capabilities |= set;
	s->mask |= SETTING_CAPABILITY;
	return 0;
}

static void print_syscall_groups(void) {
	for (size_t i = 0; i < syscall_groups_count; i++)
		printf("%-16s %s\n", syscall_groups[i].name, syscall_groups[i].help);
}

/* --system-call-filter=NAME... adds to the allow list, =~NAME... to the deny list; given several
 * times, the lists grow, as nspawn's do. */
static int parse_syscall_filter(const char *value, Settings *s) {
	bool deny = value[0] == '~';
	const char *p = value + deny;
	char ***list = deny ? &s->syscall_deny : &s->syscall_allow;

	if (streq(value, "help")) {
		print_syscall_groups();
		return 1;
	}
	for (;;) {
		size_t n;
		_cleanup_free_ char *word = NULL;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 0)
			break;
		word = strndup(p, n);
		if (!word)
			return log_error_errno(ENOMEM, "Out of memory");
		p += n;
		if (!syscall_name_is_valid(word))
			return log_invalid("Invalid system call '%s' for --system-call-filter=, expected system call "
					   "names or @groups (see --system-call-filter=help), optionally after '~'", word);
		if (!strv_contains(*list, word) && strv_consume(list, TAKE_PTR(word)) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
	}
	s->mask |= SETTING_SYSCALL_FILTER;
	return 0;
}

/* --rlimit=NAME=SOFT[:HARD], NAME as in "NOFILE" or "RLIMIT_NOFILE". */
static int parse_rlimit_option(const char *value, Settings *s) {
	const char *eq = strchr(value, '=');
	_cleanup_free_ char *name = NULL;
	struct rlimit rl;
	int resource, r;

	if (streq(value, "help")) {
		rlimit_name_print_all(stdout);
		return 1;
	}
	if (!eq)
		return log_invalid("Invalid value '%s' for --rlimit=, expected NAME=SOFT[:HARD] (see --rlimit=help)",
				   value);
	name = strndup(value, eq - value);
	if (!name)
		return log_error_errno(ENOMEM, "Out of memory");
	for (char *c = name; *c; c++)
		*c = (char) toupper((unsigned char) *c);
	resource = rlimit_name_from_string(strncmp(name, "RLIMIT_", 7) == 0 ? name + 7 : name);
	if (resource < 0)
		return log_invalid("Unknown resource limit '%s' for --rlimit=, see --rlimit=help", name);
	r = parse_rlimit(resource, eq + 1, &rl);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory");
	if (r < 0)
		return log_invalid("Invalid limit '%s' for --rlimit=%s, expected SOFT[:HARD] (numbers, sizes or "
				   "times as the limit takes them, or 'infinity')%s", eq + 1, name,
				   r == -EILSEQ ? ", with the soft limit not above the hard one" : "");
	s->rlimits[resource] = rl;
	s->rlimits_set |= UINT32_C(1) << resource;
	return 0;
}

static int parse_cpu_affinity(const char *value, Settings *s) {
	cpu_set_t *set = NULL;
	size_t size = 0;
	int r = parse_cpu_list(value, &set, &size);

	if (r < 0) {
		if (set)
			CPU_FREE(set);
		if (r == -ENOMEM)
			return log_error_errno(r, "Out of memory");
		return log_invalid("Invalid CPU list '%s' for --cpu-affinity=, expected CPU numbers and ranges "
				   "such as '0-3,6'", value);
	}
	if (s->cpu_affinity)
		CPU_FREE(s->cpu_affinity);
	/* An empty list resets it, as in nspawn. */
	s->cpu_affinity = set;
	s->cpu_affinity_size = size;
	s->mask |= SETTING_CPU_AFFINITY;
	return 0;
}

int options_parse_exec(ExecOptionKind kind, const char *value, Settings *s) {
	int b;

	switch (kind) {
	case EXEC_OPTION_CAPABILITY:
	case EXEC_OPTION_DROP_CAPABILITY:
	case EXEC_OPTION_AMBIENT_CAPABILITY:
		return parse_capability_option(kind, value, s);
	case EXEC_OPTION_NO_NEW_PRIVILEGES:
		b = parse_boolean(value);
		if (b < 0)
			return log_invalid("Invalid value '%s' for --no-new-privileges=, expected yes or no", value);
		s->no_new_privileges = b;
		s->mask |= SETTING_NO_NEW_PRIVILEGES;
		return 0;
	case EXEC_OPTION_SYSTEM_CALL_FILTER:
		return parse_syscall_filter(value, s);
	case EXEC_OPTION_RLIMIT:
		return parse_rlimit_option(value, s);
	case EXEC_OPTION_OOM_SCORE_ADJUST:
		if (parse_oom_score_adjust(value, &s->oom_score_adjust) < 0)
			return log_invalid("Invalid value '%s' for --oom-score-adjust=, expected an integer from "
					   "-1000 to 1000", value);
		s->oom_score_adjust_set = true;
		s->mask |= SETTING_OOM_SCORE_ADJUST;
		return 0;
	case EXEC_OPTION_CPU_AFFINITY:
		return parse_cpu_affinity(value, s);
	case EXEC_OPTION_PERSONALITY:
		if (parse_personality(value, &s->personality) < 0)
			return log_invalid("Invalid personality '%s' for --personality=, expected %s", value,
					   personality_names());
		s->mask |= SETTING_PERSONALITY;
		return 0;
	case _EXEC_OPTION_KIND_MAX:
		break;
	}
	return -EINVAL;
}

void options_finish_exec(Settings *s) {
	/* As nspawn: the network options given here decide about CAP_NET_ADMIN, before a .nspawn
	 * file is read. */
	s->capabilities = (caps_default_bounding_set(s->private_network) | s->capability_add) & ~s->capability_drop;
}

/* The kernel raises an ambient capability only when the bounding set still holds it. */
int options_verify_exec(const Settings *s) {
	_cleanup_free_ char *missing = NULL;

	if (s->ambient_capabilities == 0)
		return 0;
	if (s->start_mode == START_BOOT)
		return log_invalid("--ambient-capability= (AmbientCapability=) may not be combined with --boot: "
				   "the init runs as root and sets up its services' capabilities itself");
	if ((s->ambient_capabilities & s->capabilities) == s->ambient_capabilities)
		return 0;
	missing = caps_to_names(s->ambient_capabilities & ~s->capabilities);
	return log_invalid("--ambient-capability= (AmbientCapability=) names capabilities that are not in the "
			   "bounding set: %s; add them with --capability= (Capability=)", missing ?: "?");
}
