/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "name-util.h"
#include "network-options.h"
#include "options-exec.h"
#include "options-mount.h"
#include "options-userns.h"
#include "options.h"
#include "parse-util.h"
#include "strv.h"
#include "unit-property.h"

enum {
	ARG_VERSION = 0x100,
	ARG_HOSTNAME,
	ARG_UUID,
	ARG_CHDIR,
	ARG_KILL_SIGNAL,
	ARG_READ_ONLY,
	ARG_VOLATILE,
	ARG_TEMPLATE,
	ARG_RESOLV_CONF,
	ARG_TIMEZONE,
	ARG_CONSOLE,
	ARG_PRIVATE_NETWORK,
	ARG_NETWORK_VETH_EXTRA,
	ARG_NETWORK_BRIDGE,
	ARG_NETWORK_ZONE,
	ARG_NETWORK_INTERFACE,
	ARG_NETWORK_MACVLAN,
	ARG_NETWORK_IPVLAN,
	ARG_NETWORK_NAMESPACE_PATH,
	ARG_NOTIFY_READY,
	ARG_LINK_JOURNAL,
	ARG_KEEP_UNIT,
	ARG_REGISTER,
	ARG_PROPERTY,
	ARG_SETTINGS,
	ARG_PRIVATE_USERS,
	ARG_PRIVATE_USERS_OWNERSHIP,
	ARG_PRIVATE_USERS_CHOWN,
	ARG_CAPABILITY, /* to ARG_PERSONALITY: in the order of ExecOptionKind */
	ARG_DROP_CAPABILITY,
	ARG_AMBIENT_CAPABILITY,
	ARG_NO_NEW_PRIVILEGES,
	ARG_SYSTEM_CALL_FILTER,
	ARG_RLIMIT,
	ARG_OOM_SCORE_ADJUST,
	ARG_CPU_AFFINITY,
	ARG_PERSONALITY,
	/* In MountOptionKind's order. */
	ARG_BIND,
	ARG_BIND_RO,
	ARG_TMPFS,
	ARG_OVERLAY,
	ARG_OVERLAY_RO,
	ARG_INACCESSIBLE,
	ARG_PIVOT_ROOT,
};

static const struct option options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, ARG_VERSION },
	{ "directory", required_argument, NULL, 'D' },
	{ "image", required_argument, NULL, 'i' },
	{ "template", required_argument, NULL, ARG_TEMPLATE },
	{ "ephemeral", no_argument, NULL, 'x' },
	{ "machine", required_argument, NULL, 'M' },
	{ "hostname", required_argument, NULL, ARG_HOSTNAME },
	{ "uuid", required_argument, NULL, ARG_UUID },
	{ "as-pid2", no_argument, NULL, 'a' },
	{ "chdir", required_argument, NULL, ARG_CHDIR },
	{ "setenv", required_argument, NULL, 'E' },
	{ "user", required_argument, NULL, 'u' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "kill-signal", required_argument, NULL, ARG_KILL_SIGNAL },
	{ "read-only", no_argument, NULL, ARG_READ_ONLY },
	{ "volatile", optional_argument, NULL, ARG_VOLATILE },
	{ "resolv-conf", required_argument, NULL, ARG_RESOLV_CONF },
	{ "timezone", required_argument, NULL, ARG_TIMEZONE },
	{ "console", required_argument, NULL, ARG_CONSOLE },
	{ "pipe", no_argument, NULL, 'P' },
	{ "private-network", no_argument, NULL, ARG_PRIVATE_NETWORK },
	{ "network-veth", no_argument, NULL, 'n' },
	{ "network-veth-extra", required_argument, NULL, ARG_NETWORK_VETH_EXTRA },
	{ "network-bridge", required_argument, NULL, ARG_NETWORK_BRIDGE },
	{ "network-zone", required_argument, NULL, ARG_NETWORK_ZONE },
	{ "network-interface", required_argument, NULL, ARG_NETWORK_INTERFACE },
	{ "network-macvlan", required_argument, NULL, ARG_NETWORK_MACVLAN },
	{ "network-ipvlan", required_argument, NULL, ARG_NETWORK_IPVLAN },
	{ "network-namespace-path", required_argument, NULL, ARG_NETWORK_NAMESPACE_PATH },
	{ "port", required_argument, NULL, 'p' },
	{ "boot", no_argument, NULL, 'b' },
	{ "notify-ready", required_argument, NULL, ARG_NOTIFY_READY },
	{ "link-journal", required_argument, NULL, ARG_LINK_JOURNAL },
	{ "keep-unit", no_argument, NULL, ARG_KEEP_UNIT },
	{ "register", required_argument, NULL, ARG_REGISTER },
	{ "slice", required_argument, NULL, 'S' },
	{ "property", required_argument, NULL, ARG_PROPERTY },
	{ "settings", required_argument, NULL, ARG_SETTINGS },
	{ "private-users", optional_argument, NULL, ARG_PRIVATE_USERS },
	{ "private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP },
	{ "private-users-chown", no_argument, NULL, ARG_PRIVATE_USERS_CHOWN },
	{ "capability", required_argument, NULL, ARG_CAPABILITY },
	{ "drop-capability", required_argument, NULL, ARG_DROP_CAPABILITY },
	{ "ambient-capability", required_argument, NULL, ARG_AMBIENT_CAPABILITY },
	{ "no-new-privileges", required_argument, NULL, ARG_NO_NEW_PRIVILEGES },
	{ "system-call-filter", required_argument, NULL, ARG_SYSTEM_CALL_FILTER },
	{ "rlimit", required_argument, NULL, ARG_RLIMIT },
	{ "oom-score-adjust", required_argument, NULL, ARG_OOM_SCORE_ADJUST },
	{ "cpu-affinity", required_argument, NULL, ARG_CPU_AFFINITY },
	{ "personality", required_argument, NULL, ARG_PERSONALITY },
	{ "bind", required_argument, NULL, ARG_BIND },
	{ "bind-ro", required_argument, NULL, ARG_BIND_RO },
	{ "tmpfs", required_argument, NULL, ARG_TMPFS },
	{ "overlay", required_argument, NULL, ARG_OVERLAY },
	{ "overlay-ro", required_argument, NULL, ARG_OVERLAY_RO },
	{ "inaccessible", required_argument, NULL, ARG_INACCESSIBLE },
	{ "pivot-root", required_argument, NULL, ARG_PIVOT_ROOT },
	{}
};

static void help(void) {
	printf("berth [OPTIONS...] [COMMAND [ARGS...]]\n\n"
	       "Run a command or a shell in a container made from an OS tree.\n\n"
	       "Image:\n"
	       "  -D --directory=PATH       Root directory of the container\n"
	       "  -i --image=PATH           Raw disk image (GPT, MBR or a bare filesystem) to run\n"
	       "     --template=PATH        Create --directory as a copy of PATH if missing\n"
	       "  -x --ephemeral            Run on a throw-away overlay; the tree is not changed\n"
	       "     --read-only            Mount the root directory read-only\n"
	       "     --volatile[=MODE]      no, yes, state or overlay\n"
	       "     --pivot-root=NEW[:OLD] Make the tree's directory NEW the root (OLD: keep the\n"
	       "                            old root there)\n\n"
	       "Mounts:\n"
	       "     --bind=SRC[:DST[:OPTS]]\n"
	       "                            Bind a host path (+PATH: of the tree) into the container\n"
	       "     --bind-ro=SRC[:DST[:OPTS]]\n"
	       "                            Likewise, read-only\n"
	       "     --tmpfs=PATH[:OPTS]    Mount a tmpfs on PATH\n"
	       "     --overlay=LOWER...:UPPER[:DST]\n"
	       "                            Mount an overlay of host directories\n"
	       "     --overlay-ro=LOWER...:UPPER[:DST]\n"
	       "                            Likewise, read-only\n"
	       "     --inaccessible=PATH    Make PATH in the container inaccessible\n\n"
	       "Execution:\n"
	       "  -b --boot                 Boot the tree's init (systemd) as PID 1\n"
	       "  -a --as-pid2              Run the command as PID 2 under a stub PID 1\n"
	       "     --chdir=PATH           Working directory inside the container\n"
	       "  -E --setenv=NAME[=VALUE]  Set an environment variable for the command\n"
	       "  -u --user=USER            Run the command as USER of the container\n"
	       "     --kill-signal=SIGNAL   Signal sent to PID 1 when berth is told to stop\n"
	       "     --notify-ready=BOOL    Report readiness when the container does, not at start\n\n"
	       "Properties:\n"
	       "  -M --machine=NAME         Machine name (finds NAME in the image directories)\n"
	       "     --hostname=NAME        Hostname inside the container\n"
	       "     --uuid=UUID            Machine id, when the tree has none\n"
	       "     --keep-unit            Run in the caller's unit; a reboot exits with 133\n"
	       "     --register=MODE        Register with systemd-machined: yes, no or auto\n"
	       "  -S --slice=SLICE          Slice of the machine's scope (machine.slice)\n"
	       "     --property=NAME=VALUE  Set a unit property on the machine's scope\n\n"
	       "Integration:\n"
	       "     --resolv-conf=MODE     How /etc/resolv.conf is set up (see 'help')\n"
	       "     --timezone=MODE        How /etc/localtime is set up (see 'help')\n"
	       "     --link-journal=MODE    no, host, try-host, guest, try-guest or auto\n"
	       "  -j                        Same as --link-journal=try-guest\n\n"
	       "Security:\n"
	       "     --capability=LIST      Add capabilities to the bounding set ('all' for all)\n"
	       "     --drop-capability=LIST Drop capabilities from the bounding set\n"
	       "     --ambient-capability=LIST\n"
	       "                            Keep capabilities as any user (ambient set)\n"
	       "     --no-new-privileges=BOOL\n"
	       "                            Set no_new_privs: no privileges gained by execve()\n"
	       "     --system-call-filter=[~]LIST\n"
	       "                            Allow (or with '~' refuse) system calls and @groups\n"
	       "  -U                        A user namespace with a picked UID range\n"
	       "     --private-users[=MODE] no, yes, pick, identity or SHIFT[:RANGE]\n"
	       "     --private-users-ownership=MODE\n"
	       "                            How the tree's files get the range's owners: off, chown,\n"
	       "                            map or auto\n\n"
	       "Resources:\n"
	       "     --rlimit=NAME=LIMIT    Set a resource limit (SOFT[:HARD]) for the payload\n"
	       "     --oom-score-adjust=N   Adjust the OOM score of the payload (-1000..1000)\n"
	       "     --cpu-affinity=CPUS    Run the payload on these CPUs only ('0-3,6')\n"
	       "     --personality=ARCH     Run the payload with ARCH's execution domain\n\n"
	       "Networking:\n"
	       "     --private-network      Only a loopback interface in the container\n"
	       "  -n --network-veth         A veth pair: ve-NAME on the host, host0 inside\n"
	       "     --network-veth-extra=HOST[:CONTAINER]\n"
	       "                            Another veth pair, named as given\n"
	       "     --network-bridge=BRIDGE\n"
	       "                            The veth's host side (vb-NAME) joins BRIDGE\n"
	       "     --network-zone=ZONE    The veth's host side joins bridge vz-ZONE, made as needed\n"
	       "     --network-interface=IF[:NAME]\n"
	       "                            Move a host interface into the container\n"
	       "     --network-macvlan=IF[:NAME]\n"
	       "                            A macvlan link on IF in the container (mv-IF)\n"
	       "     --network-ipvlan=IF[:NAME]\n"
	       "                            An ipvlan link on IF in the container (iv-IF)\n"
	       "     --network-namespace-path=PATH\n"
	       "                            Join the network namespace at PATH\n"
	       "  -p --port=[tcp:|udp:]HOST[:CONTAINER]\n"
	       "                            Forward a port of the host to the container\n\n"
	       "Console:\n"
	       "     --console=MODE         interactive, read-only, passive, pipe or autopipe\n"
	       "  -P --pipe                 Same as --console=pipe\n\n"
	       "Other:\n"
	       "     --settings=MODE        Read NAME.nspawn: yes, no, override or trusted\n"
	       "  -q --quiet                Print no status messages\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n\n"
	       "Options that take a list of values accept 'help' to print them.\n");
}

/* Parses an enum option value, or prints the values for "help" (returns 1). */
#define PARSE_ENUM(option, value, table, target)                                             \
	({                                                                                   \
		int _r = 0;                                                                  \
		if (streq((value), "help")) {                                                \
			table##_print_all(stdout);                                           \
			_r = 1;                                                              \
		} else {                                                                     \
			int _v = (int) table##_from_string(value);                           \
			if (_v < 0)                                                          \
				_r = log_invalid("Invalid value '%s' for %s, expected one of: %s", \
						 (value), (option), table##_list());         \
			else                                                                 \
				(target) = _v;                                               \
		}                                                                            \
		_r;                                                                          \
	})

/* The values of an enum table as "a, b, c", for error messages. */
#define DEFINE_ENUM_LIST(table, max)                                                         \
	static const char *table##_list(void) {                                              \
		static char buf[512];                                                        \
		size_t n = 0;                                                                \
		for (int i = 0; i < (max); i++)                                              \
			n += snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "",        \
				      table##_to_string(i));                                 \
		return buf;                                                                  \
	}
DEFINE_ENUM_LIST(volatile_mode, _VOLATILE_MODE_MAX)
DEFINE_ENUM_LIST(console_mode, _CONSOLE_MODE_MAX)
DEFINE_ENUM_LIST(resolv_conf_mode, _RESOLV_CONF_MODE_MAX)
DEFINE_ENUM_LIST(timezone_mode, _TIMEZONE_MODE_MAX)
DEFINE_ENUM_LIST(link_journal, _LINK_JOURNAL_MAX)
DEFINE_ENUM_LIST(register_mode, _REGISTER_MODE_MAX)
DEFINE_ENUM_LIST(settings_file_mode, _SETTINGS_FILE_MODE_MAX)

static int set_string(char **target, const char *value) {
	char *c = strdup(value);
	if (!c)
		return log_error_errno(ENOMEM, "Out of memory");
	free(*target);
	*target = c;
	return 0;
}

static int parse_path_option(const char *option, const char *value, char **target) {
	if (isempty(value))
		return log_invalid("Empty path for %s", option);
	return set_string(target, value);
}

static void print_signals(void) {
	char buf[16];
	for (int i = 1; i <= SIGRTMAX; i++)
		printf("%s\n", signal_to_string(i, buf));
}

static int parse_setenv(const char *value, Settings *s) {
	const char *assignment = value;
	_cleanup_free_ char *built = NULL;

	if (!strchr(value, '=')) {
		/* NAME alone passes berth's own value on, as nspawn does. */
		const char *v = getenv(value);
		if (!env_name_is_valid(value, strlen(value)))
			return log_invalid("Invalid environment variable name '%s' for --setenv=", value);
		if (!v)
			return log_invalid("--setenv=%s: '%s' is not set in berth's environment", value, value);
		if (asprintf(&built, "%s=%s", value, v) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
		assignment = built;
	} else if (!env_assignment_is_valid(value))
		return log_invalid("Invalid environment assignment '%s' for --setenv=, expected NAME=VALUE", value);

	if (strv_env_set(&s->environment, assignment) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	return 0;
}

/* A slice name as systemd takes it: "machine.slice", "machine-tenants.slice"; a bare name gets the
 * suffix. */
static int parse_slice(const char *value, Settings *s) {
	_cleanup_free_ char *name = NULL;
	size_t n;

	if (isempty(value))
		return log_invalid("Empty slice name for --slice=");
	n = strlen(value);
	if (n < 6 || !streq(value + n - 6, ".slice")) {
		if (asprintf(&name, "%s.slice", value) < 0)
			return log_error_errno(ENOMEM, "Out of memory");
	} else if (!(name = strdup(value)))
		return log_error_errno(ENOMEM, "Out of memory");
	n = strlen(name) - 6;
	if (n == 0 || n > 250 || name[0] == '-' || name[n - 1] == '-' || strstr(name, "--") ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.\\-") != n + 6)
		return log_invalid("Invalid slice name '%s' for --slice=, expected a unit name such as "
				   "'machine.slice'", value);
	free(s->slice);
	s->slice = TAKE_PTR(name);
	return 0;
}

static int parse_property(const char *value, Settings *s) {
	int r = unit_property_check(value);

	if (r == -ENOENT)
		return log_invalid("Unknown unit property in --property=%s, expected one of: %s", value,
				   unit_property_names());
	if (r < 0)
		return log_invalid("Invalid value in --property=%s", value);
	if (strv_extend(&s->properties, value) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	return 0;
}

/* The network options: each of them gives the container a network namespace of its own, but for
 * --network-namespace-path=, which joins one. */
static int parse_network_option(int c, const char *value, Settings *s) {
	int r = 0;

	switch (c) {
	case 'n':
		s->network_veth = true;
		break;
	case ARG_NETWORK_VETH_EXTRA:
		r = netif_parse_veth_extra(value, &s->network_veth_extra);
		break;
	case ARG_NETWORK_BRIDGE:
		r = netif_parse_name("--network-bridge=", value, &s->network_bridge);
		break;
	case ARG_NETWORK_ZONE:
		r = netif_parse_zone(value, &s->network_zone);
		break;
	case ARG_NETWORK_INTERFACE:
		r = netif_parse_pairs("--network-interface=", value, "", &s->network_interfaces);
		break;
	case ARG_NETWORK_MACVLAN:
		r = netif_parse_pairs("--network-macvlan=", value, "mv-", &s->network_macvlan);
		break;
	case ARG_NETWORK_IPVLAN:
		r = netif_parse_pairs("--network-ipvlan=", value, "iv-", &s->network_ipvlan);
		break;
	case ARG_NETWORK_NAMESPACE_PATH:
		if (!path_is_absolute_and_normal(value))
			return log_invalid("Invalid path '%s' for --network-namespace-path=, expected an absolute "
					   "path such as /run/netns/NAME", value);
		return set_string(&s->network_namespace_path, value);
	}
	if (r >= 0)
		s->private_network = true;
	return r;
}

static int parse_one(int c, const char *value, Settings *s) {
	switch (c) {
	case 'D':
		s->mask |= SETTING_DIRECTORY;
		return parse_path_option("--directory=", value, &s->directory);
	case 'i':
		return parse_path_option("--image=", value, &s->image);
	case ARG_TEMPLATE:
		s->mask |= SETTING_TEMPLATE;
		return parse_path_option("--template=", value, &s->template);
	case 'x':
		s->ephemeral = true;
		s->mask |= SETTING_EPHEMERAL;
		return 0;
	case 'M':
		if (!machine_name_is_valid(value))
			return log_invalid("Invalid machine name '%s' for --machine=: use 1-64 letters, digits, "
					   "'-', '_' or '.', not starting with '-' or '.'", value);
		return set_string(&s->machine, value);
	case ARG_HOSTNAME:
		if (!hostname_is_valid(value))
			return log_invalid("Invalid hostname '%s' for --hostname=", value);
		s->mask |= SETTING_HOSTNAME;
		return set_string(&s->hostname, value);
	case ARG_UUID:
		if (parse_id128(value, &s->uuid) < 0 || sd_id128_is_null(s->uuid))
			return log_invalid("Invalid UUID '%s' for --uuid=, expected 32 hex digits, "
					   "optionally as 8-4-4-4-12", value);
		s->mask |= SETTING_MACHINE_ID;
		return 0;
	case 'a':
		if (s->start_mode == START_BOOT)
			return log_invalid("--as-pid2 and --boot may not be combined");
		s->start_mode = START_PID2;
		s->mask |= SETTING_START_MODE;
		return 0;
	case 'b':
		if (s->start_mode == START_PID2)
			return log_invalid("--boot and --as-pid2 may not be combined");
		s->start_mode = START_BOOT;
		s->mask |= SETTING_START_MODE;
		return 0;
	case ARG_NOTIFY_READY: {
		int b = parse_boolean(value);
		if (b < 0)
			return log_invalid("Invalid value '%s' for --notify-ready=, expected yes or no", value);
		s->notify_ready = b;
		s->mask |= SETTING_NOTIFY_READY;
		return 0;
	}
	case 'j':
		s->link_journal = LINK_JOURNAL_TRY_GUEST;
		s->mask |= SETTING_LINK_JOURNAL;
		return 0;
	case ARG_LINK_JOURNAL:
		s->mask |= SETTING_LINK_JOURNAL;
		return PARSE_ENUM("--link-journal=", value, link_journal, s->link_journal);
	case ARG_KEEP_UNIT:
		s->keep_unit = true;
		return 0;
	case ARG_REGISTER:
		/* Booleans too, as nspawn takes them. */
		if (parse_boolean(value) >= 0) {
			s->register_mode = parse_boolean(value) ? REGISTER_YES : REGISTER_NO;
			return 0;
		}
		return PARSE_ENUM("--register=", value, register_mode, s->register_mode);
	case 'S':
		return parse_slice(value, s);
	case ARG_PROPERTY:
		return parse_property(value, s);
	case ARG_CHDIR:
		if (!path_is_absolute_and_normal(value))
			return log_invalid("Invalid path '%s' for --chdir=, expected an absolute path", value);
		s->mask |= SETTING_CHDIR;
		return set_string(&s->chdir, value);
	case 'E':
		s->mask |= SETTING_ENVIRONMENT;
		return parse_setenv(value, s);
	case 'u':
		if (isempty(value))
			return log_invalid("Empty user name for --user=");
		s->mask |= SETTING_USER;
		return set_string(&s->user, value);
	case 'q':
		s->quiet = true;
		return 0;
	case ARG_KILL_SIGNAL:
		if (streq(value, "help")) {
			print_signals();
			return 1;
		}
		if (parse_signal(value, &s->kill_signal) < 0)
			return log_invalid("Invalid signal '%s' for --kill-signal=, see --kill-signal=help", value);
		s->mask |= SETTING_KILL_SIGNAL;
		return 0;
	case ARG_READ_ONLY:
		s->read_only = true;
		s->mask |= SETTING_READ_ONLY;
		return 0;
	case ARG_VOLATILE:
		s->mask |= SETTING_VOLATILE_MODE;
		if (!value) {
			s->volatile_mode = VOLATILE_YES;
			return 0;
		}
		/* nspawn also takes booleans here. */
		if (parse_boolean(value) >= 0) {
			s->volatile_mode = parse_boolean(value) ? VOLATILE_YES : VOLATILE_NO;
			return 0;
		}
		return PARSE_ENUM("--volatile=", value, volatile_mode, s->volatile_mode);
	case ARG_RESOLV_CONF:
		s->mask |= SETTING_RESOLV_CONF;
		return PARSE_ENUM("--resolv-conf=", value, resolv_conf_mode, s->resolv_conf);
	case ARG_TIMEZONE:
		s->mask |= SETTING_TIMEZONE;
		return PARSE_ENUM("--timezone=", value, timezone_mode, s->timezone);
	case ARG_CONSOLE:
		return PARSE_ENUM("--console=", value, console_mode, s->console_mode);
	case 'P':
		s->console_mode = CONSOLE_PIPE;
		return 0;
	case ARG_PRIVATE_NETWORK:
		s->private_network = true;
		s->mask |= SETTING_PRIVATE_NETWORK;
		return 0;
	case 'n':
	case ARG_NETWORK_VETH_EXTRA:
	case ARG_NETWORK_BRIDGE:
	case ARG_NETWORK_ZONE:
	case ARG_NETWORK_INTERFACE:
	case ARG_NETWORK_MACVLAN:
	case ARG_NETWORK_IPVLAN:
	case ARG_NETWORK_NAMESPACE_PATH:
		s->mask |= SETTING_PRIVATE_NETWORK;
		return parse_network_option(c, value, s);
	case 'p':
		s->mask |= SETTING_PORT;
		return netif_parse_port(value, &s->ports, &s->n_ports);
	case ARG_BIND:
	case ARG_BIND_RO:
	case ARG_TMPFS:
	case ARG_OVERLAY:
	case ARG_OVERLAY_RO:
	case ARG_INACCESSIBLE:
	case ARG_PIVOT_ROOT:
		return options_parse_mount((MountOptionKind) (c - ARG_BIND), value, s);
	case 'U':
		return options_parse_userns_flag(s);
	case ARG_PRIVATE_USERS:
		return options_parse_private_users(value, s);
	case ARG_PRIVATE_USERS_OWNERSHIP:
		return options_parse_private_users_ownership(value, s);
	case ARG_PRIVATE_USERS_CHOWN:
		s->mask |= SETTING_PRIVATE_USERS_OWNERSHIP;
		s->private_users_ownership = PRIVATE_USERS_OWNERSHIP_CHOWN;
		return 0;
	case ARG_SETTINGS:
		/* Booleans too, as nspawn takes them. */
		if (parse_boolean(value) >= 0) {
			s->settings_mode = parse_boolean(value) ? SETTINGS_FILE_YES : SETTINGS_FILE_NO;
			return 0;
		}
		return PARSE_ENUM("--settings=", value, settings_file_mode, s->settings_mode);
	}
	if (c >= ARG_CAPABILITY && c <= ARG_PERSONALITY)
		return options_parse_exec((ExecOptionKind) (c - ARG_CAPABILITY), value, s);
	return -EINVAL;
}

/* '+': options end at the first non-option, so the command's own options are left alone.
 * ':': a missing value is reported as ':', apart from unknown options. */
#define SHORT_OPTIONS "+:hD:i:xM:abjE:u:qPS:np:U"

static bool is_short_option(int c) {
	return c != '+' && c != ':' && strchr(SHORT_OPTIONS, c);
}

int options_parse(int argc, char *argv[], Settings *s) {
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, options, NULL)) >= 0) {
		int r;

		switch (c) {
		case 'h':
			help();
			return 1;
		case ARG_VERSION:
			printf("berth %s\n", PROJECT_VERSION);
			return 1;
		case '?':
			/* optopt is the unknown short option; or, for a long option given a value it does
			 * not take, that option's val; or 0 for an unknown or ambiguous long option. Long
			 * options always advance optind, short ones in the middle of a group do not. */
			if (optopt > 0 && optopt < 0x100 && !is_short_option(optopt))
				return log_invalid("Option '-%c' is unknown, see --help", optopt);
			if (optopt == 0)
				return log_invalid("Option '%s' is unknown or ambiguous, see --help", argv[optind - 1]);
			return log_invalid("Option '%.*s' takes no value", (int) strcspn(argv[optind - 1], "="),
					   argv[optind - 1]);
		case ':':
			/* A value can only be missing at the end: the option is the last word. */
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return log_invalid("Option '%s' needs a value", argv[optind - 1]);
			return log_invalid("Option '-%c' needs a value", optopt);
		default:
			r = parse_one(c, optarg, s);
			if (r != 0)
				return r;
		}
	}

	if (optind < argc) {
		strv_free(s->command);
		s->command = strv_copy(argv + optind);
		if (!s->command)
			return log_error_errno(ENOMEM, "Out of memory");
		s->mask |= SETTING_COMMAND;
	}
	options_finish_exec(s);
	return 0;
}

int options_verify(Settings *s) {
	int r;

	if (!s->directory && !s->image && !s->machine)
		return log_invalid("No container given: use --directory=PATH, --image=PATH or --machine=NAME");
	if (s->image && (s->directory || s->template))
		return log_invalid("--image= may not be combined with --directory= or --template=");
	if (s->template && s->ephemeral)
		return log_invalid("--template= and --ephemeral may not be combined");
	if (s->ephemeral && s->volatile_mode != VOLATILE_NO)
		return log_invalid("--ephemeral and --volatile= may not be combined");
	/* Both describe the scope berth has made for the machine; in the caller's unit there is none. */
	if (s->keep_unit && (s->slice || s->properties))
		return log_invalid("--keep-unit may not be combined with --slice= or --property=: the machine "
				   "runs in the caller's unit");

	if (!s->machine) {
		r = machine_name_from_path(s->image ?: s->directory, &s->machine);
		if (r < 0)
			return log_invalid("Cannot derive a machine name from '%s', use --machine=NAME",
					   s->image ?: s->directory);
	}
	if (s->start_mode == START_BOOT && s->user)
		return log_invalid("--boot and --user= may not be combined: the init runs as root");
	if (s->start_mode == START_BOOT && s->chdir)
		return log_invalid("--boot and --chdir= may not be combined: the init starts in /");
	r = options_verify_exec(s);
	if (r < 0)
		return r;
	r = netif_verify_settings(s);
	if (r < 0)
		return r;
	r = options_verify_mounts(s);
	if (r < 0)
		return r;
	r = options_verify_userns(s);
	if (r < 0)
		return r;
	/* An init halts cleanly on SIGRTMIN+3; a plain command is just killed. */
	if (!s->kill_signal)
		s->kill_signal = s->start_mode == START_BOOT ? SIGRTMIN + 3 : SIGKILL;
	return 0;
}
