/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "event-loop.h"
#include "fd-util.h"
#include "process-util.h"
#include "tests.h"

#define MSEC ((uint64_t) 1000)
/* What event_loop_run() returns when the awaited event never came, rather than hanging until meson's
 * timeout. */
#define GUARD_EXIT 99

static int on_time_exit(EventSource *s, uint64_t usec, void *userdata) {
	event_loop_exit(event_source_get_loop(s), (int) (intptr_t) userdata);
	return 0;
}

static int loop_new_guarded(EventLoop **ret) {
	int r = event_loop_new(ret);
	return r < 0 ? r : event_add_time(*ret, NULL, event_loop_now(*ret) + 1000 * MSEC, on_time_exit,
					  (void *) (intptr_t) GUARD_EXIT);
}

/* Armed by a handler at its first call: what must not run again gets iterations to do it in,
 * however late that first call came. */
static int exit_later(EventLoop *e) {
	return event_add_time(e, NULL, event_loop_now(e) + 10 * MSEC, on_time_exit, NULL);
}

static int make_pipe(int *ret_read, int *ret_write) {
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	*ret_read = fds[0];
	*ret_write = fds[1];
	return 0;
}

typedef struct Seen {
	int calls;
	uint32_t revents;
	char byte;
	bool switched, before_switch;
	int switch_result;
	EventSource **sources[2]; /* the holders of sources their handlers change or free */
} Seen;

static int on_io_read_exit_7(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Seen *seen = userdata;

	seen->calls++;
	seen->revents = revents;
	seen->before_switch = !seen->switched;
	if (revents & EPOLLIN && read(fd, &seen->byte, 1) != 1)
		seen->byte = 0;
	event_loop_exit(event_source_get_loop(s), 7);
	return 0;
}

static int test_io_readable_dispatches_and_exit_code_returned(void) {
	_cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	Seen seen = {};

	ASSERT_OK(make_pipe(&rfd, &wfd));
	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_OK(event_add_io(e, NULL, rfd, EPOLLIN, on_io_read_exit_7, &seen));
	ASSERT_SYS(write(wfd, "x", 1));
	ASSERT_EQ_INT(event_loop_run(e), 7);
	ASSERT_EQ_INT(seen.calls, 1);
	ASSERT_TRUE(seen.revents & EPOLLIN);
	ASSERT_EQ_INT(seen.byte, 'x');
	return 0;
}

static int on_time_switch_to_out(EventSource *s, uint64_t usec, void *userdata) {
	Seen *seen = userdata;

	seen->switched = true;
	seen->switch_result = event_source_set_io_events(*seen->sources[0], EPOLLOUT);
	return event_source_set_enabled(s, EVENT_OFF);
}

/* Switched from a handler, once the loop has waited for EPOLLIN. */
static int test_io_set_events_changes_what_is_waited_for(void) {
	_cleanup_close_ int a = -EBADF, b = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(event_source_freep) EventSource *io = NULL;
	Seen seen = { .sources = { &io } };
	int sv[2];

	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
	a = sv[0];
	b = sv[1];
	ASSERT_OK(loop_new_guarded(&e));
	/* Nothing to read: only the switch to EPOLLOUT can make it ready. */
	ASSERT_OK(event_add_io(e, &io, a, EPOLLIN, on_io_read_exit_7, &seen));
	ASSERT_OK(event_add_time(e, NULL, event_loop_now(e) + 5 * MSEC, on_time_switch_to_out, &seen));
	ASSERT_EQ_INT(event_loop_run(e), 7);
	ASSERT_OK(seen.switch_result);
	ASSERT_FALSE(seen.before_switch);
	ASSERT_TRUE(seen.revents & EPOLLOUT);
	ASSERT_FALSE(seen.revents & EPOLLIN);
	return 0;
}

/* Leaves the data unread: a source still on would run again at the next iteration. */
static int on_io_count(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Seen *seen = userdata;

	seen->revents |= revents;
	return ++seen->calls == 1 ? exit_later(event_source_get_loop(s)) : 0;
}

static int on_io_turn_off(EventSource *s, int fd, uint32_t revents, void *userdata) {
	int r = on_io_count(s, fd, revents, userdata);
	return r < 0 ? r : event_source_set_enabled(s, EVENT_OFF);
}

static int on_io_fail(EventSource *s, int fd, uint32_t revents, void *userdata) {
	int r = on_io_count(s, fd, revents, userdata);
	return r < 0 ? r : -EIO;
}

/* A source on a pipe holding data, or (hangup) whose write end is closed, left to one handler: it
 * finds the source's holder in seen->sources[0]. */
static int run_one_io(bool hangup, EventEnabled enabled, event_io_handler_t handler, Seen *seen) {
	_cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(event_source_freep) EventSource *io = NULL;

	ASSERT_OK(make_pipe(&rfd, &wfd));
	if (hangup)
		wfd = safe_close(wfd);
	else
		ASSERT_SYS(write(wfd, "ab", 2));
	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_OK(event_add_io(e, &io, rfd, EPOLLIN, handler, seen));
	seen->sources[0] = &io;
	ASSERT_OK(event_source_set_enabled(io, enabled));
	/* With the source off, its handler is not there to arm it. */
	if (enabled == EVENT_OFF)
		ASSERT_OK(exit_later(e));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	return 0;
}

static int test_io_oneshot_dispatched_once(void) {
	Seen seen = {};

	ASSERT_PASS(run_one_io(false, EVENT_ONESHOT, on_io_count, &seen));
	ASSERT_EQ_INT(seen.calls, 1);
	return 0;
}

static uint64_t cpu_usec(void) {
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* epoll reports EPOLLHUP even for an fd registered with no events: off must take it out of epoll,
 * or the loop spins through the 10 ms exit_later() leaves it instead of sleeping. */
static int test_io_off_not_dispatched_on_hangup(void) {
	Seen seen = {}, seen_off = {};
	uint64_t cpu = cpu_usec();

	ASSERT_PASS(run_one_io(true, EVENT_ON, on_io_turn_off, &seen));
	ASSERT_EQ_INT(seen.calls, 1);
	ASSERT_TRUE(seen.revents & EPOLLHUP);
	ASSERT_PASS(run_one_io(true, EVENT_OFF, on_io_count, &seen_off));
	ASSERT_EQ_INT(seen_off.calls, 0);
	ASSERT_TRUE(cpu_usec() - cpu < 5 * MSEC);
	return 0;
}

static int test_handler_error_turns_source_off(void) {
	Seen seen = {};

	/* run_one_io() checks the loop went on to exit with 0: the error ends the source, not the loop. */
	ASSERT_PASS(run_one_io(false, EVENT_ON, on_io_fail, &seen));
	ASSERT_EQ_INT(seen.calls, 1);
	return 0;
}

static int on_defer_count_to_3(EventSource *s, void *userdata) {
	int *calls = userdata;

	if (++*calls < 3)
		return 0;
	event_source_set_enabled(s, EVENT_OFF);
	return exit_later(event_source_get_loop(s));
}

static int test_defer_runs_each_iteration_until_off(void) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	int calls = 0;

	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_OK(event_add_defer(e, NULL, on_defer_count_to_3, &calls));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_INT(calls, 3);
	return 0;
}

typedef struct Fired {
	int n;
	uint64_t usec[3], now[3];
	uint64_t moved_to;
} Fired;

static int on_time_record(EventSource *s, uint64_t usec, void *userdata) {
	Fired *f = userdata;
	EventLoop *e = event_source_get_loop(s);

	f->usec[f->n] = usec;
	f->now[f->n] = event_loop_now(e);
	if (++f->n == 2)
		event_loop_exit(e, 0);
	return event_source_set_enabled(s, EVENT_OFF);
}

static int test_time_fires_in_deadline_order(void) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	Fired f = {};
	uint64_t start;

	ASSERT_OK(loop_new_guarded(&e));
	start = event_loop_now(e);
	ASSERT_OK(event_add_time(e, NULL, start + 20 * MSEC, on_time_record, &f));
	ASSERT_OK(event_add_time(e, NULL, start + 5 * MSEC, on_time_record, &f));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_U64(f.usec[0], start + 5 * MSEC);
	ASSERT_EQ_U64(f.usec[1], start + 20 * MSEC);
	ASSERT_TRUE(f.now[0] >= f.usec[0]);
	ASSERT_TRUE(f.now[1] >= f.usec[1]);
	return 0;
}

/* Left as it is at the first call, moved at the second, exits at the third. */
static int on_time_repeat(EventSource *s, uint64_t usec, void *userdata) {
	Fired *f = userdata;
	EventLoop *e = event_source_get_loop(s);

	f->usec[f->n] = usec;
	f->now[f->n] = event_loop_now(e);
	if (++f->n == 2) {
		f->moved_to = f->now[1] + 10 * MSEC;
		return event_source_set_time(s, f->moved_to);
	}
	if (f->n == 3)
		event_loop_exit(e, 0);
	return 0;
}

static int test_time_on_fires_again_until_moved(void) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	Fired f = {};
	uint64_t deadline;

	ASSERT_OK(loop_new_guarded(&e));
	deadline = event_loop_now(e) + 2 * MSEC;
	ASSERT_OK(event_add_time(e, NULL, deadline, on_time_repeat, &f));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_INT(f.n, 3);
	ASSERT_EQ_U64(f.usec[1], deadline);
	ASSERT_EQ_U64(f.usec[2], f.moved_to);
	ASSERT_TRUE(f.now[2] >= f.moved_to);
	return 0;
}

static int on_signal_exit(EventSource *s, const struct signalfd_siginfo *si, void *userdata) {
	*(int *) userdata = (int) si->ssi_signo;
	event_loop_exit(event_source_get_loop(s), 0);
	return 0;
}

static int test_signal_dispatched_and_must_be_blocked(void) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	sigset_t usr1, usr2;
	int signo = 0;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	ASSERT_SYS(sigprocmask(SIG_BLOCK, &usr1, NULL));
	ASSERT_SYS(sigprocmask(SIG_UNBLOCK, &usr2, NULL));
	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_ERR(event_add_signal(e, NULL, SIGUSR2, on_signal_exit, &signo), -EBUSY);
	ASSERT_OK(event_add_signal(e, NULL, SIGUSR1, on_signal_exit, &signo));
	ASSERT_SYS(raise(SIGUSR1));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_INT(signo, SIGUSR1);
	return 0;
}

typedef struct ChildSeen {
	int calls;
	siginfo_t si;
} ChildSeen;

static int on_child(EventSource *s, const siginfo_t *si, void *userdata) {
	ChildSeen *seen = userdata;

	seen->si = *si;
	/* A source left on would come back: a reaped child's pidfd stays readable. */
	return ++seen->calls == 1 ? exit_later(event_source_get_loop(s)) : 0;
}

static int watch_child(pid_t pid, ChildSeen *seen) {
	_cleanup_close_ int pidfd = pidfd_open_pid(pid);
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	siginfo_t si = {};

	ASSERT_OK(pidfd);
	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_OK(event_add_child_pidfd(e, NULL, pidfd, on_child, seen));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_INT(seen->calls, 1);
	ASSERT_EQ_INT(seen->si.si_pid, pid);
	ASSERT_TRUE(waitid(P_PID, pid, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD);
	return 0;
}

static int test_child_exit_reported_and_reaped(void) {
	ChildSeen exited = {}, killed = {};
	pid_t pid;

	ASSERT_SYS(pid = fork());
	if (pid == 0)
		_exit(3);
	ASSERT_PASS(watch_child(pid, &exited));
	ASSERT_EQ_INT(exited.si.si_code, CLD_EXITED);
	ASSERT_EQ_INT(exited.si.si_status, 3);

	ASSERT_SYS(pid = fork());
	if (pid == 0)
		for (;;)
			pause();
	ASSERT_SYS(kill(pid, SIGKILL));
	ASSERT_PASS(watch_child(pid, &killed));
	ASSERT_EQ_INT(killed.si.si_code, CLD_KILLED);
	ASSERT_EQ_INT(killed.si.si_status, SIGKILL);
	return 0;
}

/* Reads its byte, so that only a freed source could make a handler run again. */
static int on_io_free_other(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Seen *seen = userdata;
	EventSource **other = *seen->sources[0] == s ? seen->sources[1] : seen->sources[0];

	if (read(fd, &seen->byte, 1) != 1)
		return -EIO;
	*other = event_source_free(*other);
	return ++seen->calls == 1 ? exit_later(event_source_get_loop(s)) : 0;
}

static int test_source_freed_by_other_handler_not_dispatched(void) {
	_cleanup_close_ int r1 = -EBADF, w1 = -EBADF, r2 = -EBADF, w2 = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(event_source_freep) EventSource *io1 = NULL, *io2 = NULL;
	Seen seen = { .sources = { &io1, &io2 } };

	ASSERT_OK(make_pipe(&r1, &w1));
	ASSERT_OK(make_pipe(&r2, &w2));
	/* Both ready before the first wait: one epoll_wait() returns both. */
	ASSERT_SYS(write(w1, "1", 1));
	ASSERT_SYS(write(w2, "2", 1));
	ASSERT_OK(loop_new_guarded(&e));
	ASSERT_OK(event_add_io(e, &io1, r1, EPOLLIN, on_io_free_other, &seen));
	ASSERT_OK(event_add_io(e, &io2, r2, EPOLLIN, on_io_free_other, &seen));
	ASSERT_EQ_INT(event_loop_run(e), 0);
	ASSERT_EQ_INT(seen.calls, 1);
	ASSERT_TRUE(!io1 != !io2);
	return 0;
}

/* Leaves its data unread: a source still in epoll would come back, pointing at freed memory. */
static int on_io_free_self(EventSource *s, int fd, uint32_t revents, void *userdata) {
	Seen *seen = userdata;
	EventLoop *e = event_source_get_loop(s);

	*seen->sources[0] = event_source_free(s);
	return ++seen->calls == 1 ? exit_later(e) : 0;
}

static int test_handler_frees_own_source(void) {
	Seen seen = {};

	ASSERT_PASS(run_one_io(false, EVENT_ON, on_io_free_self, &seen));
	ASSERT_EQ_INT(seen.calls, 1);
	return 0;
}

/* The loop's first fd took the lowest free number: that number free again tells it was freed. */
static int lowest_free_fd(void) {
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -errno : fd;
}

/* LSan tells about the memory, the fds about the loop having been freed at all. */
static int test_ownership_of_sources_and_loop(void) {
	_cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;
	_cleanup_(event_source_freep) EventSource *io = NULL;
	int baseline, free_with_loop;
	EventLoop *held;

	ASSERT_OK(make_pipe(&rfd, &wfd));
	ASSERT_OK(baseline = lowest_free_fd());
	ASSERT_OK(event_loop_new(&e));
	ASSERT_OK(event_add_io(e, NULL, rfd, EPOLLIN, on_io_count, NULL));
	ASSERT_OK(event_add_defer(e, NULL, on_defer_count_to_3, NULL));
	event_loop_unref(TAKE_PTR(e));
	ASSERT_EQ_INT(lowest_free_fd(), baseline);
	/* Lent by the caller: the loop must not close it. */
	ASSERT_SYS(fcntl(rfd, F_GETFD));

	ASSERT_OK(event_loop_new(&e));
	ASSERT_OK(event_add_io(e, &io, rfd, EPOLLIN, on_io_count, NULL));
	free_with_loop = lowest_free_fd();
	ASSERT_NE_INT(free_with_loop, baseline);
	held = TAKE_PTR(e);
	event_loop_unref(held);
	ASSERT_TRUE(event_source_get_loop(io) == held);
	ASSERT_TRUE(event_loop_now(held) > 0);
	ASSERT_EQ_INT(lowest_free_fd(), free_with_loop);
	ASSERT_NULL(event_source_free(TAKE_PTR(io)));
	ASSERT_EQ_INT(lowest_free_fd(), baseline);

	ASSERT_NULL(event_source_free(NULL));
	ASSERT_NULL(event_loop_unref(NULL));
	return 0;
}

static int test_io_refused_for_unpollable_fds(void) {
	_cleanup_close_ int file = -EBADF, null = -EBADF;
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;

	ASSERT_SYS(file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
	ASSERT_SYS(null = open("/dev/null", O_RDWR | O_CLOEXEC));
	ASSERT_OK(event_loop_new(&e));
	ASSERT_ERR(event_add_io(e, NULL, file, EPOLLIN, on_io_count, NULL), -EPERM);
	ASSERT_ERR(event_add_io(e, NULL, null, EPOLLIN, on_io_count, NULL), -EPERM);
	return 0;
}

/* An exit asked for before the loop runs ends it at once; the loop runs again afterwards. */
static int test_exit_before_run(void) {
	_cleanup_(event_loop_unrefp) EventLoop *e = NULL;

	ASSERT_OK(loop_new_guarded(&e));
	event_loop_exit(e, 5);
	ASSERT_EQ_INT(event_loop_run(e), 5);
	ASSERT_OK(event_add_time(e, NULL, event_loop_now(e), on_time_exit, (void *) (intptr_t) 6));
	ASSERT_EQ_INT(event_loop_run(e), 6);
	return 0;
}

TESTS_MAIN(TEST_ENTRY(io_readable_dispatches_and_exit_code_returned),
	   TEST_ENTRY(io_set_events_changes_what_is_waited_for),
	   TEST_ENTRY(io_oneshot_dispatched_once),
	   TEST_ENTRY(io_off_not_dispatched_on_hangup),
	   TEST_ENTRY(handler_error_turns_source_off),
	   TEST_ENTRY(defer_runs_each_iteration_until_off),
	   TEST_ENTRY(time_fires_in_deadline_order),
	   TEST_ENTRY(time_on_fires_again_until_moved),
	   TEST_ENTRY(signal_dispatched_and_must_be_blocked),
	   TEST_ENTRY(child_exit_reported_and_reaped),
	   TEST_ENTRY(source_freed_by_other_handler_not_dispatched),
	   TEST_ENTRY(handler_frees_own_source),
	   TEST_ENTRY(ownership_of_sources_and_loop),
	   TEST_ENTRY(io_refused_for_unpollable_fds),
	   TEST_ENTRY(exit_before_run))
