# berth's console: with a terminal (a pty made here, berth's controlling terminal) it relays input
# and output, follows the window size and kills the container on ^]^]^]; without one it only
# forwards output (read-only) or, with --console=pipe, hands its stdin and stdout to the command.

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import machine_processes, process_alive, wait_for_machine

PROBE = "/usr/local/bin/berth-probe"


class Terminal:
    """A pty whose slave is berth's stdin, stdout, stderr and controlling terminal."""

    def __init__(self, rows, cols):
        self.master, self.slave = os.openpty()
        self.set_size(rows, cols)
        self.output = b""
        self.proc = None

    def set_size(self, rows, cols):
        # On the master, as a terminal emulator does: the kernel then sends SIGWINCH to the
        # slave's foreground process group (berth).
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def spawn(self, berth, *args, env=None):
        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([str(berth), *map(str, args)], stdin=self.slave, stdout=self.slave,
                                     stderr=self.slave, start_new_session=True, preexec_fn=take_terminal,
                                     env=env)
        return self.proc

    def write(self, data):
        os.write(self.master, data)

    def read_until(self, pattern, timeout=10):
        """Reads berth's output until the regular expression (bytes) matches what came since the
        last match; returns the match. Fails the test on timeout."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.output)
            if m:
                self.output = self.output[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"No {pattern!r} on the terminal after {timeout}s; got {self.output!r}",
                            pytrace=False)
            if select.select([self.master], [], [], min(left, 0.2))[0]:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:  # EIO: nobody has the slave open
                    time.sleep(0.05)

    def wait(self, timeout=15):
        """Waits for berth to exit, draining its output meanwhile; returns its status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail(f"berth still runs after {timeout}s; output {self.output!r}", pytrace=False)
            if select.select([self.master], [], [], 0.05)[0]:
                self.output += os.read(self.master, 4096)
        while select.select([self.master], [], [], 0)[0]:
            self.output += os.read(self.master, 4096)
        return self.proc.returncode

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal():
    terminals = []

    def make(rows=24, cols=80):
        t = Terminal(rows, cols)
        terminals.append(t)
        return t

    yield make
    for t in terminals:
        t.close()


def wait_in_foreground(pid, timeout=10):
    """Waits until pid's process group is the foreground one of its terminal: the shell hands the
    terminal over after the command started, and ^C before that would go to the shell."""
    deadline = time.monotonic() + timeout
    while True:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        pgrp, tpgid = int(fields[2]), int(fields[5])
        if pgrp == tpgid:
            return
        assert time.monotonic() < deadline, f"process {pid} never became the terminal's foreground"
        time.sleep(0.01)


def test_interactive_shell(tree, berth, terminal):
    t = terminal(rows=33, cols=101)
    before = termios.tcgetattr(t.slave)
    t.spawn(berth, "-D", tree, "-M", "console-shell", "/bin/sh",
            env=dict(os.environ, TERM="xterm-256color"))
    t.read_until(rb"# ")
    # berth's terminal is raw while it runs: keys go to the container as typed.
    assert not termios.tcgetattr(t.slave)[3] & (termios.ICANON | termios.ECHO | termios.ISIG)

    t.write(b"stty size\n")
    t.read_until(rb"33 101\r\n")
    t.write(b"echo $((6*7)) $TERM $(tty)\n")
    t.read_until(rb"42 xterm-256color /dev/console\r\n")

    # ^C goes to the command in the container, not to berth.
    t.write(b"sleep 60\n")
    found = wait_for_machine("console-shell", "sleep", t.proc)
    wait_in_foreground(next(pid for pid, comm in found.items() if comm == "sleep"))
    t.write(b"\x03")
    t.write(b"echo status=$?\n")
    t.read_until(rb"status=130\r\n")

    # A resize of the outer terminal reaches the container (berth gets SIGWINCH). The new size is
    # asked until it shows, since the typed command may overtake the resize in berth's loop.
    t.set_size(40, 120)
    deadline = time.monotonic() + 10
    while True:
        t.write(b"stty size\n")
        size = t.read_until(rb"(\d+ \d+)\r\n")[1]
        if size == b"40 120" or time.monotonic() > deadline:
            break
    assert size == b"40 120"

    t.write(b"exit 7\n")
    assert t.wait() == 7
    assert termios.tcgetattr(t.slave) == before


def test_escape_kills_the_container(tree, berth, terminal):
    t = terminal()
    before = termios.tcgetattr(t.slave)
    t.spawn(berth, "-D", tree, "-M", "console-escape", "/bin/sh")
    t.read_until(rb"Press Ctrl-\] three times")
    t.read_until(rb"# ")

    # Two ^] and then another key: no escape, the shell goes on (^U drops the line typed so far).
    t.write(b"\x1d\x1d\x15")
    t.write(b"\x1d\x15echo $((40+2))ok\n")
    t.read_until(rb"42ok\r\n")
    assert t.proc.poll() is None
    pids = wait_for_machine("console-escape", "sh")

    t.write(b"\x1d\x1d\x1d")
    assert t.wait() == 128 + signal.SIGKILL
    t.read_until(rb"Killing container 'console-escape'")
    assert not machine_processes("console-escape")
    assert not [p for p, comm in pids.items() if comm == "sh" and process_alive(p)]
    assert termios.tcgetattr(t.slave) == before


def test_terminal_restored_after_sigterm(tree, berth, terminal):
    t = terminal()
    before = termios.tcgetattr(t.slave)
    t.spawn(berth, "-D", tree, "-M", "console-stopped", PROBE, "sleep", "60")
    wait_for_machine("console-stopped", "berth-probe", t.proc)
    assert termios.tcgetattr(t.slave) != before  # raw while berth runs
    t.proc.send_signal(signal.SIGTERM)
    assert t.wait() == 128 + signal.SIGKILL
    assert termios.tcgetattr(t.slave) == before


def test_read_only_console_without_terminal(tree, berth):
    """Not on a terminal: the command's output comes through byte for byte, its stdin is the
    console, and berth does not read its own stdin."""
    r, w = os.pipe()
    try:
        os.write(w, b"typed\n")
        env = dict(os.environ, TERM="xterm-256color")
        p = subprocess.run([berth, "-D", tree, "/bin/sh", "-c",
                            "test -t 0 && echo stdin-is-a-terminal; echo $TERM; printf 'a\\nb\\n'"],
                           stdin=r, capture_output=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        assert p.stdout == b"stdin-is-a-terminal\nvt220\na\nb\n"
        os.set_blocking(r, False)
        assert os.read(r, 100) == b"typed\n"
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("option", ["-P", "--pipe", "--console=pipe"])
def test_pipe_console(tree, berth, option):
    script = ("cat; test -t 0 || echo stdin-is-not-a-terminal; test -e /dev/console || echo no-console; "
              "echo to-stderr >&2")
    p = subprocess.run([berth, option, "-q", "-D", tree, "/bin/sh", "-c", script], input=b"hi\nthere",
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"hi\ntherestdin-is-not-a-terminal\nno-console\n"
    assert p.stderr == b"to-stderr\n"
