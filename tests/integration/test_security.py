# The container's system call filter, seen from inside: what it refuses and with which error (asked
# with berth-seccomp-probe, which makes the calls), that it holds for every process of the container
# (with --user, with --as-pid2's stub, under a booted systemd), that a booted OS still comes up
# under it, and that berth compiles it once and then reuses the compiled programs from its cache.

import errno
import json
import os
import re
import shutil
import signal
import stat
from pathlib import Path

import pytest

from boot import Boot
from conftest import build_dir

PROBE = "/usr/local/bin/berth-seccomp-probe"
CACHE_DIR = Path("/run/berth/seccomp")
# The filter is one program: the allow-list and the rules on arguments (ioctl, socket).
PROGRAMS = 1
CAP_KILL = 5

# Calls the filter refuses with EPERM, each made so that without the filter root in the container
# would get another answer (see seccomp-probe.c).
REFUSED = ["kexec_load", "init_module", "finit_module", "swapon", "open_by_handle_at", "bpf",
           "perf_event_open", "add_key", "adjtimex", "mlock", "ioctl-TIOCSTI",
           "ioctl-TIOCSTI-high-bits", "ioctl-TIOCLINUX", "x32-swapon"]
ALLOWED = ["getpid", "ioctl-TIOCGWINSZ", "socket-netlink-route"]


@pytest.fixture(scope="session")
def seccomp_probe():
    path = build_dir() / "tests/integration/berth-seccomp-probe"
    if not os.access(path, os.X_OK):
        pytest.fail(f"'{path}' is missing: build first (meson compile -C build)", pytrace=False)
    return path


@pytest.fixture
def probe_tree(tree, seccomp_probe):
    """The test's tree with the seccomp probe installed."""
    shutil.copy(seccomp_probe, tree / PROBE.lstrip("/"))
    os.chmod(tree / PROBE.lstrip("/"), 0o755)
    return tree


def run_probe(run_berth, tree, *args, verbs, env=None):
    """Runs the probe in a container (berth ARGS, console on a pty) and returns ({call: line}, the
    CompletedProcess)."""
    r = run_berth("-D", tree, *args, PROBE, *verbs, env=env)
    assert r.returncode == 0, f"berth exited with {r.returncode}\n{r.stdout}\n{r.stderr}"
    try:
        lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        pytest.fail(f"Not the probe's output ({e}):\n{r.stdout}\n{r.stderr}", pytrace=False)
    return {line["call"]: line for line in lines}, r


def assert_filtered(calls, key="status"):
    assert calls[key]["seccomp"] == 2, f"not in seccomp filter mode: {calls[key]}"
    assert calls[key]["filters"] == PROGRAMS, calls[key]


def errno_name(n):
    return errno.errorcode.get(n, str(n)) if n else "success"


def test_filter_refuses_what_nspawn_refuses(run_berth, probe_tree):
    calls, _ = run_probe(run_berth, probe_tree, "-q",
                         verbs=["status", *REFUSED, *ALLOWED, "socket-netlink-audit", "unassigned",
                                "x32-getpid"])
    assert_filtered(calls)
    wrong = {c: errno_name(calls[c]["errno"]) for c in REFUSED if calls[c]["errno"] != errno.EPERM}
    assert not wrong, f"not refused with EPERM: {wrong}"
    failed = {c: errno_name(calls[c]["errno"]) for c in ALLOWED if calls[c]["errno"] != 0}
    assert not failed, f"allowed calls failed: {failed}"
    assert calls["getpid"]["ret"] == 1
    # Audit sockets look like a kernel without audit; a call nobody knows like one too new.
    assert calls["socket-netlink-audit"]["errno"] == errno.EAFNOSUPPORT
    assert calls["unassigned"]["errno"] == errno.ENOSYS
    # x32's getpid passes the filter: the kernel answers, with ENOSYS where it has no x32 ABI.
    assert calls["x32-getpid"]["errno"] in (0, errno.ENOSYS)


def test_filter_with_user_and_stub(run_berth, probe_tree):
    # A user other than root: the filter is loaded before the change of user drops CAP_SYS_ADMIN.
    calls, _ = run_probe(run_berth, probe_tree, "-q", "--user=nobody",
                         verbs=["uid", "status", "adjtimex", "mlock", "swapon", "getpid"])
    assert calls["uid"]["uid"] == 65534
    assert_filtered(calls)
    assert [calls[c]["errno"] for c in ("adjtimex", "mlock", "swapon")] == [errno.EPERM] * 3
    assert calls["getpid"]["errno"] == 0

    # --as-pid2: the stub (PID 1), which the command could trace, runs under the filter too (and
    # the command has it once), with the command's bounding set and no capability but CAP_KILL.
    calls, _ = run_probe(run_berth, probe_tree, "-q", "--as-pid2",
                         verbs=["status", "status1", "getpid", "mlock"])
    assert_filtered(calls)
    assert_filtered(calls, "status1")
    assert calls["status1"]["cap_bnd"] == calls["status"]["cap_bnd"]
    assert calls["status1"]["cap_eff"] == 1 << CAP_KILL
    assert calls["getpid"]["ret"] == 2
    assert calls["mlock"]["errno"] == errno.EPERM


def cache_paths(stderr):
    """The cache files berth named in its debug output, and whether it compiled them."""
    found = re.findall(r"system call filter (cached in|into) '([^']+)'", stderr)
    return [Path(p) for _, p in found], [how == "into" for how, _ in found]


def file_id(path):
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def linked_paths(stderr):
    """The names berth linked its cache files to (those of the filter's inputs), in order."""
    return [Path(CACHE_DIR, name) for _, name in re.findall(r"Linked the system call filter '([^']+)' as '([^']+)'",
                                                            stderr)]


def test_compiled_filter_is_cached(run_berth, probe_tree):
    env = {**os.environ, "BERTH_LOG_LEVEL": "debug"}

    # Without cache files, berth compiles the filter and stores it, and links it under the name of
    # what it was made from (the policy as given, berth's build, libseccomp), which the next start
    # looks for first.
    for p in CACHE_DIR.glob("*.bpf"):
        p.unlink()
    calls, r = run_probe(run_berth, probe_tree, verbs=["status"], env=env)
    assert_filtered(calls)
    paths, compiled = cache_paths(r.stderr)
    assert len(paths) == PROGRAMS and all(p.parent == CACHE_DIR for p in paths), r.stderr
    assert compiled == [True] * PROGRAMS, r.stderr
    links = linked_paths(r.stderr)
    assert len(links) == PROGRAMS and all(link.samefile(p) for link, p in zip(links, paths)), r.stderr
    st = CACHE_DIR.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o700)
    for p in paths:
        st = p.stat()
        assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_size > 0 and st.st_size % 8 == 0  # whole BPF instructions
    before = [file_id(p) for p in paths]
    size = paths[0].stat().st_size

    # The next start reads them by that name, untouched.
    calls, r = run_probe(run_berth, probe_tree, verbs=["status"], env=env)
    assert_filtered(calls)
    assert cache_paths(r.stderr) == (links, [False] * PROGRAMS), r.stderr
    assert [file_id(p) for p in paths] == before

    # A file others may write, one cut short, one of another owner (under both names: one file):
    # refused, compiled anew, replaced, and linked again.
    for tamper in (lambda p: p.chmod(0o666), lambda p: os.truncate(p, 12), lambda p: os.chown(p, 65534, 0)):
        tamper(paths[0])
        calls, r = run_probe(run_berth, probe_tree, verbs=["status"], env=env)
        assert_filtered(calls)
        assert "Ignoring the cached system call filter" in r.stderr, r.stderr
        assert cache_paths(r.stderr) == (paths, [True]), r.stderr
        st = paths[0].stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode), st.st_size) == (0, 0o600, size)
        assert file_id(paths[0]) != before[0]
        assert links[0].samefile(paths[0])
        before[0] = file_id(paths[0])
    assert not list(CACHE_DIR.glob(".#*")), "a temporary link was left behind"


def test_boot_under_the_filter(berth, pristine_tree):
    with Boot(berth, pristine_tree, "security-boot", "-x", "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        leader = boot.leader()
        status = Path(f"/proc/{leader}/status").read_text()
        assert re.search(r"^Seccomp:\s+2$", status, re.M), status
        assert re.search(rf"^Seccomp_filters:\s+{PROGRAMS}$", status, re.M), status
        # The guest's systemd adds filters of its own to its services (journald has
        # SystemCallFilter=), on top of berth's.
        pid = boot.check("systemctl", "show", "--property=MainPID", "--value", "systemd-journald")
        filters = boot.check("sed", "-n", "s/^Seccomp_filters:[[:space:]]*//p", f"/proc/{pid}/status")
        assert int(filters) > PROGRAMS
        boot.signal(signal.SIGTERM)
        assert boot.wait() == 0
