/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

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

/* Whether and how the machine's .nspawn file is read (--settings=). */
typedef enum SettingsFileMode {
	SETTINGS_FILE_NO,       /* not read */
	SETTINGS_FILE_YES,      /* read; the command line wins; trusted only in /etc and /run */
	SETTINGS_FILE_OVERRIDE, /* read; the file wins over the command line */
	SETTINGS_FILE_TRUSTED,  /* read as with yes, and trusted wherever it is */
	_SETTINGS_FILE_MODE_MAX,
	_SETTINGS_FILE_MODE_INVALID = -EINVAL,
} SettingsFileMode;

/* Settings.personality when none is asked for: the payload runs with berth's own. */
#define PERSONALITY_UNSET 0xffffffffUL

DECLARE_STRING_TABLE(start_mode, StartMode);
DECLARE_STRING_TABLE(volatile_mode, VolatileMode);
DECLARE_STRING_TABLE(console_mode, ConsoleMode);
DECLARE_STRING_TABLE(resolv_conf_mode, ResolvConfMode);
DECLARE_STRING_TABLE(timezone_mode, TimezoneMode);
DECLARE_STRING_TABLE(link_journal, LinkJournal);
DECLARE_STRING_TABLE(register_mode, RegisterMode);
DECLARE_STRING_TABLE(settings_file_mode, SettingsFileMode);

typedef enum PrivateUsersMode {
	PRIVATE_USERS_NO,
	PRIVATE_USERS_YES,      /* uid_shift set: that range; UID_INVALID: the tree's root owner gives it */
	PRIVATE_USERS_PICK,     /* a free range is picked at start */
	PRIVATE_USERS_IDENTITY, /* 0:65536, mapped onto itself */
	_PRIVATE_USERS_MODE_MAX,
	_PRIVATE_USERS_MODE_INVALID = -EINVAL,
} PrivateUsersMode;

typedef enum PrivateUsersOwnership {
	PRIVATE_USERS_OWNERSHIP_OFF,
	PRIVATE_USERS_OWNERSHIP_CHOWN, /* chown the tree to the range */
	PRIVATE_USERS_OWNERSHIP_MAP,   /* id-mapped mounts */
	PRIVATE_USERS_OWNERSHIP_AUTO,  /* map where the file system can, chown where not */
	_PRIVATE_USERS_OWNERSHIP_MAX,
	_PRIVATE_USERS_OWNERSHIP_INVALID = -EINVAL,
} PrivateUsersOwnership;

DECLARE_STRING_TABLE(private_users_mode, PrivateUsersMode);
DECLARE_STRING_TABLE(private_users_ownership, PrivateUsersOwnership);

#ifndef UID_INVALID
#define UID_INVALID ((uid_t) -1)
#endif

/* A mount of --bind= and the like, as the .nspawn file has it (nspawn-file.h). */
typedef struct NspawnMount NspawnMount;

/* -p/--port=: connections to a port of the host's go on to one of the container's. */
typedef struct PortForward {
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint16_t container_port;
} PortForward;

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
	SETTING_PRIVATE_NETWORK = UINT64_C(1) << 11, /* any network option but --port: they go as one */
	SETTING_MACHINE_ID = UINT64_C(1) << 12,
	SETTING_TEMPLATE = UINT64_C(1) << 13,
	SETTING_DIRECTORY = UINT64_C(1) << 14,
	SETTING_COMMAND = UINT64_C(1) << 15,
	SETTING_NOTIFY_READY = UINT64_C(1) << 16,
	SETTING_LINK_JOURNAL = UINT64_C(1) << 17,
	SETTING_CAPABILITY = UINT64_C(1) << 18, /* --capability, --drop-capability, --ambient-capability */
	SETTING_NO_NEW_PRIVILEGES = UINT64_C(1) << 19,
	SETTING_SYSCALL_FILTER = UINT64_C(1) << 20,
	SETTING_OOM_SCORE_ADJUST = UINT64_C(1) << 21,
	SETTING_CPU_AFFINITY = UINT64_C(1) << 22,
	SETTING_PERSONALITY = UINT64_C(1) << 23,
	SETTING_MOUNTS = UINT64_C(1) << 24, /* --bind=, --bind-ro=, --tmpfs=, --overlay=, ... */
	SETTING_PIVOT_ROOT = UINT64_C(1) << 25,
	SETTING_PORT = UINT64_C(1) << 26,
	SETTING_PRIVATE_USERS = UINT64_C(1) << 27, /* -U, --private-users= */
	SETTING_PRIVATE_USERS_OWNERSHIP = UINT64_C(1) << 28,
	/* --rlimit= has no bit: Settings.rlimits_set says which limits the command line set. */
} SettingMask;

typedef struct Settings {
	char *directory;
	char *image; /* --image=: a raw disk image (or block device); directory is then where it is mounted */
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
	bool private_network; /* a network namespace of its own; every network_* option implies it */
	bool network_veth;    /* a veth pair: ve-NAME (vb-NAME with a bridge or zone) and host0 */
	char **network_veth_extra; /* pairs: the host side's name, the container side's */
	char *network_bridge;      /* the host side of the veth pair joins this existing bridge */
	char *network_zone;        /* ... or the bridge vz-ZONE, made with the zone's first machine */
	char **network_interfaces; /* pairs: a host interface moved in, its name in the container */
	char **network_macvlan;    /* pairs: the parent interface on the host, the name inside */
	char **network_ipvlan;     /* likewise */
	char *network_namespace_path; /* the container joins this network namespace (not private) */
	PortForward *ports;
	size_t n_ports;
	bool notify_ready; /* READY=1 when the payload says so, not at start */
	LinkJournal link_journal;
	bool keep_unit;    /* berth runs as a unit of its own: a reboot exits 133 for it to restart */
	RegisterMode register_mode;
	char *slice;       /* the slice of the machine's scope; NULL: machine.slice */
	char **properties; /* NAME=VALUE unit properties for the machine's scope (--property=) */
	bool quiet;
	SettingsFileMode settings_mode;
	/* Capabilities: the command line's additions and removals, and the payload's bounding set that
	 * options_parse() makes of them (nspawn's default set, with CAP_NET_ADMIN for a private network,
	 * plus capability_add, minus capability_drop), which the .nspawn file may change further. */
	uint64_t capability_add; /* 1 << CAP_*; all bits for "all" */
	uint64_t capability_drop;
	uint64_t capabilities;
	uint64_t ambient_capabilities; /* the payload keeps them as any --user (a subset of the above) */
	bool no_new_privileges;
	char **syscall_allow; /* system calls and @groups allowed besides the default filter's */
	char **syscall_deny;  /* ... refused even where allowed */
	struct rlimit rlimits[RLIMIT_NLIMITS];
	uint32_t rlimits_set; /* 1 << RLIMIT_*: rlimits[] holds the payload's limit */
	int oom_score_adjust;
	bool oom_score_adjust_set;
	cpu_set_t *cpu_affinity; /* CPU_ALLOC()ed; NULL: berth's own */
	size_t cpu_affinity_size;
	unsigned long personality; /* PER_LINUX or PER_LINUX32, or PERSONALITY_UNSET */
	NspawnMount *mounts; /* --bind= and the other mount options, in the command line's order */
	size_t n_mounts;
	char *pivot_root_new; /* --pivot-root=: the tree's directory that becomes the root, or NULL */
	char *pivot_root_old; /* ... and where the old root goes below it; NULL: it is dropped */
	/* A user namespace: the container's UIDs and GIDs 0...uid_range-1 are the host's uid_shift...;
	 * uid_shift is UID_INVALID until it is known (picked, or read off the tree's owner). */
	PrivateUsersMode private_users;
	uid_t uid_shift;
	uid_t uid_range;
	PrivateUsersOwnership private_users_ownership; /* _INVALID: the mode's default */
	uint64_t mask; /* SettingMask bits set by the command line */
} Settings;

void settings_init(Settings *s);
void settings_done(Settings *s);
