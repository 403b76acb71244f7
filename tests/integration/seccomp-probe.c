/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-seccomp-probe: makes system calls inside a container and prints, for each, one JSON line
 * {"call": NAME, "ret": R, "errno": E} (errno 0 when the call succeeded), for test_security.py.
 * The calls are chosen so that, without a filter, the kernel would answer root in a container with
 * something other than the filter's EPERM (it succeeds, or fails for another reason), so that a
 * missing filter shows; only the module calls fail with EPERM either way, where modules exist.
 * Static, so it runs in any tree. Verbs, in any number:
 *
 *   status          {"call": "status", "seccomp": N, "filters": N, "cap_eff": N, "cap_bnd": N}
 *                   for this process (the capability sets as numbers)
 *   status1         the same for the container's PID 1
 *   uid             {"call": "uid", "uid": N}
 *   NAME            one of the calls in the table below
 *
 * The x32-* calls are those of the x32 ABI (bit 30 set in the number), which a 64-bit process may
 * make: seccomp sees them before the kernel looks for the ABI, which many kernels lack (ENOSYS). */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <termios.h>
#include <unistd.h>

static char missing_path[] = "/nonexistent-berth-swap";
static char tty_byte = '\n';
static char page[4096] __attribute__((aligned(4096)));

static long result(long r) {
	return r < 0 ? -errno : r;
}

static int console_fd(void) {
	static int fd = -1;
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	return fd;
}

static long call_kexec_load(void) {
	/* An undefined flag: with the call let through, the kernel says EINVAL (or ENOSYS without kexec). */
	return result(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x100UL));
}
static long call_init_module(void) {
	return result(syscall(SYS_init_module, NULL, 0UL, ""));
}
static long call_finit_module(void) {
	return result(syscall(SYS_finit_module, -1, "", 0));
}
static long call_swapon(void) {
	return result(syscall(SYS_swapon, missing_path, 0));
}
static long call_open_by_handle_at(void) {
	struct {
		unsigned int handle_bytes;
		int handle_type;
		unsigned char f_handle[8];
	} h = { 8, 1, { 0 } };
	return result(syscall(SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY));
}
static long call_bpf(void) {
	return result(syscall(SYS_bpf, -1, NULL, 0));
}
static long call_perf_event_open(void) {
	return result(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0UL));
}
static long call_add_key(void) {
	return result(syscall(SYS_add_key, "berth-no-such-type", "berth", "x", 1UL, -2));
}
static long call_adjtimex(void) {
	/* modes 0 only reads the clock's state, which needs no capability. */
	struct timex tx = { .modes = 0 };
	return result(syscall(SYS_adjtimex, &tx));
}
static long call_mlock(void) {
	long r = result(mlock(page, sizeof page));
	if (r == 0)
		munlock(page, sizeof page);
	return r;
}
static long call_tiocsti(void) {
	return result(ioctl(console_fd(), TIOCSTI, &tty_byte));
}
static long call_tiocsti_high(void) {
	/* The kernel reads the request as 32 bits: this is TIOCSTI to it. */
	return result(syscall(SYS_ioctl, console_fd(), (1UL << 32) | TIOCSTI, &tty_byte));
}
static long call_tioclinux(void) {
	char subcode = 0;
	return result(ioctl(console_fd(), TIOCLINUX, &subcode));
}
static long call_tcgetwinsz(void) {
	struct winsize ws;
	return result(ioctl(console_fd(), TIOCGWINSZ, &ws));
}
static long call_socket_audit(void) {
	long r = result(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
	if (r >= 0)
		close((int) r);
	return r;
}
static long call_socket_route(void) {
	long r = result(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	if (r >= 0)
		close((int) r);
	return r;
}
static long call_getpid(void) {
	return result(syscall(SYS_getpid));
}
static long call_unassigned(void) {
	/* No ABI has a call 1000 (yet). */
	return result(syscall(1000));
}

#ifdef __x86_64__
/* x32 numbers carry bit 30; x32 swapon is 167, getpid 39. */
static long call_x32_swapon(void) {
	return result(syscall(0x40000000L | 167, missing_path, 0));
}
static long call_x32_getpid(void) {
	return result(syscall(0x40000000L | 39));
}
#endif

static const struct {
	const char *name;
	long (*call)(void);
} calls[] = {
	{ "kexec_load", call_kexec_load },
	{ "init_module", call_init_module },
	{ "finit_module", call_finit_module },
	{ "swapon", call_swapon },
	{ "open_by_handle_at", call_open_by_handle_at },
	{ "bpf", call_bpf },
	{ "perf_event_open", call_perf_event_open },
	{ "add_key", call_add_key },
	{ "adjtimex", call_adjtimex },
	{ "mlock", call_mlock },
	{ "ioctl-TIOCSTI", call_tiocsti },
	{ "ioctl-TIOCSTI-high-bits", call_tiocsti_high },
	{ "ioctl-TIOCLINUX", call_tioclinux },
	{ "ioctl-TIOCGWINSZ", call_tcgetwinsz },
	{ "socket-netlink-audit", call_socket_audit },
	{ "socket-netlink-route", call_socket_route },
	{ "getpid", call_getpid },
	{ "unassigned", call_unassigned },
#ifdef __x86_64__
	{ "x32-swapon", call_x32_swapon },
	{ "x32-getpid", call_x32_getpid },
#endif
};

static int print_status(const char *verb, const char *path) {
	char line[256];
	long seccomp = -1, filters = -1;
	unsigned long long cap_eff = 0, cap_bnd = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		printf("{\"call\": \"%s\", \"error\": %d}\n", verb, errno);
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Seccomp:", 8) == 0)
			seccomp = strtol(line + 8, NULL, 10);
		else if (strncmp(line, "Seccomp_filters:", 16) == 0)
			filters = strtol(line + 16, NULL, 10);
		else if (strncmp(line, "CapEff:", 7) == 0)
			cap_eff = strtoull(line + 7, NULL, 16);
		else if (strncmp(line, "CapBnd:", 7) == 0)
			cap_bnd = strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	printf("{\"call\": \"%s\", \"seccomp\": %ld, \"filters\": %ld, \"cap_eff\": %llu, \"cap_bnd\": %llu}\n",
	       verb, seccomp, filters, cap_eff, cap_bnd);
	return 0;
}

int main(int argc, char **argv) {
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		size_t j;

		if (strcmp(argv[i], "status") == 0) {
			failed |= print_status("status", "/proc/self/status");
			continue;
		}
		if (strcmp(argv[i], "status1") == 0) {
			failed |= print_status("status1", "/proc/1/status");
			continue;
		}
		if (strcmp(argv[i], "uid") == 0) {
			printf("{\"call\": \"uid\", \"uid\": %u}\n", (unsigned) getuid());
			continue;
		}
		for (j = 0; j < sizeof calls / sizeof calls[0]; j++)
			if (strcmp(argv[i], calls[j].name) == 0)
				break;
		if (j == sizeof calls / sizeof calls[0]) {
			fprintf(stderr, "berth-seccomp-probe: unknown verb '%s'\n", argv[i]);
			return 2;
		}
		long r = calls[j].call();
		printf("{\"call\": \"%s\", \"ret\": %ld, \"errno\": %ld}\n", argv[i], r < 0 ? -1 : r, r < 0 ? -r : 0);
		fflush(stdout);
	}
	return failed;
}
