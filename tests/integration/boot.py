# Helpers for tests that boot a tree with `berth -b`: a running boot (Boot) that listens on the
# NOTIFY_SOCKET it gives berth, finds the container's init through the machine's record, runs
# commands inside with nsenter, and always tears the container down.

import os
import pty
import re
import select
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import STATE_DIR, run_command

# Bounds for waiting, meant to catch hangs; not measures of speed.
BOOT_TIMEOUT = 90
EXIT_TIMEOUT = 30


def read_record(name):
    """The machine's runtime record as a dict, or None while there is none."""
    try:
        text = (STATE_DIR / name).read_text()
    except FileNotFoundError:
        return None
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def random_machine_id():
    return uuid.uuid4().hex


class Boot:
    """`berth -b` running in the background. Use as a context manager: on leaving, berth is killed
    with SIGKILL if it still runs, and reaped.

    console: "pipe" (berth's stdout and stderr go to a file, no terminal) or "pty" (berth's stdin,
    stdout and stderr are the slave of a pseudo-terminal the test reads and writes as a user would).
    """

    def __init__(self, berth, tree, name, *args, console="pipe"):
        # tree None: the image is given in args (--image=)
        self.berth, self.tree, self.name, self.args = berth, tree and Path(tree), name, [str(a) for a in args]
        self.console = console
        self.messages = []  # every datagram berth sent to NOTIFY_SOCKET, split into lines
        self.output = b""  # what berth wrote to its stdout (or to the pty: everything) so far
        self.errors = b""  # what berth wrote to its stderr (not with a pty)
        self.proc = None
        self._tmp = tempfile.TemporaryDirectory(prefix="berth-boot-")
        self._sock = None
        self._out = self._err = None
        self._master = None

    # ---- start and stop ----

    def __enter__(self):
        path = os.path.join(self._tmp.name, "notify")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(path)
        env = {**os.environ, "NOTIFY_SOCKET": path}
        cmd = [str(self.berth), "-b", *(["-D", str(self.tree)] if self.tree else []), "-M", self.name, *self.args]
        if self.console == "pty":
            self._master, slave = pty.openpty()
            os.set_blocking(self._master, False)
            self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                         start_new_session=True)
            os.close(slave)
        else:
            # berth's own descriptors; the test reads the files through others, so the offset
            # berth writes at is never moved under it.
            self._out = os.path.join(self._tmp.name, "stdout")
            self._err = os.path.join(self._tmp.name, "stderr")
            with open(self._out, "ab") as out, open(self._err, "ab") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                             env=env)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        self._read_output()
        self._sock.close()
        if self._master is not None:
            os.close(self._master)
        self._tmp.cleanup()
        return False

    def wait(self, timeout=EXIT_TIMEOUT):
        """Waits for berth to exit and returns its exit status; fails the test on timeout."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._read_output()
            pytest.fail(f"berth did not exit within {timeout}s\n{self.describe()}", pytrace=False)
        self._read_output()
        self._drain_notify()
        return code

    def signal(self, sig):
        self.proc.send_signal(sig)

    # ---- notifications ----

    def _drain_notify(self, timeout=0):
        """Reads what arrived on NOTIFY_SOCKET, waiting up to timeout for the first datagram."""
        got = False
        while True:
            r, _, _ = select.select([self._sock], [], [], 0 if got else timeout)
            if not r:
                return
            data = self._sock.recv(65536)
            self.messages.extend(data.decode(errors="replace").split("\n"))
            got = True

    def wait_message(self, wanted, timeout=BOOT_TIMEOUT, prefix=False):
        """Waits until berth sent the line wanted (e.g. "READY=1"), or with prefix a line starting
        with it; fails the test if berth exits first or on timeout."""
        deadline = time.monotonic() + timeout
        while not self.received(wanted, prefix, drain=False):
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"No {wanted} from berth within {timeout}s\n{self.describe()}", pytrace=False)
            if self.proc.poll() is not None:
                if self.received(wanted, prefix):
                    break
                pytest.fail(f"berth exited with {self.proc.returncode} before sending {wanted}\n"
                            f"{self.describe()}", pytrace=False)
            self._drain_notify(min(left, 0.2))

    def received(self, wanted, prefix=False, drain=True):
        """Whether berth sent the line wanted (or with prefix, a line starting with it) so far."""
        if drain:
            self._drain_notify()
        return any(m == wanted or (prefix and m.startswith(wanted)) for m in self.messages)

    # ---- the container ----

    def leader(self, other_than=None, timeout=BOOT_TIMEOUT):
        """The host PID of the container's init, from the machine's record, once it runs the init
        rather than berth's set-up (waiting for one that differs from other_than, after a
        reboot)."""
        deadline = time.monotonic() + timeout
        while True:
            record = read_record(self.name) or {}
            pid = int(record.get("LEADER", "0") or 0)
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip() if pid > 0 else None
            except FileNotFoundError:
                comm = None
            if pid != other_than and comm not in (None, "berth"):
                return pid
            if self.proc.poll() is not None:
                pytest.fail(f"berth exited with {self.proc.returncode} before the container "
                            f"started\n{self.describe()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"No container leader in '{STATE_DIR / self.name}' within {timeout}s "
                            f"(record: {record})\n{self.describe()}", pytrace=False)
            time.sleep(0.05)

    def run(self, *cmd, timeout=60, leader=None):
        """Runs cmd in all of the container's namespaces (CompletedProcess, text output)."""
        pid = leader or self.leader()
        return run_command(["nsenter", "-t", pid, "-a", *cmd], timeout=timeout)

    def check(self, *cmd, timeout=60, leader=None):
        """Like run, but fails the test unless cmd succeeds; returns its stripped stdout."""
        r = self.run(*cmd, timeout=timeout, leader=leader)
        if r.returncode != 0:
            pytest.fail(f"{' '.join(map(str, cmd))} failed in the container with {r.returncode}:\n"
                        f"{r.stdout}{r.stderr}", pytrace=False)
        return r.stdout.strip()

    def wait_running(self, leader=None):
        """Waits for the guest's boot to finish and checks it says "running" (reporting the failed
        units when it is degraded)."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            r = self.run("systemctl", "is-system-running", "--wait", timeout=BOOT_TIMEOUT, leader=leader)
            # Right after the start, systemd may not have made /run/systemd/system ("offline")
            # or listen on its socket (no output) yet.
            if r.stdout.strip() not in ("", "offline") or time.monotonic() > deadline or \
                    self.proc.poll() is not None:
                break
            time.sleep(0.1)
        state = r.stdout.strip()
        if state != "running":
            failed = self.run("systemctl", "--failed", "--no-pager", leader=leader)
            pytest.fail(f"systemctl is-system-running says '{state}' ({r.stderr.strip()}), not "
                        f"'running'; failed units:\n{failed.stdout}{failed.stderr}", pytrace=False)

    def container_pids(self):
        """The host PIDs of the container's processes: those in the payload cgroup of the machine
        (from its record), which berth itself is not in."""
        record = read_record(self.name) or {}
        return cgroup_pids(f"{record['CGROUP']}/payload") if record.get("CGROUP") else set()

    # ---- console ----

    def _read_output(self):
        if self._out:
            try:
                self.output = Path(self._out).read_bytes()
                self.errors = Path(self._err).read_bytes()
            except FileNotFoundError:  # after __exit__
                pass
            return
        while self._master is not None:
            try:
                data = os.read(self._master, 65536)
            except BlockingIOError:
                return
            except OSError:  # EIO: no slave is open any more
                return
            if not data:
                return
            self.output += data

    def expect(self, pattern, timeout=BOOT_TIMEOUT, start=0):
        """Waits until the pty output from offset start matches pattern (a bytes regular
        expression); returns the offset just after the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            self._read_output()
            m = regex.search(self.output, start)
            if m:
                return m.end()
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                why = "berth exited" if self.proc.poll() is not None else f"not within {timeout}s"
                pytest.fail(f"{pattern!r} did not appear on the console ({why})\n{self.describe()}",
                            pytrace=False)
            select.select([self._master], [], [], min(left, 0.2))

    def type(self, data):
        os.write(self._master, data)

    def describe(self):
        self._read_output()
        tail = self.output[-3000:].decode(errors="replace")
        text = (f"--- notifications ---\n{self.messages}\n"
                f"--- berth's output (last 3000 bytes) ---\n{tail}")
        if self._err:
            text += f"\n--- berth's stderr ---\n{self.errors.decode(errors='replace')}"
        return text


def cgroup_pids(path):
    """The PIDs in cgroup path and below it."""
    pids = set()
    if not path:
        return pids
    for dirpath, _, files in os.walk(path):
        if "cgroup.procs" in files:
            try:
                pids |= {int(p) for p in Path(dirpath, "cgroup.procs").read_text().split()}
            except OSError:
                pass
    return pids
