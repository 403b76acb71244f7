/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), for naming things by their content: cache files keyed by what they were
 * made from. */

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (SHA256_DIGEST_SIZE * 2 + 1)

void sha256(const void *data, size_t size, uint8_t ret[SHA256_DIGEST_SIZE]);
/* The digest as lower-case hex, NUL-terminated. */
void sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_SIZE]);
