/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berthctl: options and the verb table; the verbs live one group per file. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berthctl.h"
#include "json-pretty.h"
#include "log.h"
#include "strv.h"

BerthctlOptions arg = {};

/* One row per verb. Rows are looked up by name; order is the order of --help. */
static const Verb verbs[] = {
	{ "list",      1, 1,        verb_list },
	{ "status",    2, VERB_ANY, verb_status },
	{ "show",      1, VERB_ANY, verb_show },
	{ "start",     2, VERB_ANY, verb_start },
	{ "stop",      2, VERB_ANY, verb_signal_leader },
	{ "poweroff",  2, VERB_ANY, verb_signal_leader },
	{ "reboot",    2, VERB_ANY, verb_signal_leader },
	{ "terminate", 2, VERB_ANY, verb_terminate },
	{ "kill",      2, VERB_ANY, verb_kill },
	{ "enable",    2, VERB_ANY, verb_enable },
	{ "disable",   2, VERB_ANY, verb_enable },
	{ "pause",     2, VERB_ANY, verb_pause },
	{ "resume",    2, VERB_ANY, verb_pause },
	{ "shell",     2, VERB_ANY, verb_shell },
	{ "login",     2, 2,        verb_login },
	{ "bind",      3, 4,        verb_bind },
	{ "copy-to",   3, 4,        verb_copy_to },
	{ "copy-from", 3, 4,        verb_copy_from },
	{ "list-images", 1, 1,      verb_list_images },
	{ "image-status", 2, VERB_ANY, verb_image_status },
	{ "show-image", 1, VERB_ANY, verb_show_image },
	{ "remove",    2, VERB_ANY, verb_remove },
	{ "clone",     3, 3,        verb_clone },
	{ "rename",    3, 3,        verb_rename },
	{ "read-only", 2, 3,        verb_read_only },
	{ "clean",     1, 1,        verb_clean },
	{ "cat",       2, VERB_ANY, verb_cat },
	{ "edit",      2, 2,        verb_edit },
	{ "import-tar", 2, 3,       verb_import_tar },
	{ "import-raw", 2, 3,       verb_import_raw },
	{ "export-tar", 2, 3,       verb_export_tar },
	{ "export-raw", 2, 3,       verb_export_raw },
};

static void help(void) {
	printf("%s [OPTIONS...] COMMAND ...\n\n"
	       "Send control commands to or query machines started by berth.\n\n"
	       "Machine commands:\n"
	       "  list                      List running machines\n"
	       "  status NAME...            Show machine details\n"
	       "  show [NAME...]            Show machine properties\n"
	       "  start NAME...             Start berth@NAME.service\n"
	       "  stop|poweroff NAME...     Power off machines\n"
	       "  reboot NAME...            Reboot machines\n"
	       "  terminate NAME...         Terminate machines at once\n"
	       "  kill NAME...              Send a signal to machine processes\n"
	       "  enable|disable NAME...    Enable or disable berth@NAME.service at boot\n"
	       "  pause|resume NAME...      Freeze or thaw all processes of machines\n"
	       "  shell [USER@]NAME [CMD...] Run a command or shell in a machine, returning its status\n"
	       "  login NAME                Get a login prompt in a machine\n"
	       "  bind NAME PATH [PATH]     Bind mount a host path into a running machine\n"
	       "  copy-to NAME PATH [PATH]  Copy a file or directory from the host into a machine\n"
	       "  copy-from NAME PATH [PATH] Copy a file or directory from a machine to the host\n\n"
	       "Image commands:\n"
	       "  list-images               List images in the image directories\n"
	       "  image-status NAME...      Show image details\n"
	       "  show-image [NAME...]      Show image properties, or the pool's\n"
	       "  remove NAME...            Remove images (not while a machine runs from one)\n"
	       "  clone NAME NEW            Copy an image (sharing data where the file system can)\n"
	       "  rename NAME NEW           Rename an image and its settings file\n"
	       "  read-only NAME [BOOL]     Make an image read-only, or writable again\n"
	       "  clean [--all]             Remove hidden leftovers (.#*), with --all unused images too\n"
	       "  cat NAME...               Show the settings file of images\n"
	       "  edit NAME                 Edit the settings file of an image\n\n"
	       "Import and export:\n"
	       "  import-tar FILE|- [NAME]  Import a tar archive (.tar, .tar.xz) as image NAME\n"
	       "  import-raw FILE|- [NAME]  Import a raw disk image (.raw, .raw.xz) as NAME.raw\n"
	       "  export-tar NAME [FILE]    Export a directory image as a tar archive (.xz: compressed)\n"
	       "  export-raw NAME [FILE]    Export a raw image (.xz: compressed)\n\n"
	       "Options:\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n"
	       "     --json=short|pretty    Print JSON (list, status, show)\n"
	       "     --no-legend            Do not print headers and footers\n"
	       "     --no-pager             Do not pipe output into a pager\n"
	       "  -q --quiet                Suppress informational messages\n"
	       "  -p --property=NAME        Show only this property\n"
	       "     --value                Show only property values\n"
	       "  -s --signal=SIGNAL        Signal to send (kill)\n"
	       "     --kill-whom=leader|all Whom to send the signal to (kill)\n"
	       "     --uid=USER             User to run the shell as\n"
	       "  -E --setenv=NAME=VALUE    Environment variable for the shell\n"
	       "     --now                  Also start or stop (enable, disable)\n"
	       "     --read-only            Read-only bind mounts and clones\n"
	       "     --mkdir                Create a missing bind target\n"
	       "     --force                Replace existing images\n"
	       "  -a --all                  With clean, also remove unused writable images\n",
	       program_invocation_short_name);
}

static int parse_signal(const char *s) {
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *n = sigabbrev_np(i);
		if (n && strcasecmp(n, s) == 0)
			return i;
	}
	char *end;
	errno = 0;
	long l = strtol(s, &end, 10);
	if (errno == 0 && *end == 0 && l > 0 && l < NSIG)
		return (int) l;
	return -EINVAL;
}

enum {
	ARG_VERSION = 0x100,
	ARG_JSON,
	ARG_NO_LEGEND,
	ARG_NO_PAGER,
	ARG_VALUE,
	ARG_KILL_WHOM,
	ARG_UID,
	ARG_NOW,
	ARG_READ_ONLY,
	ARG_MKDIR,
	ARG_FORCE,
};

static int parse_option(int c);

/* Options may come before and after the verb; for shell, everything after NAME belongs to the
 * command, so parsing stops there. The positional arguments are collected in *ret_args. */
static int parse_argv(int argc, char *argv[], char ***ret_args) {
	static const struct option options[] = {
		{ "help",      no_argument,       NULL, 'h' },
		{ "version",   no_argument,       NULL, ARG_VERSION },
		{ "json",      optional_argument, NULL, ARG_JSON },
		{ "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
		{ "no-pager",  no_argument,       NULL, ARG_NO_PAGER },
		{ "quiet",     no_argument,       NULL, 'q' },
		{ "property",  required_argument, NULL, 'p' },
		{ "value",     no_argument,       NULL, ARG_VALUE },
		{ "signal",    required_argument, NULL, 's' },
		{ "kill-whom", required_argument, NULL, ARG_KILL_WHOM },
		{ "uid",       required_argument, NULL, ARG_UID },
		{ "setenv",    required_argument, NULL, 'E' },
		{ "now",       no_argument,       NULL, ARG_NOW },
		{ "read-only", no_argument,       NULL, ARG_READ_ONLY },
		{ "mkdir",     no_argument,       NULL, ARG_MKDIR },
		{ "force",     no_argument,       NULL, ARG_FORCE },
		{ "all",       no_argument,       NULL, 'a' },
		{}
	};
	char **args = NULL;
	int c, r;

	for (;;) {
		/* '+' stops at each non-option, which is collected before parsing goes on. */
		while ((c = getopt_long(argc, argv, "+hqp:s:E:a", options, NULL)) >= 0) {
			r = parse_option(c);
			if (r <= 0) {
				strv_free(args);
				return r;
			}
		}
		if (optind >= argc)
			break;
		if (strv_length(args) == 2 && streq(args[0], "shell")) {
			for (; optind < argc; optind++)
				if (strv_extend(&args, argv[optind]) < 0)
					break;
			break;
		}
		if (strv_extend(&args, argv[optind++]) < 0) {
			strv_free(args);
			return log_error_errno(-ENOMEM, "Out of memory");
		}
	}
	*ret_args = args;
	return 1;
}

static int parse_option(int c) {
	int r;

	switch (c) {
	case 'h':
		help();
		return 0;
	case ARG_VERSION:
		printf("berthctl %s\n", PROJECT_VERSION);
		return 0;
	case ARG_JSON:
		if (optarg && !streq(optarg, "short") && !streq(optarg, "pretty") && !streq(optarg, "off"))
			return log_invalid("Invalid --json= mode '%s', expected short, pretty or off", optarg);
		arg.json = !optarg || !streq(optarg, "off");
		arg.json_pretty = optarg && streq(optarg, "pretty");
		break;
	case ARG_NO_LEGEND:
		arg.no_legend = true;
		break;
	case ARG_NO_PAGER:
		arg.no_pager = true;
		break;
	case 'q':
		arg.quiet = true;
		break;
	case 'p':
		if (strv_extend(&arg.property, optarg) < 0)
			return log_error_errno(-ENOMEM, "Out of memory");
		break;
	case ARG_VALUE:
		arg.value = true;
		break;
	case 's':
		r = parse_signal(optarg);
		if (r < 0)
			return log_invalid("Unknown signal '%s'", optarg);
		arg.signal = r;
		break;
	case ARG_KILL_WHOM:
		if (!streq(optarg, "leader") && !streq(optarg, "all"))
			return log_invalid("Invalid --kill-whom= value '%s', expected leader or all", optarg);
		arg.kill_whom = optarg;
		break;
	case ARG_UID:
		arg.uid = optarg;
		break;
	case 'E':
		if (!strchr(optarg, '='))
			return log_invalid("Invalid --setenv= value '%s', expected NAME=VALUE", optarg);
		if (strv_extend(&arg.setenv, optarg) < 0)
			return log_error_errno(-ENOMEM, "Out of memory");
		break;
	case ARG_NOW:
		arg.now = true;
		break;
	case ARG_READ_ONLY:
		arg.read_only = true;
		break;
	case ARG_MKDIR:
		arg.mkdir = true;
		break;
	case ARG_FORCE:
		arg.force = true;
		break;
	case 'a':
		arg.all = true;
		break;
	case '?':
		return -EINVAL;
	default:
		return log_error_errno(-EINVAL, "Unhandled option");
	}
	return 1;
}

static int dispatch_verb(int argc, char *argv[]) {
	const char *name = argc > 0 ? argv[0] : "list";

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		const Verb *v = &verbs[i];
		if (!streq(v->name, name))
			continue;
		int n = argc > 0 ? argc : 1;
		if (n < v->min_args)
			return log_invalid("Too few arguments for '%s'", name);
		if (v->max_args != VERB_ANY && n > v->max_args)
			return log_invalid("Too many arguments for '%s'", name);
		char *deflt[] = { (char *) name, NULL };
		return v->run(n, argc > 0 ? argv : deflt);
	}
	return log_invalid("Unknown command '%s', see --help", name);
}

/* The verbs print compact JSON; with --json=pretty, it is laid out once the verb is done. */
static int dispatch_verb_pretty(int argc, char *argv[]) {
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, lead;
	FILE *capture, *real = stdout;
	int r;

	fflush(stdout);
	capture = open_memstream(&buf, &size);
	if (!capture)
		return log_error_errno(ENOMEM, "Out of memory");
	stdout = capture;
	r = dispatch_verb(argc, argv);
	stdout = real;
	fclose(capture);
	lead = strspn(buf, " \n");
	if (buf[lead] == '{' || buf[lead] == '[')
		json_write_pretty(buf, stdout);
	else
		fputs(buf, stdout);
	return r;
}

int main(int argc, char *argv[]) {
	_cleanup_strv_free_ char **args = NULL;
	int r;

	log_set_program_name(program_invocation_short_name);
	r = parse_argv(argc, argv, &args);
	if (r <= 0)
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	r = arg.json_pretty ? dispatch_verb_pretty((int) strv_length(args), args) :
			      dispatch_verb((int) strv_length(args), args);
	strv_free(arg.property);
	strv_free(arg.setenv);
	return r < 0 ? EXIT_FAILURE : r;
}
