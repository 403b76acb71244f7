/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "time-util.h"

#define CONSOLE_BUFFER_SIZE (64U * 1024U)
#define ESCAPE_BYTE 0x1d /* ^] */
#define ESCAPE_COUNT 3
#define ESCAPE_WINDOW_USEC (1000U * 1000U)
#define HUP_RETRY_MIN_USEC (10U * 1000U)
#define HUP_RETRY_MAX_USEC (250U * 1000U)
#define DRAIN_IDLE_MSEC 200
#define DRAIN_MAX_USEC (5U * 1000U * 1000U)

typedef struct Buffer {
	size_t start, end; /* the pending bytes are data[start..end) */
	uint8_t data[CONSOLE_BUFFER_SIZE];
} Buffer;

/* One side of the relay: the pty master, berth's stdin or its stdout. */
typedef struct Endpoint {
	int fd;            /* what the relay reads or writes */
	int owned_fd;      /* fd when we opened it ourselves, else -EBADF */
	int restore_flags; /* the original file status flags when we had to set O_NONBLOCK on a shared
	                    * description, else -1 */
	bool socket;       /* I/O with MSG_DONTWAIT: the shared description stays blocking */
	bool unpollable;   /* epoll refuses it (regular files, /dev/null): it never waits, so a defer
	                    * source stands in for readiness */
	bool done;         /* EOF or error: no longer used */
	EventSource *source;
} Endpoint;

struct Console {
	EventLoop *event;
	ConsoleFlags flags;
	void (*on_escape)(void *userdata);
	void *userdata;

	Endpoint master, in, out;
	Buffer to_master, to_out;

	/* Once the last slave fd is closed the master polls EPOLLHUP and reads EIO without end (before
	 * the first open it does not). But the container may open /dev/console again later (systemd
	 * as PID 1 opens it for each status message and closes it again), and a deaf relay would let
	 * it block on a full pty then: so the master is left alone for a while and tried again,
	 * backing off. */
	bool master_hup;
	bool draining; /* in console_drain(): no more retries, the next EIO is final */
	uint64_t hup_retry_usec;
	EventSource *hup_timer;

	int winsize_fd; /* the terminal whose size the pty follows, or -EBADF */
	EventSource *winch_source;
	bool winch_blocked; /* by us, so console_free() unblocks it */

	bool raw;
	struct termios saved_termios;

	bool sigpipe_ignored;
	struct sigaction saved_sigpipe;

	unsigned escape_count;
	uint64_t escape_first_usec;
};

static size_t buffer_used(const Buffer *b) {
	return b->end - b->start;
}

static bool buffer_full(const Buffer *b) {
	return buffer_used(b) == CONSOLE_BUFFER_SIZE;
}

static void buffer_clear(Buffer *b) {
	b->start = b->end = 0;
}

/* Moves the pending bytes to the front so all free space is at the tail; returns its size. */
static size_t buffer_room(Buffer *b) {
	if (b->start == b->end)
		buffer_clear(b);
	else if (b->end == CONSOLE_BUFFER_SIZE && b->start > 0) {
		memmove(b->data, b->data + b->start, buffer_used(b));
		b->end -= b->start;
		b->start = 0;
	}
	return CONSOLE_BUFFER_SIZE - b->end;
}

/* One read into b's free space: > 0 bytes read, 0 end of file, -EAGAIN nothing to read now. */
static ssize_t buffer_read(Buffer *b, const Endpoint *ep) {
	size_t room = buffer_room(b);
	ssize_t n;

	if (room == 0)
		return -ENOBUFS;
	if (ep->socket)
		n = recv(ep->fd, b->data + b->end, room, MSG_DONTWAIT);
	else
		n = read(ep->fd, b->data + b->end, room);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	b->end += (size_t) n;
	return n;
}

/* One write of b's pending bytes: >= 0 bytes written, -EAGAIN when ep takes nothing now. */
static ssize_t buffer_write(Buffer *b, const Endpoint *ep) {
	ssize_t n;

	if (ep->socket)
		n = send(ep->fd, b->data + b->start, buffer_used(b), MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(ep->fd, b->data + b->start, buffer_used(b));
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	b->start += (size_t) n;
	if (b->start == b->end)
		buffer_clear(b);
	return n;
}

static bool output_forwarded(const Console *c) {
	return (c->flags & CONSOLE_FORWARD_OUTPUT) && !c->out.done;
}

static bool input_forwarded(const Console *c) {
	return (c->flags & CONSOLE_FORWARD_INPUT) && !c->in.done;
}

static void endpoint_want(Endpoint *ep, uint32_t events) {
	if (!ep->source)
		return;
	/* Turned off rather than asked for no events: epoll reports EPOLLHUP and EPOLLERR even then. */
	if (events == 0) {
		(void) event_source_set_enabled(ep->source, EVENT_OFF);
		return;
	}
	if (!ep->unpollable)
		(void) event_source_set_io_events(ep->source, events);
	(void) event_source_set_enabled(ep->source, EVENT_ON);
}

/* Recomputes what each side waits for, after anything moved. */
static void console_update(Console *c) {
	uint32_t master_events = 0;

	if (!c->master.done && !c->master_hup) {
		if (!output_forwarded(c) || !buffer_full(&c->to_out))
			master_events |= EPOLLIN;
		if (buffer_used(&c->to_master) > 0)
			master_events |= EPOLLOUT;
	}
	endpoint_want(&c->master, master_events);
	endpoint_want(&c->in, input_forwarded(c) && !buffer_full(&c->to_master) ? EPOLLIN : 0);
	endpoint_want(&c->out, output_forwarded(c) && buffer_used(&c->to_out) > 0 ? EPOLLOUT : 0);
}

static void endpoint_stop(Endpoint *ep) {
	ep->done = true;
	ep->source = event_source_free(ep->source);
}

static void output_stop(Console *c, int error) {
	if (error != -EPIPE && error != -EIO)
		log_warning_errno(error, "Failed to write the console output, dropping it from now on: %m");
	endpoint_stop(&c->out);
	buffer_clear(&c->to_out);
}

static int on_hup_retry(_unused_ EventSource *s, _unused_ uint64_t usec, void *userdata) {
	Console *c = userdata;

	c->master_hup = false;
	console_update(c);
	return 0;
}

static void master_enter_hup(Console *c) {
	uint64_t at;
	int r;

	if (c->draining) {
		endpoint_stop(&c->master);
		return;
	}
	c->master_hup = true;
	at = event_loop_now(c->event) + c->hup_retry_usec;
	if (!c->hup_timer)
		r = event_add_time(c->event, &c->hup_timer, at, on_hup_retry, c);
	else
		r = event_source_set_time(c->hup_timer, at);
	if (r >= 0)
		r = event_source_set_enabled(c->hup_timer, EVENT_ONESHOT);
	if (r < 0) {
		/* Without the timer the console would stay deaf: better keep polling the hangup. */
		log_warning_errno(r, "Failed to arm the console retry timer: %m");
		c->master_hup = false;
		return;
	}
	c->hup_retry_usec = MIN(c->hup_retry_usec * 2, (uint64_t) HUP_RETRY_MAX_USEC);
}

/* Reads the container's output until the pty is empty or the buffer is full; without forwarding
 * it is dropped as it comes. Returns whether anything was read. */
static bool master_read(Console *c) {
	bool progress = false;

	/* Bounded, so that a container writing without pause cannot starve the rest of the loop. */
	for (unsigned i = 0; i < 16; i++) {
		ssize_t n;

		if (!output_forwarded(c))
			buffer_clear(&c->to_out);
		if (buffer_full(&c->to_out))
			break;
		n = buffer_read(&c->to_out, &c->master);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n == -EIO || n == 0) {
			/* No slave is open: the data written before the last close came first. */
			master_enter_hup(c);
			break;
		}
		if (n < 0) {
			log_warning_errno((int) n, "Failed to read the machine's terminal, giving up on it: %m");
			endpoint_stop(&c->master);
			break;
		}
		progress = true;
		c->hup_retry_usec = HUP_RETRY_MIN_USEC;
	}
	if (!output_forwarded(c))
		buffer_clear(&c->to_out);
	return progress;
}

static bool master_write(Console *c) {
	bool progress = false;

	while (buffer_used(&c->to_master) > 0) {
		ssize_t n = buffer_write(&c->to_master, &c->master);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			log_warning_errno((int) n, "Failed to write to the machine's terminal, dropping input: %m");
			buffer_clear(&c->to_master);
			break;
		}
		progress = true;
	}
	return progress;
}

static int on_master(_unused_ EventSource *s, _unused_ int fd, uint32_t revents, void *userdata) {
	Console *c = userdata;
	bool progress = false;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		progress = master_read(c);
	if (!c->master.done && !c->master_hup && (revents & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		progress = master_write(c) || progress;
	/* A hangup with nothing to move (say our output buffer is full) would fire again at once. */
	if (!progress && (revents & (EPOLLHUP | EPOLLERR)) && !c->master.done && !c->master_hup)
		master_enter_hup(c);
	console_update(c);
	return 0;
}

/* Counts ^] in what was just typed; anything else in between starts the count again. */
static void scan_escape(Console *c, const uint8_t *p, size_t n) {
	uint64_t now = event_loop_now(c->event);

	for (size_t i = 0; i < n; i++) {
		if (p[i] != ESCAPE_BYTE) {
			c->escape_count = 0;
			continue;
		}
		if (c->escape_count == 0 || now - c->escape_first_usec > ESCAPE_WINDOW_USEC) {
			c->escape_count = 0;
			c->escape_first_usec = now;
		}
		if (++c->escape_count < ESCAPE_COUNT)
			continue;
		c->escape_count = 0;
		if (c->on_escape)
			c->on_escape(c->userdata);
	}
}

static void input_read(Console *c) {
	while (!buffer_full(&c->to_master)) {
		size_t old_end;
		ssize_t n;

		buffer_room(&c->to_master);
		old_end = c->to_master.end;
		n = buffer_read(&c->to_master, &c->in);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* EOF, or EIO from a terminal that hung up: the container keeps running without input. */
			if (n < 0 && n != -EIO)
				log_warning_errno((int) n, "Failed to read standard input, no longer forwarding it: %m");
			endpoint_stop(&c->in);
			break;
		}
		scan_escape(c, c->to_master.data + old_end, (size_t) n);
		if (c->in.unpollable)
			break; /* one chunk per loop iteration: regular files never say EAGAIN */
	}
	/* Straight on to the master, saving a loop iteration per keystroke. */
	if (!c->master.done && !c->master_hup)
		(void) master_write(c);
}

static void output_write(Console *c) {
	while (output_forwarded(c) && buffer_used(&c->to_out) > 0) {
		ssize_t n = buffer_write(&c->to_out, &c->out);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n < 0)
			output_stop(c, (int) n);
	}
}

static int on_stdin(_unused_ EventSource *s, _unused_ int fd, _unused_ uint32_t revents,
		    void *userdata) {
	Console *c = userdata;

	input_read(c);
	console_update(c);
	return 0;
}

static int on_stdout(_unused_ EventSource *s, _unused_ int fd, _unused_ uint32_t revents,
		     void *userdata) {
	Console *c = userdata;

	output_write(c);
	console_update(c);
	return 0;
}

static int on_stdin_defer(EventSource *s, void *userdata) {
	return on_stdin(s, -EBADF, EPOLLIN, userdata);
}

static int on_stdout_defer(EventSource *s, void *userdata) {
	return on_stdout(s, -EBADF, EPOLLOUT, userdata);
}

/* True for a pty master (TIOCGPTN answers): reopening its /proc/self/fd link would open /dev/ptmx,
 * which allocates a new pty instead. */
static bool is_pty_master(int fd) {
	unsigned n;
	return ioctl(fd, TIOCGPTN, &n) >= 0;
}

/* Gets berth's stdin or stdout ready for non-blocking use without changing its file description:
 * that description is shared with the shell (for a terminal) or the other commands of a pipeline,
 * and O_NONBLOCK on it would make their reads and writes fail with EAGAIN, even after berth was
 * killed. A terminal, pipe or FIFO is therefore reopened through /proc/self/fd, which gives a
 * private description; a socket takes MSG_DONTWAIT per call; regular files never block. Only when
 * the reopening fails is O_NONBLOCK set on the shared description, and undone by console_free(). */
static int endpoint_open_stdio(Endpoint *ep, int fd, int access_mode) {
	char path[sizeof("/proc/self/fd/") + 12];
	struct stat st;
	int flags;

	*ep = (Endpoint) { .fd = fd, .owned_fd = -EBADF, .restore_flags = -1 };
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		ep->socket = true;
		return 0;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode))
		return 0; /* epoll refuses these, see console_add_endpoint() */

	if (!is_pty_master(fd)) {
		snprintf(path, sizeof path, "/proc/self/fd/%i", fd);
		ep->owned_fd = open(path, access_mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (ep->owned_fd >= 0) {
			ep->fd = ep->owned_fd;
			return 0;
		}
		log_debug_errno(errno, "Failed to reopen '%s', making it non-blocking in place: %m", path);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (flags & O_NONBLOCK)
		return 0;
	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	ep->restore_flags = flags;
	return 0;
}

static void endpoint_close(Endpoint *ep) {
	ep->source = event_source_free(ep->source);
	if (ep->restore_flags >= 0)
		(void) fcntl(ep->fd, F_SETFL, ep->restore_flags);
	ep->restore_flags = -1;
	closep(&ep->owned_fd);
	ep->owned_fd = -EBADF;
}

static int console_add_endpoint(Console *c, Endpoint *ep, uint32_t events,
				event_io_handler_t on_io, event_handler_t on_defer) {
	int r;

	r = event_add_io(c->event, &ep->source, ep->fd, events, on_io, c);
	if (r == -EPERM) {
		/* epoll takes no regular files and no /dev/null: they are always ready. */
		ep->unpollable = true;
		r = event_add_defer(c->event, &ep->source, on_defer, c);
	}
	return r;
}

static int winsize_copy(int from_fd, int to_fd) {
	struct winsize ws;

	if (ioctl(from_fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	if (ioctl(to_fd, TIOCSWINSZ, &ws) < 0)
		return -errno;
	return 0;
}

static int pick_terminal(void) {
	if (isatty(STDOUT_FILENO))
		return STDOUT_FILENO;
	if (isatty(STDIN_FILENO))
		return STDIN_FILENO;
	return -EBADF;
}

int console_open_pty(int *ret_master_fd, char **ret_slave_path) {
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *path = NULL;
	char name[64];
	int tty, r;

	/* O_NOCTTY: berth must not pick the container's console up as its controlling terminal. */
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (unlockpt(fd) < 0)
		return -errno;
	r = ptsname_r(fd, name, sizeof name);
	if (r != 0)
		return -r;
	path = strdup(name);
	if (!path)
		return -ENOMEM;

	tty = pick_terminal();
	if (tty >= 0)
		(void) winsize_copy(tty, fd);

	if (!isatty(STDOUT_FILENO)) {
		struct termios t;

		/* Termios calls on a master act on its slave. Without this, ONLCR turns every \n the
		 * container writes into \r\n on its way into a pipe or file. */
		if (tcgetattr(fd, &t) < 0)
			return -errno;
		t.c_oflag &= ~(tcflag_t) OPOST;
		if (tcsetattr(fd, TCSANOW, &t) < 0)
			return -errno;
	}

	*ret_master_fd = TAKE_FD(fd);
	*ret_slave_path = TAKE_PTR(path);
	return 0;
}

static int on_winch(_unused_ EventSource *s, _unused_ const struct signalfd_siginfo *si,
		    void *userdata) {
	Console *c = userdata;
	int r;

	r = winsize_copy(c->winsize_fd, c->master.fd);
	if (r < 0)
		log_debug_errno(r, "Failed to pass the window size on to the machine, ignoring: %m");
	return 0;
}

/* A signal source needs the signal blocked, or it would still be delivered normally. */
static int console_watch_winch(Console *c) {
	sigset_t set, old;
	int r;

	c->winsize_fd = pick_terminal();
	if (c->winsize_fd < 0)
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return -errno;
	c->winch_blocked = sigismember(&old, SIGWINCH) != 1;
	r = event_add_signal(c->event, &c->winch_source, SIGWINCH, on_winch, c);
	if (r < 0)
		return r;
	/* The size may have changed since the pty was made. */
	(void) winsize_copy(c->winsize_fd, c->master.fd);
	return 0;
}

static int console_make_raw(Console *c) {
	struct termios t;

	if (!(c->flags & CONSOLE_FORWARD_INPUT) || !isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &c->saved_termios) < 0)
		return -errno;
	/* Every key, ^C and ^Z included, goes to the container as typed; the container's own pty does
	 * the echoing and the output processing. */
	t = c->saved_termios;
	t.c_iflag &= ~(tcflag_t) (IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t) OPOST;
	t.c_lflag &= ~(tcflag_t) (ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t) (CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		return -errno;
	c->raw = true;
	return 0;
}

/* A reader of our stdout going away must be an EPIPE to handle, not a signal that kills berth. */
static int console_ignore_sigpipe(Console *c) {
	struct sigaction sa = { .sa_handler = SIG_IGN };

	if (!(c->flags & CONSOLE_FORWARD_OUTPUT))
		return 0;
	if (sigaction(SIGPIPE, &sa, &c->saved_sigpipe) < 0)
		return -errno;
	c->sigpipe_ignored = true;
	return 0;
}

static int console_add_stdio(Console *c) {
	int r;

	if (c->flags & CONSOLE_FORWARD_INPUT) {
		r = endpoint_open_stdio(&c->in, STDIN_FILENO, O_RDONLY);
		if (r < 0)
			return r;
		r = console_add_endpoint(c, &c->in, EPOLLIN, on_stdin, on_stdin_defer);
		if (r < 0)
			return r;
	}
	if (c->flags & CONSOLE_FORWARD_OUTPUT) {
		r = endpoint_open_stdio(&c->out, STDOUT_FILENO, O_WRONLY);
		if (r < 0)
			return r;
		r = console_add_endpoint(c, &c->out, EPOLLOUT, on_stdout, on_stdout_defer);
		if (r < 0)
			return r;
	}
	return 0;
}

int console_new(EventLoop *e, int master_fd, ConsoleFlags flags, void (*on_escape)(void *userdata),
		void *userdata, Console **ret) {
	_cleanup_(console_freep) Console *c = NULL;
	int r;

	if (!e || master_fd < 0 || (flags & ~_CONSOLE_FLAGS_ALL) || !ret)
		return -EINVAL;

	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->event = event_loop_ref(e);
	c->flags = flags;
	c->on_escape = on_escape;
	c->userdata = userdata;
	c->hup_retry_usec = HUP_RETRY_MIN_USEC;
	c->winsize_fd = -EBADF;
	c->master = (Endpoint) { .fd = master_fd, .owned_fd = -EBADF, .restore_flags = -1 };
	c->in = c->out = (Endpoint) { .fd = -EBADF, .owned_fd = -EBADF, .restore_flags = -1, .done = true };

	r = console_ignore_sigpipe(c);
	if (r < 0)
		return r;
	r = event_add_io(e, &c->master.source, master_fd, EPOLLIN, on_master, c);
	if (r < 0)
		return r;
	r = console_add_stdio(c);
	if (r < 0)
		return r;
	r = console_watch_winch(c);
	if (r < 0)
		return r;
	r = console_make_raw(c);
	if (r < 0)
		return r;

	console_update(c);
	*ret = TAKE_PTR(c);
	return 0;
}

/* Writes all of to_out, waiting for stdout as long as it takes. */
static int drain_output(Console *c) {
	while (output_forwarded(c) && buffer_used(&c->to_out) > 0) {
		struct pollfd p = { .fd = c->out.fd, .events = POLLOUT };
		ssize_t n = buffer_write(&c->to_out, &c->out);

		if (n == -EINTR || n >= 0)
			continue;
		if (n != -EAGAIN) {
			output_stop(c, (int) n);
			break;
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
	if (!output_forwarded(c))
		buffer_clear(&c->to_out);
	return 0;
}

int console_drain(Console *c) {
	uint64_t deadline;
	int r;

	if (!c)
		return 0;
	c->draining = true;
	c->master_hup = false;
	c->hup_timer = event_source_free(c->hup_timer);
	deadline = now_usec(CLOCK_MONOTONIC) + DRAIN_MAX_USEC;

	for (;;) {
		struct pollfd p = { .fd = c->master.fd, .events = POLLIN };
		uint64_t now;

		r = drain_output(c);
		if (r < 0)
			return r;
		now = now_usec(CLOCK_MONOTONIC);
		if (c->master.done || now >= deadline)
			break;
		r = poll(&p, 1, (int) MIN((uint64_t) DRAIN_IDLE_MSEC, (deadline - now + 999) / 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		(void) master_read(c);
	}
	/* Whatever stopped us, the pty is not watched anymore. */
	endpoint_stop(&c->master);
	return 0;
}

Console *console_free(Console *c) {
	if (!c)
		return NULL;

	if (c->raw && tcsetattr(STDIN_FILENO, TCSANOW, &c->saved_termios) < 0)
		log_warning_errno(errno, "Failed to restore the terminal settings: %m");

	c->winch_source = event_source_free(c->winch_source);
	if (c->winch_blocked) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGWINCH);
		(void) sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	if (c->sigpipe_ignored)
		(void) sigaction(SIGPIPE, &c->saved_sigpipe, NULL);

	c->hup_timer = event_source_free(c->hup_timer);
	c->master.source = event_source_free(c->master.source);
	endpoint_close(&c->in);
	endpoint_close(&c->out);
	event_loop_unref(c->event);
	free(c);
	return NULL;
}
