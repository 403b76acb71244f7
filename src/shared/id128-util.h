/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-id128.h>

/* 128-bit ids (machine ids, UUIDs) in sd-id128's type and text forms, made and read without
 * libsystemd: the launcher needs them before its container runs, and opens libsystemd only to talk
 * to systemd (src/berth/libsystemd-dl.h). sd_id128_is_null() and sd_id128_equal() are inline in
 * sd-id128.h and need no library. */

/* A random version 4 UUID (RFC 9562), as sd_id128_randomize() makes. */
int id128_randomize(sd_id128_t *ret);

/* 32 hex digits, or a UUID's 8-4-4-4-12 form; either case. -EINVAL for anything else. */
int id128_from_string(const char *s, sd_id128_t *ret);

/* Lower-case text: 32 hex digits, or the UUID form. Return s. */
char *id128_to_string(sd_id128_t id, char s[static SD_ID128_STRING_MAX]);
char *id128_to_uuid_string(sd_id128_t id, char s[static SD_ID128_UUID_STRING_MAX]);

#define ID128_TO_STRING(id) id128_to_string((id), (char[SD_ID128_STRING_MAX]) {})
#define ID128_TO_UUID_STRING(id) id128_to_uuid_string((id), (char[SD_ID128_UUID_STRING_MAX]) {})

/* The host's id from /etc/machine-id: -ENOMEDIUM when it is empty, null or "uninitialized". */
int id128_get_machine(sd_id128_t *ret);
