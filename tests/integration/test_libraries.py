# The libraries berth opens only for the runs that need them: a plain run of a tree, and a boot,
# map none of them; each option that needs one loads it; and one that cannot be loaded stops berth
# with the library's name and the option that needed it, before anything is set up. libsystemd is
# opened only to talk to systemd: here, to a service manager that set NOTIFY_SOCKET (the bus on a
# host running systemd is test_systemd.py's).

import os
import re
import signal
import socket
import threading
from pathlib import Path

import pytest

from boot import Boot

ON_DEMAND = {"libblkid.so.1", "libmount.so.1", "libseccomp.so.2", "libmnl.so.0", "libnftnl.so.11",
             "libsystemd.so.0"}
# The environment of a berth that no service manager started.
NO_MANAGER = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}


def loaded(stderr):
    """The on-demand libraries berth loaded, from the dynamic loader's LD_DEBUG=files lines."""
    found = set(re.findall(r"file=(\S+) \[0\];\s+(?:needed|dynamically loaded) by \S*berth\b", stderr))
    return found & ON_DEMAND


def run_traced(run_berth, *args, env=NO_MANAGER):
    r = run_berth(*args, env={**env, "LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    return loaded(r.stderr)


class Manager:
    """A service manager's notification socket: what berth sends to NOTIFY_SOCKET, read as it
    comes (as a manager does: a full queue of datagrams would block the sender)."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.env = {**NO_MANAGER, "NOTIFY_SOCKET": self.path}
        self.lines = []
        self.stopped = threading.Event()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        while not self.stopped.is_set():
            try:
                self.lines += self.sock.recv(4096).decode().split("\n")
            except TimeoutError:
                pass

    def messages(self):
        """Everything received; the manager stops listening."""
        self.stopped.set()
        self.reader.join()
        self.sock.close()
        return self.lines


def test_plain_run_loads_none(run_berth, tree):
    # The first run may compile the system call filter (with libseccomp); the second finds it in
    # the cache.
    run_traced(run_berth, "-q", "-D", tree, "/bin/true")
    assert run_traced(run_berth, "-q", "-D", tree, "/bin/true") == set()


def test_boot_maps_none(berth, tree):
    # Boot gives berth a NOTIFY_SOCKET: libsystemd is the one library it needs, to notify.
    with Boot(berth, tree, "lib-boot", "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        maps = Path(f"/proc/{boot.proc.pid}/maps").read_text()
        boot.signal(signal.SIGTERM)
        assert boot.wait() == 0
    mapped = {name for name in ON_DEMAND if f"/{name.split('.so')[0]}.so" in maps}
    assert mapped == {"libsystemd.so.0"}, maps


def test_boot_without_manager_loads_none(run_berth, cached_tree):
    # The guest powers itself off once booted; nobody listened to berth, so nothing of systemd's
    # was loaded for it.
    assert run_traced(run_berth, "-q", "-M", "lib-boot-quiet", "-x", "-b", "-D", cached_tree,
                      "systemd.unit=poweroff.target") == set()


def test_libsystemd_is_opened_for_a_manager(run_berth, tree, tmp_path):
    # Not needed by berth's binary (the dynamic loader would map it before main()), but opened
    # to notify the service manager that listens, which hears that the container ran and ended.
    manager = Manager(tmp_path)
    r = run_berth("-q", "-D", tree, "/bin/true", env={**manager.env, "LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    assert re.search(r"file=libsystemd\.so\.0 \[0\];\s+dynamically loaded by \S*berth\b", r.stderr), r.stderr
    assert not re.search(r"file=libsystemd\.so\.0 \[0\];\s+needed by \S*berth\b", r.stderr), r.stderr
    messages = manager.messages()
    assert "READY=1" in messages and "STOPPING=1" in messages, messages
    assert messages.index("READY=1") < messages.index("STOPPING=1"), messages


def test_missing_libsystemd_stops_a_boot(run_berth, cached_tree, tmp_path):
    # A boot's init runs before its supervisor finds the library missing: berth stops it, says
    # why and leaves nothing behind (the leak check). A command finds it missing before anything
    # is set up (test_missing_library).
    (tmp_path / "libsystemd.so.0").write_bytes(b"")
    env = {**Manager(tmp_path).env, "LD_LIBRARY_PATH": str(tmp_path)}
    r = run_berth("-q", "-M", "lib-nosd", "-x", "-b", "-D", cached_tree, env=env, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "Failed to load libsystemd.so.0, needed for notifying the service manager ($NOTIFY_SOCKET)" in r.stderr, r.stderr
    assert "file too short" in r.stderr, r.stderr


def test_missing_libsystemd_is_not_needed(run_berth, cached_tree, tmp_path):
    # Without a service manager (nor systemd as the host's init) berth never needs it.
    (tmp_path / "libsystemd.so.0").write_bytes(b"")
    r = run_berth("-q", "-M", "lib-nosd-needed", "-x", "-D", cached_tree, "/bin/echo", "ran",
                  env={**NO_MANAGER, "LD_LIBRARY_PATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ran\n"


def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, wanted", [
    (["--tmpfs=/mnt:size=1M"], {"libmount.so.1"}),
    (["--system-call-filter=mlock"], {"libseccomp.so.2"}),
    (["-n"], {"libmnl.so.0"}),
    (["-n", "--port={port}"], {"libmnl.so.0", "libnftnl.so.11"}),
], ids=["tmpfs", "syscall-names", "network", "port"])
def test_options_load_their_libraries(run_berth, cached_tree, args, wanted):
    args = [a.format(port=free_port()) for a in args]
    assert run_traced(run_berth, "-q", "-x", "-D", cached_tree, "-M", "lib-options", *args, "/bin/true") == wanted


@pytest.mark.parametrize("library, args, needed_for", [
    ("libblkid.so.1", ["-i", "/nonexistent.raw"], "--image="),
    ("libmount.so.1", ["-x", "-D", "{tree}", "--tmpfs=/mnt"], "--tmpfs="),
    ("libmnl.so.0", ["-x", "-D", "{tree}", "-n"], "the network options"),
    ("libnftnl.so.11", ["-x", "-D", "{tree}", "-n", "--port={port}"], "--port="),
    ("libseccomp.so.2", ["-x", "-D", "{tree}", "--system-call-filter=~mlock"], "the names of system calls"),
    ("libsystemd.so.0", ["-x", "-D", "{tree}"], "notifying the service manager ($NOTIFY_SOCKET)"),
], ids=["blkid", "mount", "mnl", "nftnl", "seccomp", "systemd"])
def test_missing_library(run_berth, cached_tree, tmp_path, library, args, needed_for):
    # The dynamic loader searches LD_LIBRARY_PATH first: an empty file there cannot be loaded.
    (tmp_path / library).write_bytes(b"")
    env = {**Manager(tmp_path).env, "LD_LIBRARY_PATH": str(tmp_path)}
    args = [a.format(tree=cached_tree, port=free_port()) for a in args]
    r = run_berth("-M", "lib-missing", *args, "/bin/true", env=env)
    assert r.returncode == 1, r.stderr
    assert f"Failed to load {library}, needed for {needed_for}" in r.stderr, r.stderr
    assert "file too short" in r.stderr, r.stderr
    assert "Spawning container" not in r.stderr
    assert not Path("/run/berth/machines/lib-missing").exists()


def test_watchdog_pings_the_manager(run_berth, tree, tmp_path):
    # A manager that set WATCHDOG_USEC (for any process: no WATCHDOG_PID) hears WATCHDOG=1 twice
    # per period while the container runs.
    manager = Manager(tmp_path)
    r = run_berth("-q", "-D", tree, "/bin/sleep", "1", env={**manager.env, "WATCHDOG_USEC": "200000"})
    assert r.returncode == 0, r.stderr
    pings = manager.messages().count("WATCHDOG=1")
    assert 5 <= pings <= 12, manager.messages()
