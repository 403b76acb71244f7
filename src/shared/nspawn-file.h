/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <systemd/sd-id128.h>

#include "settings.h"
#include "string-table.h"

/* A machine's NAME.nspawn settings file (systemd.nspawn(5), as systemd-nspawn 252 reads it), as typed
 * values. Only what the file says is here: merging it with the command line, and what one setting
 * implies for another (VirtualEthernet= implies Private=), is the launcher's business, with
 * nspawn_file_private_network() and nspawn_file_network_veth() to help. */

#define NSPAWN_FILE_SUFFIX ".nspawn"


typedef enum NspawnMountType {
	NSPAWN_MOUNT_BIND,         /* Bind=, BindReadOnly= */
	NSPAWN_MOUNT_TMPFS,        /* TemporaryFileSystem= */
	NSPAWN_MOUNT_OVERLAY,      /* Overlay=, OverlayReadOnly= */
	NSPAWN_MOUNT_INACCESSIBLE, /* Inaccessible= */
	_NSPAWN_MOUNT_TYPE_MAX,
	_NSPAWN_MOUNT_TYPE_INVALID = -EINVAL,
} NspawnMountType;

/* How a bind mount maps file ownership when the container has its own user namespace. */
typedef enum BindIdmap {
	BIND_IDMAP_NONE,       /* "noidmap": host IDs are shifted into the container's range */
	BIND_IDMAP_HOST_ROOT,  /* "idmap": container IDs 0..range are host IDs 0..range */
	BIND_IDMAP_HOST_OWNER, /* "rootidmap": the source's host owner is the container's root */
	_BIND_IDMAP_MAX,
	_BIND_IDMAP_INVALID = -EINVAL,
} BindIdmap;

DECLARE_STRING_TABLE(nspawn_mount_type, NspawnMountType);
DECLARE_STRING_TABLE(bind_idmap, BindIdmap);
/* "CPU", "NOFILE", ...: the part after "Limit" in the keys, indexed by RLIMIT_* */
DECLARE_STRING_TABLE(rlimit_name, int);

/* A path on the host is absolute; "+/PATH" is PATH inside the image's root; NULL (only where said) is
 * a temporary directory under /var/tmp, removed when the container stops. Relative paths in the file
 * were made absolute against the working directory when parsing, as nspawn does. */
typedef struct NspawnMount {
	NspawnMountType type;
	char *source;      /* bind: the source (NULL: temporary); overlay: the upper dir (NULL: temporary) */
	char *destination; /* absolute, inside the container */
	char **lower;      /* overlay: the lower dirs, lowest first, never NULL entries */
	char *options;     /* tmpfs: the mount options ("mode=0755" when none were given) */
	bool read_only;    /* BindReadOnly=, OverlayReadOnly= */
	bool recursive;    /* bind: "rbind" (the default) or "norbind" */
	BindIdmap idmap;   /* bind */
} NspawnMount;

typedef struct NspawnPort {
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint16_t container_port;
} NspawnPort;

typedef struct NspawnVethExtra {
	char *host;      /* the interface name on the host */
	char *container; /* ... and inside the container (the host's name when not given) */
} NspawnVethExtra;

typedef struct NspawnRlimit {
	bool set;
	struct rlimit limit;
} NspawnRlimit;

/* One bit per setting: what the file set (after an empty assignment reset it: not set). When the file is
 * not trusted, privileged settings are dropped while parsing, so their bits are never set. */
typedef enum NspawnFileSetting {
	/* [Exec] */
	NSPAWN_FILE_START_MODE = UINT64_C(1) << 0, /* Boot=, ProcessTwo= */
	NSPAWN_FILE_EPHEMERAL = UINT64_C(1) << 1,
	NSPAWN_FILE_PARAMETERS = UINT64_C(1) << 2,
	NSPAWN_FILE_ENVIRONMENT = UINT64_C(1) << 3,
	NSPAWN_FILE_USER = UINT64_C(1) << 4,
	NSPAWN_FILE_WORKING_DIRECTORY = UINT64_C(1) << 5,
	NSPAWN_FILE_PIVOT_ROOT = UINT64_C(1) << 6,
	NSPAWN_FILE_CAPABILITY = UINT64_C(1) << 7,
	NSPAWN_FILE_DROP_CAPABILITY = UINT64_C(1) << 8,
	NSPAWN_FILE_AMBIENT_CAPABILITY = UINT64_C(1) << 9,
	NSPAWN_FILE_NO_NEW_PRIVILEGES = UINT64_C(1) << 10,
	NSPAWN_FILE_KILL_SIGNAL = UINT64_C(1) << 11,
	NSPAWN_FILE_PERSONALITY = UINT64_C(1) << 12,
	NSPAWN_FILE_MACHINE_ID = UINT64_C(1) << 13,
	NSPAWN_FILE_PRIVATE_USERS = UINT64_C(1) << 14,
	NSPAWN_FILE_NOTIFY_READY = UINT64_C(1) << 15,
	NSPAWN_FILE_SYSTEM_CALL_FILTER = UINT64_C(1) << 16,
	NSPAWN_FILE_RLIMIT = UINT64_C(1) << 17, /* any LimitXXX=; rlimit[].set says which */
	NSPAWN_FILE_OOM_SCORE_ADJUST = UINT64_C(1) << 18,
	NSPAWN_FILE_CPU_AFFINITY = UINT64_C(1) << 19,
	NSPAWN_FILE_HOSTNAME = UINT64_C(1) << 20,
	NSPAWN_FILE_RESOLV_CONF = UINT64_C(1) << 21,
	NSPAWN_FILE_TIMEZONE = UINT64_C(1) << 22,
	NSPAWN_FILE_LINK_JOURNAL = UINT64_C(1) << 23,
	NSPAWN_FILE_SUPPRESS_SYNC = UINT64_C(1) << 24,
	NSPAWN_FILE_RESTRICT_ADDRESS_FAMILIES = UINT64_C(1) << 25,
	/* [Files] */
	NSPAWN_FILE_READ_ONLY = UINT64_C(1) << 26,
	NSPAWN_FILE_VOLATILE = UINT64_C(1) << 27,
	NSPAWN_FILE_MOUNTS = UINT64_C(1) << 28, /* Bind=, BindReadOnly=, TemporaryFileSystem=, ... */
	NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP = UINT64_C(1) << 29, /* PrivateUsersOwnership=, ...Chown= */
	NSPAWN_FILE_BIND_USER = UINT64_C(1) << 30,
	/* [Network] */
	NSPAWN_FILE_PRIVATE_NETWORK = UINT64_C(1) << 31,
	NSPAWN_FILE_VIRTUAL_ETHERNET = UINT64_C(1) << 32,
	NSPAWN_FILE_VIRTUAL_ETHERNET_EXTRA = UINT64_C(1) << 33,
	NSPAWN_FILE_INTERFACE = UINT64_C(1) << 34,
	NSPAWN_FILE_MACVLAN = UINT64_C(1) << 35,
	NSPAWN_FILE_IPVLAN = UINT64_C(1) << 36,
	NSPAWN_FILE_BRIDGE = UINT64_C(1) << 37,
	NSPAWN_FILE_ZONE = UINT64_C(1) << 38,
	NSPAWN_FILE_PORT = UINT64_C(1) << 39,
	NSPAWN_FILE_NETWORK_NAMESPACE_PATH = UINT64_C(1) << 40,
} NspawnFileSetting;

/* The [Network] settings that configure the network (all but Port=): nspawn takes them from a file
 * as one block, none of them when the command line set any network option. */
#define NSPAWN_FILE_NETWORK                                                                       \
	(NSPAWN_FILE_PRIVATE_NETWORK | NSPAWN_FILE_VIRTUAL_ETHERNET |                             \
	 NSPAWN_FILE_VIRTUAL_ETHERNET_EXTRA | NSPAWN_FILE_INTERFACE | NSPAWN_FILE_MACVLAN |       \
	 NSPAWN_FILE_IPVLAN | NSPAWN_FILE_BRIDGE | NSPAWN_FILE_ZONE |                             \
	 NSPAWN_FILE_NETWORK_NAMESPACE_PATH)

/* Where the file assigned a setting, for messages that point at the line. */
typedef struct NspawnFileOrigin {
	unsigned line;   /* 0: no line set it (or one that did was reset, or it is implied) */
	const char *key; /* the key's name, such as "Capability" (static) */
} NspawnFileOrigin;

typedef struct NspawnFile {
	uint64_t mask; /* NspawnFileSetting bits: which of the fields below the file set */
	NspawnFileOrigin origin[64]; /* by bit number of the NspawnFileSetting: its last assignment */

	/* [Exec] */
	StartMode start_mode; /* Boot=yes: START_BOOT, ProcessTwo=yes: START_PID2, else START_PID1 */
	bool ephemeral;
	char **parameters;  /* the command, or init's arguments with Boot=yes */
	char **environment; /* NAME=VALUE, one per name, the last assignment wins */
	char *user;
	char *working_directory; /* absolute, simplified */
	char *pivot_root_new;    /* absolute */
	char *pivot_root_old;    /* absolute, or NULL: the old root is unmounted */
	uint64_t capability;     /* bits 1 << CAP_*; "all" sets every bit */
	uint64_t drop_capability;
	uint64_t ambient_capability;
	bool no_new_privileges;
	int kill_signal;
	unsigned long personality; /* for personality(2): PER_LINUX or PER_LINUX32 */
	sd_id128_t machine_id;     /* never null when set */
	PrivateUsersMode private_users;
	uid_t uid_shift; /* PRIVATE_USERS_YES with a SHIFT[:RANGE], or 0 for identity; else UID_INVALID */
	uid_t uid_range; /* 65536 unless given */
	bool notify_ready;
	char **syscall_allow; /* SystemCallFilter=NAME...: added to the default allow list */
	char **syscall_deny;  /* SystemCallFilter=~NAME...: removed from it, winning over the above */
	NspawnRlimit rlimit[RLIMIT_NLIMITS];
	int oom_score_adjust;  /* -1000..1000 */
	cpu_set_t *cpu_affinity; /* CPU_ALLOC()ed, cpu_affinity_size bytes, for sched_setaffinity() */
	size_t cpu_affinity_size;
	char *hostname;
	ResolvConfMode resolv_conf;
	TimezoneMode timezone;
	LinkJournal link_journal;
	bool suppress_sync;
	uint64_t address_families; /* bits 1 << AF_*, see address_families_deny */
	bool address_families_deny; /* true: the families are denied; false: only they are allowed */

	/* [Files] */
	bool read_only;
	VolatileMode volatile_mode;
	NspawnMount *mounts; /* in the file's order */
	size_t n_mounts;
	PrivateUsersOwnership private_users_ownership;
	char **bind_user;

	/* [Network] */
	bool private_network;
	bool virtual_ethernet;
	NspawnVethExtra *veth_extra;
	size_t n_veth_extra;
	char **interfaces;
	char **macvlan;
	char **ipvlan;
	char *bridge;
	char *zone; /* as written: the bridge is "vz-" followed by it */
	NspawnPort *ports;
	size_t n_ports;
	char *network_namespace_path;
} NspawnFile;


void nspawn_file_init(NspawnFile *f);
void nspawn_file_done(NspawnFile *f);

/* Where f assigned setting (one NspawnFileSetting bit): the origin's line is 0 when no line did. */
const NspawnFileOrigin *nspawn_file_origin(const NspawnFile *f, uint64_t setting);

/* Whether the file gives the container its own network namespace: Private=yes, or any setting that
 * implies it. */
bool nspawn_file_private_network(const NspawnFile *f);
/* Whether the file asks for the default veth pair: VirtualEthernet=yes, Bridge= or Zone=. */
bool nspawn_file_network_veth(const NspawnFile *f);

/* Where the parser's messages go: level is LOG_ERR for what makes the parse fail, LOG_WARNING for what
 * is ignored; message is "PATH:LINE: Text". */
typedef void (*NspawnFileLogFunc)(int level, const char *message, void *userdata);

typedef struct NspawnFileParseOptions {
	const char *path; /* names the file in messages */
	/* Whether the file is trusted (in /etc or /run). When not, privileged settings are ignored with a
	 * warning, as systemd-nspawn does with files next to the image. */
	bool trusted;
	NspawnFileLogFunc log; /* NULL: through log.h */
	void *log_userdata;
} NspawnFileParseOptions;

/* Parses f into ret. Unknown sections and keys are warned about and ignored; every bad value is
 * reported (file, line, key, value, what is accepted) and makes it return -EINVAL, after reading the
 * whole file so that all of them are reported at once. -ENOMEM, or a read error, otherwise. */
int nspawn_file_parse(FILE *f, const NspawnFileParseOptions *opts, NspawnFile *ret);

/* Finds NAME.nspawn for machine: /etc/systemd/nspawn/ then /run/systemd/nspawn/ (trusted), else the
 * directory holding image (a tree or a raw image file; untrusted; NULL or "/": not looked for). root
 * prefixes the /etc and /run paths (NULL: "/"); image is used as given. -ENOENT when there is none. */
int nspawn_file_find(const char *root, const char *machine, const char *image, char **ret_path,
		     bool *ret_trusted);

/* The mount specifications of Bind=, BindReadOnly=, TemporaryFileSystem=, Overlay=,
 * OverlayReadOnly= and Inaccessible=, which berth's --bind= and friends share: they fill m (zeroed
 * on entry; freed with nspawn_mount_done() by the caller, on failure too) and return -EINVAL for
 * what they do not accept, or -ENOMEM. */
int parse_bind_spec(const char *s, bool read_only, NspawnMount *m);
int parse_tmpfs_spec(const char *s, NspawnMount *m);
int parse_overlay_spec(const char *s, bool read_only, NspawnMount *m);
int parse_inaccessible_spec(const char *s, NspawnMount *m);
void nspawn_mount_done(NspawnMount *m);
/* Appends m to the array (*mounts, *n), taking what it owns; -ENOMEM leaves m to the caller. */
int nspawn_mount_append(NspawnMount **mounts, size_t *n, NspawnMount *m);
void nspawn_mount_free_many(NspawnMount *mounts, size_t n);
/* PivotRoot=, --pivot-root=: NEW[:OLD], both absolute; *ret_old is NULL without OLD. */
int parse_pivot_root_spec(const char *s, char **ret_new, char **ret_old);
