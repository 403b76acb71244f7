/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the parts of the .nspawn parser: nspawn-file.c reads lines and dispatches keys,
 * nspawn-file-keys.c turns each key's value into the model, nspawn-file-values.c holds the value
 * syntaxes (words, sizes, time spans, mount specifications, ...) as pure functions. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "nspawn-file-values.h"
#include "nspawn-file.h"

typedef struct ParseState {
	NspawnFile *file;
	const NspawnFileParseOptions *opts;
	unsigned line;
	bool failed;               /* a bad value was reported: the parse fails at the end */
	bool syscall_allow_dropped; /* untrusted: an allow list made the whole SystemCallFilter= go */
	int syscall_line;           /* ... where, for the message about the deny list */
} ParseState;

typedef struct NspawnKey NspawnKey;

/* Returns 0, -EINVAL after reporting a bad value (parsing goes on), or -ENOMEM (parsing stops). */
typedef int (*NspawnKeyParser)(ParseState *st, const NspawnKey *key, const char *value);

typedef enum NspawnKeyFlags {
	/* Ignored, with a warning, in files that are not trusted: it could raise privileges or reach into
	 * the host. */
	NSPAWN_KEY_PRIVILEGED = 1 << 0,
} NspawnKeyFlags;

struct NspawnKey {
	const char *section;
	const char *name;
	NspawnKeyParser parse;
	int arg;          /* for parsers shared by keys: read-only for Bind=, RLIMIT_* for LimitXXX= */
	uint64_t setting; /* the NspawnFileSetting bit it sets */
	NspawnKeyFlags flags;
	const char *expected; /* what the key accepts, for messages */
};

extern const NspawnKey nspawn_keys[];
extern const size_t nspawn_keys_count;

void parse_log(ParseState *st, int level, const char *format, ...) _printf_(3, 4);
/* Reports value as bad for key and returns -EINVAL. word: the bad part of a list (NULL: all of it);
 * expected: what would be accepted (NULL: the key's own description). */
int key_invalid(ParseState *st, const NspawnKey *key, const char *value, const char *word,
		const char *expected);

/* Word splitting as systemd's configuration files do it. */
typedef enum WordFlags {
	WORD_UNQUOTE = 1 << 0,        /* '...' and "..." group, and the quotes are removed */
	WORD_RETAIN_ESCAPE = 1 << 1,  /* a backslash is an ordinary character (else it escapes the next) */
	WORD_DONT_COALESCE = 1 << 2,  /* every separator ends a word, so words may be empty */
} WordFlags;

/* Takes the next word off *p into ret: 1, or 0 at the end (then *p is NULL), or -EINVAL for an
 * unbalanced quote or a trailing backslash. */
int extract_word(const char **p, char **ret, const char *separators, WordFlags flags);
/* Splits all of s, for keys that take a list; -EINVAL as above. */
int split_words(const char *s, const char *separators, WordFlags flags, char ***ret);

bool string_is_safe(const char *s);
bool ifname_is_valid(const char *s);
bool user_name_is_valid(const char *s);
/* Absolute, no ".." component; "//", "/./" and a final "/" are dropped. */
int path_simplify_absolute(const char *s, char **ret);
int address_family_from_name(const char *s);

int parse_port_spec(const char *s, NspawnPort *ret);
int parse_veth_extra_spec(const char *s, NspawnVethExtra *ret);
