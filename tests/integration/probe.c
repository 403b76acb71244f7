/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * berth-probe: runs inside a container and reports what the container looks like, so the
 * integration tests can assert from the inside. Plain libc, linked statically, so it runs in
 * any tree. Every subcommand that reports prints one JSON object on stdout.
 *
 *   berth-probe info          pids, namespaces, hostname, env, mounts' read-only state, /dev, links, caps
 *   berth-probe exit N        exit with status N
 *   berth-probe kill SIG      kill itself with SIG (number or name); prints why if it survived
 *   berth-probe segv          die of a real memory fault (which even a PID 1 cannot ignore)
 *   berth-probe write PATH    try to create and write PATH: {"ok":bool,"errno":N}
 *   berth-probe sleep SECS    sleep (fractions allowed), then print {"slept":SECS}
 *   berth-probe read PATH     {"path":P,"errno":N,"size":N,"text":S}: what reading PATH gives
 *   berth-probe ls DIR        {"path":P,"errno":N,"names":[...]}: DIR's entries, sorted
 *   berth-probe stat PATH     {"path":P,"errno":N,"type":T,"mode":N,"uid":N,"rdev":[MAJ,MIN],
 *                              "fstype":F,"ro":bool}: PATH itself (lstat) and the file system
 *                              holding it
 *
 * Several subcommands may follow each other on one command line (info read /proc/keys exit 3):
 * each prints its own line, so one container run can answer many questions. exit, kill and segv
 * end the run.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* environ */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- JSON output ---- */

/* One "needs a comma before the next member" flag per open object or array. */
static bool need_comma[16];
static int depth;

static void json_str(const char *s) {
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p); /* UTF-8 passes through as is */
		}
	}
	putchar('"');
}

static void begin(char c) {
	putchar(c);
	need_comma[++depth] = false;
}

static void end(char c) {
	putchar(c);
	depth--;
}

/* Starts the next member of the current object (with key) or array (key == NULL). */
static void member(const char *key) {
	if (need_comma[depth])
		putchar(',');
	need_comma[depth] = true;
	if (key) {
		json_str(key);
		putchar(':');
	}
}

static void kv_str(const char *key, const char *value) {
	member(key);
	json_str(value);
}

static void kv_int(const char *key, long long value) {
	member(key);
	printf("%lld", value);
}

/* 1 = true, 0 = false, < 0 = unknown (null). */
static void kv_bool(const char *key, int value) {
	member(key);
	fputs(value < 0 ? "null" : value ? "true" : "false", stdout);
}

/* ---- helpers ---- */

/* Returns the file's contents (NUL-terminated, malloc'd), or NULL if it can't be read. */
static char *read_file(const char *path) {
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t size = 0, cap = 4096, n;
	char *buf = malloc(cap);
	while (buf && (n = fread(buf + size, 1, cap - size - 1, f)) > 0) {
		size += n;
		if (size + 1 == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	bool failed = ferror(f);
	fclose(f);
	if (!buf || failed) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

/* Strips trailing whitespace in place. */
static char *rstrip(char *s) {
	if (s) {
		size_t n = strlen(s);
		while (n > 0 && strchr(" \t\r\n", s[n - 1]))
			s[--n] = '\0';
	}
	return s;
}

static void kv_file(const char *key, const char *path, bool strip) {
	char *s = read_file(path);
	kv_str(key, strip ? rstrip(s) : s);
	free(s);
}

/* 1 if the file system holding path is mounted read-only, 0 if not, -1 if statvfs fails. */
static int is_read_only(const char *path) {
	struct statvfs st;
	if (statvfs(path, &st) < 0)
		return -1;
	return !!(st.f_flag & ST_RDONLY);
}

static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Prints the sorted names in dir (without . and ..) as an array; false if dir can't be read. */
static bool list_dir(const char *key, const char *dir) {
	DIR *d = opendir(dir);
	if (!d)
		return false;
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **more = realloc(names, (n + 1) * sizeof(*names));
		if (!more)
			break;
		names = more;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	member(key);
	begin('[');
	for (size_t i = 0; i < n; i++) {
		kv_str(NULL, names[i]);
		free(names[i]);
	}
	end(']');
	free(names);
	return true;
}

/* Prints the value of the "field:\tvalue" line of /proc/self/status, or null. */
static void kv_status_field(const char *key, const char *field) {
	char *status = read_file("/proc/self/status");
	const char *value = NULL;
	size_t len = strlen(field);
	for (char *line = status ? strtok(status, "\n") : NULL; line; line = strtok(NULL, "\n"))
		if (!strncmp(line, field, len) && line[len] == ':') {
			value = line + len + 1 + strspn(line + len + 1, " \t");
			break;
		}
	kv_str(key, value);
	free(status);
}

/* Prints the names of the network interfaces that are up, as the kernel reports them to this
 * network namespace (no sysfs needed). */
static void kv_links_up(void) {
	struct if_nameindex *ifs = if_nameindex();
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	member("links_up");
	if (!ifs || fd < 0) {
		fputs("null", stdout);
	} else {
		begin('[');
		for (struct if_nameindex *i = ifs; i->if_index; i++) {
			struct ifreq ifr = {};
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
			if (ioctl(fd, SIOCGIFFLAGS, &ifr) >= 0 && (ifr.ifr_flags & IFF_UP))
				kv_str(NULL, i->if_name);
		}
		end(']');
	}
	if (ifs)
		if_freenameindex(ifs);
	if (fd >= 0)
		close(fd);
}

/* ---- subcommands ---- */

static int cmd_info(void) {
	static const char *const namespaces[] = { "mnt", "pid", "uts", "ipc", "net", "cgroup", "user" };
	char buf[PATH_MAX];

	begin('{');
	kv_int("pid", getpid());
	kv_int("ppid", getppid());
	kv_file("comm1", "/proc/1/comm", true);
	kv_str("hostname", gethostname(buf, sizeof(buf)) == 0 ? buf : NULL);
	kv_int("uid", getuid());
	kv_int("gid", getgid());
	kv_str("cwd", getcwd(buf, sizeof(buf)));

	member("ns");
	begin('{');
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", namespaces[i]);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		if (n >= 0)
			buf[n] = '\0';
		kv_str(namespaces[i], n >= 0 ? buf : NULL);
	}
	end('}');

	member("env");
	begin('{');
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int) (eq - *e), *e);
		kv_str(buf, eq + 1);
	}
	end('}');

	kv_file("machine_id", "/etc/machine-id", true);
	kv_bool("sys_ro", is_read_only("/sys"));
	kv_bool("proc_sys_ro", is_read_only("/proc/sys"));
	kv_bool("root_ro", is_read_only("/"));

	if (!list_dir("dev", "/dev"))
		kv_str("dev", NULL);

	if (!list_dir("links", "/sys/class/net")) {
		/* No sysfs: ask the kernel over netlink instead. */
		struct if_nameindex *ifs = if_nameindex();
		member("links");
		if (ifs) {
			begin('[');
			for (struct if_nameindex *i = ifs; i->if_index; i++)
				kv_str(NULL, i->if_name);
			end(']');
			if_freenameindex(ifs);
		} else
			fputs("null", stdout);
	}

	kv_links_up();
	kv_status_field("caps_bnd", "CapBnd");
	kv_status_field("caps_eff", "CapEff");
	kv_status_field("no_new_privs", "NoNewPrivs");
	kv_status_field("seccomp", "Seccomp");
	kv_file("cgroup", "/proc/self/cgroup", false);
	end('}');
	putchar('\n');
	return 0;
}

static const struct {
	const char *name;
	int number;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ABRT", SIGABRT },
	{ "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
	{ "TERM", SIGTERM }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
};

/* Accepts 15, TERM or SIGTERM; -1 if unknown. */
static int parse_signal(const char *s) {
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int) n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcmp(s, signals[i].name))
			return signals[i].number;
	return -1;
}

static int cmd_kill(const char *arg) {
	int sig = parse_signal(arg);
	if (sig < 0) {
		fprintf(stderr, "berth-probe: unknown signal '%s'\n", arg);
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(sig, SIG_DFL);
	fflush(stdout);
	raise(sig);
	/* Still here: as PID 1 of a pid namespace, the kernel drops signals it has no handler for. */
	begin('{');
	kv_bool("survived", 1);
	kv_int("signal", sig);
	kv_int("pid", getpid());
	end('}');
	putchar('\n');
	return 1;
}

static int cmd_write(const char *path) {
	static const char data[] = "berth-probe\n";
	int err = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		err = errno;
	else {
		if (write(fd, data, sizeof(data) - 1) != (ssize_t) sizeof(data) - 1)
			err = errno ? errno : EIO;
		if (close(fd) < 0 && !err)
			err = errno;
	}
	begin('{');
	kv_bool("ok", !err);
	kv_int("errno", err);
	end('}');
	putchar('\n');
	return 0;
}

static int cmd_sleep(const char *arg) {
	char *end;
	double secs = strtod(arg, &end);
	if (!*arg || *end || secs < 0) {
		fprintf(stderr, "berth-probe: bad number of seconds '%s'\n", arg);
		return 2;
	}
	struct timespec left = { .tv_sec = (time_t) secs,
				 .tv_nsec = (long) ((secs - (double) (time_t) secs) * 1e9) };
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
	printf("{\"slept\":%s}\n", arg);
	return 0;
}

static int cmd_segv(void) {
	/* No core file: it would land in the container's working directory, in the tree. */
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	fflush(stdout);
	/* A fault's SIGSEGV is forced: unlike a sent one, it kills a PID namespace's init too. */
	volatile int *volatile nowhere = NULL;
	*nowhere = 1;
	return 1;
}

static void begin_path(const char *path, int err) {
	begin('{');
	kv_str("path", path);
	kv_int("errno", err);
}

static int cmd_read(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err = 0;
	char buf[4096];
	size_t size = 0;

	if (fd < 0)
		err = errno;
	while (fd >= 0 && size < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + size, sizeof(buf) - 1 - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		if (n <= 0)
			break;
		size += (size_t) n;
	}
	buf[size] = '\0';
	if (fd >= 0)
		close(fd);
	begin_path(path, err);
	kv_int("size", (long long) size);
	kv_str("text", fd >= 0 ? buf : NULL);
	end('}');
	putchar('\n');
	return 0;
}

static int cmd_ls(const char *path) {
	DIR *d = opendir(path);

	if (!d) {
		begin_path(path, errno);
		kv_str("names", NULL);
	} else {
		closedir(d);
		begin_path(path, 0);
		if (!list_dir("names", path))
			kv_str("names", NULL);
	}
	end('}');
	putchar('\n');
	return 0;
}

static const char *fs_type_name(unsigned long type) {
	static const struct {
		unsigned long magic;
		const char *name;
	} types[] = {
		{ 0x01021994, "tmpfs" },  { 0x794c7630, "overlay" }, { 0x9fa0, "proc" },
		{ 0x62656572, "sysfs" },  { 0x1cd1, "devpts" },      { 0xef53, "ext4" },
		{ 0x63677270, "cgroup2" }, { 0x27e0eb, "cgroup" },    { 0x19800202, "mqueue" },
		{ 0x9123683e, "btrfs" },  { 0x58465342, "xfs" },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].magic == type)
			return types[i].name;
	return NULL;
}

static int cmd_stat(const char *path) {
	static const struct {
		mode_t type;
		const char *name;
	} types[] = {
		{ S_IFREG, "reg" }, { S_IFDIR, "dir" }, { S_IFLNK, "lnk" }, { S_IFCHR, "chr" },
		{ S_IFBLK, "blk" }, { S_IFIFO, "fifo" }, { S_IFSOCK, "sock" },
	};
	struct stat st;
	struct statfs sfs;
	char hex[32];
	const char *type = NULL, *fstype = NULL;

	if (lstat(path, &st) < 0) {
		begin_path(path, errno);
		end('}');
		putchar('\n');
		return 0;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((st.st_mode & S_IFMT) == types[i].type)
			type = types[i].name;
	if (statfs(path, &sfs) >= 0) {
		fstype = fs_type_name((unsigned long) sfs.f_type);
		if (!fstype) {
			snprintf(hex, sizeof(hex), "0x%lx", (unsigned long) sfs.f_type);
			fstype = hex;
		}
	}
	begin_path(path, 0);
	kv_str("type", type);
	kv_int("mode", st.st_mode & 07777);
	kv_int("uid", st.st_uid);
	member("rdev");
	begin('[');
	kv_int(NULL, major(st.st_rdev));
	kv_int(NULL, minor(st.st_rdev));
	end(']');
	kv_str("fstype", fstype);
	kv_bool("ro", is_read_only(path));
	end('}');
	putchar('\n');
	return 0;
}

static int usage(void) {
	fputs("Usage: berth-probe VERB [ARG] [VERB [ARG]...]\n"
	      "Verbs: info | exit N | kill SIG | segv | write PATH | sleep SECONDS | read PATH | ls DIR |\n"
	      "       stat PATH\n", stderr);
	return 2;
}

int main(int argc, char *argv[]) {
	if (argc < 2)
		return usage();
	for (int i = 1; i < argc; i++) {
		const char *verb = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		int r;

		if (!strcmp(verb, "info"))
			r = cmd_info();
		else if (!strcmp(verb, "segv"))
			return cmd_segv();
		else if (!arg)
			return usage();
		else if (i++, !strcmp(verb, "exit"))
			return atoi(arg);
		else if (!strcmp(verb, "kill"))
			return cmd_kill(arg);
		else if (!strcmp(verb, "write"))
			r = cmd_write(arg);
		else if (!strcmp(verb, "sleep"))
			r = cmd_sleep(arg);
		else if (!strcmp(verb, "read"))
			r = cmd_read(arg);
		else if (!strcmp(verb, "ls"))
			r = cmd_ls(arg);
		else if (!strcmp(verb, "stat"))
			r = cmd_stat(arg);
		else
			return usage();
		fflush(stdout);
		if (r != 0)
			return r;
	}
	return 0;
}
