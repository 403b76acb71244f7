/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include "fileio.h"
#include "id128-util.h"

int id128_randomize(sd_id128_t *ret) {
	sd_id128_t id;
	ssize_t n = getrandom(id.bytes, sizeof id.bytes, 0);

	if (n < 0)
		return -errno;
	if ((size_t) n != sizeof id.bytes)
		return -EIO;
	/* Version 4 in the high nibble of byte 6, variant 10xx in byte 8. */
	id.bytes[6] = (id.bytes[6] & 0x0f) | 0x40;
	id.bytes[8] = (id.bytes[8] & 0x3f) | 0x80;
	*ret = id;
	return 0;
}

static int hex_value(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

int id128_from_string(const char *s, sd_id128_t *ret) {
	size_t len = strlen(s);
	bool uuid = len == 36;
	sd_id128_t id;

	if (len != 32 && !uuid)
		return -EINVAL;
	for (size_t i = 0; i < sizeof id.bytes; i++) {
		int hi, lo;

		/* The UUID form has a dash before bytes 4, 6, 8 and 10, and nowhere else. */
		if (uuid && (i == 4 || i == 6 || i == 8 || i == 10) && *s++ != '-')
			return -EINVAL;
		hi = hex_value(s[0]);
		lo = hi < 0 ? hi : hex_value(s[1]);
		if (lo < 0)
			return -EINVAL;
		id.bytes[i] = (uint8_t) (hi << 4 | lo);
		s += 2;
	}
	*ret = id;
	return 0;
}

static char *format(sd_id128_t id, bool uuid, char *s) {
	static const char digits[] = "0123456789abcdef";
	char *p = s;

	for (size_t i = 0; i < sizeof id.bytes; i++) {
		if (uuid && (i == 4 || i == 6 || i == 8 || i == 10))
			*p++ = '-';
		*p++ = digits[id.bytes[i] >> 4];
		*p++ = digits[id.bytes[i] & 15];
	}
	*p = 0;
	return s;
}

char *id128_to_string(sd_id128_t id, char s[static SD_ID128_STRING_MAX]) {
	return format(id, false, s);
}

char *id128_to_uuid_string(sd_id128_t id, char s[static SD_ID128_UUID_STRING_MAX]) {
	return format(id, true, s);
}

int id128_get_machine(sd_id128_t *ret) {
	char text[SD_ID128_STRING_MAX + 1]; /* one more than an id and its newline: too long shows */
	sd_id128_t id;
	ssize_t n = read_file_start("/etc/machine-id", text, sizeof text);

	if (n < 0)
		return (int) n;
	/* 32 digits and a newline; empty or "uninitialized\n" before the first boot set it. */
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = 0;
	if (n == 0 || strcmp(text, "uninitialized") == 0)
		return -ENOMEDIUM;
	if (id128_from_string(text, &id) < 0)
		return -EUCLEAN;
	if (sd_id128_is_null(id))
		return -ENOMEDIUM;
	*ret = id;
	return 0;
}
