/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a .nspawn file: lines, sections and keys, and which keys an untrusted file may set. The
 * keys themselves are in nspawn-file-keys.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <syslog.h>

#include "log.h"
#include "name-util.h"
#include "nspawn-file-internal.h"
#include "strv.h"

#define WHITESPACE " \t\n\r"
/* Longer lines are not settings but a mistake (or an attack on memory). */
#define LINE_MAX_BYTES (1024U * 1024U)

static const char *const private_users_mode_table[_PRIVATE_USERS_MODE_MAX] = {
	[PRIVATE_USERS_NO] = "no",
	[PRIVATE_USERS_YES] = "yes",
	[PRIVATE_USERS_PICK] = "pick",
	[PRIVATE_USERS_IDENTITY] = "identity",
};
DEFINE_STRING_TABLE(private_users_mode, PrivateUsersMode, _PRIVATE_USERS_MODE_MAX)

static const char *const private_users_ownership_table[_PRIVATE_USERS_OWNERSHIP_MAX] = {
	[PRIVATE_USERS_OWNERSHIP_OFF] = "off",
	[PRIVATE_USERS_OWNERSHIP_CHOWN] = "chown",
	[PRIVATE_USERS_OWNERSHIP_MAP] = "map",
	[PRIVATE_USERS_OWNERSHIP_AUTO] = "auto",
};
DEFINE_STRING_TABLE(private_users_ownership, PrivateUsersOwnership, _PRIVATE_USERS_OWNERSHIP_MAX)

static const char *const nspawn_mount_type_table[_NSPAWN_MOUNT_TYPE_MAX] = {
	[NSPAWN_MOUNT_BIND] = "bind",
	[NSPAWN_MOUNT_TMPFS] = "tmpfs",
	[NSPAWN_MOUNT_OVERLAY] = "overlay",
	[NSPAWN_MOUNT_INACCESSIBLE] = "inaccessible",
};
DEFINE_STRING_TABLE(nspawn_mount_type, NspawnMountType, _NSPAWN_MOUNT_TYPE_MAX)

static const char *const bind_idmap_table[_BIND_IDMAP_MAX] = {
	[BIND_IDMAP_NONE] = "noidmap",
	[BIND_IDMAP_HOST_ROOT] = "idmap",
	[BIND_IDMAP_HOST_OWNER] = "rootidmap",
};
DEFINE_STRING_TABLE(bind_idmap, BindIdmap, _BIND_IDMAP_MAX)

static const char *const rlimit_name_table[RLIMIT_NLIMITS] = {
	[RLIMIT_CPU] = "CPU",         [RLIMIT_FSIZE] = "FSIZE",   [RLIMIT_DATA] = "DATA",
	[RLIMIT_STACK] = "STACK",     [RLIMIT_CORE] = "CORE",     [RLIMIT_RSS] = "RSS",
	[RLIMIT_NOFILE] = "NOFILE",   [RLIMIT_AS] = "AS",         [RLIMIT_NPROC] = "NPROC",
	[RLIMIT_MEMLOCK] = "MEMLOCK", [RLIMIT_LOCKS] = "LOCKS",   [RLIMIT_SIGPENDING] = "SIGPENDING",
	[RLIMIT_MSGQUEUE] = "MSGQUEUE", [RLIMIT_NICE] = "NICE",   [RLIMIT_RTPRIO] = "RTPRIO",
	[RLIMIT_RTTIME] = "RTTIME",
};
DEFINE_STRING_TABLE(rlimit_name, int, RLIMIT_NLIMITS)

void nspawn_file_init(NspawnFile *f) {
	*f = (NspawnFile) {
		.start_mode = START_PID1,
		.personality = PER_LINUX,
		.private_users = PRIVATE_USERS_NO,
		.uid_shift = UID_INVALID,
		.uid_range = 0x10000,
		.resolv_conf = RESOLV_CONF_AUTO,
		.timezone = TIMEZONE_AUTO,
		.link_journal = LINK_JOURNAL_AUTO,
		.volatile_mode = VOLATILE_NO,
		.private_users_ownership = PRIVATE_USERS_OWNERSHIP_OFF,
	};
}

void nspawn_file_done(NspawnFile *f) {
	strv_free(f->parameters);
	strv_free(f->environment);
	free(f->user);
	free(f->working_directory);
	free(f->pivot_root_new);
	free(f->pivot_root_old);
	strv_free(f->syscall_allow);
	strv_free(f->syscall_deny);
	CPU_FREE(f->cpu_affinity);
	free(f->hostname);
	for (size_t i = 0; i < f->n_mounts; i++)
		nspawn_mount_done(&f->mounts[i]);
	free(f->mounts);
	strv_free(f->bind_user);
	for (size_t i = 0; i < f->n_veth_extra; i++) {
		free(f->veth_extra[i].host);
		free(f->veth_extra[i].container);
	}
	free(f->veth_extra);
	strv_free(f->interfaces);
	strv_free(f->macvlan);
	strv_free(f->ipvlan);
	free(f->bridge);
	free(f->zone);
	free(f->ports);
	free(f->network_namespace_path);
	nspawn_file_init(f);
}

const NspawnFileOrigin *nspawn_file_origin(const NspawnFile *f, uint64_t setting) {
	return &f->origin[setting ? __builtin_ctzll(setting) : 0];
}

bool nspawn_file_private_network(const NspawnFile *f) {
	return (f->mask & NSPAWN_FILE_PRIVATE_NETWORK && f->private_network) ||
	       nspawn_file_network_veth(f) ||
	       (f->mask & (NSPAWN_FILE_VIRTUAL_ETHERNET_EXTRA | NSPAWN_FILE_INTERFACE | NSPAWN_FILE_MACVLAN |
			   NSPAWN_FILE_IPVLAN));
}

bool nspawn_file_network_veth(const NspawnFile *f) {
	return (f->mask & NSPAWN_FILE_VIRTUAL_ETHERNET && f->virtual_ethernet) ||
	       (f->mask & (NSPAWN_FILE_BRIDGE | NSPAWN_FILE_ZONE));
}

void parse_log(ParseState *st, int level, const char *format, ...) {
	_cleanup_free_ char *text = NULL, *message = NULL;
	va_list ap;
	int r;

	va_start(ap, format);
	r = vasprintf(&text, format, ap);
	va_end(ap);
	if (r < 0 || asprintf(&message, "%s:%u: %s", st->opts->path ?: "-", st->line, text) < 0)
		message = NULL;
	if (!message)
		return;
	if (st->opts->log)
		st->opts->log(level, message, st->opts->log_userdata);
	else
		log_full_errno(level, 0, "%s", message);
}

int key_invalid(ParseState *st, const NspawnKey *key, const char *value, const char *word,
		const char *expected) {
	if (!expected)
		expected = key->expected;
	if (word && !streq(word, value))
		parse_log(st, LOG_ERR, "Invalid value '%s' for %s= (in '%s'), expected %s", word, key->name,
			  value, expected);
	else
		parse_log(st, LOG_ERR, "Invalid value '%s' for %s=, expected %s", value, key->name, expected);
	st->failed = true;
	return -EINVAL;
}

static bool utf8_is_valid(const char *s) {
	for (const unsigned char *p = (const unsigned char *) s; *p;) {
		/* The number of continuation bytes the lead byte announces; 4: not a lead byte. */
		unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
			   : (*p & 0xf8) == 0xf0 ? 3 : 4;
		uint32_t c = n == 0 ? *p : *p & (0x3f >> n);

		if (n == 4)
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond Unicode are not characters. */
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static char *strip(char *s) {
	size_t n;

	s += strspn(s, WHITESPACE);
	n = strlen(s);
	while (n > 0 && strchr(WHITESPACE, s[n - 1]))
		s[--n] = 0;
	return s;
}

typedef struct Section {
	const char *name; /* NULL: none, or an ignored one */
	bool ignored;     /* an unknown or bad one: its lines are skipped without a word */
} Section;

static const char *const sections[] = { "Exec", "Files", "Network" };

static void parse_section_header(ParseState *st, char *l, Section *section) {
	size_t n = strlen(l);

	*section = (Section) { .ignored = true };
	if (l[n - 1] != ']') {
		parse_log(st, LOG_ERR, "Invalid section header '%s', expected '[NAME]'", l);
		st->failed = true;
		return;
	}
	l[n - 1] = 0;
	l++;
	for (size_t i = 0; i < ELEMENTSOF(sections); i++)
		if (streq(l, sections[i])) {
			*section = (Section) { .name = sections[i] };
			return;
		}
	if (!string_is_safe(l)) {
		parse_log(st, LOG_ERR, "Invalid section header '[%s]': it has control characters, quotes or "
			  "backslashes", l);
		st->failed = true;
	} else if (strncmp(l, "X-", 2) != 0)
		parse_log(st, LOG_WARNING, "Unknown section [%s], ignoring it: expected [Exec], [Files] or "
			  "[Network]", l);
}

static const NspawnKey *find_key(const char *section, const char *name) {
	for (size_t i = 0; i < nspawn_keys_count; i++)
		if ((!section || streq(nspawn_keys[i].section, section)) && streq(nspawn_keys[i].name, name))
			return &nspawn_keys[i];
	return NULL;
}

static int parse_assignment(ParseState *st, char *l, const Section *section) {
	const NspawnKey *key;
	char *eq = strchr(l, '='), *name, *value;
	int r;

	if (!section->name) {
		if (!section->ignored)
			parse_log(st, LOG_WARNING, "Assignment outside of a section, ignoring it");
		return 0;
	}
	if (!eq || eq == l) {
		parse_log(st, LOG_WARNING, "%s, ignoring line", eq ? "Missing key name before '='" : "Missing '='");
		return 0;
	}
	*eq = 0;
	name = strip(l);
	value = strip(eq + 1);

	key = find_key(section->name, name);
	if (!key) {
		const NspawnKey *elsewhere = find_key(NULL, name);
		/* X- keys are for other programs' extensions, by convention. */
		if (strncmp(name, "X-", 2) == 0)
			return 0;
		if (elsewhere)
			parse_log(st, LOG_WARNING, "Unknown key %s= in section [%s], ignoring it: it belongs in [%s]",
				  name, section->name, elsewhere->section);
		else
			parse_log(st, LOG_WARNING, "Unknown key %s= in section [%s], ignoring it", name,
				  section->name);
		return 0;
	}
	if ((key->flags & NSPAWN_KEY_PRIVILEGED) && !st->opts->trusted) {
		parse_log(st, LOG_WARNING, "Ignoring %s= in untrusted file: it is privileged, and honoured only "
			  "in /etc/systemd/nspawn/ or /run/systemd/nspawn/", key->name);
		return 0;
	}
	r = key->parse(st, key, value);
	if (r >= 0 && (st->file->mask & key->setting))
		st->file->origin[__builtin_ctzll(key->setting)] = (NspawnFileOrigin) { st->line, key->name };
	return r;
}

static int parse_logical_line(ParseState *st, char *l, Section *section) {
	int r;

	l = strip(l);
	if (!*l)
		return 0;
	if (!utf8_is_valid(l)) {
		parse_log(st, LOG_ERR, "Line is not valid UTF-8");
		st->failed = true;
		return 0;
	}
	if (l[0] == '[') {
		parse_section_header(st, l, section);
		return 0;
	}
	r = parse_assignment(st, l, section);
	if (r == -EINVAL)
		st->failed = true;
	return r == -ENOMEM ? r : 0;
}

/* Whether a line ends in a backslash that is not itself escaped: then the next line continues it. */
static bool ends_in_continuation(const char *l, size_t n) {
	size_t k = 0;

	while (k < n && l[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

static int append(char **cont, const char *s) {
	size_t a = strlen(*cont), b = strlen(s);
	char *n;

	if (a + b > LINE_MAX_BYTES)
		return -E2BIG;
	n = realloc(*cont, a + b + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n + a, s, b + 1);
	*cont = n;
	return 0;
}

/* Reads the physical lines of f and hands the logical ones on: comments ('#' or ';' first) are
 * dropped even between continued lines, a final unescaped backslash joins the next line (as a
 * space), and messages name the line a logical line starts on. */
static int read_lines(FILE *f, ParseState *st, Section *section) {
	_cleanup_free_ char *buf = NULL, *cont = NULL;
	unsigned cont_line = 0;
	size_t alloc = 0;
	int r;

	for (unsigned line = 1;; line++) {
		ssize_t n = getline(&buf, &alloc, f);
		char *l, first;

		if (n < 0) {
			if (ferror(f))
				return errno > 0 ? -errno : -EIO;
			break;
		}
		st->line = cont ? cont_line : line;
		if ((size_t) n > LINE_MAX_BYTES || strlen(buf) != (size_t) n) {
			parse_log(st, LOG_ERR, (size_t) n > LINE_MAX_BYTES ? "Line too long" : "Line contains a NUL byte");
			st->failed = true;
			return 0;
		}
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = 0;
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = 0;
		l = buf;
		if (line == 1 && strncmp(l, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark */
			l += 3, n -= 3;
		first = l[strspn(l, WHITESPACE)];
		if (first == '#' || first == ';')
			continue;

		bool continues = ends_in_continuation(l, n);
		if (continues)
			l[n - 1] = ' ';
		if (cont)
			r = append(&cont, l);
		else if (continues) {
			cont = strdup(l);
			cont_line = line;
			r = cont ? 0 : -ENOMEM;
		} else
			r = 0;
		if (r == -E2BIG) {
			parse_log(st, LOG_ERR, "Continued line too long");
			st->failed = true;
			return 0;
		}
		if (r < 0)
			return r;
		if (continues)
			continue;

		r = parse_logical_line(st, cont ? cont : l, section);
		cont = mfree(cont);
		if (r < 0)
			return r;
	}
	if (cont) {
		st->line = cont_line;
		return parse_logical_line(st, cont, section);
	}
	return 0;
}

/* What nspawn decides for the file as a whole once all of it is read. */
static void finish(ParseState *st) {
	NspawnFile *f = st->file;

	if (st->syscall_allow_dropped && f->syscall_deny) {
		st->line = st->syscall_line;
		parse_log(st, LOG_WARNING, "Ignoring the SystemCallFilter=~ deny lists too, as the file is "
			  "untrusted and has an allow list");
		strv_free(f->syscall_deny);
		f->syscall_deny = NULL;
		f->mask &= ~NSPAWN_FILE_SYSTEM_CALL_FILTER;
	}
	/* One of PrivateUsers= and PrivateUsersOwnership= gives the other its default: no user namespace,
	 * or chown for a picked range and off for the others. */
	if ((f->mask & NSPAWN_FILE_PRIVATE_USERS) && !(f->mask & NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP)) {
		f->private_users_ownership = f->private_users == PRIVATE_USERS_PICK ? PRIVATE_USERS_OWNERSHIP_CHOWN
										    : PRIVATE_USERS_OWNERSHIP_OFF;
		f->mask |= NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP;
	} else if (!(f->mask & NSPAWN_FILE_PRIVATE_USERS) && (f->mask & NSPAWN_FILE_PRIVATE_USERS_OWNERSHIP)) {
		f->private_users = PRIVATE_USERS_NO;
		f->mask |= NSPAWN_FILE_PRIVATE_USERS;
	}
}

int nspawn_file_parse(FILE *f, const NspawnFileParseOptions *opts, NspawnFile *ret) {
	NspawnFile file;
	ParseState st = { .file = &file, .opts = opts };
	Section section = {};
	int r;

	nspawn_file_init(&file);
	r = read_lines(f, &st, &section);
	if (r >= 0 && st.failed)
		r = -EINVAL;
	if (r < 0) {
		nspawn_file_done(&file);
		return r;
	}
	finish(&st);
	*ret = file;
	return 0;
}

/* Whether path exists: 1, 0, or an error other than "no such file". */
static int probe(const char *path) {
	struct stat st;

	if (stat(path, &st) >= 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

static int found(char *path, bool trusted, char **ret_path, bool *ret_trusted) {
	*ret_path = path;
	*ret_trusted = trusted;
	return 0;
}

int nspawn_file_find(const char *root, const char *machine, const char *image, char **ret_path,
		     bool *ret_trusted) {
	static const char *const trusted_dirs[] = { "/etc/systemd/nspawn", "/run/systemd/nspawn" };
	size_t root_len, image_len, dir_len;
	char *p;
	int r;

	if (!machine_name_is_valid(machine))
		return -EINVAL;
	root_len = root ? strlen(root) : 0;
	while (root_len > 0 && root[root_len - 1] == '/')
		root_len--;

	for (size_t i = 0; i < ELEMENTSOF(trusted_dirs); i++) {
		if (asprintf(&p, "%.*s%s/%s" NSPAWN_FILE_SUFFIX, (int) root_len, root ? root : "", trusted_dirs[i],
			     machine) < 0)
			return -ENOMEM;
		r = probe(p);
		if (r > 0)
			return found(p, true, ret_path, ret_trusted);
		free(p);
		if (r < 0)
			return r;
	}

	/* Next to the image: the file beside the tree's directory, or beside the raw image file. */
	if (!image)
		return -ENOENT;
	image_len = strlen(image);
	while (image_len > 0 && image[image_len - 1] == '/')
		image_len--;
	if (image_len == 0)
		return -ENOENT; /* the host's own root has no directory beside it */
	dir_len = image_len;
	while (dir_len > 0 && image[dir_len - 1] != '/')
		dir_len--;
	if (asprintf(&p, "%.*s%s" NSPAWN_FILE_SUFFIX, (int) dir_len, image, machine) < 0)
		return -ENOMEM;
	r = probe(p);
	if (r > 0)
		return found(p, false, ret_path, ret_trusted);
	free(p);
	return r < 0 ? r : -ENOENT;
}
