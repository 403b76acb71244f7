/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What each .nspawn key does with its value. A value nspawn would warn about and ignore is an error
 * here, so that a mistake does not go unnoticed. Empty assignments follow nspawn: they reset the
 * lists nspawn resets (Parameters=, Environment=, BindUser=, CPUAffinity=, Interface=, ...) and the
 * single values that are optional (User=, Hostname=, Bridge=, Zone=, the booleans, ...); for the
 * capability lists and SystemCallFilter= they change nothing, as in nspawn; for the rest (Bind=,
 * Port=, KillSignal=, ...) they are a bad value. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "name-util.h"
#include "nspawn-file-internal.h"
#include "parse-util.h"
#include "strv.h"

#define WHITESPACE " \t\n\r"
#define FIELD(st, key, type) ((type *) ((char *) (st)->file + (key)->arg))

static void setting_set(ParseState *st, const NspawnKey *key) {
	st->file->mask |= key->setting;
}

static void setting_clear(ParseState *st, const NspawnKey *key) {
	st->file->mask &= ~key->setting;
}

/* "one of: a, b, c" from a string table, for messages. */
#define DEFINE_TABLE_LIST(table, max)                                                        \
	static const char *table##_list(void) {                                              \
		static char buf[512];                                                        \
		size_t n = 0;                                                                \
		for (int i = 0; i < (max); i++)                                              \
			n += snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "one of: ", \
				      table##_to_string(i));                                 \
		return buf;                                                                  \
	}
DEFINE_TABLE_LIST(resolv_conf_mode, _RESOLV_CONF_MODE_MAX)
DEFINE_TABLE_LIST(timezone_mode, _TIMEZONE_MODE_MAX)
DEFINE_TABLE_LIST(link_journal, _LINK_JOURNAL_MAX)
DEFINE_TABLE_LIST(volatile_mode, _VOLATILE_MODE_MAX)
DEFINE_TABLE_LIST(private_users_ownership, _PRIVATE_USERS_OWNERSHIP_MAX)

#define EXPECT_BOOLEAN "a boolean (yes, no, true, false, on, off, 1, 0)"

/* Ephemeral=, ReadOnly=, Private=, ...: booleans that an empty value unsets. */
static int parse_tristate(ParseState *st, const NspawnKey *key, const char *value) {
	int b;

	if (!*value) {
		*FIELD(st, key, bool) = false;
		setting_clear(st, key);
		return 0;
	}
	b = parse_boolean(value);
	if (b < 0)
		return key_invalid(st, key, value, NULL, EXPECT_BOOLEAN);
	*FIELD(st, key, bool) = b;
	setting_set(st, key);
	return 0;
}

/* Boot= and ProcessTwo= set one start mode; like nspawn, a second one that contradicts the first
 * (Boot=yes with ProcessTwo=yes, or Boot=yes then Boot=no) is refused rather than overriding it. */
static int parse_start_mode(ParseState *st, const NspawnKey *key, const char *value) {
	StartMode mode = key->arg, cur = st->file->start_mode;
	bool set = st->file->mask & NSPAWN_FILE_START_MODE;
	int b = parse_boolean(value);

	if (b < 0)
		return key_invalid(st, key, value, NULL, EXPECT_BOOLEAN);
	if (set && ((b && cur != mode && cur != START_PID1) || (!b && cur == mode))) {
		parse_log(st, LOG_ERR, "%s=%s conflicts with the earlier %s=yes", key->name, value,
			  cur == START_BOOT ? "Boot" : "ProcessTwo");
		st->failed = true;
		return -EINVAL;
	}
	if (b)
		st->file->start_mode = mode;
	else if (!set)
		st->file->start_mode = START_PID1;
	setting_set(st, key);
	return 0;
}

static int set_string(ParseState *st, const NspawnKey *key, char **target, const char *value) {
	char *c = NULL;

	if (*value && !(c = strdup(value)))
		return -ENOMEM;
	free(*target);
	*target = c;
	if (c)
		setting_set(st, key);
	else
		setting_clear(st, key);
	return 0;
}

/* Adds words to a list, or empties it for an empty value. check: NULL, or what each word must be. */
static int extend_words(ParseState *st, const NspawnKey *key, const char *value, WordFlags flags,
			bool (*check)(const char *), char ***list) {
	_cleanup_strv_free_ char **words = NULL;
	int r;

	if (!*value) {
		strv_free(*list);
		*list = NULL;
		setting_clear(st, key);
		return 0;
	}
	r = split_words(value, WHITESPACE, flags, &words);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, NULL, "words with balanced quotes");
	STRV_FOREACH(w, words)
		if (check && !check(*w))
			return key_invalid(st, key, value, *w, NULL);
	STRV_FOREACH(w, words)
		if (strv_extend(list, *w) < 0)
			return -ENOMEM;
	if (*list)
		setting_set(st, key);
	return 0;
}

/* Parameters=, and Interface=, MACVLAN=, IPVLAN=: words that may be quoted, as nspawn splits them. */
static int parse_words(ParseState *st, const NspawnKey *key, const char *value) {
	return extend_words(st, key, value, WORD_UNQUOTE | WORD_RETAIN_ESCAPE, NULL, FIELD(st, key, char **));
}

static int parse_ifnames(ParseState *st, const NspawnKey *key, const char *value) {
	return extend_words(st, key, value, WORD_UNQUOTE | WORD_RETAIN_ESCAPE, ifname_is_valid,
			    FIELD(st, key, char **));
}

static int parse_bind_user(ParseState *st, const NspawnKey *key, const char *value) {
	return extend_words(st, key, value, 0, user_name_is_valid, &st->file->bind_user);
}

static int parse_environment(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_strv_free_ char **words = NULL;
	int r;

	if (!*value) {
		strv_free(st->file->environment);
		st->file->environment = NULL;
		setting_clear(st, key);
		return 0;
	}
	r = split_words(value, WHITESPACE, WORD_UNQUOTE | WORD_RETAIN_ESCAPE, &words);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, NULL, "NAME=VALUE assignments, quoted where needed");
	STRV_FOREACH(w, words)
		if (!env_assignment_is_valid(*w))
			return key_invalid(st, key, value, *w, NULL);
	STRV_FOREACH(w, words)
		if (strv_env_set(&st->file->environment, *w) < 0)
			return -ENOMEM;
	setting_set(st, key);
	return 0;
}

static int parse_user(ParseState *st, const NspawnKey *key, const char *value) {
	if (!string_is_safe(value))
		return key_invalid(st, key, value, NULL, NULL);
	return set_string(st, key, &st->file->user, value);
}

static int parse_hostname(ParseState *st, const NspawnKey *key, const char *value) {
	if (*value && !hostname_is_valid(value))
		return key_invalid(st, key, value, NULL, NULL);
	return set_string(st, key, &st->file->hostname, value);
}

static int parse_working_directory(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_free_ char *p = NULL;
	int r;

	if (*value) {
		r = path_simplify_absolute(value, &p);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return key_invalid(st, key, value, NULL, NULL);
	}
	return set_string(st, key, &st->file->working_directory, p ? p : "");
}

static int parse_pivot_root(ParseState *st, const NspawnKey *key, const char *value) {
	char *new_root, *old_root;
	int r = parse_pivot_root_spec(value, &new_root, &old_root);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, NULL, NULL);
	free(st->file->pivot_root_new);
	free(st->file->pivot_root_old);
	st->file->pivot_root_new = new_root;
	st->file->pivot_root_old = old_root;
	setting_set(st, key);
	return 0;
}

/* Capability=, DropCapability=, AmbientCapability=: the lists add up; "all" (not for ambient) is every
 * capability. */
static int parse_capabilities(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_free_ char *bad = NULL;
	uint64_t mask;
	int r = parse_capability_list(value, key->setting != NSPAWN_FILE_AMBIENT_CAPABILITY, &mask, &bad);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, bad, NULL);
	if (mask == 0)
		return 0;
	*FIELD(st, key, uint64_t) |= mask;
	setting_set(st, key);
	return 0;
}

static int parse_kill_signal(ParseState *st, const NspawnKey *key, const char *value) {
	if (parse_signal(value, &st->file->kill_signal) < 0)
		return key_invalid(st, key, value, NULL, NULL);
	setting_set(st, key);
	return 0;
}

static int parse_personality_key(ParseState *st, const NspawnKey *key, const char *value) {
	if (!*value) {
		setting_clear(st, key);
		return 0;
	}
	if (parse_personality(value, &st->file->personality) < 0)
		return key_invalid(st, key, value, NULL, personality_names());
	setting_set(st, key);
	return 0;
}

static int parse_machine_id(ParseState *st, const NspawnKey *key, const char *value) {
	sd_id128_t id;

	if (parse_id128(value, &id) < 0 || sd_id128_is_null(id))
		return key_invalid(st, key, value, NULL, NULL);
	st->file->machine_id = id;
	setting_set(st, key);
	return 0;
}

/* A boolean, "pick", "identity", or SHIFT[:RANGE]; "0" and "1" are booleans, as in nspawn. */
static int parse_private_users(ParseState *st, const NspawnKey *key, const char *value) {
	NspawnFile *f = st->file;
	int b = parse_boolean(value);
	PrivateUsersMode mode = b >= 0 ? (b ? PRIVATE_USERS_YES : PRIVATE_USERS_NO)
				       : private_users_mode_from_string(value);
	uid_t shift = mode == PRIVATE_USERS_IDENTITY ? 0 : UID_INVALID, range = 0x10000;

	if (mode < 0) {
		if (parse_uid_shift_range(value, &shift, &range) < 0)
			return key_invalid(st, key, value, NULL, NULL);
		mode = PRIVATE_USERS_YES;
	}
	f->private_users = mode;
	f->uid_shift = shift;
	f->uid_range = range;
	setting_set(st, key);
	return 0;
}

/* SystemCallFilter=NAME... adds to the allow list, =~NAME... to the deny list. In an untrusted file an
 * allow list could open system calls up, so nspawn drops the whole setting then, deny lists included
 * (see nspawn_file_parse()). */
static int parse_syscall_filter(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_strv_free_ char **words = NULL;
	bool deny = value[0] == '~';
	char ***list = deny ? &st->file->syscall_deny : &st->file->syscall_allow;
	int r;

	r = split_words(value + deny, WHITESPACE, 0, &words);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, NULL, NULL);
	if (!words)
		return 0;
	if (!deny && !st->opts->trusted) {
		parse_log(st, LOG_WARNING, "Ignoring SystemCallFilter= in untrusted file: an allow list is "
			  "privileged, and with it every SystemCallFilter= of the file is ignored");
		if (!st->syscall_allow_dropped)
			st->syscall_line = st->line;
		st->syscall_allow_dropped = true;
		return 0;
	}
	STRV_FOREACH(w, words)
		if (!syscall_name_is_valid(*w))
			return key_invalid(st, key, value, *w, NULL);
	STRV_FOREACH(w, words)
		if (!strv_contains(*list, *w) && strv_extend(list, *w) < 0)
			return -ENOMEM;
	setting_set(st, key);
	return 0;
}

static int parse_rlimit_key(ParseState *st, const NspawnKey *key, const char *value) {
	struct rlimit rl;
	int r = parse_rlimit(key->arg, value, &rl);

	if (r == -ENOMEM)
		return r;
	if (r == -EILSEQ)
		return key_invalid(st, key, value, NULL, "a soft limit not above the hard limit");
	if (r < 0)
		return key_invalid(st, key, value, NULL, NULL);
	st->file->rlimit[key->arg] = (NspawnRlimit) { .set = true, .limit = rl };
	setting_set(st, key);
	return 0;
}

static int parse_oom_score_adjust_key(ParseState *st, const NspawnKey *key, const char *value) {
	if (!*value) {
		setting_clear(st, key);
		return 0;
	}
	if (parse_oom_score_adjust(value, &st->file->oom_score_adjust) < 0)
		return key_invalid(st, key, value, NULL, NULL);
	setting_set(st, key);
	return 0;
}

/* The CPUs of each assignment are added to the earlier ones; an empty one resets. */
static int parse_cpu_affinity(ParseState *st, const NspawnKey *key, const char *value) {
	NspawnFile *f = st->file;
	cpu_set_t *set = NULL;
	size_t size = 0;
	int r;

	if (!*value) {
		CPU_FREE(f->cpu_affinity);
		f->cpu_affinity = NULL;
		f->cpu_affinity_size = 0;
		setting_clear(st, key);
		return 0;
	}
	/* Into a copy, so that a bad value leaves the earlier assignments as they were. */
	if (f->cpu_affinity) {
		size = f->cpu_affinity_size;
		set = malloc(size);
		if (!set)
			return -ENOMEM;
		memcpy(set, f->cpu_affinity, size);
	}
	r = parse_cpu_list(value, &set, &size);
	if (r < 0) {
		CPU_FREE(set);
		return r == -ENOMEM ? r : key_invalid(st, key, value, NULL, NULL);
	}
	CPU_FREE(f->cpu_affinity);
	f->cpu_affinity = set;
	f->cpu_affinity_size = size;
	if (set)
		setting_set(st, key);
	return 0;
}

/* ResolvConf=, Timezone=, LinkJournal=, Volatile=: a name from the table, or a boolean, which nspawn
 * takes as the first value of the table for "no" and as "auto" (Volatile=: "yes") for "yes". */
#define DEFINE_ENUM_PARSER(func, table, type, field, yes)                                     \
	static int func(ParseState *st, const NspawnKey *key, const char *value) {            \
		int b = parse_boolean(value);                                                 \
		type v = b == 0 ? (type) 0 : b > 0 ? (yes) : table##_from_string(value);      \
		if ((int) v < 0)                                                              \
			return key_invalid(st, key, value, NULL, table##_list());             \
		st->file->field = v;                                                          \
		setting_set(st, key);                                                         \
		return 0;                                                                     \
	}
DEFINE_ENUM_PARSER(parse_resolv_conf, resolv_conf_mode, ResolvConfMode, resolv_conf, RESOLV_CONF_AUTO)
DEFINE_ENUM_PARSER(parse_timezone, timezone_mode, TimezoneMode, timezone, TIMEZONE_AUTO)
DEFINE_ENUM_PARSER(parse_link_journal, link_journal, LinkJournal, link_journal, LINK_JOURNAL_AUTO)
DEFINE_ENUM_PARSER(parse_volatile, volatile_mode, VolatileMode, volatile_mode, VOLATILE_YES)

static int parse_userns_ownership(ParseState *st, const NspawnKey *key, const char *value) {
	PrivateUsersOwnership o = private_users_ownership_from_string(value);

	if (o < 0)
		return key_invalid(st, key, value, NULL, private_users_ownership_list());
	st->file->private_users_ownership = o;
	setting_set(st, key);
	return 0;
}

/* PrivateUsersChown=, the older spelling: a boolean for "chown" or "off". */
static int parse_userns_chown(ParseState *st, const NspawnKey *key, const char *value) {
	int b = parse_boolean(value);

	if (b < 0)
		return key_invalid(st, key, value, NULL, EXPECT_BOOLEAN);
	st->file->private_users_ownership = b ? PRIVATE_USERS_OWNERSHIP_CHOWN : PRIVATE_USERS_OWNERSHIP_OFF;
	setting_set(st, key);
	return 0;
}

/* RestrictAddressFamilies=, as in unit files: the first assignment says whether the list allows
 * ("AF_INET ...") or denies ("~AF_INET ..."); later ones of the same kind add, of the other kind
 * take away; "none" allows nothing; empty resets. */
static int parse_address_families(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_strv_free_ char **words = NULL;
	NspawnFile *f = st->file;
	bool deny = value[0] == '~';
	uint64_t mask = 0;
	int r;

	if (!*value || streq(value, "none")) {
		f->address_families = 0;
		f->address_families_deny = false;
		if (*value)
			setting_set(st, key);
		else
			setting_clear(st, key);
		return 0;
	}
	r = split_words(value + deny, WHITESPACE, 0, &words);
	if (r == -ENOMEM)
		return r;
	STRV_FOREACH(w, words) {
		int af = address_family_from_name(*w);
		if (af < 0 || af >= 64)
			return key_invalid(st, key, value, *w, NULL);
		mask |= UINT64_C(1) << af;
	}
	if (r < 0 || !words)
		return key_invalid(st, key, value, NULL, NULL);
	if (!(f->mask & key->setting)) {
		f->address_families_deny = deny;
		f->address_families = mask;
	} else if (f->address_families_deny == deny)
		f->address_families |= mask;
	else
		f->address_families &= ~mask;
	setting_set(st, key);
	return 0;
}

static int add_mount(ParseState *st, const NspawnKey *key, const char *value,
		     int (*spec)(const char *, bool, NspawnMount *)) {
	NspawnMount m, *a;
	int r = spec(value, key->arg, &m);

	if (r < 0) {
		nspawn_mount_done(&m);
		return r == -ENOMEM ? r : key_invalid(st, key, value, NULL, NULL);
	}
	a = reallocarray(st->file->mounts, st->file->n_mounts + 1, sizeof *a);
	if (!a) {
		nspawn_mount_done(&m);
		return -ENOMEM;
	}
	a[st->file->n_mounts++] = m;
	st->file->mounts = a;
	setting_set(st, key);
	return 0;
}

static int tmpfs_spec(const char *s, _unused_ bool read_only, NspawnMount *m) {
	return parse_tmpfs_spec(s, m);
}

static int inaccessible_spec(const char *s, _unused_ bool read_only, NspawnMount *m) {
	return parse_inaccessible_spec(s, m);
}

static int parse_bind(ParseState *st, const NspawnKey *key, const char *value) {
	return add_mount(st, key, value, parse_bind_spec);
}

static int parse_tmpfs(ParseState *st, const NspawnKey *key, const char *value) {
	return add_mount(st, key, value, tmpfs_spec);
}

static int parse_overlay(ParseState *st, const NspawnKey *key, const char *value) {
	return add_mount(st, key, value, parse_overlay_spec);
}

static int parse_inaccessible(ParseState *st, const NspawnKey *key, const char *value) {
	return add_mount(st, key, value, inaccessible_spec);
}

static int parse_veth_extra(ParseState *st, const NspawnKey *key, const char *value) {
	NspawnFile *f = st->file;
	NspawnVethExtra v, *a;
	int r = parse_veth_extra_spec(value, &v);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return key_invalid(st, key, value, NULL, NULL);
	a = reallocarray(f->veth_extra, f->n_veth_extra + 1, sizeof *a);
	if (!a) {
		free(v.host);
		free(v.container);
		return -ENOMEM;
	}
	a[f->n_veth_extra++] = v;
	f->veth_extra = a;
	setting_set(st, key);
	return 0;
}

static int parse_bridge(ParseState *st, const NspawnKey *key, const char *value) {
	if (*value && !ifname_is_valid(value))
		return key_invalid(st, key, value, NULL, NULL);
	return set_string(st, key, &st->file->bridge, value);
}

static int parse_zone(ParseState *st, const NspawnKey *key, const char *value) {
	_cleanup_free_ char *bridge = NULL;

	if (asprintf(&bridge, "vz-%s", value) < 0)
		return -ENOMEM;
	if (*value && !ifname_is_valid(bridge))
		return key_invalid(st, key, value, NULL, NULL);
	return set_string(st, key, &st->file->zone, value);
}

/* Port= adds up; the same protocol and host port twice is refused, as nspawn does. */
static int parse_port(ParseState *st, const NspawnKey *key, const char *value) {
	NspawnFile *f = st->file;
	NspawnPort port, *a;

	if (parse_port_spec(value, &port) < 0)
		return key_invalid(st, key, value, NULL, NULL);
	for (size_t i = 0; i < f->n_ports; i++)
		if (f->ports[i].protocol == port.protocol && f->ports[i].host_port == port.host_port)
			return key_invalid(st, key, value, NULL, "a host port not exposed already");
	a = reallocarray(f->ports, f->n_ports + 1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a[f->n_ports++] = port;
	f->ports = a;
	setting_set(st, key);
	return 0;
}

static int parse_namespace_path(ParseState *st, const NspawnKey *key, const char *value) {
	if (*value && value[0] != '/')
		return key_invalid(st, key, value, NULL, NULL);
	return set_string(st, key, &st->file->network_namespace_path, value);
}

#define PRIV NSPAWN_KEY_PRIVILEGED
#define OFF(field) ((int) offsetof(NspawnFile, field))
#define LIMIT(name, res, what)                                                                \
	{ "Exec", "Limit" name, parse_rlimit_key, res, NSPAWN_FILE_RLIMIT, PRIV,              \
	  what ", or SOFT:HARD, or 'infinity'" }
#define SIZE_LIMIT "a size in bytes (with K, M, G, T, P or E for powers of 1024)"
#define COUNT_LIMIT "a number"
#define PATH_SPEC \
	"absolute paths ('\\:' for a colon; a source may start with '+' for a path in the image)"

const NspawnKey nspawn_keys[] = {
	{ "Exec", "Boot", parse_start_mode, START_BOOT, NSPAWN_FILE_START_MODE, 0, EXPECT_BOOLEAN },
	{ "Exec", "Ephemeral", parse_tristate, OFF(ephemeral), NSPAWN_FILE_EPHEMERAL, 0, EXPECT_BOOLEAN },
	{ "Exec", "ProcessTwo", parse_start_mode, START_PID2, NSPAWN_FILE_START_MODE, 0, EXPECT_BOOLEAN },
	{ "Exec", "Parameters", parse_words, OFF(parameters), NSPAWN_FILE_PARAMETERS, 0,
	  "words, quoted with ' or \" where they hold spaces" },
	{ "Exec", "Environment", parse_environment, 0, NSPAWN_FILE_ENVIRONMENT, 0,
	  "NAME=VALUE, NAME of letters, digits and '_' not starting with a digit" },
	{ "Exec", "User", parse_user, 0, NSPAWN_FILE_USER, 0,
	  "a user name, without control characters, quotes or backslashes" },
	{ "Exec", "WorkingDirectory", parse_working_directory, 0, NSPAWN_FILE_WORKING_DIRECTORY, 0,
	  "an absolute path without '..'" },
	{ "Exec", "PivotRoot", parse_pivot_root, 0, NSPAWN_FILE_PIVOT_ROOT, 0, "NEW[:OLD], absolute paths" },
	{ "Exec", "Capability", parse_capabilities, OFF(capability), NSPAWN_FILE_CAPABILITY, PRIV,
	  "capability names such as CAP_NET_ADMIN (see capabilities(7)) or 'all'" },
	{ "Exec", "DropCapability", parse_capabilities, OFF(drop_capability), NSPAWN_FILE_DROP_CAPABILITY, 0,
	  "capability names such as CAP_NET_ADMIN (see capabilities(7)) or 'all'" },
	{ "Exec", "AmbientCapability", parse_capabilities, OFF(ambient_capability),
	  NSPAWN_FILE_AMBIENT_CAPABILITY, PRIV, "capability names such as CAP_NET_ADMIN (see capabilities(7))" },
	{ "Exec", "NoNewPrivileges", parse_tristate, OFF(no_new_privileges), NSPAWN_FILE_NO_NEW_PRIVILEGES, 0,
	  EXPECT_BOOLEAN },
	{ "Exec", "KillSignal", parse_kill_signal, 0, NSPAWN_FILE_KILL_SIGNAL, 0,
	  "a signal name or number such as SIGTERM, TERM, 15 or SIGRTMIN+3" },
	{ "Exec", "Personality", parse_personality_key, 0, NSPAWN_FILE_PERSONALITY, 0, NULL },
	{ "Exec", "MachineID", parse_machine_id, 0, NSPAWN_FILE_MACHINE_ID, PRIV,
	  "a non-zero ID of 32 hex digits, optionally as 8-4-4-4-12" },
	{ "Exec", "PrivateUsers", parse_private_users, 0, NSPAWN_FILE_PRIVATE_USERS, PRIV,
	  "a boolean, 'pick', 'identity', or SHIFT[:RANGE] (a UID and a count, 65536 by default)" },
	{ "Exec", "NotifyReady", parse_tristate, OFF(notify_ready), NSPAWN_FILE_NOTIFY_READY, 0,
	  EXPECT_BOOLEAN },
	{ "Exec", "SystemCallFilter", parse_syscall_filter, 0, NSPAWN_FILE_SYSTEM_CALL_FILTER, 0,
	  "system call names or known @groups, optionally after '~' to deny them" },
	LIMIT("CPU", RLIMIT_CPU, "a time in seconds (or with a unit: ms, s, min, h, ...)"),
	LIMIT("FSIZE", RLIMIT_FSIZE, SIZE_LIMIT),
	LIMIT("DATA", RLIMIT_DATA, SIZE_LIMIT),
	LIMIT("STACK", RLIMIT_STACK, SIZE_LIMIT),
	LIMIT("CORE", RLIMIT_CORE, SIZE_LIMIT),
	LIMIT("RSS", RLIMIT_RSS, SIZE_LIMIT),
	LIMIT("NOFILE", RLIMIT_NOFILE, COUNT_LIMIT),
	LIMIT("AS", RLIMIT_AS, SIZE_LIMIT),
	LIMIT("NPROC", RLIMIT_NPROC, COUNT_LIMIT),
	LIMIT("MEMLOCK", RLIMIT_MEMLOCK, SIZE_LIMIT),
	LIMIT("LOCKS", RLIMIT_LOCKS, COUNT_LIMIT),
	LIMIT("SIGPENDING", RLIMIT_SIGPENDING, COUNT_LIMIT),
	LIMIT("MSGQUEUE", RLIMIT_MSGQUEUE, SIZE_LIMIT),
	LIMIT("NICE", RLIMIT_NICE, "a nice level '+N' or '-N' (-20..19), or a raw 0..40"),
	LIMIT("RTPRIO", RLIMIT_RTPRIO, COUNT_LIMIT),
	LIMIT("RTTIME", RLIMIT_RTTIME, "a time in microseconds (or with a unit: ms, s, min, ...)"),
	{ "Exec", "Hostname", parse_hostname, 0, NSPAWN_FILE_HOSTNAME, 0,
	  "a hostname: dot-separated labels of letters, digits, '-' and '_', at most 64 characters" },
	{ "Exec", "OOMScoreAdjust", parse_oom_score_adjust_key, 0, NSPAWN_FILE_OOM_SCORE_ADJUST, PRIV,
	  "an integer from -1000 to 1000" },
	{ "Exec", "CPUAffinity", parse_cpu_affinity, 0, NSPAWN_FILE_CPU_AFFINITY, PRIV,
	  "CPU numbers and ranges such as '0-3,6' below 8192" },
	{ "Exec", "ResolvConf", parse_resolv_conf, 0, NSPAWN_FILE_RESOLV_CONF, 0, NULL },
	{ "Exec", "LinkJournal", parse_link_journal, 0, NSPAWN_FILE_LINK_JOURNAL, PRIV, NULL },
	{ "Exec", "Timezone", parse_timezone, 0, NSPAWN_FILE_TIMEZONE, 0, NULL },
	{ "Exec", "SuppressSync", parse_tristate, OFF(suppress_sync), NSPAWN_FILE_SUPPRESS_SYNC, 0,
	  EXPECT_BOOLEAN },
	{ "Exec", "RestrictAddressFamilies", parse_address_families, 0, NSPAWN_FILE_RESTRICT_ADDRESS_FAMILIES,
	  0, "address family names such as AF_INET AF_UNIX, optionally after '~', or 'none'" },

	{ "Files", "ReadOnly", parse_tristate, OFF(read_only), NSPAWN_FILE_READ_ONLY, 0, EXPECT_BOOLEAN },
	{ "Files", "Volatile", parse_volatile, 0, NSPAWN_FILE_VOLATILE, 0, NULL },
	{ "Files", "Bind", parse_bind, false, NSPAWN_FILE_MOUNTS, PRIV,
	  "SOURCE[:DESTINATION[:OPTIONS]], " PATH_SPEC ", OPTIONS from rbind, norbind, idmap, noidmap, "
	  "rootidmap" },
	{ "Files", "BindReadOnly", parse_bind, true, NSPAWN_FILE_MOUNTS, PRIV,
	  "SOURCE[:DESTINATION[:OPTIONS]], " PATH_SPEC ", OPTIONS from rbind, norbind, idmap, noidmap, "
	  "rootidmap" },
	{ "Files", "TemporaryFileSystem", parse_tmpfs, 0, NSPAWN_FILE_MOUNTS, PRIV,
	  "PATH[:OPTIONS], PATH absolute" },
	{ "Files", "Inaccessible", parse_inaccessible, 0, NSPAWN_FILE_MOUNTS, PRIV, "an absolute path" },
	{ "Files", "Overlay", parse_overlay, false, NSPAWN_FILE_MOUNTS, PRIV,
	  "LOWER:UPPER or LOWER...:UPPER:DESTINATION, " PATH_SPEC },
	{ "Files", "OverlayReadOnly", parse_overlay, true, NSPAWN_FILE_MOUNTS, PRIV,
	  "LOWER:UPPER or LOWER...:UPPER:DESTINATION, " PATH_SPEC },
	{ "Files", "PrivateUsersChown", parse_userns_chown, 0, NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP, PRIV,
	  EXPECT_BOOLEAN },
	{ "Files", "PrivateUsersOwnership", parse_userns_ownership, 0, NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP, PRIV,
	  NULL },
	{ "Files", "BindUser", parse_bind_user, 0, NSPAWN_FILE_BIND_USER, PRIV,
	  "user names: a letter or '_', then letters, digits, '_' or '-', at most 31" },

	{ "Network", "Private", parse_tristate, OFF(private_network), NSPAWN_FILE_PRIVATE_NETWORK, PRIV,
	  EXPECT_BOOLEAN },
	{ "Network", "VirtualEthernet", parse_tristate, OFF(virtual_ethernet), NSPAWN_FILE_VIRTUAL_ETHERNET,
	  PRIV, EXPECT_BOOLEAN },
	{ "Network", "VirtualEthernetExtra", parse_veth_extra, 0, NSPAWN_FILE_VIRTUAL_ETHERNET_EXTRA, PRIV,
	  "HOST[:CONTAINER], interface names of 1-15 characters" },
	{ "Network", "Interface", parse_ifnames, OFF(interfaces), NSPAWN_FILE_INTERFACE, PRIV,
	  "interface names of 1-15 characters, without '/', ':' or '%'" },
	{ "Network", "MACVLAN", parse_ifnames, OFF(macvlan), NSPAWN_FILE_MACVLAN, PRIV,
	  "interface names of 1-15 characters, without '/', ':' or '%'" },
	{ "Network", "IPVLAN", parse_ifnames, OFF(ipvlan), NSPAWN_FILE_IPVLAN, PRIV,
	  "interface names of 1-15 characters, without '/', ':' or '%'" },
	{ "Network", "Bridge", parse_bridge, 0, NSPAWN_FILE_BRIDGE, PRIV,
	  "an interface name of 1-15 characters, without '/', ':' or '%'" },
	{ "Network", "Zone", parse_zone, 0, NSPAWN_FILE_ZONE, PRIV,
	  "a name of 1-12 characters, without '/', ':' or '%' (the bridge is 'vz-' and the name)" },
	{ "Network", "Port", parse_port, 0, NSPAWN_FILE_PORT, PRIV,
	  "[tcp:|udp:]HOST[:CONTAINER], ports from 1 to 65535" },
	{ "Network", "NamespacePath", parse_namespace_path, 0, NSPAWN_FILE_NETWORK_NAMESPACE_PATH, PRIV,
	  "an absolute path to a network namespace, such as /run/netns/NAME" },
};

const size_t nspawn_keys_count = ELEMENTSOF(nspawn_keys);
