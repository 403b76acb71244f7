/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "name-util.h"
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
	ARG_NOTIFY_READY,
	ARG_LINK_JOURNAL,
	ARG_KEEP_UNIT,
	ARG_REGISTER,
	ARG_PROPERTY,
};

static const struct option options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, ARG_VERSION },
	{ "directory", required_argument, NULL, 'D' },
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
	{ "boot", no_argument, NULL, 'b' },
	{ "notify-ready", required_argument, NULL, ARG_NOTIFY_READY },
	{ "link-journal", required_argument, NULL, ARG_LINK_JOURNAL },
	{ "keep-unit", no_argument, NULL, ARG_KEEP_UNIT },
	{ "register", required_argument, NULL, ARG_REGISTER },
	{ "slice", required_argument, NULL, 'S' },
	{ "property", required_argument, NULL, ARG_PROPERTY },
	{}
};

static void help(void) {
	printf("berth [OPTIONS...] [COMMAND [ARGS...]]\n\n"
	       "Run a command or a shell in a container made from an OS tree.\n\n"
	       "Image:\n"
	       "  -D --directory=PATH       Root directory of the container\n"
	       "     --template=PATH        Create --directory as a copy of PATH if missing\n"
	       "  -x --ephemeral            Run on a throw-away overlay; the tree is not changed\n"
	       "     --read-only            Mount the root directory read-only\n"
	       "     --volatile[=MODE]      no, yes, state or overlay\n\n"
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
	       "Networking:\n"
	       "     --private-network      Only a loopback interface in the container\n\n"
	       "Console:\n"
	       "     --console=MODE         interactive, read-only, passive, pipe or autopipe\n"
	       "  -P --pipe                 Same as --console=pipe\n\n"
	       "Other:\n"
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

static int parse_one(int c, const char *value, Settings *s) {
	switch (c) {
	case 'D':
		s->mask |= SETTING_DIRECTORY;
		return parse_path_option("--directory=", value, &s->directory);
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
	}
	return -EINVAL;
}

/* '+': options end at the first non-option, so the command's own options are left alone.
 * ':': a missing value is reported as ':', apart from unknown options. */
#define SHORT_OPTIONS "+:hD:xM:abjE:u:qPS:"

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
	return 0;
}

int options_verify(Settings *s) {
	if (!s->directory && !s->machine)
		return log_invalid("No container given: use --directory=PATH or --machine=NAME");
	if (s->template && s->ephemeral)
		return log_invalid("--template= and --ephemeral may not be combined");
	if (s->ephemeral && s->volatile_mode != VOLATILE_NO)
		return log_invalid("--ephemeral and --volatile= may not be combined");
	/* Both describe the scope berth has made for the machine; in the caller's unit there is none. */
	if (s->keep_unit && (s->slice || s->properties))
		return log_invalid("--keep-unit may not be combined with --slice= or --property=: the machine "
				   "runs in the caller's unit");

	if (!s->machine) {
		int r = machine_name_from_path(s->directory, &s->machine);
		if (r < 0)
			return log_invalid("Cannot derive a machine name from '%s', use --machine=NAME",
					   s->directory);
	}
	if (s->start_mode == START_BOOT && s->user)
		return log_invalid("--boot and --user= may not be combined: the init runs as root");
	if (s->start_mode == START_BOOT && s->chdir)
		return log_invalid("--boot and --chdir= may not be combined: the init starts in /");
	/* An init halts cleanly on SIGRTMIN+3; a plain command is just killed. */
	if (!s->kill_signal)
		s->kill_signal = s->start_mode == START_BOOT ? SIGRTMIN + 3 : SIGKILL;
	return 0;
}
