/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Hand ownership of a pointer or fd on: the variable is reset so its cleanup does nothing. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _taken_ = (p); \
		(p) = NULL;                  \
		_taken_;                     \
	})
#define TAKE_FD(fd)               \
	({                        \
		int _taken_ = (fd); \
		(fd) = -EBADF;      \
		_taken_;            \
	})

/* Defines func##p(type *p) that calls func(*p) when *p is not NULL, for _cleanup_. */
#define DEFINE_POINTER_CLEANUP(type, func)         \
	static inline void func##p(type *p) {      \
		if (*p)                            \
			func(*p);                  \
	}

static inline void freep(void *p) {
	free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, to reset the pointer in the same statement. */
static inline void *mfree(void *p) {
	free(p);
	return NULL;
}

static inline void closep(int *fd) {
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

/* A strv (NULL-terminated array of strings) owned as a whole. */
void strv_free(char **l);
DEFINE_POINTER_CLEANUP(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline int negative_errno(void) {
	return errno > 0 ? -errno : -EIO;
}

static inline bool streq_ptr(const char *a, const char *b) {
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
#define isempty(s) (!(s) || !(s)[0])
