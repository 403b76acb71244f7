/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system call filter without root: the policy's allow-list, the specification that names the
 * cache file, the cache's checks, and the compiled programs, run through a small interpreter of
 * classic BPF (so that the i386 and x32 parts are checked on any kernel, even one that runs no
 * i386 code) and loaded into a child that set no_new_privs. */
#include <dirent.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "caps.h"
#include "fileio.h"
#include "seccomp-cache.h"
#include "seccomp-dl.h"
#include "seccomp-filter.h"
#include "seccomp-program.h"
#include "sha256.h"
#include "syscall-groups.h"
#include "tests.h"

#define CAP(c) (UINT64_C(1) << (c))

static int test_sha256(void) {
	char hex[SHA256_HEX_SIZE];

	sha256_hex("", 0, hex);
	ASSERT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 56 bytes: the padding takes a second block. */
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	ASSERT_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	return 0;
}

static int test_groups(void) {
	ASSERT_NOT_NULL(syscall_group_find("@mount"));
	ASSERT_NULL(syscall_group_find("mount"));
	ASSERT_NULL(syscall_group_find("@no-such-group"));
	for (size_t i = 0; i < syscall_groups_count; i++) {
		const SyscallGroup *g = &syscall_groups[i];
		ASSERT_TRUE(g->name[0] == '@' && g->help && g->syscalls[0]);
		ASSERT_TRUE(syscall_group_find(g->name) == g);
		/* Sorted, each name once, so that a listing reads well and a comparison with
		 * systemd's groups is short. */
		for (size_t j = 1; g->syscalls[j]; j++)
			ASSERT_TRUE(strcmp(g->syscalls[j - 1], g->syscalls[j]) < 0);
		if (i > 0)
			ASSERT_TRUE(strcmp(syscall_groups[i - 1].name, g->name) < 0);
	}
	return 0;
}

static bool allows(const char **names, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], name))
			return true;
	return false;
}

static int check_default_policy(const char **names, size_t n) {
	static const char *const refused[] = {
		"kexec_load", "kexec_file_load", "init_module", "finit_module", "swapon", "open_by_handle_at",
		"bpf", "perf_event_open", "add_key", "keyctl", "adjtimex", "settimeofday", "mlock", "acct",
		"syslog", "iopl", "modify_ldt", "fanotify_init", "quotactl", "pidfd_getfd", "pkey_alloc",
	};
	static const char *const allowed[] = {
		"read", "openat", "execve", "clone3", "mount", "ptrace", "reboot", "seccomp", "ioctl",
		"socket", "setresuid", "vhangup", "process_vm_readv", "mmap2", "socketcall",
	};

	for (size_t i = 1; i < n; i++)
		ASSERT_TRUE(strcmp(names[i - 1], names[i]) < 0);
	for (size_t i = 0; i < ELEMENTSOF(refused); i++)
		if (allows(names, n, refused[i]))
			TEST_FAIL("'%s' is allowed", refused[i]);
	for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
		if (!allows(names, n, allowed[i]))
			TEST_FAIL("'%s' is not allowed", allowed[i]);
	return 0;
}

static int test_policy(void) {
	char *deny[] = { (char *) "@mount", (char *) "reboot", NULL }, *allow[] = { (char *) "bpf", NULL };
	char *bad[] = { (char *) "@no-such-group", NULL }, *typo[] = { (char *) "bpf", (char *) "no_such_call", NULL };
	_cleanup_free_ char *output = NULL;
	const char **names;
	size_t n;
	Capture c;
	int r;

	ASSERT_OK(seccomp_policy_allowed(&(SeccompPolicy) { .capabilities = caps_default_bounding_set(false) },
					 &names, &n));
	r = check_default_policy(names, n);
	free(names);
	ASSERT_PASS(r);

	/* Capabilities bring their calls, and without CAP_SYS_PTRACE ptrace goes. */
	ASSERT_OK(seccomp_policy_allowed(&(SeccompPolicy) { .capabilities = CAP(CAP_SYS_TIME) | CAP(CAP_IPC_LOCK) },
					 &names, &n));
	r = allows(names, n, "adjtimex") && allows(names, n, "clock_settime") && allows(names, n, "mlock") &&
	    !allows(names, n, "ptrace") && !allows(names, n, "reboot") && !allows(names, n, "init_module");
	free(names);
	ASSERT_TRUE(r);

	/* "+LIST" and "~LIST": groups expand, and a refusal wins over the default. */
	ASSERT_OK(seccomp_policy_allowed(&(SeccompPolicy) { .capabilities = caps_default_bounding_set(false),
							    .allow = allow, .deny = deny },
					 &names, &n));
	r = allows(names, n, "bpf") && !allows(names, n, "mount") && !allows(names, n, "pivot_root") &&
	    !allows(names, n, "reboot") && allows(names, n, "read");
	free(names);
	ASSERT_TRUE(r);

	ASSERT_OK(capture_start(&c, STDERR_FILENO));
	r = seccomp_policy_allowed(&(SeccompPolicy) { .allow = bad }, &names, &n);
	output = capture_end(&c);
	ASSERT_ERR(r, -EINVAL);
	ASSERT_CONTAINS(output, "Unknown system call group '@no-such-group'");

	/* An unknown name is said in a warning naming it and does not spoil the rest; known ones and
	 * groups pass quietly. Without libseccomp, no name is known or unknown. */
	ASSERT_OK(capture_start(&c, STDERR_FILENO));
	r = seccomp_policy_warn_unknown(&(SeccompPolicy) { .allow = typo, .deny = deny });
	free(output);
	output = capture_end(&c);
#if HAVE_SECCOMP
	ASSERT_TRUE(r == 1);
	ASSERT_CONTAINS(output, "Unknown system call 'no_such_call'");
#else
	ASSERT_TRUE(r == 0);
#endif
	ASSERT_TRUE(!strstr(output, "'bpf'") && !strstr(output, "mount"));
	ASSERT_OK(seccomp_policy_allowed(&(SeccompPolicy) { .capabilities = caps_default_bounding_set(false),
							    .allow = typo },
					 &names, &n));
	r = allows(names, n, "bpf");
	free(names);
	ASSERT_TRUE(r);
	return 0;
}

static int test_spec(void) {
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *none = NULL;
	char na[SECCOMP_CACHE_NAME_SIZE], nb[SECCOMP_CACHE_NAME_SIZE], nc[SECCOMP_CACHE_NAME_SIZE],
		nd[SECCOMP_CACHE_NAME_SIZE];
	uint64_t caps = caps_default_bounding_set(false);

	ASSERT_OK(seccomp_filter_spec(&(SeccompPolicy) { .capabilities = caps }, "lib 1", 0, &a));
	ASSERT_OK(seccomp_filter_spec(&(SeccompPolicy) { .capabilities = caps }, "lib 1", 0, &b));
	ASSERT_OK(seccomp_filter_spec(&(SeccompPolicy) { .capabilities = caps | CAP(CAP_SYS_TIME) }, "lib 1", 0, &c));
	ASSERT_OK(seccomp_filter_spec(&(SeccompPolicy) { .capabilities = caps }, "lib 2", 0, &d));
	ASSERT_ERR(seccomp_filter_spec(&(SeccompPolicy) {}, "lib 1", 1, &none), -EINVAL);
	ASSERT_CONTAINS(a, "\nallow read\n");
	ASSERT_NOT_CONTAINS(a, "\nallow kexec_load\n");
	ASSERT_CONTAINS(a, "\nberth " PROJECT_VERSION "\n");
	ASSERT_CONTAINS(a, "\nbuild ");
	ASSERT_CONTAINS(c, "\nallow adjtimex\n");
	ASSERT_CONTAINS(a, "ioctl arg1&0xffffffff==0x5412\n");
#if HAVE_SECCOMP
	ASSERT_CONTAINS(a, "\nlibseccomp lib 1\n");
#endif

	seccomp_cache_name(a, na);
	seccomp_cache_name(b, nb);
	seccomp_cache_name(c, nc);
	seccomp_cache_name(d, nd);
	ASSERT_EQ_INT(strlen(na), 64 + 4);
	ASSERT_EQ_INT(strspn(na, "0123456789abcdef"), 64);
	ASSERT_STREQ(na + 64, ".bpf");
	ASSERT_STREQ(na, nb);
	ASSERT_FALSE(streq(na, nc));
	/* Another build of libseccomp compiles other programs. */
#if HAVE_SECCOMP
	ASSERT_FALSE(streq(na, nd));
#endif
	return 0;
}

static int test_cache_check(void) {
	uid_t me = 1000;
	struct stat good = { .st_mode = S_IFREG | 0600, .st_uid = me, .st_size = 8 * 100 }, st;

	ASSERT_OK(seccomp_cache_check(&good, me));
	ASSERT_ERR(seccomp_cache_check(&good, 0), -EPERM);
	st = good, st.st_mode = S_IFREG | 0620;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EPERM);
	st = good, st.st_mode = S_IFREG | 0602;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EPERM);
	st = good, st.st_mode = S_IFREG | 0644;
	ASSERT_OK(seccomp_cache_check(&st, me));
	st = good, st.st_mode = S_IFIFO | 0600;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EBADFD);
	st = good, st.st_mode = S_IFDIR | 0700;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EBADFD);
	st = good, st.st_size = 0;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EBADMSG);
	st = good, st.st_size = 8 * 100 + 4;
	ASSERT_ERR(seccomp_cache_check(&st, me), -EBADMSG);
	st = good, st.st_size = 8 * (BPF_MAXINSNS + 1);
	ASSERT_ERR(seccomp_cache_check(&st, me), -EBADMSG);
	st = good, st.st_size = 8 * BPF_MAXINSNS;
	ASSERT_OK(seccomp_cache_check(&st, me));
	return 0;
}

static int count_entries(const char *path) {
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += !streq(e->d_name, ".") && !streq(e->d_name, "..");
	closedir(d);
	return n;
}

static int test_cache_files(void) {
	struct sock_filter prog[3] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, 1),
				       BPF_STMT(BPF_RET | BPF_K, 2) };
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -EBADF, other = -EBADF;
	_cleanup_free_ struct sock_filter *got = NULL;
	char name[SECCOMP_CACHE_NAME_SIZE];
	struct stat st;
	size_t n = 0;

	ASSERT_NOT_NULL(tmp);
	ASSERT_TRUE(asprintf(&dir, "%s/cache", tmp) > 0);
	ASSERT_OK(seccomp_cache_open_dir(dir, geteuid(), &fd));
	ASSERT_SYS(stat(dir, &st));
	ASSERT_EQ_INT(st.st_mode & 07777, 0700);
	ASSERT_ERR(seccomp_cache_open_dir(dir, geteuid() + 1, &other), -EPERM);

	seccomp_cache_name("spec", name);
	ASSERT_TRUE(asprintf(&path, "%s/%s", dir, name) > 0);
	ASSERT_ERR(seccomp_cache_read(fd, name, geteuid(), &got, &n), -ENOENT);
	ASSERT_OK(seccomp_cache_write(fd, name, prog, ELEMENTSOF(prog)));
	ASSERT_SYS(stat(path, &st));
	ASSERT_EQ_INT(st.st_mode & 07777, 0600);
	ASSERT_EQ_INT(st.st_size, sizeof prog);
	ASSERT_OK(seccomp_cache_read(fd, name, geteuid(), &got, &n));
	ASSERT_EQ_INT(n, ELEMENTSOF(prog));
	ASSERT_TRUE(memcmp(got, prog, sizeof prog) == 0);
	got = mfree(got);
	/* Written again: replaced, not appended to, and no temporary file is left. */
	ASSERT_OK(seccomp_cache_write(fd, name, prog, 2));
	ASSERT_OK(seccomp_cache_read(fd, name, geteuid(), &got, &n));
	ASSERT_EQ_INT(n, 2);
	got = mfree(got);
	ASSERT_EQ_INT(count_entries(dir), 1);

	/* Refused: writable by others, cut short, a symbolic link. */
	ASSERT_SYS(chmod(path, 0666));
	ASSERT_ERR(seccomp_cache_read(fd, name, geteuid(), &got, &n), -EPERM);
	ASSERT_SYS(chmod(path, 0600));
	ASSERT_SYS(truncate(path, 12));
	ASSERT_ERR(seccomp_cache_read(fd, name, geteuid(), &got, &n), -EBADMSG);
	ASSERT_SYS(symlinkat(name, fd, "link.bpf"));
	ASSERT_ERR(seccomp_cache_read(fd, "link.bpf", geteuid(), &got, &n), -ELOOP);

	/* A directory others may write is not trusted. */
	ASSERT_SYS(chmod(dir, 0777));
	ASSERT_ERR(seccomp_cache_open_dir(dir, geteuid(), &other), -EPERM);
	return 0;
}

/* Makes a file in dir_fd with its modification time seconds_ago in the past. */
static int touch_aged(int dir_fd, const char *name, time_t seconds_ago) {
	struct timespec times[2];
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= seconds_ago;
	times[1] = times[0];
	return utimensat(dir_fd, name, times, 0) < 0 ? -errno : 0;
}

/* The newest programs stay, the oldest go; stale temporary files go, a writer's current one and the
 * libseccomp record stay. */
static int test_cache_prune(void) {
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int fd = -EBADF;
	char name[SECCOMP_CACHE_NAME_SIZE], spec[16];

	ASSERT_NOT_NULL(tmp);
	ASSERT_SYS(fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	for (int i = 0; i < 10; i++) {
		snprintf(spec, sizeof spec, "spec %d", i);
		seccomp_cache_name(spec, name);
		/* Spec 0 is the oldest. */
		ASSERT_OK(touch_aged(fd, name, 1000 - i));
	}
	ASSERT_OK(touch_aged(fd, ".stale.bpf.123", 120));
	ASSERT_OK(touch_aged(fd, ".fresh.bpf.124", 0));
	ASSERT_OK(touch_aged(fd, SECCOMP_CACHE_LIBRARY, 5000));

	ASSERT_OK(seccomp_cache_prune(fd, 4));
	ASSERT_EQ_INT(count_entries(tmp), 4 + 2);
	for (int i = 0; i < 10; i++) {
		snprintf(spec, sizeof spec, "spec %d", i);
		seccomp_cache_name(spec, name);
		ASSERT_EQ_INT(faccessat(fd, name, F_OK, 0) == 0, i >= 6);
	}
	ASSERT_ERR(faccessat(fd, ".stale.bpf.123", F_OK, 0) < 0 ? -errno : 0, -ENOENT);
	ASSERT_SYS(faccessat(fd, ".fresh.bpf.124", F_OK, 0));
	ASSERT_SYS(faccessat(fd, SECCOMP_CACHE_LIBRARY, F_OK, 0));

	/* Within the limit, nothing more goes. */
	ASSERT_OK(seccomp_cache_prune(fd, 4));
	ASSERT_EQ_INT(count_entries(tmp), 4 + 2);
	return 0;
}

static int test_cache_library(void) {
	_cleanup_free_ char *dir = NULL, *lib = NULL, *lib_new = NULL, *record = NULL, *path = NULL;
	_cleanup_free_ char *id1 = NULL, *id2 = NULL, *id3 = NULL;
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_close_ int fd = -EBADF;

	ASSERT_NOT_NULL(tmp);
	ASSERT_TRUE(asprintf(&dir, "%s/cache", tmp) > 0);
	ASSERT_TRUE(asprintf(&lib, "%s/libfoo.so.1", tmp) > 0);
	ASSERT_TRUE(asprintf(&lib_new, "%s/libfoo.so.1.new", tmp) > 0);
	ASSERT_TRUE(asprintf(&record, "%s/%s", dir, SECCOMP_CACHE_LIBRARY) > 0);
	ASSERT_OK(seccomp_cache_open_dir(dir, geteuid(), &fd));

	/* The record: an absolute path, trusted as the programs are. */
	ASSERT_ERR(seccomp_cache_read_library(fd, geteuid(), &path), -ENOENT);
	ASSERT_ERR(seccomp_cache_write_library(fd, "libfoo.so.1"), -EINVAL);
	ASSERT_OK(seccomp_cache_write_library(fd, lib));
	ASSERT_OK(seccomp_cache_read_library(fd, geteuid(), &path));
	ASSERT_STREQ(path, lib);
	path = mfree(path);
	ASSERT_ERR(seccomp_cache_read_library(fd, geteuid() + 1, &path), -EPERM);
	ASSERT_SYS(chmod(record, 0622));
	ASSERT_ERR(seccomp_cache_read_library(fd, geteuid(), &path), -EPERM);
	ASSERT_SYS(chmod(record, 0600));
	ASSERT_SYS(truncate(record, 0));
	ASSERT_ERR(seccomp_cache_read_library(fd, geteuid(), &path), -EBADMSG);

	/* The file's identity, which changes when a package manager installs a new build: a new file
	 * renamed over the old one. */
	ASSERT_ERR(seccomp_cache_library_id(lib, &id1), -ENOENT);
	ASSERT_OK(write_file_at(AT_FDCWD, lib, "build 1", 7, 0644));
	ASSERT_OK(seccomp_cache_library_id(lib, &id1));
	ASSERT_OK(seccomp_cache_library_id(lib, &id2));
	ASSERT_STREQ(id1, id2);
	ASSERT_TRUE(strncmp(id1, lib, strlen(lib)) == 0 && id1[strlen(lib)] == ' ');
	ASSERT_OK(write_file_at(AT_FDCWD, lib_new, "build 1", 7, 0644));
	ASSERT_SYS(rename(lib_new, lib));
	ASSERT_OK(seccomp_cache_library_id(lib, &id3));
	ASSERT_FALSE(streq(id1, id3));
	return 0;
}

/* Classic BPF, as much of it as a seccomp program uses. Returns the program's verdict, or -1. */
static int64_t bpf_run(const SeccompProgram *p, const struct seccomp_data *d) {
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};

	for (size_t pc = 0; pc < p->n_insns; pc++) {
		const struct sock_filter *i = &p->insns[pc];
		uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? x : k;
		bool jump;

		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (i->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 && k < sizeof *d)
				memcpy(&a, (const char *) d + k, 4);
			else if (i->code == (BPF_LD | BPF_IMM))
				a = k;
			else if (i->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
				a = mem[k];
			else
				return -1;
			break;
		case BPF_LDX:
			if (i->code == (BPF_LDX | BPF_IMM))
				x = k;
			else if (i->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
				x = mem[k];
			else
				return -1;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return -1;
			mem[k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_LSH: a <<= src & 31; break;
			case BPF_RSH: a >>= src & 31; break;
			case BPF_NEG: a = -a; break;
			default: return -1;
			}
			break;
		case BPF_JMP:
			switch (BPF_OP(i->code)) {
			case BPF_JA: pc += k; continue;
			case BPF_JEQ: jump = a == src; break;
			case BPF_JGT: jump = a > src; break;
			case BPF_JGE: jump = a >= src; break;
			case BPF_JSET: jump = (a & src) != 0; break;
			default: return -1;
			}
			pc += jump ? i->jt : i->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* What the kernel makes of the stacked programs: the verdict of highest precedence. */
static int64_t verdict(const SeccompFilter *f, uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2) {
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };
	int64_t best = SECCOMP_RET_ALLOW;

	for (size_t i = 0; i < f->n_programs; i++) {
		int64_t v = bpf_run(&f->programs[i], &d);
		if (v < 0)
			return -1;
		/* Compared as the kernel does, signed, so that KILL_PROCESS comes first. */
		if ((int32_t) (v & SECCOMP_RET_ACTION_FULL) < (int32_t) (best & SECCOMP_RET_ACTION_FULL))
			best = v;
	}
	return best;
}

#define ERR(e) (SECCOMP_RET_ERRNO | (e))
#define ASSERT_VERDICT(v, expected) ASSERT_EQ_INT(v, expected)

static int check_programs(const SeccompFilter *f) {
	const uint32_t x86_64 = AUDIT_ARCH_X86_64, i386 = AUDIT_ARCH_I386, x32 = 0x40000000;

	/* x86-64 */
	ASSERT_VERDICT(verdict(f, x86_64, 0, 0, 0, 0), SECCOMP_RET_ALLOW);                /* read */
	ASSERT_VERDICT(verdict(f, x86_64, 246, 0, 0, 0), ERR(EPERM));                     /* kexec_load */
	ASSERT_VERDICT(verdict(f, x86_64, 321, 0, 0, 0), ERR(EPERM));                     /* bpf */
	ASSERT_VERDICT(verdict(f, x86_64, 1000, 0, 0, 0), ERR(ENOSYS));                   /* unknown */
	ASSERT_VERDICT(verdict(f, x86_64, 16, 0, TCGETS, 0), SECCOMP_RET_ALLOW);          /* ioctl */
	ASSERT_VERDICT(verdict(f, x86_64, 16, 0, TIOCSTI, 0), ERR(EPERM));
	ASSERT_VERDICT(verdict(f, x86_64, 16, 0, (UINT64_C(1) << 32) | TIOCSTI, 0), ERR(EPERM));
	ASSERT_VERDICT(verdict(f, x86_64, 16, 0, TIOCLINUX, 0), ERR(EPERM));
	ASSERT_VERDICT(verdict(f, x86_64, 41, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), ERR(EAFNOSUPPORT));
	ASSERT_VERDICT(verdict(f, x86_64, 41, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), SECCOMP_RET_ALLOW);
	/* x32: x86-64's audit architecture, bit 30 in the number */
	ASSERT_VERDICT(verdict(f, x86_64, x32 | 39, 0, 0, 0), SECCOMP_RET_ALLOW);         /* getpid */
	ASSERT_VERDICT(verdict(f, x86_64, x32 | 167, 0, 0, 0), ERR(EPERM));               /* swapon */
	ASSERT_VERDICT(verdict(f, x86_64, x32 | 514, 0, TIOCSTI, 0), ERR(EPERM));         /* ioctl */
	/* i386 */
	ASSERT_VERDICT(verdict(f, i386, 20, 0, 0, 0), SECCOMP_RET_ALLOW);                 /* getpid */
	ASSERT_VERDICT(verdict(f, i386, 192, 0, 0, 0), SECCOMP_RET_ALLOW);                /* mmap2 */
	ASSERT_VERDICT(verdict(f, i386, 102, 0, 0, 0), SECCOMP_RET_ALLOW);                /* socketcall */
	ASSERT_VERDICT(verdict(f, i386, 283, 0, 0, 0), ERR(EPERM));                       /* kexec_load */
	ASSERT_VERDICT(verdict(f, i386, 87, 0, 0, 0), ERR(EPERM));                        /* swapon */
	ASSERT_VERDICT(verdict(f, i386, 124, 0, 0, 0), ERR(EPERM));                       /* adjtimex */
	ASSERT_VERDICT(verdict(f, i386, 113, 0, 0, 0), ERR(EPERM));                       /* vm86old */
	ASSERT_VERDICT(verdict(f, i386, 1000, 0, 0, 0), ERR(ENOSYS));
	ASSERT_VERDICT(verdict(f, i386, 54, 0, TIOCSTI, 0), ERR(EPERM));                  /* ioctl */
	ASSERT_VERDICT(verdict(f, i386, 54, 0, TCGETS, 0), SECCOMP_RET_ALLOW);
	/* An ABI the filter does not know is killed, not let through. */
	ASSERT_VERDICT(verdict(f, AUDIT_ARCH_AARCH64, 0, 0, 0, 0), SECCOMP_RET_KILL_THREAD);
	return 0;
}

#if HAVE_SECCOMP
/* Every call libseccomp knows on each x86 ABI: allowed when the policy names it, EPERM otherwise. */
static int check_every_call(const SeccompFilter *f, const SeccompPolicy *policy) {
	static const struct {
		uint32_t token, audit_arch;
		int first_nr;
	} abis[] = {
		{ SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 0 },
		{ SCMP_ARCH_X86, AUDIT_ARCH_I386, 0 },
		{ SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 0x40000000 },
	};
	const char **names;
	size_t n, checked = 0, wrong = 0;

	ASSERT_OK(seccomp_policy_allowed(policy, &names, &n));
	for (size_t a = 0; a < ELEMENTSOF(abis); a++)
		for (int i = 0; i < 1024; i++) {
			int nr = abis[a].first_nr + i;
			char *name = sym_seccomp_syscall_resolve_num_arch(abis[a].token, nr);
			int64_t want, got;

			want = !name ? ERR(ENOSYS) : allows(names, n, name) ? SECCOMP_RET_ALLOW : ERR(EPERM);
			got = verdict(f, abis[a].audit_arch, nr, 0, 0, 0);
			if (got != want) {
				fprintf(stderr, "%s (%d on ABI %zu): verdict %#llx, expected %#llx\n", name, nr, a,
					(unsigned long long) got, (unsigned long long) want);
				wrong++;
			}
			checked++;
			free(name);
		}
	free(names);
	ASSERT_EQ_INT(wrong, 0);
	ASSERT_TRUE(checked > 1000);
	return 0;
}
#endif

/* In a child: loads the filter (no_new_privs stands in for CAP_SYS_ADMIN) and makes real calls. */
static int check_loaded(const SeccompFilter *f) {
	static char page[4096] __attribute__((aligned(4096)));
	int fds[2];

	ASSERT_SYS(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	ASSERT_OK(seccomp_filter_apply(f));
	ASSERT_EQ_INT(syscall(SYS_getpid), getpid());
	ASSERT_TRUE(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x100UL) < 0 && errno == EPERM);
	ASSERT_TRUE(syscall(1000) < 0 && errno == ENOSYS);
	/* Not mlock(): sanitizers replace it with a function that never calls the kernel. */
	ASSERT_TRUE(syscall(SYS_mlock, page, sizeof page) < 0 && errno == EPERM);
	ASSERT_SYS(pipe(fds));
	ASSERT_TRUE(syscall(SYS_ioctl, fds[0], (1UL << 32) | TIOCSTI, "x") < 0 && errno == EPERM);
	ASSERT_TRUE(ioctl(fds[0], TCGETS, &(char[64]) {}) < 0 && errno == ENOTTY);
	ASSERT_TRUE(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) < 0 && errno == EAFNOSUPPORT);
	return 0;
}

static int check_filter(const SeccompFilter *first, const SeccompFilter *second, const SeccompPolicy *policy) {
	int status;
	pid_t pid;

	/* The second time from the cache: the same programs. */
	ASSERT_EQ_INT(second->n_programs, first->n_programs);
	for (size_t i = 0; i < first->n_programs; i++) {
		ASSERT_EQ_INT(first->programs[i].n_insns, second->programs[i].n_insns);
		ASSERT_TRUE(memcmp(first->programs[i].insns, second->programs[i].insns,
				   first->programs[i].n_insns * sizeof(struct sock_filter)) == 0);
	}
	ASSERT_EQ_INT(first->n_programs, 1);
#ifdef __x86_64__
	ASSERT_PASS(check_programs(first));
#if HAVE_SECCOMP
	ASSERT_PASS(check_every_call(first, policy));
#endif
#endif
	pid = fork();
	ASSERT_SYS(pid);
	if (pid == 0)
		_exit(check_loaded(first) == 0 ? 0 : 1);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

/* The program builder on made-up tables: every number of each ABI, the numbers between and past
 * them, the argument rules and a foreign architecture get what the tables say. Enough ranges that
 * the search needs long jumps. */
static int test_program_build(void) {
	enum { ARCH_A = 0xc000003e, ARCH_B = 0x40000003, ARCH_C = 0xc00000b7, N = 700, HIGH = 0x40000000 };
	static uint32_t a_low[N], a_high[50], b[N];
	const SeccompAbiVerdicts abis[] = {
		{ ARCH_A, HIGH, a_high, ELEMENTSOF(a_high) },
		{ ARCH_A, 0, a_low, N },
		{ ARCH_B, 0, b, N },
	};
	const SeccompArgRule rules[] = {
		{ ARCH_A, 16, ERR(EPERM), 1, { { 1, 0x5412 } } },
		{ ARCH_A, 16, ERR(EACCES), 1, { { 1, 0x541c } } },
		{ ARCH_A, 41, ERR(EAFNOSUPPORT), 2, { { 0, 16 }, { 2, 9 } } },
		{ ARCH_A, HIGH + 20, ERR(EPERM), 1, { { 1, 0x5412 } } },
		{ ARCH_B, 54, ERR(EPERM), 1, { { 1, 0x5412 } } },
	};
	const SeccompArgRule bad_rule = { ARCH_A, 5000, ERR(EPERM), 0 };
	const uint32_t bad_arch = SECCOMP_RET_KILL_PROCESS, none = ERR(ENOSYS);
	static const uint64_t args[][3] = {
		{ 0, 0, 0 }, { 0, 0x5412, 0 }, { 0, (UINT64_C(1) << 32) | 0x5412, 0 }, { 0, 0x541c, 0 },
		{ 16, 3, 9 }, { 16, 3, 0 }, { 2, 3, 9 },
	};
	_cleanup_(seccomp_filter_done) SeccompFilter f = { .n_programs = 1 };
	SeccompProgram p;
	size_t wrong = 0, checked = 0;

	/* Runs of a few numbers each, irregular, so that ranges are many and uneven. */
	for (int i = 0; i < N; i++) {
		a_low[i] = (i * 7 / 5) % 3 == 0 ? SECCOMP_RET_ALLOW : (i % 11 == 0 ? none : ERR(EPERM));
		b[i] = (i / 3) % 2 ? SECCOMP_RET_ALLOW : ERR(EPERM);
	}
	for (size_t i = 0; i < ELEMENTSOF(a_high); i++)
		a_high[i] = i % 2 ? SECCOMP_RET_ALLOW : ERR(EPERM);
	a_low[16] = a_low[41] = b[54] = SECCOMP_RET_ALLOW;
	a_high[20] = SECCOMP_RET_ALLOW;

	ASSERT_EQ_INT(seccomp_program_build(abis, ELEMENTSOF(abis), &bad_rule, 1, none, bad_arch, &p), -EINVAL);
	ASSERT_OK(seccomp_program_build(abis, ELEMENTSOF(abis), rules, ELEMENTSOF(rules), none, bad_arch, &p));
	f.programs[0] = p;
	ASSERT_TRUE(p.n_insns > 2 * 255); /* long jumps were needed */

	for (size_t k = 0; k < ELEMENTSOF(args); k++)
		for (uint32_t arch = 0; arch < 4; arch++) {
			uint32_t audit = arch == 0 ? ARCH_A : arch == 1 ? ARCH_B : ARCH_C;
			uint32_t nrs[2 * N + 120];
			size_t n_nrs = 0;
			for (uint32_t nr = 0; nr < N + 10; nr++)
				nrs[n_nrs++] = nr;
			for (uint32_t nr = HIGH - 5; nr < HIGH + 60; nr++)
				nrs[n_nrs++] = nr;
			nrs[n_nrs++] = UINT32_MAX;
			nrs[n_nrs++] = 0x7fffffff;
			for (size_t j = 0; j < n_nrs; j++) {
				uint32_t nr = nrs[j];
				int64_t want, got = verdict(&f, audit, (int) nr, args[k][0], args[k][1], args[k][2]);
				uint32_t low1 = (uint32_t) args[k][1];
				if (audit == ARCH_C)
					want = bad_arch;
				else if (audit == ARCH_A && nr == 16 && low1 == 0x5412)
					want = ERR(EPERM);
				else if (audit == ARCH_A && nr == 16 && low1 == 0x541c)
					want = ERR(EACCES);
				else if (audit == ARCH_A && nr == 41 && args[k][0] == 16 && args[k][2] == 9)
					want = ERR(EAFNOSUPPORT);
				else if (audit == ARCH_A && nr == HIGH + 20 && low1 == 0x5412)
					want = ERR(EPERM);
				else if (audit == ARCH_B && nr == 54 && low1 == 0x5412)
					want = ERR(EPERM);
				else if (audit == ARCH_A && nr < N)
					want = a_low[nr];
				else if (audit == ARCH_A && nr >= HIGH && nr - HIGH < ELEMENTSOF(a_high))
					want = a_high[nr - HIGH];
				else if (audit == ARCH_B && nr < N)
					want = b[nr];
				else
					want = none;
				if (got != want && wrong++ < 10)
					fprintf(stderr, "arch %#x call %#x args %zu: %#llx, expected %#llx\n", audit, nr, k,
						(unsigned long long) got, (unsigned long long) want);
				checked++;
			}
		}
	ASSERT_EQ_INT(wrong, 0);
	ASSERT_TRUE(checked > 10000);
	return 0;
}

static bool same_programs(const SeccompFilter *a, const SeccompFilter *b) {
	if (a->n_programs != b->n_programs)
		return false;
	for (size_t i = 0; i < a->n_programs; i++)
		if (a->programs[i].n_insns != b->programs[i].n_insns ||
		    memcmp(a->programs[i].insns, b->programs[i].insns, a->programs[i].n_insns * sizeof(struct sock_filter)))
			return false;
	return true;
}

/* A cache that holds the program of one policy, found by its inputs, gives another policy its own
 * program: the one a fresh cache compiles. */
static int test_filter_by_inputs(const SeccompPolicy *cached, const char *dir) {
	char *deny[] = { (char *) "@sync", NULL };
	SeccompPolicy other = { .capabilities = cached->capabilities, .deny = deny };
	SeccompFilter mine = {}, again = {}, fresh = {}, theirs = {};
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_free_ char *fresh_dir = NULL;
	bool ok;

	ASSERT_NOT_NULL(tmp);
	ASSERT_TRUE(asprintf(&fresh_dir, "%s/fresh", tmp) > 0);
	ASSERT_OK(seccomp_filter_prepare(&other, dir, &mine));
	ASSERT_OK(seccomp_filter_prepare(&other, dir, &again));
	ASSERT_OK(seccomp_filter_prepare(&other, fresh_dir, &fresh));
	ASSERT_OK(seccomp_filter_prepare(cached, dir, &theirs));
	ok = same_programs(&mine, &fresh) && same_programs(&again, &fresh) && !same_programs(&theirs, &fresh);
	seccomp_filter_done(&mine);
	seccomp_filter_done(&again);
	seccomp_filter_done(&fresh);
	seccomp_filter_done(&theirs);
	ASSERT_TRUE(ok);
	return 0;
}

static int test_filter(void) {
	SeccompPolicy policy = { .capabilities = caps_default_bounding_set(false) };
	SeccompFilter first = {}, second = {};
	_cleanup_tmpdir_ char *tmp = tests_mkdtemp();
	_cleanup_free_ char *dir = NULL;
	int r;

	ASSERT_NOT_NULL(tmp);
	ASSERT_TRUE(asprintf(&dir, "%s/filters", tmp) > 0);
	ASSERT_OK(seccomp_filter_prepare(&policy, dir, &first));
	if (first.n_programs == 0) {
		fprintf(stderr, "No seccomp in this build or kernel, not checking the compiled filter\n");
		return 0;
	}
	r = seccomp_filter_prepare(&policy, dir, &second);
	if (r >= 0)
		r = check_filter(&first, &second, &policy);
	seccomp_filter_done(&first);
	seccomp_filter_done(&second);
	if (r < 0)
		TEST_FAIL("The filter is not as expected (see above)");
	return test_filter_by_inputs(&policy, dir);
}

TESTS_MAIN(TEST_ENTRY(sha256), TEST_ENTRY(groups), TEST_ENTRY(policy), TEST_ENTRY(spec),
	   TEST_ENTRY(cache_check), TEST_ENTRY(cache_files), TEST_ENTRY(cache_prune), TEST_ENTRY(cache_library),
	   TEST_ENTRY(program_build),
	   TEST_ENTRY(filter))
