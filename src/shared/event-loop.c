/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event-loop.h"
#include "time-util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Events taken from epoll per wait: more only means more wakeups, never a lost event. */
#define EPOLL_BATCH 16

typedef enum SourceType {
	SOURCE_IO,
	SOURCE_DEFER,
	SOURCE_TIME,
	SOURCE_SIGNAL,
	SOURCE_CHILD,
} SourceType;

struct EventSource {
	EventLoop *loop;
	EventSource *prev, *next;
	SourceType type;
	EventEnabled enabled;
	bool floating;   /* the loop's: freed with it, holds no reference on it */
	bool dead;       /* freed while the loop dispatched: unlinked and freed after that */
	bool in_epoll;   /* fd is registered: only while enabled, as epoll reports hangups regardless */
	int fd;          /* io: the caller's; signal: our signalfd; child: the caller's pidfd */
	uint32_t events; /* io: what the caller waits for */
	uint64_t usec;   /* time: the deadline */
	uint64_t dispatched_in; /* the loop's iteration that last dispatched it */
	void *userdata;
	union {
		event_io_handler_t io;
		event_handler_t defer;
		event_time_handler_t time;
		event_signal_handler_t signal;
		event_child_handler_t child;
	} handler;
};

struct EventLoop {
	unsigned n_ref;
	int epoll_fd;
	EventSource *sources;
	bool dispatching;
	bool has_dead;
	bool exiting;
	int exit_code;
	uint64_t iteration;
	uint64_t now_usec; /* at the last wakeup, 0 before the first */
};

int event_loop_new(EventLoop **ret) {
	EventLoop *e = calloc(1, sizeof *e);

	if (!e)
		return -ENOMEM;
	e->n_ref = 1;
	e->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epoll_fd < 0) {
		int r = -errno;
		free(e);
		return r;
	}
	*ret = e;
	return 0;
}

EventLoop *event_loop_ref(EventLoop *e) {
	if (e)
		e->n_ref++;
	return e;
}

static void source_unlink_and_free(EventSource *s);

EventLoop *event_loop_unref(EventLoop *e) {
	if (!e || --e->n_ref > 0)
		return NULL;
	/* Only the loop's own sources are left: every other one holds a reference. */
	while (e->sources)
		source_unlink_and_free(e->sources);
	close(e->epoll_fd);
	free(e);
	return NULL;
}

void event_loop_exit(EventLoop *e, int code) {
	e->exiting = true;
	e->exit_code = code;
}

uint64_t event_loop_now(EventLoop *e) {
	return e->now_usec ? e->now_usec : now_usec(CLOCK_MONOTONIC);
}

static bool source_uses_epoll(const EventSource *s) {
	return s->type == SOURCE_IO || s->type == SOURCE_SIGNAL || s->type == SOURCE_CHILD;
}

/* Puts the fd in epoll while the source is on, takes it out while it is off. */
static int source_sync_epoll(EventSource *s) {
	bool want = s->enabled != EVENT_OFF && !s->dead;
	struct epoll_event ev = { .events = s->type == SOURCE_IO ? s->events : EPOLLIN, .data.ptr = s };

	if (!source_uses_epoll(s))
		return 0;
	if (want && !s->in_epoll) {
		if (epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
			return -errno;
		s->in_epoll = true;
	} else if (want) {
		if (epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
			return -errno;
	} else if (s->in_epoll) {
		/* The fd may be closed already, which took it out of epoll itself. */
		(void) epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
		s->in_epoll = false;
	}
	return 0;
}

static void source_turn_off(EventSource *s) {
	s->enabled = EVENT_OFF;
	(void) source_sync_epoll(s);
}

static int source_add(EventLoop *e, EventSource **ret, EventSource *template) {
	EventSource *s = malloc(sizeof *s);
	int r;

	if (!s)
		return -ENOMEM;
	*s = *template;
	s->loop = e;
	s->enabled = EVENT_ON;
	s->floating = !ret;
	r = source_sync_epoll(s);
	if (r < 0) {
		free(s);
		return r;
	}
	s->next = e->sources;
	if (e->sources)
		e->sources->prev = s;
	e->sources = s;
	if (ret) {
		event_loop_ref(e);
		*ret = s;
	}
	return 0;
}

int event_add_io(EventLoop *e, EventSource **ret, int fd, uint32_t events, event_io_handler_t handler,
		 void *userdata) {
	if (!e || fd < 0 || !handler)
		return -EINVAL;
	return source_add(e, ret, &(EventSource) { .type = SOURCE_IO, .fd = fd, .events = events,
						   .userdata = userdata, .handler.io = handler });
}

int event_add_defer(EventLoop *e, EventSource **ret, event_handler_t handler, void *userdata) {
	if (!e || !handler)
		return -EINVAL;
	return source_add(e, ret, &(EventSource) { .type = SOURCE_DEFER, .fd = -EBADF, .userdata = userdata,
						   .handler.defer = handler });
}

int event_add_time(EventLoop *e, EventSource **ret, uint64_t usec, event_time_handler_t handler,
		   void *userdata) {
	if (!e || !handler)
		return -EINVAL;
	return source_add(e, ret, &(EventSource) { .type = SOURCE_TIME, .fd = -EBADF, .usec = usec,
						   .userdata = userdata, .handler.time = handler });
}

int event_add_signal(EventLoop *e, EventSource **ret, int sig, event_signal_handler_t handler, void *userdata) {
	sigset_t mask, blocked;
	int fd, r;

	if (!e || !handler)
		return -EINVAL;
	if (sigprocmask(SIG_SETMASK, NULL, &blocked) < 0)
		return -errno;
	if (sigismember(&blocked, sig) != 1)
		return -EBUSY;
	sigemptyset(&mask);
	sigaddset(&mask, sig);
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = source_add(e, ret, &(EventSource) { .type = SOURCE_SIGNAL, .fd = fd, .userdata = userdata,
						.handler.signal = handler });
	if (r < 0)
		close(fd);
	return r;
}

int event_add_child_pidfd(EventLoop *e, EventSource **ret, int pidfd, event_child_handler_t handler,
			  void *userdata) {
	if (!e || pidfd < 0 || !handler)
		return -EINVAL;
	return source_add(e, ret, &(EventSource) { .type = SOURCE_CHILD, .fd = pidfd, .userdata = userdata,
						   .handler.child = handler });
}

/* The new state, or the old one still when epoll refuses the new. */
static int source_change(EventSource *s, EventEnabled enabled, uint32_t events) {
	EventEnabled old_enabled = s->enabled;
	uint32_t old_events = s->events;
	int r;

	s->enabled = enabled;
	s->events = events;
	r = source_sync_epoll(s);
	if (r < 0) {
		s->enabled = old_enabled;
		s->events = old_events;
	}
	return r;
}

int event_source_set_enabled(EventSource *s, EventEnabled enabled) {
	if (!s || s->dead)
		return -EINVAL;
	return source_change(s, enabled, s->events);
}

int event_source_set_io_events(EventSource *s, uint32_t events) {
	if (!s || s->dead || s->type != SOURCE_IO)
		return -EINVAL;
	return source_change(s, s->enabled, events);
}

int event_source_set_time(EventSource *s, uint64_t usec) {
	if (!s || s->dead || s->type != SOURCE_TIME)
		return -EINVAL;
	s->usec = usec;
	return 0;
}

EventLoop *event_source_get_loop(EventSource *s) {
	return s ? s->loop : NULL;
}

static void source_unlink_and_free(EventSource *s) {
	EventLoop *e = s->loop;
	bool holds_loop = !s->floating;

	source_turn_off(s);
	if (s->type == SOURCE_SIGNAL)
		close(s->fd);
	if (s->prev)
		s->prev->next = s->next;
	else
		e->sources = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
	if (holds_loop)
		event_loop_unref(e);
}

EventSource *event_source_free(EventSource *s) {
	if (!s)
		return NULL;
	if (s->loop->dispatching) {
		/* Its event may still be in the batch being dispatched, and the list is being walked. */
		source_turn_off(s);
		s->dead = true;
		s->loop->has_dead = true;
		return NULL;
	}
	source_unlink_and_free(s);
	return NULL;
}

static void free_dead_sources(EventLoop *e) {
	EventSource *next;

	if (!e->has_dead)
		return;
	e->has_dead = false;
	for (EventSource *s = e->sources; s; s = next) {
		next = s->next;
		if (s->dead)
			source_unlink_and_free(s);
	}
}

static bool source_may_run(const EventSource *s) {
	return !s->dead && s->enabled != EVENT_OFF && !s->loop->exiting;
}

static void source_dispatch_child(EventSource *s) {
	siginfo_t si = {};

	/* Looked at, not reaped, so that the handler may still signal the PID safely. Reaped
	 * elsewhere already, it would leave the pidfd readable for ever: nothing more can come. */
	if (waitid((idtype_t) P_PIDFD, (id_t) s->fd, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		source_turn_off(s);
		return;
	}
	if (si.si_pid == 0)
		return;
	(void) s->handler.child(s, &si, s->userdata);
	(void) waitid((idtype_t) P_PIDFD, (id_t) s->fd, &(siginfo_t) {}, WEXITED | WNOHANG);
	if (!s->dead)
		source_turn_off(s);
}

static void source_dispatch(EventSource *s, uint32_t revents) {
	struct signalfd_siginfo ssi;
	int r = 0;

	s->dispatched_in = s->loop->iteration;
	if (s->enabled == EVENT_ONESHOT)
		source_turn_off(s);
	switch (s->type) {
	case SOURCE_IO:
		r = s->handler.io(s, s->fd, revents, s->userdata);
		break;
	case SOURCE_DEFER:
		r = s->handler.defer(s, s->userdata);
		break;
	case SOURCE_TIME:
		r = s->handler.time(s, s->usec, s->userdata);
		break;
	case SOURCE_SIGNAL:
		if (read(s->fd, &ssi, sizeof ssi) != sizeof ssi)
			return; /* taken already */
		r = s->handler.signal(s, &ssi, s->userdata);
		break;
	case SOURCE_CHILD:
		source_dispatch_child(s);
		return;
	}
	if (r < 0 && !s->dead)
		source_turn_off(s);
}

/* How long epoll may sleep: not at all with deferred work, until the next deadline, or for ever. */
static int wait_timeout_msec(EventLoop *e) {
	uint64_t next = UINT64_MAX, now;

	for (EventSource *s = e->sources; s; s = s->next) {
		if (s->enabled == EVENT_OFF || s->dead)
			continue;
		if (s->type == SOURCE_DEFER)
			return 0;
		if (s->type == SOURCE_TIME && s->usec < next)
			next = s->usec;
	}
	if (next == UINT64_MAX)
		return -1;
	now = now_usec(CLOCK_MONOTONIC);
	if (next <= now)
		return 0;
	/* Rounded up: waking before the deadline would only mean another wait. */
	return (int) MIN((next - now + 999) / 1000, (uint64_t) INT32_MAX);
}

/* Due timers, earliest first, one at a time, as a handler may move or free any of them; each once
 * per iteration, even when its handler leaves it due. */
static void dispatch_timers(EventLoop *e) {
	for (;;) {
		EventSource *due = NULL;

		for (EventSource *s = e->sources; s; s = s->next)
			if (s->type == SOURCE_TIME && source_may_run(s) && s->usec <= e->now_usec &&
			    s->dispatched_in != e->iteration && (!due || s->usec < due->usec))
				due = s;
		if (!due)
			return;
		source_dispatch(due, 0);
	}
}

static int event_loop_iterate(EventLoop *e) {
	struct epoll_event events[EPOLL_BATCH];
	int n;

	n = epoll_wait(e->epoll_fd, events, EPOLL_BATCH, wait_timeout_msec(e));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	e->now_usec = now_usec(CLOCK_MONOTONIC);
	e->iteration++;

	e->dispatching = true;
	for (int i = 0; i < n; i++) {
		EventSource *s = events[i].data.ptr;
		if (source_may_run(s))
			source_dispatch(s, events[i].events);
	}
	dispatch_timers(e);
	for (EventSource *s = e->sources; s; s = s->next)
		if (s->type == SOURCE_DEFER && source_may_run(s))
			source_dispatch(s, 0);
	e->dispatching = false;
	free_dead_sources(e);
	return 0;
}

int event_loop_run(EventLoop *e) {
	int r = 0;

	if (!e || e->dispatching)
		return -EINVAL;
	event_loop_ref(e);
	while (!e->exiting && r >= 0)
		r = event_loop_iterate(e);
	if (r >= 0)
		r = e->exit_code;
	/* It may run again. */
	e->exiting = false;
	event_loop_unref(e);
	return r;
}
