/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libraries.h"
#include "log.h"
#include "seccomp-cache.h"
#include "seccomp-dl.h"
#include "seccomp-filter.h"
#include "seccomp-program.h"
#include "strv.h"
#include "syscall-groups.h"

/* Changes whenever the same specification would be compiled into a different program, so that
 * cache files of an older berth are not taken for this one's. */
#define SPEC_FORMAT 3

#define NO_CAP (-1)

/* What the container may call by default: systemd-nspawn's allow-list. An entry with a capability
 * is allowed only when the payload's bounding set holds it: the kernel would refuse the call
 * anyway, and a call the filter stops never reaches the kernel code behind it. */
static const struct {
	int capability;
	const char *name;
} default_allow[] = {
	{ NO_CAP, "@aio" },
	{ NO_CAP, "@basic-io" },
	{ NO_CAP, "@chown" },
	{ NO_CAP, "@default" },
	{ NO_CAP, "@file-system" },
	{ NO_CAP, "@io-event" },
	{ NO_CAP, "@ipc" },
	{ NO_CAP, "@mount" },
	{ NO_CAP, "@network-io" },
	{ NO_CAP, "@process" },
	{ NO_CAP, "@resources" },
	{ NO_CAP, "@setuid" },
	{ NO_CAP, "@signal" },
	{ NO_CAP, "@sync" },
	{ NO_CAP, "@timer" },
	{ CAP_SYS_TIME, "@clock" },
	{ CAP_SYS_MODULE, "@module" },
	{ CAP_SYS_RAWIO, "@raw-io" },
	{ CAP_IPC_LOCK, "@memlock" },
	/* Single calls of no group above that an OS's services use. */
	{ NO_CAP, "brk" },
	{ NO_CAP, "capget" },
	{ NO_CAP, "capset" },
	{ NO_CAP, "copy_file_range" },
	{ NO_CAP, "fadvise64" },
	{ NO_CAP, "fadvise64_64" },
	{ NO_CAP, "flock" },
	{ NO_CAP, "get_mempolicy" },
	{ NO_CAP, "getcpu" },
	{ NO_CAP, "getpriority" },
	{ NO_CAP, "getrandom" },
	{ NO_CAP, "ioctl" }, /* but see arg_rules */
	{ NO_CAP, "ioprio_get" },
	{ NO_CAP, "kcmp" },
	{ NO_CAP, "madvise" },
	{ NO_CAP, "mincore" },
	{ NO_CAP, "mprotect" },
	{ NO_CAP, "mremap" },
	{ NO_CAP, "name_to_handle_at" },
	{ NO_CAP, "oldolduname" },
	{ NO_CAP, "olduname" },
	{ NO_CAP, "personality" },
	{ NO_CAP, "readahead" },
	{ NO_CAP, "readdir" },
	{ NO_CAP, "remap_file_pages" },
	{ NO_CAP, "sched_get_priority_max" },
	{ NO_CAP, "sched_get_priority_min" },
	{ NO_CAP, "sched_getaffinity" },
	{ NO_CAP, "sched_getattr" },
	{ NO_CAP, "sched_getparam" },
	{ NO_CAP, "sched_getscheduler" },
	{ NO_CAP, "sched_rr_get_interval" },
	{ NO_CAP, "sched_rr_get_interval_time64" },
	{ NO_CAP, "sched_yield" },
	{ NO_CAP, "seccomp" }, /* so that the container's own service manager can filter its services */
	{ NO_CAP, "sendfile" },
	{ NO_CAP, "sendfile64" },
	{ NO_CAP, "setdomainname" },
	{ NO_CAP, "setfsgid" },
	{ NO_CAP, "setfsgid32" },
	{ NO_CAP, "setfsuid" },
	{ NO_CAP, "setfsuid32" },
	{ NO_CAP, "sethostname" },
	{ NO_CAP, "setpgid" },
	{ NO_CAP, "setsid" },
	{ NO_CAP, "splice" },
	{ NO_CAP, "sysinfo" },
	{ NO_CAP, "tee" },
	{ NO_CAP, "umask" },
	{ NO_CAP, "uname" },
	{ NO_CAP, "userfaultfd" },
	{ NO_CAP, "vmsplice" },
	{ CAP_SYS_PACCT, "acct" },
	{ CAP_SYS_PTRACE, "process_vm_readv" }, /* also in @ipc: the kernel checks ptrace access */
	{ CAP_SYS_PTRACE, "process_vm_writev" },
	{ CAP_SYS_PTRACE, "ptrace" },
	{ CAP_SYS_BOOT, "reboot" }, /* in a PID namespace it only ends the container's init */
	{ CAP_SYSLOG, "syslog" },
	{ CAP_SYS_TTY_CONFIG, "vhangup" },
};

/* Refused by default, and why. Every call libseccomp knows that no entry above allows fails with
 * EPERM; these are the ones that matter:
 *
 *   @clock            (without CAP_SYS_TIME) the clock is the host's: no namespace separates it
 *   @cpu-emulation    vm86 mode and LDT segments: old CPU modes, no use in a container, and a
 *                     long history of kernel bugs
 *   @debug            perf_event_open observes the whole host (and is a side channel);
 *                     pidfd_getfd takes another process's file descriptors; lookup_dcookie
 *                     resolves kernel profiling cookies. ptrace comes with CAP_SYS_PTRACE
 *   @keyring          the kernel's keyrings are not namespaced: keys would be shared with the
 *                     host and the other containers
 *   @memlock          (without CAP_IPC_LOCK) locked memory is taken from the host for good
 *   @module           (without CAP_SYS_MODULE) a module runs in the host's kernel
 *   @obsolete         calls no program needs, most not even implemented: only attack surface
 *   @pkey             memory protection keys: nothing in an OS needs them
 *   @raw-io           (without CAP_SYS_RAWIO) I/O ports and PCI configuration space are the
 *                     host's hardware
 *   @swap             swap space is the host's, shared by all its processes
 *   kexec_load, kexec_file_load
 *                     would replace the host's kernel (reboot itself is allowed, see above)
 *   bpf               BPF programs and maps are not namespaced, and the verifier is a large
 *                     attack surface
 *   fanotify_init, fanotify_mark
 *                     watch whole mounts and file systems, the host's among them
 *   open_by_handle_at opens a file by its handle, past the container's root and mounts: how
 *                     the "shocker" escape read the host's files (name_to_handle_at is harmless)
 *   quotactl          the quotas of the host's file systems
 *   nfsservctl        gone from the kernel
 *   acct              (without CAP_SYS_PACCT) process accounting is host-wide
 *   syslog            (without CAP_SYSLOG) the host's kernel log
 *
 * and, by argument (arg_rules):
 *
 *   ioctl TIOCSTI     pushes bytes into a terminal's input as if typed there: a process could type
 *                     commands into a terminal it shares with a more privileged one
 *   ioctl TIOCLINUX   the same through the selection and paste of a virtual console
 *   socket(AF_NETLINK, *, NETLINK_AUDIT)
 *                     fails with EAFNOSUPPORT: audit is not namespaced, and its tools read this
 *                     error as "this kernel has no audit" and carry on. Not on i386, where socket
 *                     calls may also go through socketcall(), whose arguments are in memory
 */

/* Rules on arguments, which come before the verdict of the call's number. Arguments are compared
 * on their low 32 bits: the kernel takes ioctl's request as an unsigned int and socket's family and
 * protocol as ints, so it ignores the upper half of the register, and a 64-bit comparison would
 * let a caller slip past by setting a bit there. */
typedef struct ArgRule {
	const char *syscall;
	int error;
	unsigned n_args;
	struct {
		unsigned index;
		uint32_t value;
	} args[2];
} ArgRule;

static const ArgRule arg_rules[] = {
	{ "ioctl", EPERM, 1, { { 1, TIOCSTI } } },
	{ "ioctl", EPERM, 1, { { 1, TIOCLINUX } } },
	{ "socket", EAFNOSUPPORT, 2, { { 0, AF_NETLINK }, { 2, NETLINK_AUDIT } } },
};

/* One program holds it all (seccomp-program.c). */
enum {
	_PROGRAM_MAX = 1,
};

/* Calls not known to libseccomp fail with ENOSYS, not EPERM: they are newer than this filter (or
 * than libseccomp's tables), and C libraries try a new call first and fall back to an older one
 * only on ENOSYS (fchmodat2, clone3, statx, ...). EPERM there would break programs that work
 * on older kernels, so only the calls libseccomp knows and the filter does not allow get EPERM. */
#define DEFAULT_ERROR ENOSYS
#define KNOWN_ERROR EPERM

_Static_assert(_PROGRAM_MAX <= SECCOMP_PROGRAMS_MAX, "SECCOMP_PROGRAMS_MAX too small");

/* ---- the policy ---- */

typedef struct NameSet {
	const char **names;
	size_t n, allocated;
} NameSet;

static int name_set_add(NameSet *s, const char *item, unsigned depth) {
	const SyscallGroup *g;

	if (item[0] != '@') {
		if (s->n == s->allocated) {
			size_t a = s->allocated ? s->allocated * 2 : 512;
			const char **n = realloc(s->names, a * sizeof(char *));
			if (!n)
				return log_error_errno(ENOMEM, "Out of memory");
			s->names = n;
			s->allocated = a;
		}
		s->names[s->n++] = item;
		return 0;
	}
	g = syscall_group_find(item);
	if (!g)
		return log_error_errno(EINVAL, "Unknown system call group '%s'", item);
	if (depth > 8)
		return log_error_errno(ELOOP, "System call group '%s' nests too deep", item);
	for (const char *const *m = g->syscalls; *m; m++) {
		int r = name_set_add(s, *m, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int compare_names(const void *a, const void *b) {
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void name_set_sort(NameSet *s) {
	size_t k = 0;

	if (s->n == 0)
		return;
	qsort(s->names, s->n, sizeof(char *), compare_names);
	for (size_t i = 1; i < s->n; i++)
		if (!streq(s->names[i], s->names[k]))
			s->names[++k] = s->names[i];
	s->n = k + 1;
}

static bool name_set_contains(const NameSet *s, const char *name) {
	return s->n > 0 && bsearch(&name, s->names, s->n, sizeof(char *), compare_names);
}

int seccomp_policy_allowed(const SeccompPolicy *policy, const char ***ret, size_t *ret_n) {
	NameSet allow = {}, deny = {};
	size_t k = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(default_allow); i++) {
		int cap = default_allow[i].capability;
		if (cap == NO_CAP || (policy->capabilities & (UINT64_C(1) << cap)))
			r = name_set_add(&allow, default_allow[i].name, 0);
	}
	STRV_FOREACH(p, policy->allow)
		if (r >= 0)
			r = name_set_add(&allow, *p, 0);
	STRV_FOREACH(p, policy->deny)
		if (r >= 0)
			r = name_set_add(&deny, *p, 0);
	if (r < 0) {
		free(allow.names);
		free(deny.names);
		return r;
	}
	name_set_sort(&allow);
	name_set_sort(&deny);
	for (size_t i = 0; i < allow.n; i++)
		if (!name_set_contains(&deny, allow.names[i]))
			allow.names[k++] = allow.names[i];
	free(deny.names);
	*ret = allow.names;
	*ret_n = k;
	return 0;
}

/* ---- architectures and libseccomp ---- */

#if HAVE_SECCOMP

/* The ABIs whose programs the host's CPU runs, berth's own first; one filter holds them all, so
 * they share a byte order. first_nr: where the ABI's system call numbers start (x32 shares
 * x86-64's audit architecture and sets bit 30 in the number). Elsewhere only berth's own ABI is
 * filtered, and calls of any other are killed. */
typedef struct LocalArch {
	uint32_t token;
	const char *name;
	int first_nr;
} LocalArch;

static const LocalArch local_arches[] = {
#if defined(__x86_64__) && defined(__ILP32__)
	{ SCMP_ARCH_X32, "x32", 0x40000000 },
	{ SCMP_ARCH_X86_64, "x86-64", 0 },
	{ SCMP_ARCH_X86, "x86", 0 },
#elif defined(__x86_64__)
	{ SCMP_ARCH_X86_64, "x86-64", 0 },
	{ SCMP_ARCH_X86, "x86", 0 },
	{ SCMP_ARCH_X32, "x32", 0x40000000 },
#elif defined(__i386__)
	{ SCMP_ARCH_X86, "x86", 0 },
#elif defined(__aarch64__)
	{ SCMP_ARCH_AARCH64, "arm64", 0 },
	{ SCMP_ARCH_ARM, "arm", 0 },
#elif defined(__arm__)
	{ SCMP_ARCH_ARM, "arm", 0 },
#elif defined(__s390x__)
	{ SCMP_ARCH_S390X, "s390x", 0 },
	{ SCMP_ARCH_S390, "s390", 0 },
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{ SCMP_ARCH_PPC64LE, "ppc64-le", 0 },
#elif defined(__powerpc64__)
	{ SCMP_ARCH_PPC64, "ppc64", 0 },
	{ SCMP_ARCH_PPC, "ppc", 0 },
#elif defined(__riscv) && __riscv_xlen == 64
	{ SCMP_ARCH_RISCV64, "riscv64", 0 },
#else
	{ SCMP_ARCH_NATIVE, "native", 0 },
#endif
};

/* How many numbers from first_nr to ask libseccomp about: every ABI has fewer calls. */
#define SYSCALL_NR_SPAN 1024

static void print_platform(FILE *f, const char *library) {
	fprintf(f, "libseccomp %s\narchitectures", library);
	for (size_t i = 0; i < ELEMENTSOF(local_arches); i++)
		fprintf(f, " %s", local_arches[i].name);
	fputs("\nbad-architecture kill\n", f);
}

/* Whether the kernel takes seccomp filters: asking for filter mode without a program fails with
 * EFAULT where it does, EINVAL where it does not. */
static bool kernel_has_seccomp(void) {
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) < 0 && errno == EFAULT;
}

/* What each number of ABI a gets: allowed, EPERM for a call libseccomp knows, ENOSYS for any
 * other. The array is the caller's to free. */
static int abi_verdicts(const LocalArch *a, const NameSet *allowed, uint32_t **ret) {
	uint32_t *v = calloc(SYSCALL_NR_SPAN, sizeof(uint32_t));

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < SYSCALL_NR_SPAN; i++) {
		_cleanup_free_ char *name = sym_seccomp_syscall_resolve_num_arch(a->token, a->first_nr + i);
		v[i] = !name ? SECCOMP_RET_ERRNO | DEFAULT_ERROR :
		       name_set_contains(allowed, name) ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | KNOWN_ERROR;
	}
	*ret = v;
	return 0;
}

/* The audit architecture the kernel reports for ABI a's calls. */
static uint32_t abi_audit_arch(const LocalArch *a) {
	uint32_t token = a->token == SCMP_ARCH_NATIVE ? sym_seccomp_arch_native() : a->token;

	/* libseccomp's tokens are the audit architectures, but x32 has a token of its own. */
	return token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
}

/* The argument rules on the ABIs where the call has a number of its own. Where i386 multiplexes a
 * call through socketcall() or ipc() only, its arguments lie in memory, out of the filter's sight:
 * no rule. */
static size_t abi_arg_rules(SeccompArgRule *rules) {
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(local_arches); i++) {
		const LocalArch *a = &local_arches[i];
		for (size_t j = 0; j < ELEMENTSOF(arg_rules); j++) {
			int nr = sym_seccomp_syscall_resolve_name_arch(a->token, arg_rules[j].syscall);
			SeccompArgRule *rule = &rules[n];
			if (nr < 0)
				continue;
			*rule = (SeccompArgRule) { .audit_arch = abi_audit_arch(a), .nr = (uint32_t) nr,
						   .verdict = SECCOMP_RET_ERRNO | (uint32_t) arg_rules[j].error,
						   .n_args = arg_rules[j].n_args };
			for (unsigned k = 0; k < rule->n_args; k++) {
				rule->args[k].index = arg_rules[j].args[k].index;
				rule->args[k].value = arg_rules[j].args[k].value;
			}
			n++;
		}
	}
	return n;
}

/* The program from libseccomp's tables of each ABI's calls (seccomp-program.c builds it). */
static int compile_program(size_t program, const NameSet *allowed, SeccompProgram *ret) {
	SeccompAbiVerdicts abis[ELEMENTSOF(local_arches)] = {};
	SeccompArgRule rules[ELEMENTSOF(local_arches) * ELEMENTSOF(arg_rules)];
	size_t n_rules;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(local_arches); i++) {
		uint32_t *v = NULL;
		r = abi_verdicts(&local_arches[i], allowed, &v);
		abis[i] = (SeccompAbiVerdicts) { .audit_arch = abi_audit_arch(&local_arches[i]),
						 .first_nr = (uint32_t) local_arches[i].first_nr, .verdicts = v,
						 .n = SYSCALL_NR_SPAN };
	}
	n_rules = abi_arg_rules(rules);
	if (r >= 0)
		r = seccomp_program_build(abis, ELEMENTSOF(abis), rules, n_rules, SECCOMP_RET_ERRNO | DEFAULT_ERROR,
					  SECCOMP_RET_KILL_THREAD, ret);
	for (size_t i = 0; i < ELEMENTSOF(abis); i++)
		free((uint32_t *) abis[i].verdicts);
	if (r < 0)
		return log_error_errno(r, "Failed to compile the system call filter: %m");
	return 0;
}

#endif

/* ---- specification, cache, loading ---- */

/* The GNU build ID of the running program, which changes with each build: a program compiled by
 * one build of berth is not taken for another's, even of the same version. The first object
 * dl_iterate_phdr() reports is the program; its notes are mapped, so nothing is read from disk. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *userdata) {
	FILE *f = userdata;

	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *) (info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *) p;
			const unsigned char *desc = (const unsigned char *) p + sizeof *n + ((n->n_namesz + 3) & ~3U);

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(p + sizeof *n, "GNU", 4) == 0 &&
			    (const char *) desc + n->n_descsz <= end) {
				fputs("build ", f);
				for (unsigned j = 0; j < n->n_descsz; j++)
					fprintf(f, "%02x", desc[j]);
				fputc('\n', f);
				return 1;
			}
			p = (const char *) desc + ((n->n_descsz + 3) & ~3U);
		}
	}
	fputs("build unknown\n", f);
	return 1;
}

/* A text naming one program (its cache entry is named after its hash): what it is, berth's
 * build, libseccomp and the platform, then what body() adds. */
static int render(size_t program, const char *kind, const char *library, void (*body)(FILE *f, const void *data),
		  const void *data, char **ret) {
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (program >= _PROGRAM_MAX)
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f, "berth system call filter%s, format %d\nberth %s\n", kind, SPEC_FORMAT, PROJECT_VERSION);
	(void) dl_iterate_phdr(find_build_id, f);
	print_platform(f, library);
	fprintf(f, "program %zu of %d\n", program + 1, _PROGRAM_MAX);
	body(f, data);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The specification: every verdict the program gives. */
static void spec_body(FILE *f, const void *data) {
	const NameSet *allowed = data;

	fprintf(f, "default errno %d\nknown errno %d\n", DEFAULT_ERROR, KNOWN_ERROR);
	for (size_t i = 0; i < allowed->n; i++)
		fprintf(f, "allow %s\n", allowed->names[i]);
	for (size_t i = 0; i < ELEMENTSOF(arg_rules); i++) {
		fprintf(f, "errno %d %s", arg_rules[i].error, arg_rules[i].syscall);
		for (unsigned j = 0; j < arg_rules[i].n_args; j++)
			fprintf(f, " arg%u&0xffffffff==%#x", arg_rules[i].args[j].index, arg_rules[i].args[j].value);
		fputc('\n', f);
	}
}

static int render_spec(size_t program, const NameSet *allowed, const char *library, char **ret) {
	return render(program, "", library, spec_body, allowed, ret);
}

/* What a program is made from, as the command line gave it: the same build of berth, libseccomp and
 * platform make the same program of the same policy, so these inputs name it as well as the
 * specification does, without the specification's work (expanding the groups, sorting the
 * names). */
static void inputs_body(FILE *f, const void *data) {
	const SeccompPolicy *policy = data;

	fprintf(f, "capabilities %#llx\n", (unsigned long long) policy->capabilities);
	STRV_FOREACH(p, policy->allow)
		fprintf(f, "allow %s\n", *p);
	STRV_FOREACH(p, policy->deny)
		fprintf(f, "deny %s\n", *p);
}

static int render_inputs(size_t program, const SeccompPolicy *policy, const char *library, char **ret) {
	return render(program, " inputs", library, inputs_body, policy, ret);
}

int seccomp_filter_spec(const SeccompPolicy *policy, const char *library, size_t program, char **ret) {
	NameSet allowed = {};
	int r;

	r = seccomp_policy_allowed(policy, &allowed.names, &allowed.n);
	if (r < 0)
		return r;
	r = render_spec(program, &allowed, library, ret);
	free(allowed.names);
	return r;
}

void seccomp_filter_done(SeccompFilter *f) {
	for (size_t i = 0; i < f->n_programs; i++)
		free(f->programs[i].insns);
	*f = (SeccompFilter) {};
}

#if HAVE_SECCOMP

/* What the programs are made from, and where they are kept. */
typedef struct FilterBuild {
	const SeccompPolicy *policy;
	const NameSet *allowed;
	const char *cache_dir;
	int cache_fd;  /* < 0: no cache */
	char *library; /* names libseccomp's file in the specifications (seccomp_cache_library_id()) */
} FilterBuild;

/* A program's cache entry is named after its specification; by_inputs: after what it is made
 * from, a link to that entry. */
static int entry_name(const FilterBuild *b, size_t program, bool by_inputs, char ret[SECCOMP_CACHE_NAME_SIZE]) {
	_cleanup_free_ char *text = NULL;
	int r = by_inputs ? render_inputs(program, b->policy, b->library, &text)
			  : render_spec(program, b->allowed, b->library, &text);

	if (r < 0)
		return r;
	seccomp_cache_name(text, ret);
	return 0;
}

/* The library the cache's programs were compiled with, when it is still there. */
static bool cached_library(FilterBuild *b) {
	_cleanup_free_ char *path = NULL;

	if (b->library)
		return true;
	return b->cache_fd >= 0 && seccomp_cache_read_library(b->cache_fd, geteuid(), &path) >= 0 &&
	       seccomp_cache_library_id(path, &b->library) >= 0;
}

/* Links each program's entry to the name of its inputs, for the next start, in place of what that
 * name held (a program found wanting, which the entry replaced). Hard links: one file, found
 * either way. */
static void link_inputs(const FilterBuild *b, size_t n_programs) {
	for (size_t i = 0; b->cache_fd >= 0 && i < n_programs; i++) {
		char name[SECCOMP_CACHE_NAME_SIZE], link[SECCOMP_CACHE_NAME_SIZE], tmp[SECCOMP_CACHE_NAME_SIZE + 32];
		if (entry_name(b, i, false, name) < 0 || entry_name(b, i, true, link) < 0)
			return;
		snprintf(tmp, sizeof tmp, ".#%s.%d", link, (int) getpid());
		if (linkat(b->cache_fd, name, b->cache_fd, tmp, 0) < 0 ||
		    renameat(b->cache_fd, tmp, b->cache_fd, link) < 0)
			log_debug_errno(errno, "Failed to link '%s/%s' as '%s', ignoring: %m", b->cache_dir, name, link);
		else
			log_debug("Linked the system call filter '%s/%s' as '%s'", b->cache_dir, name, link);
		/* Left when both names were the same file already. */
		(void) unlinkat(b->cache_fd, tmp, 0);
	}
}

/* Every program from the cache, when it holds them all compiled by the libseccomp its record names:
 * then libseccomp is not even loaded. by_inputs: under the names of their inputs, which an earlier
 * start linked to them (the names of the specifications need the allowed calls expanded). Quiet:
 * when anything is missing or wrong, the caller goes on, and says what it finds then. */
static bool take_cached(FilterBuild *b, bool by_inputs, SeccompFilter *ret) {
	char names[_PROGRAM_MAX][SECCOMP_CACHE_NAME_SIZE];
	SeccompFilter f = {};

	if (!cached_library(b))
		return false;
	for (; f.n_programs < _PROGRAM_MAX; f.n_programs++) {
		SeccompProgram *p = &f.programs[f.n_programs];
		if (entry_name(b, f.n_programs, by_inputs, names[f.n_programs]) < 0 ||
		    seccomp_cache_read(b->cache_fd, names[f.n_programs], geteuid(), &p->insns, &p->n_insns) < 0) {
			seccomp_filter_done(&f);
			return false;
		}
	}
	for (size_t i = 0; i < f.n_programs; i++)
		log_debug("Using the system call filter cached in '%s/%s'", b->cache_dir, names[i]);
	*ret = f;
	return true;
}

/* Loads libseccomp and names the file the dynamic loader found it in, which is recorded for the
 * next start. */
static int use_loaded_library(FilterBuild *b) {
	_cleanup_free_ char *path = NULL;
	Dl_info info;
	int r;

	r = library_open(&dl_seccomp, "the system call filter");
	if (r < 0)
		return r;
	if (dladdr((const void *) sym_seccomp_syscall_resolve_num_arch, &info) == 0 || !info.dli_fname)
		return log_error_errno(ENOENT, "Failed to find the file %s was loaded from", dl_seccomp.soname);
	/* Absolute, with no link in it, whatever search path the dynamic loader took. */
	path = realpath(info.dli_fname, NULL);
	if (!path)
		return log_error_errno(errno, "Failed to find '%s': %m", info.dli_fname);
	free(b->library);
	b->library = NULL;
	r = seccomp_cache_library_id(path, &b->library);
	if (r < 0)
		return log_error_errno(r, "Failed to access '%s': %m", path);
	if (b->cache_fd >= 0 && (r = seccomp_cache_write_library(b->cache_fd, path)) < 0)
		log_warning_errno(r, "Failed to record the path of %s in '%s', ignoring: %m", dl_seccomp.soname,
				  b->cache_dir);
	return 0;
}

/* One program, with libseccomp loaded: from the cache when it holds a good copy, else compiled and
 * stored there. */
static int get_program(const FilterBuild *b, size_t program, SeccompProgram *ret) {
	char name[SECCOMP_CACHE_NAME_SIZE];
	int r;

	r = entry_name(b, program, false, name);
	if (r < 0)
		return log_error_errno(r, "Failed to describe the system call filter: %m");
	if (b->cache_fd >= 0) {
		r = seccomp_cache_read(b->cache_fd, name, geteuid(), &ret->insns, &ret->n_insns);
		if (r >= 0) {
			log_debug("Using the system call filter cached in '%s/%s'", b->cache_dir, name);
			return 0;
		}
		if (r != -ENOENT)
			log_warning_errno(r, "Ignoring the cached system call filter '%s/%s': %m", b->cache_dir, name);
	}
	r = compile_program(program, b->allowed, ret);
	if (r < 0)
		return r;
	if (b->cache_fd < 0)
		return 0;
	r = seccomp_cache_write(b->cache_fd, name, ret->insns, ret->n_insns);
	if (r < 0)
		log_warning_errno(r, "Failed to store the system call filter in '%s/%s', ignoring: %m", b->cache_dir,
				  name);
	else
		log_debug("Compiled the system call filter into '%s/%s' (%zu instructions)", b->cache_dir, name,
			  ret->n_insns);
	r = seccomp_cache_prune(b->cache_fd, SECCOMP_CACHE_KEEP);
	if (r < 0)
		log_warning_errno(r, "Failed to remove old system call filters from '%s', ignoring: %m", b->cache_dir);
	return 0;
}

/* A name no ABI libseccomp knows can match nothing: the filter is built without it, as nspawn does,
 * but a typo in a list of allowed calls would go unnoticed, so it is said. Only libseccomp's tables
 * know the names: it is loaded when the lists name single calls, not only groups. */
int seccomp_policy_warn_unknown(const SeccompPolicy *policy) {
	char *const *lists[] = { policy->allow, policy->deny };
	int n = 0, r;

	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		for (char *const *p = lists[i]; p && *p; p++) {
			if ((*p)[0] == '@')
				continue;
			r = library_open(&dl_seccomp, "the names of system calls in --system-call-filter=");
			if (r < 0)
				return r;
			if (sym_seccomp_syscall_resolve_name(*p) == __NR_SCMP_ERROR) {
				log_warning("Unknown system call '%s' in the system call filter, ignoring", *p);
				n++;
			}
		}
	return n;
}

int seccomp_filter_prepare(const SeccompPolicy *policy, const char *cache_dir, SeccompFilter *ret) {
	FilterBuild b = { .policy = policy, .cache_dir = cache_dir ?: SECCOMP_CACHE_DIR, .cache_fd = -EBADF };
	SeccompFilter f = {};
	NameSet allowed = {};
	int r;

	r = seccomp_policy_warn_unknown(policy);
	if (r < 0)
		return r;
	if (!kernel_has_seccomp()) {
		log_debug("The kernel has no seccomp filters, running the container without a system call filter");
		*ret = f;
		return 0;
	}
	/* berth runs as root: only its own files are trusted. */
	r = seccomp_cache_open_dir(b.cache_dir, geteuid(), &b.cache_fd);
	if (r < 0)
		log_warning_errno(r, "Failed to use '%s' for compiled system call filters, ignoring: %m", b.cache_dir);
	r = 0;
	if (!take_cached(&b, true, &f)) {
		r = seccomp_policy_allowed(policy, &allowed.names, &allowed.n);
		b.allowed = &allowed;
		if (r >= 0 && !take_cached(&b, false, &f)) {
			r = use_loaded_library(&b);
			while (r >= 0 && f.n_programs < _PROGRAM_MAX) {
				r = get_program(&b, f.n_programs, &f.programs[f.n_programs]);
				if (r >= 0)
					f.n_programs++;
			}
		}
		if (r >= 0)
			link_inputs(&b, f.n_programs);
	}
	free(allowed.names);
	free(b.library);
	closep(&b.cache_fd);
	if (r < 0) {
		seccomp_filter_done(&f);
		return r;
	}
	*ret = f;
	return 0;
}

/* No flags: one thread needs no TSYNC, and the kernel's default for speculative store bypass
 * mitigation under seccomp stays as the host configured it. */
int seccomp_filter_apply(const SeccompFilter *f) {
	for (size_t i = 0; i < f->n_programs; i++) {
		struct sock_fprog prog = {
			.len = (unsigned short) f->programs[i].n_insns,
			.filter = f->programs[i].insns,
		};
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			return log_error_errno(errno, "Failed to load the system call filter: %m");
	}
	return 0;
}

#else

int seccomp_policy_warn_unknown(const SeccompPolicy *policy) {
	return 0;
}

int seccomp_filter_prepare(const SeccompPolicy *policy, const char *cache_dir, SeccompFilter *ret) {
	log_debug("Built without seccomp support, running the container without a system call filter");
	*ret = (SeccompFilter) {};
	return 0;
}

int seccomp_filter_apply(const SeccompFilter *f) {
	log_debug("Built without seccomp support, no system call filter to load");
	return 0;
}

#endif
