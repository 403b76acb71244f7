# Capabilities, the system call filter and process attributes as the command line sets them, seen from
# inside the container: the bounding set (--capability, --drop-capability), ambient capabilities kept
# by a user other than root, no_new_privs, --system-call-filter's allow and deny lists, and --rlimit,
# --oom-score-adjust, --cpu-affinity and --personality.

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import build_dir

PROBE = "/usr/local/bin/berth-probe"
SECCOMP_PROBE = "/usr/local/bin/berth-seccomp-probe"
CAP = {"CAP_NET_BIND_SERVICE": 10, "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14,
       "CAP_SYS_ADMIN": 21, "CAP_SYS_TIME": 25, "CAP_MKNOD": 27}
# The default bounding set, as berth.1 lists it.
DEFAULT_CAPS = sum(1 << c for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 18, 19, 21, 22, 23, 24,
                                    26, 27, 28, 29, 30, 31))
# Binds a privileged port inside the container and prints its credentials.
BIND_80 = """
import os, socket
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
caps = {k: int(status[k], 16) for k in ("CapEff", "CapAmb", "CapBnd")}
s = socket.socket()
try:
    s.bind(("127.0.0.1", 80))
    bound = 0
except OSError as e:
    bound = e.errno
print(json.dumps({"uid": os.getuid(), "bound": bound, "nnp": int(status["NoNewPrivs"]), **caps}))
"""


def host_bounding_set():
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("CapBnd:")), 16)


def caps(*names):
    return sum(1 << CAP[n] for n in names)


@pytest.fixture
def probe_tree(tree):
    """The test's tree with the seccomp probe too."""
    path = build_dir() / "tests/integration/berth-seccomp-probe"
    if not os.access(path, os.X_OK):
        pytest.fail(f"'{path}' is missing: build first (meson compile -C build)", pytrace=False)
    shutil.copy(path, tree / SECCOMP_PROBE.lstrip("/"))
    return tree


def json_lines(r, status=0):
    assert r.returncode == status, f"exit status {r.returncode}, expected {status}\n{r.stdout}\n{r.stderr}"
    try:
        return [json.loads(line) for line in r.stdout.splitlines() if line]
    except json.JSONDecodeError as e:
        pytest.fail(f"Not JSON ({e}):\n{r.stdout}\n--- stderr ---\n{r.stderr}", pytrace=False)


def seccomp_calls(run_berth, tree, *args):
    """{call: line} of the seccomp probe run with berth ARGS."""
    *options, verbs = args
    return {line["call"]: line for line in json_lines(run_berth("-q", "-D", tree, *options, SECCOMP_PROBE, *verbs))}


def test_bounding_set(run_berth, probe_tree):
    host = host_bounding_set()
    calls = seccomp_calls(run_berth, probe_tree, ["status1", "adjtimex", "mlock"])
    assert calls["status1"]["cap_bnd"] == DEFAULT_CAPS & host
    assert calls["adjtimex"]["errno"] == errno.EPERM and calls["mlock"]["errno"] == errno.EPERM

    # Added and dropped, in /proc/1/status; the filter follows the bounding set: with CAP_SYS_TIME the
    # clock calls pass, with CAP_IPC_LOCK memory locking.
    calls = seccomp_calls(run_berth, probe_tree, "--capability=CAP_SYS_TIME,CAP_IPC_LOCK",
                          "--drop-capability=CAP_NET_RAW", "--drop-capability=CAP_MKNOD",
                          ["status1", "adjtimex", "mlock"])
    expected = (DEFAULT_CAPS | caps("CAP_SYS_TIME", "CAP_IPC_LOCK")) & ~caps("CAP_NET_RAW", "CAP_MKNOD")
    assert calls["status1"]["cap_bnd"] == expected & host
    assert calls["adjtimex"]["errno"] == 0 and calls["mlock"]["errno"] == 0

    calls = seccomp_calls(run_berth, probe_tree, "--capability=all", ["status1"])
    assert calls["status1"]["cap_bnd"] == host
    calls = seccomp_calls(run_berth, probe_tree, "--private-network", "--drop-capability=CAP_SYS_ADMIN", ["status1"])
    assert calls["status1"]["cap_bnd"] == (DEFAULT_CAPS | caps("CAP_NET_ADMIN")) & ~caps("CAP_SYS_ADMIN") & host


def test_ambient_capability_for_a_user(run_berth, tree):
    # nobody may bind port 80 in its own network namespace when it keeps CAP_NET_BIND_SERVICE.
    args = ["-q", "-D", tree, "--private-network", "-u", "nobody"]
    (out,) = json_lines(run_berth(*args, "--ambient-capability=CAP_NET_BIND_SERVICE", "python3", "-c",
                                  "import json" + BIND_80))
    bind = caps("CAP_NET_BIND_SERVICE")
    assert (out["uid"], out["bound"]) == (65534, 0)
    assert (out["CapAmb"], out["CapEff"]) == (bind, bind)
    assert out["nnp"] == 0

    # Without it, nobody has no capability; no_new_privs is set on request.
    (out,) = json_lines(run_berth(*args, "--no-new-privileges=yes", "python3", "-c", "import json" + BIND_80))
    assert (out["uid"], out["bound"], out["CapAmb"], out["CapEff"]) == (65534, errno.EACCES, 0, 0)
    assert out["nnp"] == 1

    # An ambient capability must be in the bounding set: refused before anything runs.
    r = run_berth(*args, "--ambient-capability=CAP_SYS_TIME", "/bin/true")
    assert r.returncode == 1
    assert "--ambient-capability=" in r.stderr and "CAP_SYS_TIME" in r.stderr, r.stderr


def test_system_call_filter(run_berth, probe_tree):
    # Lists add up over several options; a call on both lists is refused. adjtimex (in @clock) is
    # refused by default, getpid and sockets (in @network-io) allowed.
    calls = seccomp_calls(run_berth, probe_tree, "--system-call-filter=adjtimex mlock",
                          "--system-call-filter=~getpid", "--system-call-filter=~@network-io mlock",
                          ["status", "adjtimex", "mlock", "getpid", "socket-netlink-route", "swapon"])
    assert calls["status"]["seccomp"] == 2
    assert calls["adjtimex"]["errno"] == 0
    refused = {c: calls[c]["errno"] for c in ("mlock", "getpid", "socket-netlink-route", "swapon")}
    assert refused == dict.fromkeys(refused, errno.EPERM)

    # An unknown group is refused before anything runs.
    r = run_berth("-q", "-D", probe_tree, "--system-call-filter=~@nope", "/bin/true")
    assert r.returncode == 1 and "'@nope'" in r.stderr, r.stderr


def test_process_attributes(run_berth, tree):
    script = ("cat /proc/self/limits; echo oom=$(cat /proc/self/oom_score_adj); "
              "grep Cpus_allowed_list /proc/self/status; echo machine=$(uname -m)")
    r = run_berth("-q", "-D", tree, "--rlimit=NOFILE=200:300", "--rlimit=RLIMIT_CORE=0",
                  "--oom-score-adjust=250", "--cpu-affinity=0", "--personality=x86", "/bin/sh", "-c", script)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    nofile = next(line for line in lines if line.startswith("Max open files")).split()[3:5]
    core = next(line for line in lines if line.startswith("Max core file size")).split()[4:6]
    assert nofile == ["200", "300"] and core == ["0", "0"]
    assert "oom=250" in lines
    assert "Cpus_allowed_list:\t0" in lines
    assert "machine=i686" in lines
