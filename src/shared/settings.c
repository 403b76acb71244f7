/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "nspawn-file.h"
#include "settings.h"
#include "strv.h"

static const char *const start_mode_table[_START_MODE_MAX] = {
	[START_PID1] = "pid1",
	[START_PID2] = "pid2",
	[START_BOOT] = "boot",
};
DEFINE_STRING_TABLE(start_mode, StartMode, _START_MODE_MAX)

static const char *const volatile_mode_table[_VOLATILE_MODE_MAX] = {
	[VOLATILE_NO] = "no",
	[VOLATILE_YES] = "yes",
	[VOLATILE_STATE] = "state",
	[VOLATILE_OVERLAY] = "overlay",
};
DEFINE_STRING_TABLE(volatile_mode, VolatileMode, _VOLATILE_MODE_MAX)

static const char *const console_mode_table[_CONSOLE_MODE_MAX] = {
	[CONSOLE_INTERACTIVE] = "interactive",
	[CONSOLE_READ_ONLY] = "read-only",
	[CONSOLE_PASSIVE] = "passive",
	[CONSOLE_PIPE] = "pipe",
	[CONSOLE_AUTOPIPE] = "autopipe",
};
DEFINE_STRING_TABLE(console_mode, ConsoleMode, _CONSOLE_MODE_MAX)

static const char *const resolv_conf_mode_table[_RESOLV_CONF_MODE_MAX] = {
	[RESOLV_CONF_OFF] = "off",
	[RESOLV_CONF_COPY_HOST] = "copy-host",
	[RESOLV_CONF_COPY_STATIC] = "copy-static",
	[RESOLV_CONF_COPY_UPLINK] = "copy-uplink",
	[RESOLV_CONF_COPY_STUB] = "copy-stub",
	[RESOLV_CONF_REPLACE_HOST] = "replace-host",
	[RESOLV_CONF_REPLACE_STATIC] = "replace-static",
	[RESOLV_CONF_REPLACE_UPLINK] = "replace-uplink",
	[RESOLV_CONF_REPLACE_STUB] = "replace-stub",
	[RESOLV_CONF_BIND_HOST] = "bind-host",
	[RESOLV_CONF_BIND_STATIC] = "bind-static",
	[RESOLV_CONF_BIND_UPLINK] = "bind-uplink",
	[RESOLV_CONF_BIND_STUB] = "bind-stub",
	[RESOLV_CONF_DELETE] = "delete",
	[RESOLV_CONF_AUTO] = "auto",
};
DEFINE_STRING_TABLE(resolv_conf_mode, ResolvConfMode, _RESOLV_CONF_MODE_MAX)

static const char *const timezone_mode_table[_TIMEZONE_MODE_MAX] = {
	[TIMEZONE_OFF] = "off",
	[TIMEZONE_COPY] = "copy",
	[TIMEZONE_BIND] = "bind",
	[TIMEZONE_SYMLINK] = "symlink",
	[TIMEZONE_DELETE] = "delete",
	[TIMEZONE_AUTO] = "auto",
};
DEFINE_STRING_TABLE(timezone_mode, TimezoneMode, _TIMEZONE_MODE_MAX)

static const char *const link_journal_table[_LINK_JOURNAL_MAX] = {
	[LINK_JOURNAL_NO] = "no",
	[LINK_JOURNAL_HOST] = "host",
	[LINK_JOURNAL_TRY_HOST] = "try-host",
	[LINK_JOURNAL_GUEST] = "guest",
	[LINK_JOURNAL_TRY_GUEST] = "try-guest",
	[LINK_JOURNAL_AUTO] = "auto",
};
DEFINE_STRING_TABLE(link_journal, LinkJournal, _LINK_JOURNAL_MAX)

static const char *const register_mode_table[_REGISTER_MODE_MAX] = {
	[REGISTER_NO] = "no",
	[REGISTER_YES] = "yes",
	[REGISTER_AUTO] = "auto",
};
DEFINE_STRING_TABLE(register_mode, RegisterMode, _REGISTER_MODE_MAX)

static const char *const settings_file_mode_table[_SETTINGS_FILE_MODE_MAX] = {
	[SETTINGS_FILE_NO] = "no",
	[SETTINGS_FILE_YES] = "yes",
	[SETTINGS_FILE_OVERRIDE] = "override",
	[SETTINGS_FILE_TRUSTED] = "trusted",
};
DEFINE_STRING_TABLE(settings_file_mode, SettingsFileMode, _SETTINGS_FILE_MODE_MAX)

void settings_init(Settings *s) {
	*s = (Settings) {
		.start_mode = START_PID1,
		.volatile_mode = VOLATILE_NO,
		.resolv_conf = RESOLV_CONF_AUTO,
		.timezone = TIMEZONE_AUTO,
		.console_mode = _CONSOLE_MODE_INVALID,
		.link_journal = LINK_JOURNAL_AUTO,
		.register_mode = REGISTER_AUTO,
		.settings_mode = SETTINGS_FILE_YES,
		.personality = PERSONALITY_UNSET,
		.private_users = PRIVATE_USERS_NO,
		.uid_shift = UID_INVALID,
		.uid_range = 0x10000,
		.private_users_ownership = _PRIVATE_USERS_OWNERSHIP_INVALID,
	};
}

void settings_done(Settings *s) {
	free(s->directory);
	free(s->image);
	free(s->template);
	free(s->machine);
	free(s->hostname);
	strv_free(s->command);
	free(s->chdir);
	strv_free(s->environment);
	free(s->user);
	free(s->slice);
	strv_free(s->properties);
	strv_free(s->network_veth_extra);
	free(s->network_bridge);
	free(s->network_zone);
	strv_free(s->network_interfaces);
	strv_free(s->network_macvlan);
	strv_free(s->network_ipvlan);
	free(s->network_namespace_path);
	free(s->ports);
	strv_free(s->syscall_allow);
	strv_free(s->syscall_deny);
	if (s->cpu_affinity)
		CPU_FREE(s->cpu_affinity);
	nspawn_mount_free_many(s->mounts, s->n_mounts);
	free(s->pivot_root_new);
	free(s->pivot_root_old);
	settings_init(s);
}
