/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The console relay, without root and without a terminal: berth's stdin and stdout are pipes here,
 * the container is a forked child writing into the pty slave. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>


#include "console.h"

#define CHECK(expr)                                                                      \
	do {                                                                             \
		if (!(expr)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
			return -1;                                                       \
		}                                                                        \
	} while (0)

static uint64_t now_msec(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000U + (uint64_t) ts.tv_nsec / 1000000U;
}

typedef struct Until {
	bool (*done)(void *userdata);
	void *userdata;
	uint64_t deadline_msec;
	bool held;
} Until;

/* Looks every 10 ms whether the condition holds or the time is up. */
static int on_until_tick(EventSource *s, uint64_t usec, void *userdata) {
	Until *u = userdata;

	u->held = u->done(u->userdata);
	if (u->held || now_msec() >= u->deadline_msec)
		event_loop_exit(event_source_get_loop(s), 0);
	return event_source_set_time(s, usec + 10 * 1000);
}

/* Runs the loop until done(userdata) holds or timeout_msec passed; returns whether it held. */
static bool run_until(EventLoop *e, bool (*done)(void *userdata), void *userdata, unsigned timeout_msec) {
	Until u = { .done = done, .userdata = userdata, .deadline_msec = now_msec() + timeout_msec };
	EventSource *tick = NULL;

	if (event_add_time(e, &tick, event_loop_now(e), on_until_tick, &u) < 0)
		return false;
	if (event_loop_run(e) < 0)
		u.held = false;
	event_source_free(tick);
	return u.held;
}

static bool never(_unused_ void *userdata) {
	return false;
}

static int bytes_waiting(int fd) {
	int n = 0;
	return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

typedef struct Waiting {
	int fd;
	int n;
} Waiting;

static bool has_bytes(void *userdata) {
	const Waiting *w = userdata;
	return bytes_waiting(w->fd) >= w->n;
}

static bool child_exited(void *userdata) {
	pid_t *pid = userdata;
	int status;

	if (*pid <= 0)
		return true;
	if (waitpid(*pid, &status, WNOHANG) != *pid)
		return false;
	*pid = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	return true;
}

/* Puts new_fd on target; returns a copy of what target was, for restore_fd(). */
static int redirect_fd(int target, int new_fd) {
	int saved = fcntl(target, F_DUPFD_CLOEXEC, 3);

	if (saved < 0 && errno == EBADF)
		saved = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (saved < 0 || dup2(new_fd, target) < 0)
		return -1;
	return saved;
}

static void restore_fd(int target, int saved) {
	(void) dup2(saved, target);
	close(saved);
}

/* The container: writes p to the slave, then waits for a byte on wait_fd and writes more. */
static _Noreturn void child_write(const char *slave, const void *p, size_t n, int wait_fd,
				  const char *more) {
	int fd = open(slave, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	const char *q = p;
	char x;

	if (fd < 0)
		_exit(2);
	while (n > 0) {
		ssize_t k = write(fd, q, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		q += k;
		n -= (size_t) k;
	}
	if (wait_fd >= 0 && read(wait_fd, &x, 1) == 1 && more &&
	    write(fd, more, strlen(more)) != (ssize_t) strlen(more))
		_exit(4);
	close(fd);
	_exit(0);
}

static ssize_t read_all(int fd, char *buf, size_t size) {
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || got + (size_t) n == size)
			return (ssize_t) (got + (size_t) n);
		got += (size_t) n;
	}
}

/* Output is relayed while the loop runs, the rest by console_drain(), byte-exact into a pipe. */
static int test_forward_output(void) {
	int out[2], sync_pipe[2], saved, master;
	char *slave = NULL, buf[256];
	EventLoop *e = NULL;
	Console *c = NULL;
	struct sigaction sa;
	int status;
	pid_t pid;
	ssize_t n;

	CHECK(pipe2(out, O_CLOEXEC) == 0 && pipe2(sync_pipe, O_CLOEXEC) == 0);
	CHECK((saved = redirect_fd(STDOUT_FILENO, out[1])) >= 0);
	CHECK(console_open_pty(&master, &slave) == 0);
	CHECK(strncmp(slave, "/dev/pts/", 9) == 0);
	CHECK((fcntl(master, F_GETFL) & O_NONBLOCK) && (fcntl(master, F_GETFD) & FD_CLOEXEC));

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		child_write(slave, "hello\n", 6, sync_pipe[0], "world\n");
	close(sync_pipe[0]);

	CHECK(event_loop_new(&e) >= 0);
	CHECK(console_new(e, master, CONSOLE_FORWARD_OUTPUT, NULL, NULL, &c) == 0);
	/* berth's own stdout must stay blocking: the relay uses a private reopening of it. */
	CHECK(!(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK));
	CHECK(run_until(e, has_bytes, &(Waiting) { out[0], 6 }, 5000));

	/* The rest arrives while the loop is not running: console_drain() must fetch it. */
	CHECK(write(sync_pipe[1], "x", 1) == 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(console_drain(c) == 0);
	c = console_free(c);
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);

	restore_fd(STDOUT_FILENO, saved);
	close(out[1]);
	n = read_all(out[0], buf, sizeof buf);
	CHECK(n == 12 && memcmp(buf, "hello\nworld\n", 12) == 0);

	close(out[0]);
	close(sync_pipe[1]);
	close(master);
	free(slave);
	event_loop_unref(e);
	return 0;
}

/* Passive: a container writing 1 MiB finishes, and none of it reaches stdout. */
static int test_passive(void) {
	static char data[1024 * 1024];
	int out[2], saved, master;
	char *slave = NULL, buf[16];
	EventLoop *e = NULL;
	Console *c = NULL;
	pid_t pid;

	memset(data, 'a', sizeof data);
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	CHECK((saved = redirect_fd(STDOUT_FILENO, out[1])) >= 0);
	CHECK(console_open_pty(&master, &slave) == 0);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		child_write(slave, data, sizeof data, -1, NULL);

	CHECK(event_loop_new(&e) >= 0);
	CHECK(console_new(e, master, 0, NULL, NULL, &c) == 0);
	if (!run_until(e, child_exited, &pid, 20000)) {
		(void) kill(pid, SIGKILL);
		(void) waitpid(pid, NULL, 0);
		CHECK(!"the writer finished");
	}
	CHECK(pid == 0);
	CHECK(console_drain(c) == 0);
	c = console_free(c);

	restore_fd(STDOUT_FILENO, saved);
	close(out[1]);
	CHECK(read_all(out[0], buf, sizeof buf) == 0);

	close(out[0]);
	close(master);
	free(slave);
	event_loop_unref(e);
	return 0;
}

/* A stdout nobody reads anymore: no SIGPIPE death, the container still finishes. */
static int test_broken_stdout(void) {
	static char data[256 * 1024];
	int out[2], saved, master;
	char *slave = NULL;
	EventLoop *e = NULL;
	Console *c = NULL;
	pid_t pid;

	memset(data, 'b', sizeof data);
	CHECK(pipe2(out, O_CLOEXEC) == 0);
	CHECK((saved = redirect_fd(STDOUT_FILENO, out[1])) >= 0);
	close(out[0]);
	close(out[1]);
	CHECK(console_open_pty(&master, &slave) == 0);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		child_write(slave, data, sizeof data, -1, NULL);

	CHECK(event_loop_new(&e) >= 0);
	CHECK(console_new(e, master, CONSOLE_FORWARD_OUTPUT, NULL, NULL, &c) == 0);
	if (!run_until(e, child_exited, &pid, 20000)) {
		(void) kill(pid, SIGKILL);
		(void) waitpid(pid, NULL, 0);
		CHECK(!"the writer finished");
	}
	CHECK(pid == 0);
	CHECK(console_drain(c) == 0);
	c = console_free(c);
	/* Reopening a pipe without readers fails, so the shared description was used: restored now. */
	CHECK(!(fcntl(STDOUT_FILENO, F_GETFL) & O_NONBLOCK));

	restore_fd(STDOUT_FILENO, saved);
	close(master);
	free(slave);
	event_loop_unref(e);
	return 0;
}

static void on_escape(void *userdata) {
	unsigned *count = userdata;
	(*count)++;
}

static bool escaped(void *userdata) {
	return *(unsigned *) userdata > 0;
}

/* Input is forwarded as typed; three ^] in a row call on_escape, broken up they don't. */
static int test_escape(void) {
	int in[2], saved, master, slave_fd;
	char *slave = NULL, buf[16];
	EventLoop *e = NULL;
	Console *c = NULL;
	unsigned escapes = 0;
	struct termios t;

	CHECK(pipe2(in, O_CLOEXEC) == 0);
	CHECK((saved = redirect_fd(STDIN_FILENO, in[0])) >= 0);
	CHECK(console_open_pty(&master, &slave) == 0);
	CHECK((slave_fd = open(slave, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) >= 0);
	/* Raw, so the bytes can be read as they come, without waiting for a newline. */
	CHECK(tcgetattr(slave_fd, &t) == 0);
	cfmakeraw(&t);
	CHECK(tcsetattr(slave_fd, TCSANOW, &t) == 0);

	CHECK(event_loop_new(&e) >= 0);
	CHECK(console_new(e, master, CONSOLE_FORWARD_INPUT, on_escape, &escapes, &c) == 0);
	CHECK(!(fcntl(STDIN_FILENO, F_GETFL) & O_NONBLOCK));

	CHECK(write(in[1], "\x1d\x1dx\x1d", 4) == 4);
	CHECK(run_until(e, has_bytes, &(Waiting) { slave_fd, 4 }, 5000));
	CHECK(read(slave_fd, buf, sizeof buf) == 4 && memcmp(buf, "\x1d\x1dx\x1d", 4) == 0);
	CHECK(escapes == 0);

	CHECK(write(in[1], "\x1d\x1d", 2) == 2);
	CHECK(run_until(e, escaped, &escapes, 5000));
	CHECK(escapes == 1);
	CHECK(run_until(e, has_bytes, &(Waiting) { slave_fd, 2 }, 5000));
	CHECK(read(slave_fd, buf, sizeof buf) == 2);

	/* EOF on stdin only ends the input: nothing is called, the loop goes on quietly. */
	close(in[1]);
	(void) run_until(e, never, NULL, 100);
	CHECK(escapes == 1);

	c = console_free(c);
	restore_fd(STDIN_FILENO, saved);
	close(in[0]);
	close(slave_fd);
	close(master);
	free(slave);
	event_loop_unref(e);
	return 0;
}

int main(void) {
	static const struct {
		const char *name;
		int (*func)(void);
	} tests[] = {
		{ "forward-output", test_forward_output },
		{ "passive", test_passive },
		{ "broken-stdout", test_broken_stdout },
		{ "escape", test_escape },
	};
	int failed = 0;

	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		int r = tests[i].func();
		fprintf(stderr, "%s: %s\n", tests[i].name, r == 0 ? "ok" : "FAILED");
		if (r != 0)
			failed++;
	}
	return failed == 0 ? 0 : 1;
}
