/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "socket-util.h"

/* Long enough for a container's processes to be torn down after SIGKILL. */
#define GUARDIAN_KILL_TIMEOUT_USEC (10ULL * 1000000ULL)

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

/* Reads berth's messages until berth closed its end or died (EOF, or an error). */
static void wait_for_berth(int sock, NetifState *network) {
	for (;;) {
		char buf[NETWORK_MESSAGE_MAX];
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

static _noreturn_ void guardian_main(const GuardianTask *task, int sock) {
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	/* A copy of berth's state at the fork, which is this process's own memory now. */
	NetifState network = task->network ? *task->network : (NetifState) NETIF_STATE_INIT;
	int r = 0;

	/* The user's ^C and a service manager's SIGTERM are meant for berth; the guardian must
	 * outlive berth to clean up after it. */
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
		signal(ignored[i], SIG_IGN);
	(void) prctl(PR_SET_NAME, "berth-guardian");

	wait_for_berth(sock, &network);

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
	/* Once the container's mount namespace is gone, its overlays no longer use them. */
	if (task->custom_mounts)
		mount_custom_done(task->custom_mounts);
	if (task->machine && task->record_dir) {
		int k = machine_record_remove(task->record_dir, task->machine);
		if (r >= 0)
			r = k;
	}
	if (r < 0)
		log_warning_errno(r, "Failed to clean up after machine '%s': %m", task->machine);
	_exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

int guardian_start(const GuardianTask *task, int keep_fd, Guardian *ret) {
	int fds[2];
	pid_t pid;

	/* Datagrams with boundaries, which can carry an fd; EOF when berth's end is closed. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return log_error_errno(errno, "Failed to create the guardian's socket: %m");
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(fds[0]);
		close(fds[1]);
		return log_error_errno(r, "Failed to start the guardian: %m");
	}
	if (pid == 0) {
		size_t n_work = task->custom_mounts ? task->custom_mounts->n : 0;
		int *keep = malloc((4 + n_work) * sizeof(int));
		if (!keep)
			_exit(EXIT_FAILURE);
		keep[0] = STDERR_FILENO;
		keep[1] = fds[0];
		keep[2] = keep_fd;
		keep[3] = task->network ? task->network->netns_fd : -EBADF;
		/* The work directories are removed through the fds of the directories holding them. */
		for (size_t i = 0; i < n_work; i++)
			keep[4 + i] = task->custom_mounts->mounts[i].work_parent_fd;
		close(fds[1]);
		(void) close_all_fds_except(keep, 4 + n_work);
		free(keep);
		guardian_main(task, fds[0]);
	}
	close(fds[0]);
	*ret = (Guardian) { .pid = pid, .socket_fd = fds[1] };
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
	closep(&g->socket_fd);
	g->socket_fd = -EBADF;
	while (waitpid(g->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	g->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
