/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup-resources.h"
#include "fd-util.h"
#include "guardian.h"
#include "log.h"
#include "machine-record.h"
#include "network.h"
#include "parse-util.h"
#include "socket-util.h"
#include "strv.h"

/* Long enough for a container's processes to be torn down after SIGKILL. */
#define GUARDIAN_KILL_TIMEOUT_USEC (10ULL * 1000000ULL)

/* The teardown's deepest paths (netlink buffers, directory walks) fit with room to spare; only
 * the pages it touches are ever allocated. */
#define GUARDIAN_STACK_SIZE (1024 * 1024)

/* The fds the guardian keeps: stderr, its socket, the kept fd, and the work directories' parents
 * (close_all_fds_except() takes at most 16). */
#define GUARDIAN_KEEP_MAX 16

struct GuardianShared {
	GuardianTask task;
	int sock;                      /* the guardian's end */
	int keep[GUARDIAN_KEEP_MAX];   /* in the guardian's fd table, which is a copy of berth's */
	size_t n_keep;
	char **exec_argv;              /* for a teardown in a fresh process, made while berth could */
	void *stack;
};

/* What berth says about the container's network: a header, the undo records, and the network
 * namespace's fd when there is one. */
typedef struct NetworkMessage {
	uint32_t n_undo;
} NetworkMessage;

/* Room for the records of a few hundred links. */
#define NETWORK_MESSAGE_MAX (sizeof(NetworkMessage) + 512 * sizeof(NetifUndo))

/* Takes what berth sent in place of what the guardian knew. */
static void receive_network(int fd, const void *buf, size_t n, NetifState *network) {
	NetworkMessage h;
	NetifUndo *undo = NULL;

	memcpy(&h, buf, sizeof h);
	if (n != sizeof h + h.n_undo * sizeof(NetifUndo) ||
	    (h.n_undo > 0 && !(undo = malloc(h.n_undo * sizeof *undo)))) {
		log_warning("Ignoring a bad message from berth about the network of the machine");
		safe_close(fd);
		return;
	}
	if (h.n_undo > 0)
		memcpy(undo, (const char *) buf + sizeof h, h.n_undo * sizeof *undo);
	netif_state_done(network);
	network->netns_fd = fd;
	network->undo = undo;
	network->n_undo = h.n_undo;
}

/* Reads the messages berth left in the socket, up to its end: the last one is the network now. */
static void read_network(int sock, NetifState *network) {
	static char buf[NETWORK_MESSAGE_MAX];

	for (;;) {
		int fd;
		ssize_t n = receive_with_fd(sock, buf, sizeof buf, &fd);

		if (n == -EMSGSIZE)
			continue;
		if (n <= 0)
			return;
		if ((size_t) n < sizeof(NetworkMessage)) {
			safe_close(fd);
			continue;
		}
		receive_network(fd, buf, (size_t) n, network);
	}
}

/* The teardown itself, the same in either process. Returns 0 or -errno. */
static int teardown(const GuardianTask *task, int sock, CustomMounts *custom_mounts) {
	NetifState network = NETIF_STATE_INIT;
	int r = 0;

	read_network(sock, &network);
	if (task->cgroup_path)
		r = cgroup_kill_and_remove(task->cgroup_path, GUARDIAN_KILL_TIMEOUT_USEC, task->remove_cgroup);
	if (task->remove_v1_cgroups) {
		int k = cgroup_v1_remove(task->machine);
		if (r >= 0)
			r = k;
	}
	/* After the kill, with the container's network namespace still held: what was moved into it
	 * can be moved back before the namespace goes, and takes the virtual ones with it. */
	netif_teardown(&network);
	netif_state_done(&network);
	/* Once the container's mount namespace is gone, its overlays no longer use them. */
	if (custom_mounts)
		mount_custom_remove_work_dirs(custom_mounts);
	if (task->machine && task->record_dir) {
		int k = machine_record_remove(task->record_dir, task->machine);
		if (r >= 0)
			r = k;
	}
	if (r < 0)
		log_warning_errno(r, "Failed to clean up after machine '%s': %m", task->machine);
	return r;
}

static void ignore_terminal_signals(void) {
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };

	/* The user's ^C and a service manager's SIGTERM are meant for berth; the guardian must
	 * outlive berth to clean up after it. */
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
		signal(ignored[i], SIG_IGN);
}

/* Runs in berth's memory, while berth runs: system calls only, until berth is done with it. */
static int guardian_main(void *userdata) {
	GuardianShared *g = userdata;
	struct pollfd p = { .fd = g->sock, .events = POLLRDHUP };

	(void) prctl(PR_SET_NAME, "berth-guardian");
	(void) close_all_fds_except(g->keep, g->n_keep);
	/* Berth shutting its end down (finished: it waits for us) shows as POLLRDHUP alone; berth
	 * gone, however, as POLLHUP too. Every signal stays blocked, as berth had them at the clone:
	 * no handler of berth's ever runs here. */
	while (poll(&p, 1, -1) <= 0 || p.revents == 0)
		;
	if (p.revents == POLLRDHUP) {
		ignore_terminal_signals();
		_exit(teardown(&g->task, g->sock, g->task.custom_mounts) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
	}
	/* Berth died, anywhere: nothing of its memory can be trusted now, but what it prepared. */
	for (size_t i = 0; i < g->n_keep; i++)
		(void) fcntl(g->keep[i], F_SETFD, 0);
	execv("/proc/self/exe", g->exec_argv);
	_exit(EXIT_FAILURE);
}

static int build_exec_argv(const GuardianTask *task, int sock, int keep_fd, char ***ret) {
	_cleanup_strv_free_ char **argv = NULL;
	char sock_s[16], keep_s[16];
	int r;

	snprintf(sock_s, sizeof sock_s, "%d", sock);
	snprintf(keep_s, sizeof keep_s, "%d", keep_fd);
	if ((r = strv_extend(&argv, "berth-guardian")) < 0 || (r = strv_extend(&argv, GUARDIAN_EXEC_ARG)) < 0 ||
	    (r = strv_extend(&argv, sock_s)) < 0 || (r = strv_extend(&argv, keep_s)) < 0 ||
	    (r = strv_extend(&argv, task->machine ?: "")) < 0 || (r = strv_extend(&argv, task->record_dir ?: "")) < 0 ||
	    (r = strv_extend(&argv, task->cgroup_path ?: "")) < 0 ||
	    (r = strv_extend(&argv, task->remove_cgroup ? "1" : "0")) < 0 ||
	    (r = strv_extend(&argv, task->remove_v1_cgroups ? "1" : "0")) < 0)
		return r;
	/* Then each work directory: its parent's fd, its name there, its path for messages. */
	for (size_t i = 0; task->custom_mounts && i < task->custom_mounts->n; i++) {
		const CustomMount *m = &task->custom_mounts->mounts[i];
		char fd_s[16];

		if (m->work_parent_fd < 0)
			continue;
		snprintf(fd_s, sizeof fd_s, "%d", m->work_parent_fd);
		if ((r = strv_extend(&argv, fd_s)) < 0 || (r = strv_extend(&argv, m->work_name)) < 0 ||
		    (r = strv_extend(&argv, m->work_path ?: m->work_name)) < 0)
			return r;
	}
	*ret = TAKE_PTR(argv);
	return 0;
}

static void shared_free(GuardianShared *g) {
	if (!g)
		return;
	if (g->stack)
		munmap(g->stack, GUARDIAN_STACK_SIZE);
	strv_free(g->exec_argv);
	safe_close(g->sock);
	free(g);
}

static int shared_make(const GuardianTask *task, int sock, int keep_fd, GuardianShared **ret) {
	GuardianShared *g = calloc(1, sizeof *g);
	int r;

	if (!g)
		return -ENOMEM;
	*g = (GuardianShared) { .task = *task, .sock = sock };
	g->keep[g->n_keep++] = STDERR_FILENO;
	g->keep[g->n_keep++] = sock;
	if (keep_fd >= 0)
		g->keep[g->n_keep++] = keep_fd;
	for (size_t i = 0; task->custom_mounts && i < task->custom_mounts->n; i++) {
		int fd = task->custom_mounts->mounts[i].work_parent_fd;
		if (fd < 0)
			continue;
		if (g->n_keep == GUARDIAN_KEEP_MAX) {
			g->sock = -EBADF;
			shared_free(g);
			return -E2BIG;
		}
		g->keep[g->n_keep++] = fd;
	}
	r = build_exec_argv(task, sock, keep_fd, &g->exec_argv);
	g->stack = mmap(NULL, GUARDIAN_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
			-1, 0);
	if (r < 0 || g->stack == MAP_FAILED) {
		if (g->stack == MAP_FAILED)
			g->stack = NULL;
		g->sock = -EBADF;
		shared_free(g);
		return r < 0 ? r : -ENOMEM;
	}
	*ret = g;
	return 0;
}

int guardian_start(const GuardianTask *task, int keep_fd, Guardian *ret) {
	GuardianShared *g = NULL;
	sigset_t all, saved;
	int fds[2], r;
	pid_t pid;

	/* Datagrams with boundaries, which can carry an fd; berth's end shut down or closed ends
	 * the wait. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return log_error_errno(errno, "Failed to create the guardian's socket: %m");
	r = shared_make(task, fds[0], keep_fd, &g);
	if (r < 0) {
		close(fds[0]);
		close(fds[1]);
		return log_error_errno(r, "Failed to prepare the guardian: %m");
	}
	/* Born with every signal blocked, so that none reaches it before it is set up. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = clone(guardian_main, (char *) g->stack + GUARDIAN_STACK_SIZE, CLONE_VM | SIGCHLD, g);
	r = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (r < 0) {
		close(fds[1]);
		shared_free(g);
		return log_error_errno(r, "Failed to start the guardian: %m");
	}
	*ret = (Guardian) { .pid = pid, .socket_fd = fds[1], .shared = g };
	/* The network as it is now, if any; later changes follow. */
	if (task->network && (task->network->n_undo > 0 || task->network->netns_fd >= 0))
		return guardian_update_network(ret, task->network);
	return 0;
}

int guardian_update_network(Guardian *g, const NetifState *network) {
	_cleanup_free_ char *buf = NULL;
	NetworkMessage h = { .n_undo = (uint32_t) network->n_undo };
	size_t size = sizeof h + network->n_undo * sizeof(NetifUndo);
	int r;

	if (g->pid <= 0)
		return 0;
	if (size > NETWORK_MESSAGE_MAX)
		return log_error_errno(E2BIG, "Too many network interfaces for the guardian to keep track of");
	buf = malloc(size);
	if (!buf)
		return log_error_errno(ENOMEM, "Out of memory");
	memcpy(buf, &h, sizeof h);
	if (network->n_undo > 0)
		memcpy(buf + sizeof h, network->undo, network->n_undo * sizeof(NetifUndo));
	r = send_with_fd(g->socket_fd, buf, size, network->netns_fd);
	if (r < 0)
		return log_error_errno(r, "Failed to tell the guardian about the machine's network: %m");
	return 0;
}

int guardian_finish(Guardian *g) {
	int status;

	if (g->pid <= 0)
		return 0;
	/* From here until the guardian exits, berth only waits: the memory is the guardian's. */
	(void) shutdown(g->socket_fd, SHUT_WR);
	while (waitpid(g->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	g->pid = 0;
	g->socket_fd = safe_close(g->socket_fd);
	shared_free(g->shared);
	g->shared = NULL;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int parse_fd(const char *s, int *ret) {
	unsigned u;
	int r = parse_unsigned(s, &u);

	if (r < 0 || u > INT32_MAX)
		return r < 0 ? r : -ERANGE;
	*ret = (int) u;
	return 0;
}

int guardian_exec_main(int argc, char *argv[]) {
	GuardianTask task = {};
	CustomMounts work = {};
	int sock, keep_fd = -EBADF, r;

	(void) prctl(PR_SET_NAME, "berth-guardian");
	log_set_program_name("berth-guardian");
	ignore_terminal_signals();
	/* argv: the name, GUARDIAN_EXEC_ARG, sock, kept fd, machine, record dir, cgroup path, remove
	 * the cgroup, remove v1 cgroups, then triples for the work directories. */
	if (argc < 9 || (argc - 9) % 3 != 0 || parse_fd(argv[2], &sock) < 0) {
		log_error("Bad arguments for the guardian's teardown");
		return EXIT_FAILURE;
	}
	(void) parse_fd(argv[3], &keep_fd);
	task = (GuardianTask) { .machine = argv[4][0] ? argv[4] : NULL, .record_dir = argv[5][0] ? argv[5] : NULL,
				.cgroup_path = argv[6][0] ? argv[6] : NULL, .remove_cgroup = streq(argv[7], "1"),
				.remove_v1_cgroups = streq(argv[8], "1") };
	work.n = (size_t) (argc - 9) / 3;
	work.mounts = calloc(work.n ?: 1, sizeof *work.mounts);
	if (!work.mounts) {
		log_error("Out of memory");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < work.n; i++) {
		CustomMount *m = &work.mounts[i];
		*m = (CustomMount) { .work_parent_fd = -EBADF, .tree_fd = -EBADF, .work_name = strdup(argv[10 + 3 * i]),
				     .work_path = strdup(argv[11 + 3 * i]) };
		if (parse_fd(argv[9 + 3 * i], &m->work_parent_fd) < 0)
			m->work_parent_fd = -EBADF;
	}
	r = teardown(&task, sock, &work);
	mount_custom_done(&work);
	safe_close(sock);
	safe_close(keep_fd);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
