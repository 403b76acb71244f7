/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value syntaxes of .nspawn keys, as pure functions: they return -EINVAL (or -ERANGE) for what
 * they do not accept, and the key handlers say so with the file and line. */
#include <ctype.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "nspawn-file-internal.h"
#include "parse-util.h"
#include "strv.h"
#include "syscall-groups.h"
#include "time-util.h"

#define WHITESPACE " \t\n\r"
#define CPU_MAX 8192 /* the largest CONFIG_NR_CPUS any architecture allows */

typedef struct Buffer {
	char *data;
	size_t size, alloc;
} Buffer;

static int buffer_put(Buffer *b, char c) {
	if (b->size + 2 > b->alloc) {
		size_t n = b->alloc ? b->alloc * 2 : 64;
		char *d = realloc(b->data, n);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->alloc = n;
	}
	b->data[b->size++] = c;
	b->data[b->size] = 0;
	return 0;
}

int extract_word(const char **p, char **ret, const char *separators, WordFlags flags) {
	_cleanup_free_ char *data = NULL;
	Buffer b = {};
	const char *c = *p;
	char quote = 0;
	bool dangling = false;
	int r = 0;

	if (!c) {
		*ret = NULL;
		return 0;
	}
	if (!(flags & WORD_DONT_COALESCE)) {
		c += strspn(c, separators);
		if (!*c) {
			*p = NULL;
			*ret = NULL;
			return 0;
		}
	}

	for (;; c++) {
		if (!*c) {
			c = NULL;
			break;
		}
		if (quote && *c == quote) {
			quote = 0;
			continue;
		}
		if (!quote && (flags & WORD_UNQUOTE) && (*c == '\'' || *c == '"')) {
			quote = *c;
			continue;
		}
		if (*c == '\\' && !(flags & WORD_RETAIN_ESCAPE)) {
			if (!c[1]) {
				dangling = true; /* a trailing backslash escapes nothing */
				break;
			}
			c++;
		} else if (!quote && strchr(separators, *c)) {
			c++;
			if (!(flags & WORD_DONT_COALESCE)) {
				c += strspn(c, separators);
				if (!*c)
					c = NULL;
			}
			break;
		}
		r = buffer_put(&b, *c);
		if (r < 0)
			break;
	}
	data = b.data;
	if (r < 0)
		return r;
	if (quote || dangling)
		return -EINVAL;
	if (!data && !(data = strdup("")))
		return -ENOMEM;
	*p = c;
	*ret = TAKE_PTR(data);
	return 1;
}

int split_words(const char *s, const char *separators, WordFlags flags, char ***ret) {
	_cleanup_strv_free_ char **l = NULL;

	for (const char *p = s;;) {
		char *w;
		int r = extract_word(&p, &w, separators, flags);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (strv_consume(&l, w) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* No control characters, quotes or backslashes: safe to show and to pass on. */
bool string_is_safe(const char *s) {
	for (const char *t = s; *t; t++)
		if ((unsigned char) *t < ' ' || *t == 0x7f || strchr("\"'\\", *t))
			return false;
	return true;
}

/* A kernel interface name: 1-15 printable ASCII characters without '/', ':', '%' or whitespace; not
 * all digits (that reads as an index), not "." or "..", not "all" or "default" (their sysctl
 * directories are special). */
bool ifname_is_valid(const char *s) {
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || streq(s, ".") || streq(s, "..") || streq(s, "all") || streq(s, "default"))
		return false;
	if (strspn(s, "0123456789") == n)
		return false;
	for (const char *t = s; *t; t++)
		if ((unsigned char) *t <= ' ' || (unsigned char) *t >= 0x7f || strchr(":/%", *t))
			return false;
	return true;
}

/* A strict user name: a letter or '_', then letters, digits, '_' or '-', at most 31 in all (what utmp
 * holds). */
bool user_name_is_valid(const char *s) {
	size_t n = strlen(s);

	if (n == 0 || n > 31 || !(isalpha((unsigned char) s[0]) || s[0] == '_'))
		return false;
	for (const char *t = s; *t; t++)
		if (!isascii((unsigned char) *t) || !(isalnum((unsigned char) *t) || *t == '_' || *t == '-'))
			return false;
	return true;
}

/* A known group of system calls ("@clock"), or what looks like a system call's name: whether the
 * call exists is for the filter to say, which knows the architectures. */
bool syscall_name_is_valid(const char *s) {
	if (*s == '@')
		return syscall_group_find(s) != NULL;
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

int path_simplify_absolute(const char *s, char **ret) {
	char *out, *o;

	if (s[0] != '/' || strlen(s) >= PATH_MAX)
		return -EINVAL;
	out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (const char *p = s; *p;) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return -EINVAL;
		}
		if (!(n == 1 && p[0] == '.')) {
			*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	if (o == out)
		*o++ = '/';
	*o = 0;
	*ret = out;
	return 0;
}

int parse_capability_list(const char *s, bool allow_all, uint64_t *ret, char **ret_bad) {
	uint64_t mask = 0;

	for (const char *p = s;;) {
		_cleanup_free_ char *w = NULL;
		cap_value_t cap;
		int r = extract_word(&p, &w, WHITESPACE, 0);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (allow_all && streq(w, "all")) {
			mask = UINT64_MAX;
			continue;
		}
		/* libcap takes names in any case, and numbers, as nspawn does. */
		if (cap_from_name(w, &cap) < 0 || cap < 0 || cap > 63) {
			*ret_bad = TAKE_PTR(w);
			return -EINVAL;
		}
		mask |= UINT64_C(1) << cap;
	}
	*ret = mask;
	return 0;
}

/* A UID/GID: digits, no sign or leading zero, and not the two values that mean "none". */
static int parse_uid(const char *s, uid_t *ret) {
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char) s[0]) || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno == ERANGE || v > UINT32_MAX)
		return -EINVAL;
	if (v == UINT32_MAX || v == 0xFFFF)
		return -EINVAL;
	*ret = (uid_t) v;
	return 0;
}

/* "SHIFT" or "SHIFT:RANGE", the range 65536 unless given; the end must stay below 2^32 - 1. */
int parse_uid_shift_range(const char *s, uid_t *ret_shift, uid_t *ret_range) {
	_cleanup_free_ char *shift_s = NULL;
	const char *colon = strchr(s, ':');
	uid_t shift, range = 0x10000;
	unsigned r;

	shift_s = colon ? strndup(s, colon - s) : strdup(s);
	if (!shift_s)
		return -ENOMEM;
	if (parse_uid(shift_s, &shift) < 0)
		return -EINVAL;
	if (colon) {
		if (!isdigit((unsigned char) colon[1]) || parse_unsigned(colon + 1, &r) < 0)
			return -EINVAL;
		range = r;
	}
	if (range == 0 || shift > UINT32_MAX - range)
		return -EINVAL;
	*ret_shift = shift;
	*ret_range = range;
	return 0;
}

/* The architecture names nspawn uses: the native one is PER_LINUX, its 32-bit sibling PER_LINUX32. */
#if defined(__x86_64__)
#define NATIVE_ARCH "x86-64"
#define SECONDARY_ARCH "x86"
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#define SECONDARY_ARCH "arm"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#define SECONDARY_ARCH "s390"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64-le"
#elif defined(__powerpc64__)
#define NATIVE_ARCH "ppc64"
#define SECONDARY_ARCH "ppc"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
#elif defined(__loongarch64)
#define NATIVE_ARCH "loongarch64"
#endif

int parse_personality(const char *s, unsigned long *ret) {
#ifdef NATIVE_ARCH
	if (streq(s, NATIVE_ARCH)) {
		*ret = PER_LINUX;
		return 0;
	}
#endif
#ifdef SECONDARY_ARCH
	if (streq(s, SECONDARY_ARCH)) {
		*ret = PER_LINUX32;
		return 0;
	}
#endif
	return -EINVAL;
}

const char *personality_names(void) {
#if defined(NATIVE_ARCH) && defined(SECONDARY_ARCH)
	return "'" NATIVE_ARCH "' or '" SECONDARY_ARCH "'";
#elif defined(NATIVE_ARCH)
	return "'" NATIVE_ARCH "'";
#else
	return "nothing on this architecture";
#endif
}

/* An unsigned decimal with an optional fraction: "12", "1.5". Returns the integer part and the
 * fraction as numerator/denominator. */
static int parse_decimal(const char **p, uint64_t *ret_int, uint64_t *ret_num, uint64_t *ret_den) {
	uint64_t v = 0, num = 0, den = 1;
	const char *s = *p;

	if (!isdigit((unsigned char) *s) && !(*s == '.' && isdigit((unsigned char) s[1])))
		return -EINVAL;
	for (; isdigit((unsigned char) *s); s++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t) (*s - '0'), &v))
			return -ERANGE;
	if (*s == '.') {
		for (s++; isdigit((unsigned char) *s); s++)
			if (den < UINT64_C(1000000000000)) { /* more digits than this change nothing */
				num = num * 10 + (uint64_t) (*s - '0');
				den *= 10;
			}
	}
	*p = s;
	*ret_int = v;
	*ret_num = num;
	*ret_den = den;
	return 0;
}

typedef struct Unit {
	const char *suffix;
	uint64_t factor;
} Unit;

/* Sums "NUMBER[UNIT]" parts ("1G 512M", "1min 30s"); the first unit whose name starts the rest wins,
 * so longer names come first in the table. */
static int parse_with_units(const char *s, const Unit *units, uint64_t default_factor, uint64_t *ret) {
	uint64_t sum = 0;
	const char *p = s + strspn(s, WHITESPACE);

	if (!*p)
		return -EINVAL;
	while (*p) {
		uint64_t v, num, den, factor = default_factor, part;
		int r = parse_decimal(&p, &v, &num, &den);
		if (r < 0)
			return r;
		p += strspn(p, WHITESPACE);
		for (const Unit *u = units; u->suffix; u++)
			if (strncmp(p, u->suffix, strlen(u->suffix)) == 0) {
				factor = u->factor;
				p += strlen(u->suffix);
				break;
			}
		if (*p && !strchr(WHITESPACE, *p) && !isdigit((unsigned char) *p))
			return -EINVAL;
		p += strspn(p, WHITESPACE);
		if (__builtin_mul_overflow(v, factor, &part) ||
		    __builtin_add_overflow(part, (uint64_t) ((long double) num / den * factor), &part) ||
		    __builtin_add_overflow(sum, part, &sum))
			return -ERANGE;
	}
	*ret = sum;
	return 0;
}

static const Unit time_units[] = {
	{ "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
	{ "s", USEC_PER_SEC },       { "minutes", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
	{ "min", 60 * USEC_PER_SEC }, { "months", 2629800 * USEC_PER_SEC },
	{ "month", 2629800 * USEC_PER_SEC }, { "M", 2629800 * USEC_PER_SEC },
	{ "msec", 1000 },            { "ms", 1000 }, { "m", 60 * USEC_PER_SEC },
	{ "hours", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC },
	{ "d", 86400 * USEC_PER_SEC }, { "weeks", 604800 * USEC_PER_SEC },
	{ "week", 604800 * USEC_PER_SEC }, { "w", 604800 * USEC_PER_SEC },
	{ "years", 31557600 * USEC_PER_SEC }, { "year", 31557600 * USEC_PER_SEC },
	{ "y", 31557600 * USEC_PER_SEC }, { "usec", 1 }, { "us", 1 }, { "\xc2\xb5s", 1 }, /* µs */
	{ "\xce\xbcs", 1 },                                                                /* μs */
	{}
};

static const Unit size_units[] = {
	{ "E", UINT64_C(1) << 60 }, { "P", UINT64_C(1) << 50 }, { "T", UINT64_C(1) << 40 },
	{ "G", UINT64_C(1) << 30 }, { "M", UINT64_C(1) << 20 }, { "K", UINT64_C(1) << 10 },
	{ "B", 1 },
	{}
};

/* The syntax of each limit: sizes take K, M, G...; LimitCPU= a time in seconds, LimitRTTIME= one in
 * microseconds; LimitNICE= a raw 0..40 or a nice level "+N"/"-N"; the rest plain numbers. */
static int parse_rlimit_one(int resource, const char *s, rlim_t *ret) {
	uint64_t v;
	int r;

	if (streq(s, "infinity")) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	switch (resource) {
	case RLIMIT_CPU:
		r = parse_with_units(s, time_units, USEC_PER_SEC, &v);
		v = v / USEC_PER_SEC + (v % USEC_PER_SEC != 0); /* a partial second counts as one */
		break;
	case RLIMIT_RTTIME:
		r = parse_with_units(s, time_units, 1, &v);
		break;
	case RLIMIT_FSIZE:
	case RLIMIT_DATA:
	case RLIMIT_STACK:
	case RLIMIT_CORE:
	case RLIMIT_RSS:
	case RLIMIT_AS:
	case RLIMIT_MEMLOCK:
	case RLIMIT_MSGQUEUE:
		r = parse_with_units(s, size_units, 1, &v);
		break;
	case RLIMIT_NICE: {
		/* The kernel's range is 40..1 for nice -20..19; 0 is its default and allowed raw. */
		unsigned n = 0;
		if ((s[0] == '+' || s[0] == '-') && isdigit((unsigned char) s[1])) {
			if (parse_unsigned(s + 1, &n) < 0 || n > (s[0] == '+' ? 19U : 20U))
				return -ERANGE;
			v = s[0] == '+' ? 20 - n : 20 + n;
			r = 0;
		} else {
			r = isdigit((unsigned char) s[0]) ? parse_unsigned(s, &n) : -EINVAL;
			if (r >= 0 && n > 40)
				return -ERANGE;
			v = n;
		}
		break;
	}
	default: {
		char *end;
		if (!isdigit((unsigned char) s[0]))
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		r = *end ? -EINVAL : errno == ERANGE ? -ERANGE : 0;
	}
	}
	if (r < 0)
		return r;
	if (v >= (uint64_t) RLIM_INFINITY)
		return -ERANGE;
	*ret = (rlim_t) v;
	return 0;
}

/* "VALUE" for both limits, or "SOFT:HARD". */
int parse_rlimit(int resource, const char *s, struct rlimit *ret) {
	const char *colon = strchr(s, ':');
	_cleanup_free_ char *soft_s = colon ? strndup(s, colon - s) : strdup(s);
	rlim_t soft, hard;
	int r;

	if (!soft_s)
		return -ENOMEM;
	r = parse_rlimit_one(resource, soft_s, &soft);
	if (r < 0)
		return r;
	hard = soft;
	if (colon) {
		r = parse_rlimit_one(resource, colon + 1, &hard);
		if (r < 0)
			return r;
		if (soft > hard)
			return -EILSEQ;
	}
	*ret = (struct rlimit) { .rlim_cur = soft, .rlim_max = hard };
	return 0;
}

int parse_oom_score_adjust(const char *s, int *ret) {
	const char *digits = s[0] == '-' ? s + 1 : s;
	unsigned v;

	if (!isdigit((unsigned char) digits[0]) || parse_unsigned(digits, &v) < 0)
		return -EINVAL;
	if (v > 1000)
		return -ERANGE;
	*ret = s[0] == '-' ? -(int) v : (int) v;
	return 0;
}

/* "0-3 5,7": CPU numbers and ranges, separated by spaces or commas. */
int parse_cpu_list(const char *s, cpu_set_t **set, size_t *size) {
	for (const char *p = s;;) {
		_cleanup_free_ char *w = NULL;
		unsigned lo, hi;
		char *dash;
		int r = extract_word(&p, &w, WHITESPACE ",", WORD_UNQUOTE);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
		dash = strchr(w, '-');
		if (dash)
			*dash = 0;
		if (parse_unsigned(w, &lo) < 0 || (dash && parse_unsigned(dash + 1, &hi) < 0))
			return -EINVAL;
		if (!dash)
			hi = lo;
		if (lo > hi)
			return -EINVAL;
		if (hi >= CPU_MAX)
			return -ERANGE;
		if (!*set) {
			*set = CPU_ALLOC(CPU_MAX);
			if (!*set)
				return -ENOMEM;
			*size = CPU_ALLOC_SIZE(CPU_MAX);
			CPU_ZERO_S(*size, *set);
		}
		for (unsigned cpu = lo; cpu <= hi; cpu++)
			CPU_SET_S(cpu, *size, *set);
	}
}

static const struct {
	const char *name;
	int family;
} address_families[] = {
	{ "AF_UNIX", AF_UNIX },         { "AF_INET", AF_INET },         { "AF_AX25", AF_AX25 },
	{ "AF_IPX", AF_IPX },           { "AF_APPLETALK", AF_APPLETALK }, { "AF_NETROM", AF_NETROM },
	{ "AF_BRIDGE", AF_BRIDGE },     { "AF_ATMPVC", AF_ATMPVC },     { "AF_X25", AF_X25 },
	{ "AF_INET6", AF_INET6 },       { "AF_ROSE", AF_ROSE },         { "AF_DECnet", AF_DECnet },
	{ "AF_NETBEUI", AF_NETBEUI },   { "AF_SECURITY", AF_SECURITY }, { "AF_KEY", AF_KEY },
	{ "AF_NETLINK", AF_NETLINK },   { "AF_PACKET", AF_PACKET },     { "AF_ASH", AF_ASH },
	{ "AF_ECONET", AF_ECONET },     { "AF_ATMSVC", AF_ATMSVC },     { "AF_RDS", AF_RDS },
	{ "AF_SNA", AF_SNA },           { "AF_IRDA", AF_IRDA },         { "AF_PPPOX", AF_PPPOX },
	{ "AF_WANPIPE", AF_WANPIPE },   { "AF_LLC", AF_LLC },           { "AF_IB", AF_IB },
	{ "AF_MPLS", AF_MPLS },         { "AF_CAN", AF_CAN },           { "AF_TIPC", AF_TIPC },
	{ "AF_BLUETOOTH", AF_BLUETOOTH }, { "AF_IUCV", AF_IUCV },       { "AF_RXRPC", AF_RXRPC },
	{ "AF_ISDN", AF_ISDN },         { "AF_PHONET", AF_PHONET },     { "AF_IEEE802154", AF_IEEE802154 },
	{ "AF_CAIF", AF_CAIF },         { "AF_ALG", AF_ALG },           { "AF_NFC", AF_NFC },
	{ "AF_VSOCK", AF_VSOCK },       { "AF_KCM", AF_KCM },           { "AF_QIPCRTR", AF_QIPCRTR },
	{ "AF_SMC", AF_SMC },           { "AF_XDP", AF_XDP },           { "AF_MCTP", 45 },
};

int address_family_from_name(const char *s) {
	for (size_t i = 0; i < ELEMENTSOF(address_families); i++)
		if (streq(address_families[i].name, s))
			return address_families[i].family;
	return -EINVAL;
}

/* A host source: "+/PATH" inside the image, an absolute path, or a relative one made absolute against
 * the working directory; empty (when allowed) is NULL, a temporary directory. */
static int parse_source(const char *s, bool allow_empty, char **ret) {
	_cleanup_free_ char *cwd = NULL;
	char *p;

	if (!*s) {
		if (!allow_empty)
			return -EINVAL;
		*ret = NULL;
		return 0;
	}
	if (s[0] == '+' && s[1] != '/')
		return -EINVAL;
	if (s[0] == '+' || s[0] == '/')
		p = strdup(s);
	else {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return negative_errno();
		if (asprintf(&p, "%s/%s", streq(cwd, "/") ? "" : cwd, s) < 0)
			p = NULL;
	}
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static int parse_bind_options(const char *s, NspawnMount *m) {
	for (const char *p = s;;) {
		_cleanup_free_ char *w = NULL;
		int r = extract_word(&p, &w, ",", 0);
		if (r <= 0)
			return r;
		if (streq(w, "rbind"))
			m->recursive = true;
		else if (streq(w, "norbind"))
			m->recursive = false;
		else if (bind_idmap_from_string(w) >= 0)
			m->idmap = bind_idmap_from_string(w);
		else
			return -EINVAL;
	}
}

/* SOURCE[:DESTINATION[:OPTIONS]]: "\:" is a colon in a path; DESTINATION defaults to SOURCE (without
 * its '+'). */
int parse_bind_spec(const char *s, bool read_only, NspawnMount *m) {
	_cleanup_free_ char *source = NULL, *dest = NULL;
	const char *p = s;
	int r;

	*m = (NspawnMount) { .type = NSPAWN_MOUNT_BIND, .read_only = read_only, .recursive = true };
	r = extract_word(&p, &source, ":", WORD_DONT_COALESCE);
	if (r <= 0)
		return -EINVAL;
	if (p) {
		r = extract_word(&p, &dest, ":", WORD_DONT_COALESCE);
		if (r <= 0)
			return -EINVAL;
	} else if (!(dest = strdup(source[0] == '+' ? source + 1 : source)))
		return -ENOMEM;
	if (dest[0] != '/')
		return -EINVAL;
	r = parse_source(source, true, &m->source);
	if (r < 0)
		return r;
	m->destination = TAKE_PTR(dest);
	return p ? parse_bind_options(p, m) : 0;
}

/* PATH[:OPTIONS]: with no options, a 0755 directory. */
int parse_tmpfs_spec(const char *s, NspawnMount *m) {
	const char *p = s;
	int r;

	*m = (NspawnMount) { .type = NSPAWN_MOUNT_TMPFS };
	r = extract_word(&p, &m->destination, ":", WORD_DONT_COALESCE);
	if (r <= 0 || m->destination[0] != '/')
		return -EINVAL;
	m->options = strdup(isempty(p) ? "mode=0755" : p);
	return m->options ? 0 : -ENOMEM;
}

/* LOWER:UPPER (UPPER is also the destination), or LOWER...:UPPER:DESTINATION where UPPER may be
 * empty for a temporary one. */
int parse_overlay_spec(const char *s, bool read_only, NspawnMount *m) {
	_cleanup_strv_free_ char **parts = NULL;
	size_t n;
	int r;

	*m = (NspawnMount) { .type = NSPAWN_MOUNT_OVERLAY, .read_only = read_only };
	r = split_words(s, ":", WORD_DONT_COALESCE, &parts);
	if (r < 0)
		return r;
	n = strv_length(parts);
	if (n < 2)
		return -EINVAL;
	if (n == 2) {
		r = parse_source(parts[1], false, &m->source);
		if (r < 0)
			return r;
		m->destination = strdup(m->source[0] == '+' ? m->source + 1 : m->source);
	} else {
		if (parts[n - 1][0] != '/')
			return -EINVAL;
		r = parse_source(parts[n - 2], true, &m->source);
		if (r < 0)
			return r;
		m->destination = strdup(parts[n - 1]);
	}
	if (!m->destination)
		return -ENOMEM;
	for (size_t i = 0; i < (n == 2 ? 1 : n - 2); i++) {
		char *lower;
		r = parse_source(parts[i], false, &lower);
		if (r < 0)
			return r;
		if (strv_consume(&m->lower, lower) < 0)
			return -ENOMEM;
	}
	return 0;
}

int parse_inaccessible_spec(const char *s, NspawnMount *m) {
	*m = (NspawnMount) { .type = NSPAWN_MOUNT_INACCESSIBLE };
	if (s[0] != '/')
		return -EINVAL;
	m->destination = strdup(s);
	return m->destination ? 0 : -ENOMEM;
}

void nspawn_mount_done(NspawnMount *m) {
	free(m->source);
	free(m->destination);
	strv_free(m->lower);
	free(m->options);
	*m = (NspawnMount) {};
}

int nspawn_mount_append(NspawnMount **mounts, size_t *n, NspawnMount *m) {
	NspawnMount *a = reallocarray(*mounts, *n + 1, sizeof *a);

	if (!a)
		return -ENOMEM;
	a[(*n)++] = *m;
	*mounts = a;
	*m = (NspawnMount) {};
	return 0;
}

void nspawn_mount_free_many(NspawnMount *mounts, size_t n) {
	for (size_t i = 0; i < n; i++)
		nspawn_mount_done(&mounts[i]);
	free(mounts);
}

/* NEW[:OLD], both absolute. */
int parse_pivot_root_spec(const char *s, char **ret_new, char **ret_old) {
	_cleanup_free_ char *new_root = NULL, *old_root = NULL;
	const char *p = s;

	if (extract_word(&p, &new_root, ":", WORD_DONT_COALESCE) <= 0 || new_root[0] != '/')
		return -EINVAL;
	if (!isempty(p)) {
		if (p[0] != '/')
			return -EINVAL;
		if (!(old_root = strdup(p)))
			return -ENOMEM;
	}
	*ret_new = TAKE_PTR(new_root);
	*ret_old = TAKE_PTR(old_root);
	return 0;
}

static int parse_ip_port(const char *s, uint16_t *ret) {
	unsigned v;

	if (!isdigit((unsigned char) s[0]) || parse_unsigned(s, &v) < 0 || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t) v;
	return 0;
}

/* [tcp:|udp:]HOST[:CONTAINER], TCP by default; CONTAINER defaults to HOST. */
int parse_port_spec(const char *s, NspawnPort *ret) {
	NspawnPort port = { .protocol = IPPROTO_TCP };
	_cleanup_free_ char *host = NULL;
	const char *colon;

	if (strncmp(s, "tcp:", 4) == 0)
		s += 4;
	else if (strncmp(s, "udp:", 4) == 0) {
		port.protocol = IPPROTO_UDP;
		s += 4;
	}
	colon = strchr(s, ':');
	host = colon ? strndup(s, colon - s) : strdup(s);
	if (!host)
		return -ENOMEM;
	if (parse_ip_port(host, &port.host_port) < 0)
		return -EINVAL;
	port.container_port = port.host_port;
	if (colon && parse_ip_port(colon + 1, &port.container_port) < 0)
		return -EINVAL;
	*ret = port;
	return 0;
}

/* HOST[:CONTAINER], interface names; CONTAINER defaults to HOST. */
int parse_veth_extra_spec(const char *s, NspawnVethExtra *ret) {
	_cleanup_free_ char *host = NULL, *container = NULL;
	const char *p = s;

	if (extract_word(&p, &host, ":", WORD_DONT_COALESCE) <= 0 || !ifname_is_valid(host))
		return -EINVAL;
	if (p) {
		if (extract_word(&p, &container, ":", WORD_DONT_COALESCE) <= 0 || p)
			return -EINVAL;
		if (!*container)
			container = mfree(container);
		else if (!ifname_is_valid(container))
			return -EINVAL;
	}
	if (!container && !(container = strdup(host)))
		return -ENOMEM;
	*ret = (NspawnVethExtra) { .host = TAKE_PTR(host), .container = TAKE_PTR(container) };
	return 0;
}
