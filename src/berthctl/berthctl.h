/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Options every verb may read; parsed once in main.c. */
typedef struct BerthctlOptions {
	bool json;      /* --json: machine-readable output for list, status, show */
	bool json_pretty; /* --json=pretty: laid out one member a line */
	bool no_legend; /* --no-legend: no header or footer lines */
	bool no_pager;  /* --no-pager: accepted; berthctl never starts a pager */
	bool quiet;     /* -q: suppress informational messages */
	bool force;     /* --force: replace existing images */
	bool read_only; /* --read-only: read-only binds and clones */
	bool mkdir;     /* --mkdir: create a missing bind target */
	bool now;       /* --now: start or stop as well when enabling or disabling */
	bool all;       /* --all: clean removes unused writable images too */
	bool value;     /* --value: show only property values */
	char **property; /* -p: properties to show (strv) */
	const char *kill_whom; /* --kill-whom=leader|all; NULL = verb default */
	int signal;     /* -s: signal for kill; 0 = verb default */
	const char *uid; /* --uid: user for shell */
	char **setenv;  /* -E: NAME=VALUE for shell (strv) */
} BerthctlOptions;

extern BerthctlOptions arg;

/* A verb gets argv with argv[0] the verb's name; it returns a process exit status (>= 0) or -errno
 * after logging. */
typedef int (*VerbFunction)(int argc, char *argv[]);

typedef struct Verb {
	const char *name;
	int min_args; /* counting the verb itself */
	int max_args; /* VERB_ANY: no limit */
	VerbFunction run;
} Verb;

#define VERB_ANY (-1)

/* Machine verbs (machine-verbs.c, power-verbs.c, shell.c) */
int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_show(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_signal_leader(int argc, char *argv[]);
int verb_terminate(int argc, char *argv[]);
int verb_pause(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_enable(int argc, char *argv[]);
int verb_shell(int argc, char *argv[]);
int verb_login(int argc, char *argv[]);
int verb_bind(int argc, char *argv[]);

/* Image verbs (image-verbs.c) */
int verb_list_images(int argc, char *argv[]);
int verb_remove(int argc, char *argv[]);
int verb_import_tar(int argc, char *argv[]);
int verb_import_raw(int argc, char *argv[]);
int verb_export_tar(int argc, char *argv[]);
int verb_export_raw(int argc, char *argv[]);
int verb_clone(int argc, char *argv[]);
int verb_rename(int argc, char *argv[]);
int verb_read_only(int argc, char *argv[]);
int verb_clean(int argc, char *argv[]);
int verb_cat(int argc, char *argv[]);

/* image-edit.c */
int verb_edit(int argc, char *argv[]);

/* image-status.c */
int verb_image_status(int argc, char *argv[]);
int verb_show_image(int argc, char *argv[]);

/* copy-verbs.c */
int verb_copy_to(int argc, char *argv[]);
int verb_copy_from(int argc, char *argv[]);

/* Prints s as a JSON string, quoted and escaped. */
void json_string(const char *s);
