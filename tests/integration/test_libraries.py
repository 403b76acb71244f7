# The libraries berth opens only for the runs that need them: a plain run of a tree, and a boot,
# map none of them; each option that needs one loads it; and one that cannot be loaded stops berth
# with the library's name and the option that needed it, before anything is set up. libsystemd is
# opened by the supervisor, once the payload runs.

import os
import re
import signal
import socket
from pathlib import Path

import pytest

from boot import Boot

ON_DEMAND = {"libblkid.so.1", "libmount.so.1", "libseccomp.so.2", "libmnl.so.0", "libnftnl.so.11"}


def loaded(stderr):
    """The on-demand libraries berth loaded, from the dynamic loader's LD_DEBUG=files lines."""
    found = set(re.findall(r"file=(\S+) \[0\];\s+(?:needed|dynamically loaded) by \S*berth\b", stderr))
    return found & ON_DEMAND


def run_traced(run_berth, *args):
    r = run_berth(*args, env={**os.environ, "LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    return loaded(r.stderr)


def test_plain_run_loads_none(run_berth, tree):
    # The first run may compile the system call filter (with libseccomp); the second finds it in
    # the cache.
    run_traced(run_berth, "-q", "-D", tree, "/bin/true")
    assert run_traced(run_berth, "-q", "-D", tree, "/bin/true") == set()


def test_boot_maps_none(berth, tree):
    with Boot(berth, tree, "lib-boot", "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        maps = Path(f"/proc/{boot.proc.pid}/maps").read_text()
        boot.signal(signal.SIGTERM)
        assert boot.wait() == 0
    mapped = {name for name in ON_DEMAND if f"/{name.split('.so')[0]}.so" in maps}
    assert mapped == set(), maps


def test_libsystemd_is_opened_not_linked(run_berth, tree):
    # Not needed by berth's binary (the dynamic loader would map it before main()), but opened
    # for the supervisor's event loop.
    r = run_berth("-q", "-D", tree, "/bin/true", env={**os.environ, "LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr
    assert re.search(r"file=libsystemd\.so\.0 \[0\];\s+dynamically loaded by \S*berth\b", r.stderr), r.stderr
    assert not re.search(r"file=libsystemd\.so\.0 \[0\];\s+needed by \S*berth\b", r.stderr), r.stderr


def test_missing_libsystemd_stops_a_boot(run_berth, cached_tree, tmp_path):
    # A boot's init runs before its supervisor finds the library missing: berth stops it, says
    # why and leaves nothing behind (the leak check). A command finds it missing before anything
    # is set up (test_missing_library).
    (tmp_path / "libsystemd.so.0").write_bytes(b"")
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path)}
    r = run_berth("-q", "-M", "lib-nosd", "-x", "-b", "-D", cached_tree, env=env, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "Failed to load libsystemd.so.0, needed for the supervisor" in r.stderr, r.stderr
    assert "file too short" in r.stderr, r.stderr


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
    ("libsystemd.so.0", ["-x", "-D", "{tree}"], "the supervisor"),
], ids=["blkid", "mount", "mnl", "nftnl", "seccomp", "systemd"])
def test_missing_library(run_berth, cached_tree, tmp_path, library, args, needed_for):
    # The dynamic loader searches LD_LIBRARY_PATH first: an empty file there cannot be loaded.
    (tmp_path / library).write_bytes(b"")
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path)}
    args = [a.format(tree=cached_tree, port=free_port()) for a in args]
    r = run_berth("-M", "lib-missing", *args, "/bin/true", env=env)
    assert r.returncode == 1, r.stderr
    assert f"Failed to load {library}, needed for {needed_for}" in r.stderr, r.stderr
    assert "file too short" in r.stderr, r.stderr
    assert "Spawning container" not in r.stderr
    assert not Path("/run/berth/machines/lib-missing").exists()
