/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libraries.h"
#include "libsystemd-dl.h"
#include "log.h"
#include "notify.h"

struct NotifyRelay {
	EventSource *source;
	int fd;
	bool forward_ready;
	bool ready_seen;
	void (*on_ready)(void *userdata);
	void *userdata;
};

int notify_manager_prepare(void) {
	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	return library_open(&dl_libsystemd, "notifying the service manager ($NOTIFY_SOCKET)");
}

void notify_manager(const char *state) {
	/* Not open means nobody listens (notify_manager_prepare()): sd_notify() would send nothing. */
	if (dl_library_is_open(&dl_libsystemd))
		(void) sym_sd_notify(false, state);
}

int notify_socket_create(int *ret_fd) {
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = NOTIFY_SOCKET_PATH };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return log_error_errno(errno, "Failed to create the notification socket: %m");
	if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
		int r = -errno;
		close(fd);
		return log_error_errno(r, "Failed to bind the notification socket to %s: %m", NOTIFY_SOCKET_PATH);
	}
	/* The container's services run as other users and must be able to notify too. */
	(void) chmod(NOTIFY_SOCKET_PATH, 0777);
	*ret_fd = fd;
	return 0;
}

/* One datagram: newline-separated assignments. Only what a manager above us wants is passed on. */
static void relay_message(NotifyRelay *r, char *msg) {
	char *save = NULL;

	for (char *l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (streq(l, "READY=1") && !r->ready_seen) {
			r->ready_seen = true;
			if (r->forward_ready)
				notify_manager("READY=1");
			if (r->on_ready)
				r->on_ready(r->userdata);
		} else if (strncmp(l, "STATUS=", 7) == 0) {
			/* Ours says that the container runs; the payload's says how it is doing. */
			char status[sizeof "STATUS=Container running: " + NOTIFY_MESSAGE_MAX];
			snprintf(status, sizeof status, "STATUS=Container running: %s", l + 7);
			notify_manager(status);
		}
	}
}

static int on_notify(EventSource *s, int fd, uint32_t revents, void *userdata) {
	NotifyRelay *r = userdata;
	char buf[NOTIFY_MESSAGE_MAX];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warning_errno(errno, "Failed to read the notification socket, ignoring: %m");
			return 0;
		}
		if ((size_t) n >= sizeof buf)
			continue; /* too long for any message we care about */
		buf[n] = 0;
		relay_message(r, buf);
	}
}

int notify_relay_new(EventLoop *e, int fd, bool forward_ready, void (*on_ready)(void *userdata),
		     void *userdata, NotifyRelay **ret) {
	NotifyRelay *r = calloc(1, sizeof *r);
	int k;

	if (!r)
		return -ENOMEM;
	*r = (NotifyRelay) { .fd = fd, .forward_ready = forward_ready, .on_ready = on_ready, .userdata = userdata };
	k = event_add_io(e, &r->source, fd, EPOLLIN, on_notify, r);
	if (k < 0) {
		free(r);
		return k;
	}
	*ret = r;
	return 0;
}

NotifyRelay *notify_relay_free(NotifyRelay *r) {
	if (!r)
		return NULL;
	event_source_free(r->source);
	free(r);
	return NULL;
}
