/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>

#include "macro.h"

/* The event loop of berth's supervisor and of the console relay berthctl shares: file descriptors
 * (epoll), deferred work, monotonic timers, signals (signalfd) and child exits (pidfd).
 *
 * It is ours rather than sd-event because sd-event comes only in libsystemd, and mapping libsystemd
 * with the libraries it needs (libgcrypt, libgpg-error, liblzma, libzstd, liblz4) costs a container
 * start about 2 ms here, a sixth of running /bin/true in one: a run that does not talk to systemd
 * never loads it now.
 *
 * Sources belong to one loop. A source made with a NULL ret pointer is the loop's, freed with it;
 * one returned to the caller is the caller's to free with event_source_free(), and keeps the loop
 * alive until then. Handlers may add, change and free any source, their own included. A handler that
 * returns < 0 turns its source off. */

typedef struct EventLoop EventLoop;
typedef struct EventSource EventSource;

typedef enum EventEnabled {
	EVENT_OFF,
	EVENT_ON,
	EVENT_ONESHOT, /* turned off when dispatched, before its handler runs */
} EventEnabled;

typedef int (*event_io_handler_t)(EventSource *s, int fd, uint32_t revents, void *userdata);
typedef int (*event_handler_t)(EventSource *s, void *userdata);
typedef int (*event_time_handler_t)(EventSource *s, uint64_t usec, void *userdata);
typedef int (*event_signal_handler_t)(EventSource *s, const struct signalfd_siginfo *si, void *userdata);
typedef int (*event_child_handler_t)(EventSource *s, const siginfo_t *si, void *userdata);

int event_loop_new(EventLoop **ret);
EventLoop *event_loop_ref(EventLoop *e);
/* Frees the loop with its own sources once nothing holds it. Accepts NULL, returns NULL. */
EventLoop *event_loop_unref(EventLoop *e);
DEFINE_POINTER_CLEANUP(EventLoop *, event_loop_unref)

/* Runs until event_loop_exit(); returns its code, or -errno when waiting failed. */
int event_loop_run(EventLoop *e);
/* Ends event_loop_run() once the running handler returns (no other source is dispatched), or at
 * once when called before it. */
void event_loop_exit(EventLoop *e, int code);
/* CLOCK_MONOTONIC in µs as of the loop's last wakeup (read now before the first). */
uint64_t event_loop_now(EventLoop *e);

/* fd readable/writable (events: EPOLLIN, EPOLLOUT); the handler also sees EPOLLHUP and EPOLLERR. The
 * fd stays the caller's and must outlive the source. -EPERM for what epoll refuses (regular files,
 * /dev/null). */
int event_add_io(EventLoop *e, EventSource **ret, int fd, uint32_t events, event_io_handler_t handler,
		 void *userdata);
/* Runs at each iteration while enabled: the loop does not sleep then. */
int event_add_defer(EventLoop *e, EventSource **ret, event_handler_t handler, void *userdata);
/* Runs once CLOCK_MONOTONIC reaches usec (µs), and again at each iteration while it stays on with
 * that time: a handler that wants it later sets a new time or turns it off (or makes it ONESHOT). */
int event_add_time(EventLoop *e, EventSource **ret, uint64_t usec, event_time_handler_t handler,
		   void *userdata);
/* sig must be blocked already, or it would still be delivered as usual: -EBUSY if it is not. */
int event_add_signal(EventLoop *e, EventSource **ret, int sig, event_signal_handler_t handler, void *userdata);
/* The process of pidfd (the caller's fd) exited: the handler gets its waitid() information, then the
 * loop reaps it and turns the source off. */
int event_add_child_pidfd(EventLoop *e, EventSource **ret, int pidfd, event_child_handler_t handler,
			  void *userdata);

int event_source_set_enabled(EventSource *s, EventEnabled enabled);
int event_source_set_io_events(EventSource *s, uint32_t events);
int event_source_set_time(EventSource *s, uint64_t usec);
EventLoop *event_source_get_loop(EventSource *s);
/* Turns it off and frees it (later, if the loop is dispatching). Accepts NULL, returns NULL. */
EventSource *event_source_free(EventSource *s);
DEFINE_POINTER_CLEANUP(EventSource *, event_source_free)
