/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* Sizes and times as people read them, into a caller's buffer. */

#define FORMAT_BYTES_MAX 24
/* "512B", "1.5K", "230.4M", "12.0G": powers of 1024, one decimal from K on. */
const char *format_bytes(char buf[static FORMAT_BYTES_MAX], uint64_t bytes);

#define FORMAT_TIMESTAMP_MAX 64
/* "Tue 2024-05-14 10:00:00 UTC", local time; "" when t cannot be converted. */
const char *format_timestamp(char buf[static FORMAT_TIMESTAMP_MAX], time_t t);
