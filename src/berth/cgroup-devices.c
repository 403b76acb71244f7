/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cgroup-devices.h"
#include "cgroup-resources.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "nspawn-file.h"

typedef struct DeviceRule {
	char type;          /* 'c' character device, 'b' block device */
	unsigned major;
	int minor;          /* -1: every minor */
	const char *access; /* r read, w write, m mknod */
} DeviceRule;

/* What dev.c makes, plus the ptys the container's devpts instance hands out. */
static const DeviceRule allowed[] = {
	{ 'c', 1, 3, "rwm" },    /* null */
	{ 'c', 1, 5, "rwm" },    /* zero */
	{ 'c', 1, 7, "rwm" },    /* full */
	{ 'c', 1, 8, "rwm" },    /* random */
	{ 'c', 1, 9, "rwm" },    /* urandom */
	{ 'c', 5, 0, "rwm" },    /* tty */
	{ 'c', 5, 1, "rwm" },    /* console, as the host names it */
	{ 'c', 5, 2, "rwm" },    /* ptmx */
	{ 'c', 10, 200, "rwm" }, /* net/tun */
	{ 'c', 136, -1, "rwm" }, /* pts/N, the console among them */
	/* Loop devices, as systemd grants a machine's scope: a systemd in the container hands them
	 * on to its units (to its own machines' scopes, for one), which fails where they are denied. */
	{ 'b', 7, -1, "rwm" },   /* loopN */
	{ 'c', 10, 237, "rwm" }, /* loop-control */
	/* Device 0:0 opens nothing: overlayfs makes its whiteouts with it, and berth its
	 * /run/host/inaccessible nodes, which --inaccessible= mounts over paths. */
	{ 'c', 0, 0, "m" },
	{ 'b', 0, 0, "m" },
};

int bound_devices_find(const Settings *s, BoundDevices *ret) {
	BoundDevices d = {};

	for (size_t i = 0; i < s->n_mounts; i++) {
		const NspawnMount *m = &s->mounts[i];
		struct stat st;
		BoundDevice *grown;

		if (m->type != NSPAWN_MOUNT_BIND || !m->source || m->source[0] == '+')
			continue;
		/* A bind mount follows symlinks, so the node is what the path ends at. */
		if (stat(m->source, &st) < 0) {
			bound_devices_done(&d);
			return log_error_errno(errno, "Cannot use '%s' as the bind source for '%s': %m", m->source,
					       m->destination);
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		grown = reallocarray(d.devices, d.n + 1, sizeof *d.devices);
		if (!grown) {
			bound_devices_done(&d);
			return log_error_errno(ENOMEM, "Out of memory");
		}
		d.devices = grown;
		d.devices[d.n++] = (BoundDevice) { .block = S_ISBLK(st.st_mode),
						   .rdev = st.st_rdev, .read_only = m->read_only };
	}
	*ret = d;
	return 0;
}

void bound_devices_done(BoundDevices *d) {
	free(d->devices);
	*d = (BoundDevices) {};
}

bool bound_devices_include(const BoundDevices *d, bool block, dev_t rdev) {
	for (size_t i = 0; i < d->n; i++)
		if (d->devices[i].block == block && d->devices[i].rdev == rdev)
			return true;
	return false;
}

/* The fixed rules, then one per bound device. */
static DeviceRule *rules_make(const BoundDevices *bound, size_t *ret_n) {
	size_t n = ELEMENTSOF(allowed) + (bound ? bound->n : 0);
	DeviceRule *rules = calloc(n, sizeof *rules);

	if (!rules)
		return NULL;
	memcpy(rules, allowed, sizeof allowed);
	for (size_t i = 0; bound && i < bound->n; i++) {
		const BoundDevice *b = &bound->devices[i];
		rules[ELEMENTSOF(allowed) + i] = (DeviceRule) { .type = b->block ? 'b' : 'c', .major = major(b->rdev),
								.minor = (int) minor(b->rdev),
								.access = b->read_only ? "r" : "rw" };
	}
	*ret_n = n;
	return rules;
}

static int apply_v1(const char *machine, pid_t pid, const DeviceRule *rules, size_t n_rules) {
	_cleanup_free_ char *dir = NULL, *deny = NULL, *allow = NULL;
	_cleanup_close_ int allow_fd = -EBADF;
	/* The rules first, then the container: it runs meanwhile, and denying all before allowing
	 * each would leave it moments with nothing allowed. */
	int r = cgroup_v1_join("devices", machine, 0, &dir);

	if (r < 0)
		return r;
	if (asprintf(&deny, "%s/devices.deny", dir) < 0 || asprintf(&allow, "%s/devices.allow", dir) < 0)
		return log_error_errno(ENOMEM, "Out of memory");
	r = write_string_file(deny, "a");
	if (r < 0)
		return log_error_errno(r, "Failed to deny device access in '%s': %m", dir);
	allow_fd = open(allow, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (allow_fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", allow);
	/* One rule per write: the kernel takes each write as one rule. */
	for (size_t i = 0; i < n_rules; i++) {
		char rule[64], minor[16];
		int n;
		if (rules[i].minor < 0)
			strcpy(minor, "*");
		else
			snprintf(minor, sizeof minor, "%d", rules[i].minor);
		n = snprintf(rule, sizeof rule, "%c %u:%s %s", rules[i].type, rules[i].major, minor, rules[i].access);
		if (write(allow_fd, rule, (size_t) n) != n)
			return log_error_errno(errno > 0 ? errno : EIO, "Failed to allow device '%s' in '%s': %m", rule,
					       dir);
	}
	return cgroup_v1_join("devices", machine, pid, NULL);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static unsigned access_bits(const char *access) {
	return (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) | (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/* The program sees struct bpf_cgroup_dev_ctx { access_type (access << 16 | type), major, minor }
 * and returns 1 to allow: r3 type, r4 access, r5 major, r6 minor; one block per rule. */
#define PROGRAM_SIZE(n_rules) (9 + 8 * (n_rules))

static size_t build_program(struct bpf_insn *p, const DeviceRule *rules, size_t n_rules) {
	size_t n = 0;

	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xFFFF);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 16);
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 4, 0);
	p[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 6, 1, 8, 0);
	for (size_t i = 0; i < n_rules; i++) {
		const DeviceRule *d = &rules[i];
		short left = d->minor >= 0 ? 7 : 6; /* what follows the first jump of the block */
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 3, 0, left,
			      d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, --left, (int) d->major);
		if (d->minor >= 0)
			p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 6, 0, --left, d->minor);
		/* Every access asked for must be in the rule's. */
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 4, 0, 0);
		p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, (int) ~access_bits(d->access));
		p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 7, 0, 2, 0);
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

/* The program stays attached to the payload's cgroup until the cgroup is removed. */
static int apply_bpf(const MachineCgroup *cg, const DeviceRule *rules, size_t n_rules) {
	_cleanup_free_ struct bpf_insn *prog = calloc(PROGRAM_SIZE(n_rules), sizeof *prog);
	union bpf_attr load = {}, attach = {};
	_cleanup_close_ int fd = -EBADF;

	if (!prog)
		return log_error_errno(ENOMEM, "Out of memory");
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t) (uintptr_t) prog;
	load.insn_cnt = (uint32_t) build_program(prog, rules, n_rules);
	load.license = (uint64_t) (uintptr_t) "GPL";
	fd = (int) syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
	if (fd < 0)
		return log_error_errno(errno, "Failed to load the container's device program: %m");
	attach.target_fd = (uint32_t) cg->payload_fd;
	attach.attach_bpf_fd = (uint32_t) fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
		return log_error_errno(errno, "Failed to attach the device program to '%s/payload': %m", cg->path);
	return 0;
}

int cgroup_devices_apply(const MachineCgroup *cg, const char *machine, pid_t pid, const BoundDevices *bound) {
	_cleanup_free_ DeviceRule *rules = NULL;
	size_t n_rules;
	int r;

	rules = rules_make(bound, &n_rules);
	if (!rules)
		return log_error_errno(ENOMEM, "Out of memory");
	r = apply_v1(machine, pid, rules, n_rules);
	return r == -ENOENT ? apply_bpf(cg, rules, n_rules) : r;
}

int cgroup_devices_join_self(const char *machine) {
	int r = cgroup_v1_join("devices", machine, CGROUP_JOIN_SELF, NULL);
	return r == -ENOENT ? 0 : r;
}
