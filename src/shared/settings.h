/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-id128.h>

#include <errno.h>

#include "string-table.h"

/* What a machine is run with: filled from the command line (and later from .nspawn files). The
 * mask records which settings the command line set, so that it wins over a file. */

typedef enum StartMode {
	START_PID1, /* the command is the container's PID 1 */
	START_PID2, /* a stub is PID 1 and the command PID 2 (--as-pid2) */
	START_BOOT, /* the tree's init is PID 1 (--boot) */
	_START_MODE_MAX,
	_START_MODE_INVALID = -EINVAL,
} StartMode;

typedef enum VolatileMode {
	VOLATILE_NO,
	VOLATILE_YES,     /* root is a tmpfs; /usr comes read-only from the tree */
	VOLATILE_STATE,   /* the tree read-only; /var is a tmpfs */
	VOLATILE_OVERLAY, /* the tree read-only under a tmpfs-backed overlay */
	_VOLATILE_MODE_MAX,
	_VOLATILE_MODE_INVALID = -EINVAL,
} VolatileMode;

typedef enum ConsoleMode {
	CONSOLE_INTERACTIVE,
	CONSOLE_READ_ONLY,
	CONSOLE_PASSIVE,
	CONSOLE_PIPE,
	CONSOLE_AUTOPIPE, /* resolved at start: interactive on a terminal, pipe otherwise */
	_CONSOLE_MODE_MAX,
	_CONSOLE_MODE_INVALID = -EINVAL,
} ConsoleMode;

typedef enum ResolvConfMode {
	RESOLV_CONF_OFF,
	RESOLV_CONF_COPY_HOST,
	RESOLV_CONF_COPY_STATIC,
	RESOLV_CONF_COPY_UPLINK,
	RESOLV_CONF_COPY_STUB,
	RESOLV_CONF_REPLACE_HOST,
	RESOLV_CONF_REPLACE_STATIC,
	RESOLV_CONF_REPLACE_UPLINK,
	RESOLV_CONF_REPLACE_STUB,
	RESOLV_CONF_BIND_HOST,
	RESOLV_CONF_BIND_STATIC,
	RESOLV_CONF_BIND_UPLINK,
	RESOLV_CONF_BIND_STUB,
	RESOLV_CONF_DELETE,
	RESOLV_CONF_AUTO,
	_RESOLV_CONF_MODE_MAX,
	_RESOLV_CONF_MODE_INVALID = -EINVAL,
} ResolvConfMode;

typedef enum LinkJournal {
	LINK_JOURNAL_NO,
	LINK_JOURNAL_HOST,      /* the journal lives on the host, bound into the guest */
	LINK_JOURNAL_TRY_HOST,
	LINK_JOURNAL_GUEST,     /* the journal lives in the guest, the host links to it */
	LINK_JOURNAL_TRY_GUEST,
	LINK_JOURNAL_AUTO,      /* try-guest when the host has /var/log/journal/ID for it, else no */
	_LINK_JOURNAL_MAX,
	_LINK_JOURNAL_INVALID = -EINVAL,
} LinkJournal;

typedef enum TimezoneMode {
	TIMEZONE_OFF,
	TIMEZONE_COPY,
	TIMEZONE_BIND,
	TIMEZONE_SYMLINK,
	TIMEZONE_DELETE,
	TIMEZONE_AUTO,
	_TIMEZONE_MODE_MAX,
	_TIMEZONE_MODE_INVALID = -EINVAL,
} TimezoneMode;

typedef enum RegisterMode {
	REGISTER_NO,   /* never register with systemd-machined */
	REGISTER_YES,  /* register, or fail */
	REGISTER_AUTO, /* register when systemd-machined is reachable on the system bus */
	_REGISTER_MODE_MAX,
	_REGISTER_MODE_INVALID = -EINVAL,
} RegisterMode;

DECLARE_STRING_TABLE(start_mode, StartMode);
DECLARE_STRING_TABLE(volatile_mode, VolatileMode);
DECLARE_STRING_TABLE(console_mode, ConsoleMode);
DECLARE_STRING_TABLE(resolv_conf_mode, ResolvConfMode);
DECLARE_STRING_TABLE(timezone_mode, TimezoneMode);
DECLARE_STRING_TABLE(link_journal, LinkJournal);
DECLARE_STRING_TABLE(register_mode, RegisterMode);

/* One bit per setting, for the mask of what the command line set. */
typedef enum SettingMask {
	SETTING_START_MODE = UINT64_C(1) << 0,
	SETTING_ENVIRONMENT = UINT64_C(1) << 1,
	SETTING_USER = UINT64_C(1) << 2,
	SETTING_CHDIR = UINT64_C(1) << 3,
	SETTING_HOSTNAME = UINT64_C(1) << 4,
	SETTING_KILL_SIGNAL = UINT64_C(1) << 5,
	SETTING_READ_ONLY = UINT64_C(1) << 6,
	SETTING_VOLATILE_MODE = UINT64_C(1) << 7,
	SETTING_EPHEMERAL = UINT64_C(1) << 8,
	SETTING_RESOLV_CONF = UINT64_C(1) << 9,
	SETTING_TIMEZONE = UINT64_C(1) << 10,
	SETTING_PRIVATE_NETWORK = UINT64_C(1) << 11,
	SETTING_MACHINE_ID = UINT64_C(1) << 12,
	SETTING_TEMPLATE = UINT64_C(1) << 13,
	SETTING_DIRECTORY = UINT64_C(1) << 14,
	SETTING_COMMAND = UINT64_C(1) << 15,
	SETTING_NOTIFY_READY = UINT64_C(1) << 16,
	SETTING_LINK_JOURNAL = UINT64_C(1) << 17,
} SettingMask;

typedef struct Settings {
	char *directory;
	char *template;
	char *machine;
	char *hostname;
	sd_id128_t uuid; /* null: not set */
	char **command;  /* NULL: a login shell */
	StartMode start_mode;
	char *chdir;
	char **environment; /* NAME=VALUE, applied last */
	char *user;
	int kill_signal; /* 0: the default for the start mode */
	bool read_only;
	VolatileMode volatile_mode;
	bool ephemeral;
	ResolvConfMode resolv_conf;
	TimezoneMode timezone;
	ConsoleMode console_mode; /* _CONSOLE_MODE_INVALID: chosen from the terminal at start */
	bool private_network;
	bool notify_ready; /* READY=1 when the payload says so, not at start */
	LinkJournal link_journal;
	bool keep_unit;    /* berth runs as a unit of its own: a reboot exits 133 for it to restart */
	RegisterMode register_mode;
	char *slice;       /* the slice of the machine's scope; NULL: machine.slice */
	char **properties; /* NAME=VALUE unit properties for the machine's scope (--property=) */
	bool quiet;
	uint64_t mask; /* SettingMask bits set by the command line */
} Settings;

void settings_init(Settings *s);
void settings_done(Settings *s);
