/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth's command line: every option lands in its Settings field, in all its spellings; every bad
 * value is refused with a message naming the option; options_verify() refuses the conflicts. */
#include <linux/capability.h>
#include <signal.h>
#include <sys/personality.h>

#include "caps.h"
#include "nspawn-file.h"
#include "options.h"
#include "settings.h"
#include "strv.h"
#include "tests.h"

#define CAP(c) (UINT64_C(1) << (c))
#define UUID_HEX "0123456789abcdef0123456789abcdef"
#define UUID_DASHED "01234567-89ab-cdef-0123-456789abcdef"

/* One run of options_parse() (and optionally options_verify()) with what it printed. */
typedef struct Parsed {
	Settings s;
	int r;
	char *out, *err;
	char **argv;
} Parsed;

static void parsed_done(Parsed *p) {
	settings_done(&p->s);
	p->out = mfree(p->out);
	p->err = mfree(p->err);
	strv_free(p->argv);
	p->argv = NULL;
}

#define _cleanup_parsed_ _cleanup_(parsed_done)
#define PARSED_INIT { .r = 1234 }

static int run(Parsed *p, const char *const *args, bool verify) {
	Capture out, err;
	int argc = 0;

	parsed_done(p);
	p->argv = calloc(64, sizeof(char *));
	ASSERT_NOT_NULL(p->argv);
	p->argv[argc++] = strdup("berth");
	for (; *args; args++)
		ASSERT_NOT_NULL(p->argv[argc++] = strdup(*args));

	settings_init(&p->s);
	ASSERT_OK(capture_start(&out, STDOUT_FILENO));
	ASSERT_OK(capture_start(&err, STDERR_FILENO));
	p->r = options_parse(argc, p->argv, &p->s);
	if (p->r == 0 && verify)
		p->r = options_verify(&p->s);
	p->err = capture_end(&err);
	p->out = capture_end(&out);
	ASSERT_NOT_NULL(p->out);
	ASSERT_NOT_NULL(p->err);
	return 0;
}

/* PARSE(&p, "-D", "/x"): options_parse() only, which must succeed quietly. */
#define PARSE(p, ...)                                                                          \
	do {                                                                                   \
		if (run((p), (const char *const[]) { __VA_ARGS__, NULL }, false) < 0)          \
			return -1;                                                             \
		if ((p)->r != 0)                                                               \
			TEST_FAIL("parsing failed with %d: %s", (p)->r, (p)->err);             \
		ASSERT_STREQ((p)->err, "");                                                    \
	} while (0)

/* The same, then options_verify(). */
#define VERIFY(p, ...)                                                                         \
	do {                                                                                   \
		if (run((p), (const char *const[]) { __VA_ARGS__, NULL }, true) < 0)           \
			return -1;                                                             \
		if ((p)->r != 0)                                                               \
			TEST_FAIL("parsing or verifying failed with %d: %s", (p)->r, (p)->err); \
		ASSERT_STREQ((p)->err, "");                                                    \
	} while (0)

/* Fails with -EINVAL and one error line that contains needle (the option's name). */
static int check_fails(const char *needle, const char *const *args, bool verify, int line) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	const char *nl;

	if (run(&p, args, verify) < 0)
		return -1;
	if (p.r != -EINVAL || !strstr(p.err, needle)) {
		fprintf(stderr, "%s:%d: berth", __FILE__, line);
		for (const char *const *a = args; *a; a++)
			fprintf(stderr, " '%s'", *a);
		fprintf(stderr, " => %d, printed \"%s\"; expected -EINVAL and a message with \"%s\"\n",
			p.r, p.err, needle);
		return -1;
	}
	/* A single line, in the house style: the program name, then a capital letter or an option. */
	nl = strchr(p.err, '\n');
	if (strncmp(p.err, "berth: ", 7) != 0 || !nl || nl[1] != 0 ||
	    !(p.err[7] == '-' || (p.err[7] >= 'A' && p.err[7] <= 'Z')) || nl[-1] == '.') {
		fprintf(stderr, "%s:%d: badly formed message: \"%s\"\n", __FILE__, line, p.err);
		return -1;
	}
	if (!streq(p.out, "")) {
		fprintf(stderr, "%s:%d: printed on stdout: \"%s\"\n", __FILE__, line, p.out);
		return -1;
	}
	return 0;
}

#define ASSERT_PARSE_FAILS(needle, ...)                                                         \
	do {                                                                                   \
		if (check_fails((needle), (const char *const[]) { __VA_ARGS__, NULL }, false,   \
				__LINE__) < 0)                                                 \
			return -1;                                                             \
	} while (0)

#define ASSERT_VERIFY_FAILS(needle, ...)                                                        \
	do {                                                                                   \
		if (check_fails((needle), (const char *const[]) { __VA_ARGS__, NULL }, true,    \
				__LINE__) < 0)                                                 \
			return -1;                                                             \
	} while (0)

static int test_defaults(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-D", "/srv/x");
	ASSERT_STREQ(p.s.directory, "/srv/x");
	ASSERT_EQ_INT(p.s.mask, SETTING_DIRECTORY);
	ASSERT_NULL(p.s.command);
	ASSERT_NULL(p.s.machine);
	ASSERT_EQ_INT(p.s.start_mode, START_PID1);
	ASSERT_EQ_INT(p.s.volatile_mode, VOLATILE_NO);
	ASSERT_EQ_INT(p.s.resolv_conf, RESOLV_CONF_AUTO);
	ASSERT_EQ_INT(p.s.timezone, TIMEZONE_AUTO);
	ASSERT_EQ_INT(p.s.console_mode, _CONSOLE_MODE_INVALID);
	ASSERT_EQ_INT(p.s.link_journal, LINK_JOURNAL_AUTO);
	ASSERT_EQ_INT(p.s.register_mode, REGISTER_AUTO);
	ASSERT_EQ_INT(p.s.kill_signal, 0);
	ASSERT_FALSE(p.s.ephemeral || p.s.read_only || p.s.quiet || p.s.keep_unit || p.s.private_network ||
		     p.s.notify_ready);
	ASSERT_STREQ(p.out, "");
	return 0;
}

static int test_directory_template(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	static const char *const forms[][3] = {
		{ "-D", "/srv/a", NULL }, { "-D/srv/a", NULL, NULL },
		{ "--directory=/srv/a", NULL, NULL }, { "--directory", "/srv/a", NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		if (run(&p, forms[i], false) < 0)
			return -1;
		ASSERT_EQ_INT(p.r, 0);
		ASSERT_STREQ(p.s.directory, "/srv/a");
		ASSERT_TRUE(p.s.mask & SETTING_DIRECTORY);
	}
	/* Relative paths are the caller's business: they are taken as given. */
	PARSE(&p, "-D", "relative/dir", "-D", "last");
	ASSERT_STREQ(p.s.directory, "last");

	PARSE(&p, "--template=/srv/t", "-D", "/srv/a");
	ASSERT_STREQ(p.s.template, "/srv/t");
	ASSERT_TRUE(p.s.mask & SETTING_TEMPLATE);
	PARSE(&p, "--template", "/srv/t2");
	ASSERT_STREQ(p.s.template, "/srv/t2");

	ASSERT_PARSE_FAILS("--directory", "--directory=");
	ASSERT_PARSE_FAILS("--directory", "-D", "");
	ASSERT_PARSE_FAILS("--template", "--template=");
	ASSERT_PARSE_FAILS("-D", "-D");
	ASSERT_PARSE_FAILS("--directory", "--directory");
	ASSERT_PARSE_FAILS("--template", "--template");
	return 0;
}

static int test_ephemeral_read_only_volatile(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-x");
	ASSERT_TRUE(p.s.ephemeral);
	ASSERT_TRUE(p.s.mask & SETTING_EPHEMERAL);
	PARSE(&p, "--ephemeral");
	ASSERT_TRUE(p.s.ephemeral);

	PARSE(&p, "--read-only");
	ASSERT_TRUE(p.s.read_only);
	ASSERT_TRUE(p.s.mask & SETTING_READ_ONLY);

	/* Without a value: yes. A value must be attached, so a following word is the command. */
	PARSE(&p, "--volatile");
	ASSERT_EQ_INT(p.s.volatile_mode, VOLATILE_YES);
	ASSERT_TRUE(p.s.mask & SETTING_VOLATILE_MODE);
	PARSE(&p, "--volatile", "state");
	ASSERT_EQ_INT(p.s.volatile_mode, VOLATILE_YES);
	ASSERT_STREQ(p.s.command[0], "state");

	static const struct {
		const char *arg;
		VolatileMode mode;
	} values[] = {
		{ "--volatile=no", VOLATILE_NO },       { "--volatile=yes", VOLATILE_YES },
		{ "--volatile=state", VOLATILE_STATE }, { "--volatile=overlay", VOLATILE_OVERLAY },
		{ "--volatile=false", VOLATILE_NO },    { "--volatile=1", VOLATILE_YES },
		{ "--volatile=on", VOLATILE_YES },      { "--volatile=0", VOLATILE_NO },
	};
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		PARSE(&p, values[i].arg);
		ASSERT_EQ_INT(p.s.volatile_mode, values[i].mode);
	}
	PARSE(&p, "--volatile=state", "--volatile=no");
	ASSERT_EQ_INT(p.s.volatile_mode, VOLATILE_NO);

	ASSERT_PARSE_FAILS("--volatile", "--volatile=maybe");
	ASSERT_PARSE_FAILS("--volatile", "--volatile=");
	ASSERT_PARSE_FAILS("--volatile", "--volatile=State");
	return 0;
}

static int test_machine_hostname_uuid(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	static const sd_id128_t want = SD_ID128_MAKE(01, 23, 45, 67, 89, ab, cd, ef, 01, 23, 45, 67, 89,
						     ab, cd, ef);

	PARSE(&p, "-M", "web-1");
	ASSERT_STREQ(p.s.machine, "web-1");
	PARSE(&p, "--machine=web.example");
	ASSERT_STREQ(p.s.machine, "web.example");
	PARSE(&p, "--machine", "m");
	ASSERT_STREQ(p.s.machine, "m");
	PARSE(&p, "-Mshort");
	ASSERT_STREQ(p.s.machine, "short");

	PARSE(&p, "--hostname=host.example.org");
	ASSERT_STREQ(p.s.hostname, "host.example.org");
	ASSERT_TRUE(p.s.mask & SETTING_HOSTNAME);
	PARSE(&p, "--hostname", "h");
	ASSERT_STREQ(p.s.hostname, "h");

	PARSE(&p, "--uuid=" UUID_HEX);
	ASSERT_TRUE(sd_id128_equal(p.s.uuid, want));
	ASSERT_TRUE(p.s.mask & SETTING_MACHINE_ID);
	PARSE(&p, "--uuid", UUID_DASHED);
	ASSERT_TRUE(sd_id128_equal(p.s.uuid, want));

	ASSERT_PARSE_FAILS("--machine", "--machine=bad name");
	ASSERT_PARSE_FAILS("--machine", "-M", "");
	ASSERT_PARSE_FAILS("--machine", "-M", "-dash");
	ASSERT_PARSE_FAILS("--machine", "-M", ".hidden");
	ASSERT_PARSE_FAILS("--machine", "-M", "../up");
	ASSERT_PARSE_FAILS("--machine", "-M", "a/b");
	ASSERT_PARSE_FAILS("--machine",
			   "-M", "a234567890123456789012345678901234567890123456789012345678901234567");
	ASSERT_PARSE_FAILS("-M", "-M");
	ASSERT_PARSE_FAILS("--hostname", "--hostname=-bad");
	ASSERT_PARSE_FAILS("--hostname", "--hostname=a..b");
	ASSERT_PARSE_FAILS("--hostname", "--hostname=");
	ASSERT_PARSE_FAILS("--hostname", "--hostname=with space");
	ASSERT_PARSE_FAILS("--hostname", "--hostname");
	ASSERT_PARSE_FAILS("--uuid", "--uuid=xyz");
	ASSERT_PARSE_FAILS("--uuid", "--uuid=0123456789abcdef");
	ASSERT_PARSE_FAILS("--uuid", "--uuid=00000000000000000000000000000000");
	ASSERT_PARSE_FAILS("--uuid", "--uuid=");
	ASSERT_PARSE_FAILS("--uuid", "--uuid");
	return 0;
}

static int test_start_mode(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-a");
	ASSERT_EQ_INT(p.s.start_mode, START_PID2);
	ASSERT_TRUE(p.s.mask & SETTING_START_MODE);
	PARSE(&p, "--as-pid2");
	ASSERT_EQ_INT(p.s.start_mode, START_PID2);
	PARSE(&p, "-b");
	ASSERT_EQ_INT(p.s.start_mode, START_BOOT);
	PARSE(&p, "--boot");
	ASSERT_EQ_INT(p.s.start_mode, START_BOOT);
	/* Short options group. */
	PARSE(&p, "-bqxD/srv/a");
	ASSERT_EQ_INT(p.s.start_mode, START_BOOT);
	ASSERT_TRUE(p.s.quiet && p.s.ephemeral);
	ASSERT_STREQ(p.s.directory, "/srv/a");

	ASSERT_PARSE_FAILS("--as-pid2", "-a", "-b");
	ASSERT_PARSE_FAILS("--boot", "--boot", "--as-pid2");
	ASSERT_PARSE_FAILS("--as-pid2", "-ba");
	return 0;
}

static int test_chdir_user(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "--chdir=/home/user");
	ASSERT_STREQ(p.s.chdir, "/home/user");
	ASSERT_TRUE(p.s.mask & SETTING_CHDIR);
	PARSE(&p, "--chdir", "/");
	ASSERT_STREQ(p.s.chdir, "/");

	PARSE(&p, "-u", "alice");
	ASSERT_STREQ(p.s.user, "alice");
	ASSERT_TRUE(p.s.mask & SETTING_USER);
	PARSE(&p, "--user=1000");
	ASSERT_STREQ(p.s.user, "1000");
	PARSE(&p, "--user", "bob");
	ASSERT_STREQ(p.s.user, "bob");

	ASSERT_PARSE_FAILS("--chdir", "--chdir=relative");
	ASSERT_PARSE_FAILS("--chdir", "--chdir=");
	ASSERT_PARSE_FAILS("--chdir", "--chdir=/a/../b");
	ASSERT_PARSE_FAILS("--chdir", "--chdir=/a/./b");
	ASSERT_PARSE_FAILS("--chdir", "--chdir=//a");
	ASSERT_PARSE_FAILS("--chdir", "--chdir");
	ASSERT_PARSE_FAILS("--user", "--user=");
	ASSERT_PARSE_FAILS("--user", "-u", "");
	ASSERT_PARSE_FAILS("-u", "-u");
	return 0;
}

static int test_setenv(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-E", "A=1", "--setenv=B=two words", "--setenv", "C=", "-ED=x=y");
	ASSERT_EQ_INT(strv_length(p.s.environment), 4);
	ASSERT_STREQ(strv_env_get(p.s.environment, "A"), "1");
	ASSERT_STREQ(strv_env_get(p.s.environment, "B"), "two words");
	ASSERT_STREQ(strv_env_get(p.s.environment, "C"), "");
	ASSERT_STREQ(strv_env_get(p.s.environment, "D"), "x=y");
	ASSERT_TRUE(p.s.mask & SETTING_ENVIRONMENT);

	/* The last assignment of a name wins, in the place of the first. */
	PARSE(&p, "-E", "A=1", "-E", "B=2", "-E", "A=3");
	ASSERT_EQ_INT(strv_length(p.s.environment), 2);
	ASSERT_STREQ(p.s.environment[0], "A=3");
	ASSERT_STREQ(p.s.environment[1], "B=2");

	/* NAME alone passes berth's own value on. */
	ASSERT_SYS(setenv("BERTH_TEST_PASSED", "from berth", 1));
	PARSE(&p, "-E", "BERTH_TEST_PASSED");
	ASSERT_STREQ(strv_env_get(p.s.environment, "BERTH_TEST_PASSED"), "from berth");

	ASSERT_SYS(unsetenv("BERTH_TEST_UNSET"));
	ASSERT_PARSE_FAILS("--setenv", "-E", "BERTH_TEST_UNSET");
	ASSERT_PARSE_FAILS("--setenv", "-E", "1A=x");
	ASSERT_PARSE_FAILS("--setenv", "-E", "=x");
	ASSERT_PARSE_FAILS("--setenv", "-E", "A B=x");
	ASSERT_PARSE_FAILS("--setenv", "--setenv=A-B=x");
	ASSERT_PARSE_FAILS("--setenv", "--setenv=");
	ASSERT_PARSE_FAILS("--setenv", "--setenv=bad-name");
	ASSERT_PARSE_FAILS("-E", "-E");
	return 0;
}

static int test_kill_signal(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	static const struct {
		const char *arg;
		int signo;
	} values[] = {
		{ "--kill-signal=TERM", SIGTERM }, { "--kill-signal=SIGTERM", SIGTERM },
		{ "--kill-signal=15", SIGTERM },   { "--kill-signal=SIGINT", SIGINT },
		{ "--kill-signal=HUP", SIGHUP },
	};

	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		PARSE(&p, values[i].arg);
		ASSERT_EQ_INT(p.s.kill_signal, values[i].signo);
		ASSERT_TRUE(p.s.mask & SETTING_KILL_SIGNAL);
	}
	PARSE(&p, "--kill-signal", "RTMIN+4");
	ASSERT_EQ_INT(p.s.kill_signal, SIGRTMIN + 4);
	PARSE(&p, "--kill-signal=SIGRTMIN+3");
	ASSERT_EQ_INT(p.s.kill_signal, SIGRTMIN + 3);

	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=FOO");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=0");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=99");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=RTMIN+99");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=term");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal=");
	ASSERT_PARSE_FAILS("--kill-signal", "--kill-signal");
	return 0;
}

/* The default signal follows from the start mode; a given one stays. */
static int test_kill_signal_default(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	VERIFY(&p, "-D", "/srv/a");
	ASSERT_EQ_INT(p.s.kill_signal, SIGKILL);
	VERIFY(&p, "-D", "/srv/a", "-a");
	ASSERT_EQ_INT(p.s.kill_signal, SIGKILL);
	VERIFY(&p, "-D", "/srv/a", "-b");
	ASSERT_EQ_INT(p.s.kill_signal, SIGRTMIN + 3);
	VERIFY(&p, "-D", "/srv/a", "-b", "--kill-signal=TERM");
	ASSERT_EQ_INT(p.s.kill_signal, SIGTERM);
	VERIFY(&p, "-D", "/srv/a", "--kill-signal=RTMIN+3");
	ASSERT_EQ_INT(p.s.kill_signal, SIGRTMIN + 3);
	return 0;
}

/* An enum option: each value, and a bad one that is refused with the option and the values named. */
typedef struct EnumCase {
	const char *option; /* "--console" */
	const char *const *values;
	size_t n_values;
	size_t offset; /* of the int field in Settings */
	uint64_t mask;
	bool value_optional; /* --volatile: the value must be attached, "--volatile" alone means yes */
} EnumCase;

static int check_enum(const EnumCase *c, const char *(*to_string)(int)) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	char eq[128], bad[128];

	for (size_t i = 0; i < c->n_values; i++) {
		const int *field = (const int *) ((const char *) &p.s + c->offset);

		snprintf(eq, sizeof eq, "%s=%s", c->option, c->values[i]);
		PARSE(&p, eq);
		if (!streq_ptr(to_string(*field), c->values[i]))
			TEST_FAIL("%s gave %d (%s)", eq, *field, to_string(*field) ?: "?");
		if (c->mask && !(p.s.mask & c->mask))
			TEST_FAIL("%s did not mark the setting as given", eq);
		if (c->value_optional)
			continue;
		PARSE(&p, c->option, c->values[i]);
		if (!streq_ptr(to_string(*field), c->values[i]))
			TEST_FAIL("%s %s gave %d", c->option, c->values[i], *field);
	}

	snprintf(bad, sizeof bad, "%s=bogus", c->option);
	if (check_fails(c->option, (const char *const[]) { bad, NULL }, false, __LINE__) < 0)
		return -1;
	/* The message lists what is accepted. */
	if (run(&p, (const char *const[]) { bad, NULL }, false) < 0)
		return -1;
	for (size_t i = 0; i < c->n_values; i++)
		ASSERT_CONTAINS(p.err, c->values[i]);
	snprintf(bad, sizeof bad, "%s=", c->option);
	if (check_fails(c->option, (const char *const[]) { bad, NULL }, false, __LINE__) < 0)
		return -1;
	if (!c->value_optional &&
	    check_fails(c->option, (const char *const[]) { c->option, NULL }, false, __LINE__) < 0)
		return -1;

	/* "help" lists the values, one per line, on stdout, and means success and exit. */
	snprintf(eq, sizeof eq, "%s=help", c->option);
	if (run(&p, (const char *const[]) { eq, "--quiet", NULL }, false) < 0)
		return -1;
	ASSERT_EQ_INT(p.r, 1);
	ASSERT_STREQ(p.err, "");
	for (size_t i = 0; i < c->n_values; i++) {
		char line[128];
		snprintf(line, sizeof line, "%s\n", c->values[i]);
		ASSERT_CONTAINS(p.out, line);
	}
	/* It stops there. */
	ASSERT_FALSE(p.s.quiet);
	return 0;
}

#define ENUM_TO_STRING(name, type)                     \
	static const char *name##_str(int i) {         \
		return name##_to_string((type) i);     \
	}
ENUM_TO_STRING(volatile_mode, VolatileMode)
ENUM_TO_STRING(console_mode, ConsoleMode)
ENUM_TO_STRING(resolv_conf_mode, ResolvConfMode)
ENUM_TO_STRING(timezone_mode, TimezoneMode)
ENUM_TO_STRING(link_journal, LinkJournal)
ENUM_TO_STRING(register_mode, RegisterMode)

#define VALUES(...) (const char *const[]) { __VA_ARGS__ }, ELEMENTSOF(((const char *const[]) { __VA_ARGS__ }))

static int test_enums(void) {
	const EnumCase volatile_case = { "--volatile", VALUES("no", "yes", "state", "overlay"),
					 offsetof(Settings, volatile_mode), SETTING_VOLATILE_MODE, true };
	const EnumCase console = { "--console", VALUES("interactive", "read-only", "passive", "pipe", "autopipe"),
				   offsetof(Settings, console_mode), 0 };
	const EnumCase resolv = { "--resolv-conf",
				  VALUES("off", "copy-host", "copy-static", "copy-uplink", "copy-stub",
					 "replace-host", "replace-static", "replace-uplink", "replace-stub",
					 "bind-host", "bind-static", "bind-uplink", "bind-stub", "delete",
					 "auto"),
				  offsetof(Settings, resolv_conf), SETTING_RESOLV_CONF };
	const EnumCase timezone = { "--timezone", VALUES("off", "copy", "bind", "symlink", "delete", "auto"),
				    offsetof(Settings, timezone), SETTING_TIMEZONE };
	const EnumCase journal = { "--link-journal", VALUES("no", "host", "try-host", "guest", "try-guest", "auto"),
				   offsetof(Settings, link_journal), SETTING_LINK_JOURNAL };
	const EnumCase reg = { "--register", VALUES("no", "yes", "auto"), offsetof(Settings, register_mode), 0 };

	ASSERT_PASS(check_enum(&volatile_case, volatile_mode_str));
	ASSERT_PASS(check_enum(&console, console_mode_str));
	ASSERT_PASS(check_enum(&resolv, resolv_conf_mode_str));
	ASSERT_PASS(check_enum(&timezone, timezone_mode_str));
	ASSERT_PASS(check_enum(&journal, link_journal_str));
	ASSERT_PASS(check_enum(&reg, register_mode_str));
	return 0;
}

static int test_enum_shortcuts(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-P");
	ASSERT_EQ_INT(p.s.console_mode, CONSOLE_PIPE);
	PARSE(&p, "--pipe");
	ASSERT_EQ_INT(p.s.console_mode, CONSOLE_PIPE);
	PARSE(&p, "--console=passive", "-P");
	ASSERT_EQ_INT(p.s.console_mode, CONSOLE_PIPE);
	PARSE(&p, "-P", "--console=read-only");
	ASSERT_EQ_INT(p.s.console_mode, CONSOLE_READ_ONLY);

	PARSE(&p, "-j");
	ASSERT_EQ_INT(p.s.link_journal, LINK_JOURNAL_TRY_GUEST);
	ASSERT_TRUE(p.s.mask & SETTING_LINK_JOURNAL);

	/* --register takes booleans as systemd-nspawn does. */
	PARSE(&p, "--register=true");
	ASSERT_EQ_INT(p.s.register_mode, REGISTER_YES);
	PARSE(&p, "--register=0");
	ASSERT_EQ_INT(p.s.register_mode, REGISTER_NO);
	PARSE(&p, "--register", "off");
	ASSERT_EQ_INT(p.s.register_mode, REGISTER_NO);
	return 0;
}

static int test_kill_signal_help(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	if (run(&p, (const char *const[]) { "--kill-signal=help", NULL }, false) < 0)
		return -1;
	ASSERT_EQ_INT(p.r, 1);
	ASSERT_STREQ(p.err, "");
	ASSERT_CONTAINS(p.out, "\nTERM\n");
	ASSERT_CONTAINS(p.out, "\nKILL\n");
	ASSERT_CONTAINS(p.out, "\nRTMIN+3\n");
	ASSERT_TRUE(strncmp(p.out, "HUP\n", 4) == 0);
	return 0;
}

static int test_flags(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-q");
	ASSERT_TRUE(p.s.quiet);
	PARSE(&p, "--quiet");
	ASSERT_TRUE(p.s.quiet);
	PARSE(&p, "--private-network");
	ASSERT_TRUE(p.s.private_network);
	ASSERT_TRUE(p.s.mask & SETTING_PRIVATE_NETWORK);
	PARSE(&p, "--keep-unit");
	ASSERT_TRUE(p.s.keep_unit);

	PARSE(&p, "--notify-ready=yes");
	ASSERT_TRUE(p.s.notify_ready);
	ASSERT_TRUE(p.s.mask & SETTING_NOTIFY_READY);
	PARSE(&p, "--notify-ready", "no");
	ASSERT_FALSE(p.s.notify_ready);
	ASSERT_TRUE(p.s.mask & SETTING_NOTIFY_READY);
	PARSE(&p, "--notify-ready=1", "--notify-ready=false");
	ASSERT_FALSE(p.s.notify_ready);

	ASSERT_PARSE_FAILS("--notify-ready", "--notify-ready=maybe");
	ASSERT_PARSE_FAILS("--notify-ready", "--notify-ready=");
	ASSERT_PARSE_FAILS("--notify-ready", "--notify-ready");
	/* Flags take no value. */
	ASSERT_PARSE_FAILS("'--read-only' takes no value", "--read-only=yes");
	ASSERT_PARSE_FAILS("--private-network", "--private-network=no");
	ASSERT_PARSE_FAILS("--keep-unit", "--keep-unit=1");
	ASSERT_PARSE_FAILS("--ephemeral", "--ephemeral=yes");
	ASSERT_PARSE_FAILS("--boot", "--boot=yes");
	ASSERT_PARSE_FAILS("--quiet", "--quiet=yes");
	return 0;
}

static int test_slice(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-S", "tenants");
	ASSERT_STREQ(p.s.slice, "tenants.slice");
	PARSE(&p, "--slice=machine-tenants.slice");
	ASSERT_STREQ(p.s.slice, "machine-tenants.slice");
	PARSE(&p, "--slice", "a_b:c.d");
	ASSERT_STREQ(p.s.slice, "a_b:c.d.slice");
	PARSE(&p, "-Sx", "-S", "y");
	ASSERT_STREQ(p.s.slice, "y.slice");

	ASSERT_PARSE_FAILS("--slice", "--slice=");
	ASSERT_PARSE_FAILS("--slice", "-S", ".slice");
	ASSERT_PARSE_FAILS("--slice", "-S", "-leading");
	ASSERT_PARSE_FAILS("--slice", "-S", "trailing-");
	ASSERT_PARSE_FAILS("--slice", "-S", "a--b");
	ASSERT_PARSE_FAILS("--slice", "-S", "a/b");
	ASSERT_PARSE_FAILS("--slice", "-S", "with space");
	ASSERT_PARSE_FAILS("-S", "-S");
	return 0;
}

static int test_property(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "--property=CPUWeight=100", "--property", "MemoryMax=1G", "--property=TasksMax=infinity");
	ASSERT_EQ_INT(strv_length(p.s.properties), 3);
	ASSERT_STREQ(p.s.properties[0], "CPUWeight=100");
	ASSERT_STREQ(p.s.properties[1], "MemoryMax=1G");
	ASSERT_STREQ(p.s.properties[2], "TasksMax=infinity");

	ASSERT_PARSE_FAILS("--property", "--property=NoSuchThing=1");
	/* An unknown name is answered with the known ones. */
	ASSERT_PARSE_FAILS("CPUWeight", "--property=NoSuchThing=1");
	ASSERT_PARSE_FAILS("--property", "--property=CPUWeight=abc");
	ASSERT_PARSE_FAILS("--property", "--property=CPUWeight=0");
	ASSERT_PARSE_FAILS("--property", "--property=MemoryMax=lots");
	ASSERT_PARSE_FAILS("--property", "--property=CPUWeight");
	ASSERT_PARSE_FAILS("--property", "--property=");
	ASSERT_PARSE_FAILS("--property", "--property");
	return 0;
}

static int test_unknown_and_missing(void) {
	ASSERT_PARSE_FAILS("--frobnicate", "--frobnicate");
	ASSERT_PARSE_FAILS("--frobnicate", "--frobnicate=1");
	ASSERT_PARSE_FAILS("-Z", "-Z");
	ASSERT_PARSE_FAILS("-Z", "-qZ");
	ASSERT_PARSE_FAILS("-Z", "-Zq");
	ASSERT_PARSE_FAILS("-Z", "-q", "-Zq");
	ASSERT_PARSE_FAILS("-Z", "--quiet", "-Zq");
	ASSERT_PARSE_FAILS("--hostname", "-q", "--hostname");
	ASSERT_PARSE_FAILS("'-D' needs a value", "-qD");
	ASSERT_PARSE_FAILS("'--hostname' needs a value", "--hostname");
	ASSERT_PARSE_FAILS("'-Z' is unknown", "-Z");
	/* A flag with a short form, given a value in its long form, is named as typed. */
	ASSERT_PARSE_FAILS("'--quiet' takes no value", "--quiet=1");
	ASSERT_PARSE_FAILS("'--help' takes no value", "--help=1");
	/* An ambiguous abbreviation. */
	ASSERT_PARSE_FAILS("--re", "--re");
	return 0;
}

/* --help and --version print on stdout and mean "exit successfully". */
static int test_help_version(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	if (run(&p, (const char *const[]) { "--help", "--frobnicate", NULL }, false) < 0)
		return -1;
	ASSERT_EQ_INT(p.r, 1);
	ASSERT_STREQ(p.err, "");
	ASSERT_CONTAINS(p.out, "--directory=PATH");
	ASSERT_CONTAINS(p.out, "--kill-signal=SIGNAL");
	if (run(&p, (const char *const[]) { "-h", NULL }, false) < 0)
		return -1;
	ASSERT_EQ_INT(p.r, 1);
	ASSERT_CONTAINS(p.out, "berth [OPTIONS...]");
	if (run(&p, (const char *const[]) { "--version", NULL }, false) < 0)
		return -1;
	ASSERT_EQ_INT(p.r, 1);
	ASSERT_STREQ(p.out, "berth " PROJECT_VERSION "\n");
	return 0;
}

/* Options end at the command: its own options are left for it. */
static int test_command(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-D", "/x", "ls", "-l");
	ASSERT_EQ_INT(strv_length(p.s.command), 2);
	ASSERT_STREQ(p.s.command[0], "ls");
	ASSERT_STREQ(p.s.command[1], "-l");
	ASSERT_TRUE(p.s.mask & SETTING_COMMAND);

	PARSE(&p, "-D", "/x", "sh", "-x", "-c", "--boot", "-D", "/y", "--", "--frobnicate");
	ASSERT_EQ_INT(strv_length(p.s.command), 8);
	ASSERT_STREQ(p.s.command[1], "-x");
	ASSERT_STREQ(p.s.command[3], "--boot");
	ASSERT_STREQ(p.s.command[6], "--");
	ASSERT_STREQ(p.s.command[7], "--frobnicate");
	ASSERT_FALSE(p.s.ephemeral);
	ASSERT_EQ_INT(p.s.start_mode, START_PID1);
	ASSERT_STREQ(p.s.directory, "/x");

	/* "--" ends the options, so the command may start with a dash. */
	PARSE(&p, "-D", "/x", "--", "-x", "--help");
	ASSERT_EQ_INT(strv_length(p.s.command), 2);
	ASSERT_STREQ(p.s.command[0], "-x");
	ASSERT_FALSE(p.s.ephemeral);

	PARSE(&p, "-D", "/x", "--");
	ASSERT_NULL(p.s.command);
	ASSERT_FALSE(p.s.mask & SETTING_COMMAND);

	/* With -b the words are the init's arguments. */
	PARSE(&p, "-b", "-D", "/x", "systemd.unit=rescue.target");
	ASSERT_EQ_INT(strv_length(p.s.command), 1);
	ASSERT_STREQ(p.s.command[0], "systemd.unit=rescue.target");
	return 0;
}

/* Parsing twice in one process starts afresh (getopt keeps state between calls). */
static int test_reparse(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	PARSE(&p, "-q", "-D", "/a");
	PARSE(&p, "-x", "-D", "/b", "cmd");
	ASSERT_STREQ(p.s.directory, "/b");
	ASSERT_FALSE(p.s.quiet);
	ASSERT_STREQ(p.s.command[0], "cmd");
	ASSERT_PARSE_FAILS("-Z", "-xZ");
	PARSE(&p, "-D", "/c");
	ASSERT_STREQ(p.s.directory, "/c");
	ASSERT_FALSE(p.s.ephemeral);
	return 0;
}

static int test_verify_conflicts(void) {
	ASSERT_VERIFY_FAILS("--directory", "-q");
	ASSERT_VERIFY_FAILS("--machine", "-q");
	ASSERT_VERIFY_FAILS("--template", "-D", "/srv/a", "--template=/srv/t", "-x");
	ASSERT_VERIFY_FAILS("--ephemeral", "-D", "/srv/a", "--template=/srv/t", "-x");
	ASSERT_VERIFY_FAILS("--volatile", "-D", "/srv/a", "-x", "--volatile");
	ASSERT_VERIFY_FAILS("--ephemeral", "-D", "/srv/a", "-x", "--volatile=state");
	ASSERT_VERIFY_FAILS("--ephemeral", "-D", "/srv/a", "-x", "--volatile=overlay");
	ASSERT_VERIFY_FAILS("--user", "-D", "/srv/a", "-b", "-u", "alice");
	ASSERT_VERIFY_FAILS("--boot", "-D", "/srv/a", "-b", "-u", "alice");
	ASSERT_VERIFY_FAILS("--chdir", "-D", "/srv/a", "-b", "--chdir=/tmp");
	ASSERT_VERIFY_FAILS("--boot", "-D", "/srv/a", "--chdir=/tmp", "--boot");
	ASSERT_VERIFY_FAILS("--slice", "-D", "/srv/a", "--keep-unit", "-S", "x");
	ASSERT_VERIFY_FAILS("--keep-unit", "-D", "/srv/a", "--keep-unit", "--property=CPUWeight=10");
	ASSERT_VERIFY_FAILS("--property", "-D", "/srv/a", "--keep-unit", "--property=CPUWeight=10");
	/* No machine name can be made from the directory's name. */
	ASSERT_VERIFY_FAILS("--machine", "-D", "/");
	ASSERT_VERIFY_FAILS("--machine", "-D", "/srv/...");
	return 0;
}

static int test_verify_accepts(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;

	/* The machine is named after the directory unless given. */
	VERIFY(&p, "-D", "/var/lib/machines/my-tree/");
	ASSERT_STREQ(p.s.machine, "my-tree");
	VERIFY(&p, "-D", "/srv/debian tree", "-M", "given");
	ASSERT_STREQ(p.s.machine, "given");
	VERIFY(&p, "-M", "only-a-name");
	ASSERT_STREQ(p.s.machine, "only-a-name");
	ASSERT_NULL(p.s.directory);

	VERIFY(&p, "-D", "/srv/a", "-x", "--volatile=no");
	VERIFY(&p, "-D", "/srv/a", "--template=/srv/t");
	VERIFY(&p, "-D", "/srv/a", "--volatile=overlay", "--read-only");
	VERIFY(&p, "-D", "/srv/a", "-a", "-u", "alice", "--chdir=/home/alice");
	VERIFY(&p, "-D", "/srv/a", "-b", "--keep-unit", "--register=no");
	VERIFY(&p, "-D", "/srv/a", "-b", "-S", "x", "--property=CPUWeight=10");
	ASSERT_STREQ(p.s.slice, "x.slice");
	return 0;
}

/* The security and resource options: lists add up, bad values name the option, "help" lists. */
static int test_security_resources(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	uint64_t def = caps_default_bounding_set(false);

	PARSE(&p, "-D", "/srv/a", "--capability=CAP_SYS_TIME,cap_sys_module", "--capability=CAP_IPC_LOCK",
	      "--drop-capability=CAP_MKNOD CAP_NET_RAW", "--ambient-capability=CAP_NET_BIND_SERVICE",
	      "--no-new-privileges=yes");
	ASSERT_EQ_U64(p.s.capabilities, (def | CAP(CAP_SYS_TIME) | CAP(CAP_SYS_MODULE) | CAP(CAP_IPC_LOCK)) &
						~(CAP(CAP_MKNOD) | CAP(CAP_NET_RAW)));
	ASSERT_EQ_U64(p.s.ambient_capabilities, CAP(CAP_NET_BIND_SERVICE));
	ASSERT_TRUE(p.s.no_new_privileges);
	ASSERT_EQ_INT(p.s.mask, SETTING_DIRECTORY | SETTING_CAPABILITY | SETTING_NO_NEW_PRIVILEGES);
	PARSE(&p, "-D", "/srv/a", "--private-network");
	ASSERT_EQ_U64(p.s.capabilities, def | CAP(CAP_NET_ADMIN));
	PARSE(&p, "-D", "/srv/a", "--private-network", "--drop-capability=all");
	ASSERT_EQ_U64(p.s.capabilities, 0);

	PARSE(&p, "-D", "/srv/a", "--system-call-filter=@clock bpf", "--system-call-filter=~@swap",
	      "--system-call-filter=~bpf");
	ASSERT_TRUE(strv_contains(p.s.syscall_allow, "@clock") && strv_contains(p.s.syscall_allow, "bpf"));
	ASSERT_TRUE(strv_length(p.s.syscall_deny) == 2 && strv_contains(p.s.syscall_deny, "bpf"));
	ASSERT_EQ_INT(p.s.mask, SETTING_DIRECTORY | SETTING_SYSCALL_FILTER);

	PARSE(&p, "-D", "/srv/a", "--rlimit=NOFILE=512:1024", "--rlimit=RLIMIT_CPU=infinity",
	      "--oom-score-adjust=-500", "--cpu-affinity=0,2-3", "--personality=x86");
	ASSERT_EQ_INT(p.s.rlimits_set, (1 << RLIMIT_NOFILE) | (1 << RLIMIT_CPU));
	ASSERT_EQ_U64(p.s.rlimits[RLIMIT_NOFILE].rlim_cur, 512);
	ASSERT_EQ_U64(p.s.rlimits[RLIMIT_NOFILE].rlim_max, 1024);
	ASSERT_EQ_U64(p.s.rlimits[RLIMIT_CPU].rlim_max, RLIM_INFINITY);
	ASSERT_EQ_INT(p.s.oom_score_adjust, -500);
	ASSERT_TRUE(p.s.oom_score_adjust_set);
	ASSERT_TRUE(CPU_ISSET_S(3, p.s.cpu_affinity_size, p.s.cpu_affinity) &&
		    !CPU_ISSET_S(1, p.s.cpu_affinity_size, p.s.cpu_affinity));
	ASSERT_EQ_INT(p.s.personality, PER_LINUX32);

	PARSE(&p, "-D", "/srv/a", "--settings=override");
	ASSERT_EQ_INT(p.s.settings_mode, SETTINGS_FILE_OVERRIDE);
	PARSE(&p, "-D", "/srv/a", "--settings=false");
	ASSERT_EQ_INT(p.s.settings_mode, SETTINGS_FILE_NO);

	ASSERT_PARSE_FAILS("--capability=", "-D", "/x", "--capability=CAP_NOPE");
	ASSERT_PARSE_FAILS("--ambient-capability=", "-D", "/x", "--ambient-capability=all");
	ASSERT_PARSE_FAILS("--no-new-privileges=", "-D", "/x", "--no-new-privileges=maybe");
	ASSERT_PARSE_FAILS("--system-call-filter=", "-D", "/x", "--system-call-filter=@nope");
	ASSERT_PARSE_FAILS("--system-call-filter=", "-D", "/x", "--system-call-filter=~Bad-Name");
	ASSERT_PARSE_FAILS("--rlimit=", "-D", "/x", "--rlimit=NOFILE");
	ASSERT_PARSE_FAILS("--rlimit=", "-D", "/x", "--rlimit=NOPE=1");
	ASSERT_PARSE_FAILS("--rlimit=NOFILE", "-D", "/x", "--rlimit=NOFILE=10:5");
	ASSERT_PARSE_FAILS("--oom-score-adjust=", "-D", "/x", "--oom-score-adjust=1001");
	ASSERT_PARSE_FAILS("--cpu-affinity=", "-D", "/x", "--cpu-affinity=3-1");
	ASSERT_PARSE_FAILS("--personality=", "-D", "/x", "--personality=sparc");
	ASSERT_PARSE_FAILS("--settings=", "-D", "/x", "--settings=maybe");
	ASSERT_VERIFY_FAILS("--ambient-capability=", "-D", "/x", "--ambient-capability=CAP_SYS_TIME");
	ASSERT_VERIFY_FAILS("--ambient-capability=", "-D", "/x", "-b", "--ambient-capability=CAP_NET_RAW");
	VERIFY(&p, "-D", "/x", "--capability=CAP_SYS_TIME", "--ambient-capability=CAP_SYS_TIME");

	for (const char *const *o = (const char *const[]) { "--capability=help", "--system-call-filter=help",
							    "--rlimit=help", "--settings=help", NULL };
	     *o; o++) {
		if (run(&p, (const char *const[]) { "-D", "/x", *o, NULL }, false) < 0)
			return -1;
		ASSERT_EQ_INT(p.r, 1);
		ASSERT_STREQ(p.err, "");
		ASSERT_TRUE(strlen(p.out) > 0);
	}
	ASSERT_CONTAINS(p.out, "override\n");
	return 0;
}

static int check_mount(const NspawnMount *m, NspawnMountType type, const char *source, const char *dest,
		       bool read_only) {
	ASSERT_EQ_INT(m->type, type);
	if (!streq_ptr(m->source, source))
		TEST_FAIL("source '%s', expected '%s'", m->source ?: "(null)", source ?: "(null)");
	ASSERT_STREQ(m->destination, dest);
	ASSERT_EQ_INT(m->read_only, read_only);
	return 0;
}

static int test_mounts(void) {
	_cleanup_parsed_ Parsed p = PARSED_INIT;
	_cleanup_free_ char *cwd = getcwd(NULL, 0), *relative = NULL;

	ASSERT_NOT_NULL(cwd);
	ASSERT_TRUE(asprintf(&relative, "%s/rel", streq(cwd, "/") ? "" : cwd) > 0);
	/* Kept in the command line's order; each option's own syntax, as its .nspawn key's. */
	PARSE(&p, "-D", "/x", "--bind=/srv/a", "--bind-ro=/srv/b:/b:norbind,rootidmap", "--tmpfs=/t:mode=0700,size=1M",
	      "--overlay=/l1:/l2:/up:/o", "--overlay-ro=+/l:+/u", "--inaccessible=/secret", "--bind=+/x:/y",
	      "--bind=:/tmp/z", "--tmpfs=/u", "--bind=rel:/r:idmap", "--overlay=/l::/v", "--pivot-root=/new:/old");
	ASSERT_EQ_U64(p.s.n_mounts, 11);
	ASSERT_PASS(check_mount(&p.s.mounts[0], NSPAWN_MOUNT_BIND, "/srv/a", "/srv/a", false));
	ASSERT_TRUE(p.s.mounts[0].recursive);
	ASSERT_EQ_INT(p.s.mounts[0].idmap, BIND_IDMAP_NONE);
	ASSERT_PASS(check_mount(&p.s.mounts[1], NSPAWN_MOUNT_BIND, "/srv/b", "/b", true));
	ASSERT_FALSE(p.s.mounts[1].recursive);
	ASSERT_EQ_INT(p.s.mounts[1].idmap, BIND_IDMAP_HOST_OWNER);
	ASSERT_PASS(check_mount(&p.s.mounts[2], NSPAWN_MOUNT_TMPFS, NULL, "/t", false));
	ASSERT_STREQ(p.s.mounts[2].options, "mode=0700,size=1M");
	ASSERT_PASS(check_mount(&p.s.mounts[3], NSPAWN_MOUNT_OVERLAY, "/up", "/o", false));
	ASSERT_EQ_U64(strv_length(p.s.mounts[3].lower), 2);
	ASSERT_STREQ(p.s.mounts[3].lower[0], "/l1");
	ASSERT_STREQ(p.s.mounts[3].lower[1], "/l2");
	ASSERT_PASS(check_mount(&p.s.mounts[4], NSPAWN_MOUNT_OVERLAY, "+/u", "/u", true));
	ASSERT_STREQ(p.s.mounts[4].lower[0], "+/l");
	ASSERT_PASS(check_mount(&p.s.mounts[5], NSPAWN_MOUNT_INACCESSIBLE, NULL, "/secret", false));
	ASSERT_PASS(check_mount(&p.s.mounts[6], NSPAWN_MOUNT_BIND, "+/x", "/y", false));
	ASSERT_PASS(check_mount(&p.s.mounts[7], NSPAWN_MOUNT_BIND, NULL, "/tmp/z", false));
	ASSERT_PASS(check_mount(&p.s.mounts[8], NSPAWN_MOUNT_TMPFS, NULL, "/u", false));
	ASSERT_STREQ(p.s.mounts[8].options, "mode=0755");
	ASSERT_PASS(check_mount(&p.s.mounts[9], NSPAWN_MOUNT_BIND, relative, "/r", false));
	ASSERT_EQ_INT(p.s.mounts[9].idmap, BIND_IDMAP_HOST_ROOT);
	ASSERT_PASS(check_mount(&p.s.mounts[10], NSPAWN_MOUNT_OVERLAY, NULL, "/v", false));
	ASSERT_STREQ(p.s.pivot_root_new, "/new");
	ASSERT_STREQ(p.s.pivot_root_old, "/old");
	ASSERT_TRUE((p.s.mask & (SETTING_MOUNTS | SETTING_PIVOT_ROOT)) == (SETTING_MOUNTS | SETTING_PIVOT_ROOT));
	PARSE(&p, "-D", "/x", "--pivot-root=/new");
	ASSERT_STREQ(p.s.pivot_root_new, "/new");
	ASSERT_NULL(p.s.pivot_root_old);
	ASSERT_EQ_U64(p.s.n_mounts, 0);
	ASSERT_EQ_U64(p.s.mask & SETTING_MOUNTS, 0);

	/* Every bad value names the option and the value. */
	ASSERT_PARSE_FAILS("--bind=", "-D", "/x", "--bind=/a:relative");
	ASSERT_PARSE_FAILS("'/a:/b:bogus'", "-D", "/x", "--bind=/a:/b:bogus");
	ASSERT_PARSE_FAILS("--bind-ro=", "-D", "/x", "--bind-ro=");
	ASSERT_PARSE_FAILS("--bind=", "-D", "/x", "--bind=+rel");
	ASSERT_PARSE_FAILS("--tmpfs=", "-D", "/x", "--tmpfs=relative:size=1M");
	ASSERT_PARSE_FAILS("--overlay=", "-D", "/x", "--overlay=/only");
	ASSERT_PARSE_FAILS("--overlay=", "-D", "/x", "--overlay=/a:/b:relative");
	ASSERT_PARSE_FAILS("--overlay-ro=", "-D", "/x", "--overlay-ro=:/b:/c");
	ASSERT_PARSE_FAILS("--inaccessible=", "-D", "/x", "--inaccessible=etc/shadow");
	ASSERT_PARSE_FAILS("--pivot-root=", "-D", "/x", "--pivot-root=new");
	ASSERT_PARSE_FAILS("'/new:old'", "-D", "/x", "--pivot-root=/new:old");
	ASSERT_VERIFY_FAILS("--pivot-root=", "-D", "/x", "--pivot-root=/new", "--volatile=yes");
	VERIFY(&p, "-D", "/x", "--pivot-root=/new", "--volatile=state");
	return 0;
}

TESTS_MAIN(TEST_ENTRY(defaults), TEST_ENTRY(directory_template), TEST_ENTRY(ephemeral_read_only_volatile),
	   TEST_ENTRY(machine_hostname_uuid), TEST_ENTRY(start_mode), TEST_ENTRY(chdir_user),
	   TEST_ENTRY(setenv), TEST_ENTRY(kill_signal), TEST_ENTRY(kill_signal_default),
	   TEST_ENTRY(enums), TEST_ENTRY(enum_shortcuts), TEST_ENTRY(kill_signal_help),
	   TEST_ENTRY(flags), TEST_ENTRY(slice), TEST_ENTRY(property),
	   TEST_ENTRY(unknown_and_missing), TEST_ENTRY(help_version), TEST_ENTRY(command),
	   TEST_ENTRY(reparse), TEST_ENTRY(verify_conflicts), TEST_ENTRY(verify_accepts),
	   TEST_ENTRY(security_resources),
	   TEST_ENTRY(mounts))
