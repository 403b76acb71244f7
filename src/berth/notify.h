/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "event-loop.h"
#include "macro.h"

/* The container's init tells berth how it is doing (sd_notify: READY=1, STATUS=...) through a
 * datagram socket at NOTIFY_SOCKET_PATH in the container. berth passes READY=1 and STATUS= (as "Container running: ...") on
 * to its own service manager, if it has one. */
#define NOTIFY_SOCKET_PATH "/run/host/notify"
/* The longest datagram read from it; longer ones are dropped. */
#define NOTIFY_MESSAGE_MAX 4096

/* berth's own service manager listens when it set $NOTIFY_SOCKET (berth@.service is Type=notify),
 * and libsystemd's sd_notify() speaks to it: this opens libsystemd then, and only then (and says
 * so when it cannot). */
int notify_manager_prepare(void);
/* Tells berth's service manager, if one listens, e.g. "READY=1". */
void notify_manager(const char *state);

/* In the container, after /run/host exists and before it is made read-only: creates the socket. */
int notify_socket_create(int *ret_fd);

typedef struct NotifyRelay NotifyRelay;

/* Watches the socket on e. forward_ready: pass READY=1 on when the payload sends it (otherwise
 * the caller said READY=1 at start). on_ready, if set, is called at the payload's first READY=1. */
int notify_relay_new(EventLoop *e, int fd, bool forward_ready, void (*on_ready)(void *userdata),
		     void *userdata, NotifyRelay **ret);
NotifyRelay *notify_relay_free(NotifyRelay *r);
DEFINE_POINTER_CLEANUP(NotifyRelay *, notify_relay_free)
