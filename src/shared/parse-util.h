/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-id128.h>

/* Parsers return 0 and fill ret_* on success, -EINVAL (or -ERANGE) and leave them alone on failure. */
int parse_boolean(const char *s);
int parse_signal(const char *s, int *ret_signo);
/* The name printed for a signal: "TERM", "RTMIN+3"; into a caller's buffer of >= 16 bytes. */
const char *signal_to_string(int signo, char buf[static 16]);
int parse_id128(const char *s, sd_id128_t *ret);
int parse_unsigned(const char *s, unsigned *ret);

bool env_name_is_valid(const char *name, size_t len);
bool env_assignment_is_valid(const char *assignment);
bool path_is_absolute_and_normal(const char *path);
