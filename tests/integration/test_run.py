# berth -D DIR COMMAND: what a command run in an OS tree sees (asked from inside with the probe),
# and what the host sees of it (exit status, the tree afterwards, locks, signals, bad input).
# One container run answers many questions: the probe takes several verbs on one command line.

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import (machine_processes, machine_record, process_alive, tree_digest,
                      wait_for_machine)

PROBE = "/usr/local/bin/berth-probe"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EROFS, EACCES, ENOENT = 30, 13, 2
DEV = {"console", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
       "stdout", "tty", "urandom", "zero"}
PROC_MASKED = ["/proc/kallsyms", "/proc/kcore", "/proc/keys", "/proc/sysrq-trigger", "/proc/timer_list"]
HOST_NS = {ns: os.readlink(f"/proc/self/ns/{ns}") for ns in ("mnt", "pid", "uts", "ipc", "net", "cgroup", "user")}


def probe_output(r):
    """The JSON lines the probe printed, in order; every line of berth's stdout must be one."""
    lines = [line for line in r.stdout.splitlines() if line]
    try:
        return [json.loads(line) for line in lines]
    except json.JSONDecodeError as e:
        pytest.fail(f"berth's output is not the probe's JSON ({e}):\n{r.stdout}\n--- stderr ---\n{r.stderr}",
                    pytrace=False)


def run_probe(run_berth, *args, status=0, env=None):
    """Runs berth ARGS (ending with the probe's verbs), checks its exit status, returns the probe's
    output lines."""
    r = run_berth(*args, env=env)
    assert r.returncode == status, f"exit status {r.returncode}, expected {status}\n{r.stdout}\n{r.stderr}"
    return probe_output(r)


def by_path(lines):
    """{path: line} for the lines of read, ls and stat."""
    return {line["path"]: line for line in lines if "path" in line}


def host_os_release():
    for p in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(p):
            return Path(p).read_text()
    return None


def os_release_fields(text):
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            fields[m[1]] = m[2].strip().strip("\"'")
    return fields


def host_links():
    return set(os.listdir("/sys/class/net"))


@pytest.fixture
def spawn(berth):
    """spawn(*args) -> Popen of berth running in the background (stdin /dev/null, text pipes).
    Whatever is still running at the end is killed."""
    procs = []

    def start(*args):
        p = subprocess.Popen([str(berth), *map(str, args)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=30)


def finish(proc, timeout=30):
    """Waits for a spawned berth; returns (status, stdout, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


# ---- what the command sees ----

def test_default_container(tree, run_berth):
    """A plain run: identity, namespaces, API file systems, /dev, /run/host, environment, masks."""
    # The machine name (and so the host name) comes from the directory's name, cleaned up.
    link = tree.parent / "-web..server!-"
    link.symlink_to(tree)
    env = dict(os.environ, BERTH_TEST_PASSED="from-berth", BERTH_TEST_SECRET="not-for-the-container")
    reads = [*PROC_MASKED, "/run/host/container-manager", "/run/host/container-uuid",
             "/run/host/os-release", "/etc/machine-id"]
    stats = ["/", "/run", "/tmp", "/run/host", "/sys", "/dev", "/dev/null", "/dev/zero", "/dev/console",
             "/dev/pts", "/dev/shm", "/proc"]
    writes = ["/run/host/x", "/sys/kernel/x", "/proc/sys/kernel/domainname", "/proc/sys/net/ipv4/ip_forward",
              "/run/x", "/tmp/x", "/dev/shm/x", "/root/x"]
    lists = ["/run/host", "/run/host/inaccessible", "/run"]
    verbs = ["info"]
    for verb, paths in (("read", reads), ("stat", stats), ("ls", lists), ("write", writes)):
        for p in paths:
            verbs += [verb, p]
    out = run_probe(run_berth, "-D", link, "-E", "FOO=bar baz", "-E", "TERM=xterm-test",
                    "-E", "BERTH_TEST_PASSED", PROBE, *verbs, "exit", "42", status=42, env=env)
    info, out = out[0], out[1:]
    read = by_path(out[:len(reads)])
    stat = by_path(out[len(reads):len(reads) + len(stats)])
    listed = by_path(out[len(reads) + len(stats):-len(writes)])
    written = dict(zip(writes, out[-len(writes):]))
    assert len(out) == len(reads) + len(stats) + len(lists) + len(writes)

    # Identity: the command is PID 1 with the derived name as host name.
    assert info["hostname"] == "web.server"
    assert (info["pid"], info["ppid"], info["comm1"]) == (1, 0, "berth-probe")
    assert (info["uid"], info["gid"], info["cwd"]) == (0, 0, "/root")

    # Own mount, PID, UTS, IPC and cgroup namespaces; the host's network and users.
    for ns in ("mnt", "pid", "uts", "ipc", "cgroup"):
        assert info["ns"][ns] != HOST_NS[ns], ns
    assert info["ns"]["net"] == HOST_NS["net"]
    assert info["ns"]["user"] == HOST_NS["user"]
    assert set(info["links"]) == host_links()

    # /sys and /proc/sys are read-only; the host's /proc/sys/net too (its network is shared).
    assert info["sys_ro"] is True and info["proc_sys_ro"] is True and info["root_ro"] is False
    assert stat["/sys"]["fstype"] == "sysfs" and stat["/proc"]["fstype"] == "proc"
    for p in ("/sys/kernel/x", "/proc/sys/kernel/domainname", "/proc/sys/net/ipv4/ip_forward",
              "/run/host/x"):
        assert written[p] == {"ok": False, "errno": EROFS}, p
    # Kernel files that reveal the host read nothing, or cannot be opened at all.
    for p in PROC_MASKED:
        assert read[p]["errno"] != 0 or read[p]["size"] == 0, read[p]
    if os.path.exists("/proc/kallsyms"):  # masked by an empty file, not hidden
        assert read["/proc/kallsyms"] == {"path": "/proc/kallsyms", "errno": 0, "size": 0, "text": ""}

    # /dev: a private tmpfs with the standard nodes, the container's own ptys, no host devices.
    assert set(info["dev"]) == DEV
    assert stat["/dev"]["fstype"] == "tmpfs"
    assert (stat["/dev/null"]["type"], stat["/dev/null"]["rdev"]) == ("chr", [1, 3])
    assert (stat["/dev/zero"]["type"], stat["/dev/zero"]["rdev"]) == ("chr", [1, 5])
    assert stat["/dev/console"]["type"] == "chr" and stat["/dev/console"]["fstype"] == "devpts"
    assert stat["/dev/pts"]["fstype"] == "devpts" and stat["/dev/shm"]["fstype"] == "tmpfs"
    host_blocks = {d for d in os.listdir("/dev") if Path("/dev", d).is_block_device()}
    assert not host_blocks & set(info["dev"])

    # /run and /tmp: fresh tmpfs, writable, hiding what the tree has there.
    assert stat["/run"]["fstype"] == "tmpfs" and stat["/tmp"]["fstype"] == "tmpfs"
    assert (tree / "run/adduser").exists() and "adduser" not in listed["/run"]["names"]
    for p in ("/run/x", "/tmp/x", "/dev/shm/x", "/root/x"):
        assert written[p] == {"ok": True, "errno": 0}, p

    # /run/host: the host and its container manager, read-only.
    assert listed["/run/host"]["names"] == ["container-manager", "container-uuid", "inaccessible", "os-release"]
    assert stat["/run/host"]["ro"] is True
    assert read["/run/host/container-manager"]["text"] == "berth\n"
    assert read["/run/host/os-release"]["text"] == host_os_release()
    assert read["/run/host/container-uuid"]["text"] == info["env"]["container_uuid"] + "\n"
    assert read["/etc/machine-id"]["text"] == info["machine_id"] + "\n"
    assert listed["/run/host/inaccessible"]["names"] == ["blk", "chr", "dir", "fifo", "reg", "sock"]

    # The tree's /etc/machine-id is empty: a transient id, bound over it for this run only.
    assert re.fullmatch(r"[0-9a-f]{32}", info["machine_id"]) and info["machine_id"] != "0" * 32
    assert str(uuid.UUID(info["env"]["container_uuid"])).replace("-", "") == info["machine_id"]
    assert (tree / "etc/machine-id").read_text() == ""

    # The environment: exactly what berth documents, not berth's own; -E comes last.
    host = os_release_fields(host_os_release())
    expected = {"PATH": PATH, "container": "berth", "container_uuid": info["env"]["container_uuid"],
                "TERM": "xterm-test", "HOME": "/root", "USER": "root", "LOGNAME": "root",
                "FOO": "bar baz", "BERTH_TEST_PASSED": "from-berth"}
    for field, var in (("ID", "container_host_id"), ("VERSION_ID", "container_host_version_id"),
                       ("BUILD_ID", "container_host_build_id"), ("VARIANT_ID", "container_host_variant_id"),
                       ("IMAGE_ID", "container_host_image_id"), ("IMAGE_VERSION", "container_host_image_version")):
        if field in host:
            expected[var] = host[field]
    assert info["env"] == expected


def test_names_user_and_directory(tree, run_berth):
    """-M, --hostname, --uuid, -u (by name and by UID), --chdir; TERM defaults to vt220."""
    given = uuid.uuid4()
    out = run_probe(run_berth, "-D", tree, "-M", "web-01", f"--uuid={given}", "-u", "nobody",
                    "--chdir=/usr/share", PROBE, "info", "write", "/root/x", "write", "/tmp/x",
                    "read", "/etc/machine-id")
    info, root_write, tmp_write, machine_id = out
    assert info["hostname"] == "web-01"
    assert (info["uid"], info["gid"], info["cwd"]) == (65534, 65534, "/usr/share")
    assert info["machine_id"] == given.hex and info["env"]["container_uuid"] == str(given)
    assert machine_id["text"] == given.hex + "\n"
    assert {k: info["env"][k] for k in ("HOME", "USER", "LOGNAME", "TERM")} == \
        {"HOME": "/nonexistent", "USER": "nobody", "LOGNAME": "nobody", "TERM": "vt220"}
    assert root_write == {"ok": False, "errno": EACCES}
    assert tmp_write == {"ok": True, "errno": 0}

    # By UID; without --chdir the command starts in the user's home; --hostname beats -M.
    info, = run_probe(run_berth, "-D", tree, "-M", "web-02", "--hostname=front.example", "-u", "1",
                      PROBE, "info")
    assert info["hostname"] == "front.example"
    assert (info["uid"], info["gid"], info["cwd"]) == (1, 1, "/usr/sbin")
    assert (info["env"]["USER"], info["env"]["HOME"]) == ("daemon", "/usr/sbin")


def test_as_pid2(tree, run_berth):
    """-a: a stub is PID 1, the command PID 2, and berth exits with the command's status."""
    out = run_probe(run_berth, "-D", tree, "-a", PROBE, "info", "kill", "TERM", status=128 + signal.SIGTERM)
    info = out[0]
    assert (info["pid"], info["ppid"], info["comm1"]) == (2, 1, "berth-stub")
    assert len(out) == 1  # the probe died of SIGTERM, it did not print that it survived


def test_private_network(tree, run_berth):
    """--private-network: only lo, up; /proc/sys/net is the container's own and writable."""
    out = run_probe(run_berth, "-D", tree, "--private-network", PROBE, "info",
                    "write", "/proc/sys/net/ipv4/ip_forward", "write", "/proc/sys/kernel/domainname")
    info, net_write, kernel_write = out
    assert info["ns"]["net"] != HOST_NS["net"]
    assert info["links"] == ["lo"] and info["links_up"] == ["lo"]
    # Open for writing works (the value is refused as not a number); the rest of /proc/sys is read-only.
    assert net_write["errno"] != EROFS
    assert kernel_write == {"ok": False, "errno": EROFS}


@pytest.mark.parametrize("command, status", [
    (["exit", "0"], 0),
    (["exit", "42"], 42),
    (["segv"], 128 + signal.SIGSEGV),
])
def test_exit_status(tree, run_berth, command, status):
    r = run_berth("-D", tree, PROBE, *command)
    assert r.returncode == status, r.stderr


def test_signals_start_at_their_defaults(tree, berth):
    """Signals berth's caller ignored (an exec keeps that) are not ignored in the container: a ^C
    reaches the commands there. Also for the stub of -a, and the command it starts."""
    def ignore():
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(sig, signal.SIG_IGN)

    for opts in ([], ["-a"]):
        r = subprocess.run([berth, "-q", "-D", tree, *opts, "/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status",
                            "/proc/1/status"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60, preexec_fn=ignore)
        assert r.returncode == 0, r.stderr
        masks = re.findall(r"^\S+:Sig(?:Ign|Blk):\s+(\S+)$", r.stdout, re.M)
        assert len(masks) == 4 and all(int(m, 16) == 0 for m in masks), (opts, r.stdout)


def test_exit_status_of_exec_failure(tree, run_berth):
    r = run_berth("-D", tree, "/usr/bin/no-such-command")
    assert r.returncode == 127
    assert "'/usr/bin/no-such-command'" in r.stderr
    (tree / "root/not-executable").write_text("#!/bin/sh\n")
    r = run_berth("-D", tree, "/root/not-executable")
    assert r.returncode == 126
    assert "'/root/not-executable'" in r.stderr


# ---- machine id ----

def test_machine_id_of_the_tree(tree, run_berth):
    tree_id = uuid.uuid4().hex
    (tree / "etc/machine-id").write_text(tree_id + "\n")
    info, host_uuid = run_probe(run_berth, "-D", tree, f"--uuid={uuid.uuid4()}", PROBE, "info",
                                "read", "/run/host/container-uuid")
    assert info["machine_id"] == tree_id
    assert info["env"]["container_uuid"] == str(uuid.UUID(tree_id))
    assert host_uuid["text"] == str(uuid.UUID(tree_id)) + "\n"
    assert (tree / "etc/machine-id").read_text() == tree_id + "\n"


def test_machine_id_transient(tree, run_berth):
    machine_id = tree / "etc/machine-id"
    machine_id.unlink()
    given = uuid.uuid4()

    # Read-only tree without the file: the id is only in the environment and /run/host.
    info, host_uuid = run_probe(run_berth, "-D", tree, "--read-only", f"--uuid={given.hex}", PROBE, "info",
                                "read", "/run/host/container-uuid")
    assert info["machine_id"] is None
    assert info["env"]["container_uuid"] == str(given)
    assert host_uuid["text"] == f"{given}\n"
    assert not machine_id.exists()

    # Writable tree without the file: bound over an empty file that stays behind (documented).
    info, = run_probe(run_berth, "-D", tree, f"--uuid={given}", PROBE, "info")
    assert info["machine_id"] == given.hex
    assert machine_id.read_text() == ""

    # "uninitialized" counts as no id: a random one, the file unchanged.
    machine_id.write_text("uninitialized\n")
    first, = run_probe(run_berth, "-D", tree, PROBE, "info")
    second, = run_probe(run_berth, "-D", tree, PROBE, "info")
    for info in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", info["machine_id"]), info["machine_id"]
        assert info["env"]["container_uuid"] == str(uuid.UUID(info["machine_id"]))
    assert first["machine_id"] != second["machine_id"]
    assert machine_id.read_text() == "uninitialized\n"


# ---- what happens to the tree ----

def test_ephemeral_leaves_the_tree_unchanged(pristine_tree, run_berth):
    before = tree_digest(pristine_tree)
    script = ("set -e; echo changed > /etc/berth-ephemeral; rm /etc/os-release; touch /usr/bin/env; "
              "mkdir /root/new; cat /etc/berth-ephemeral; stat -f -c %T /")
    r = run_berth("-D", pristine_tree, "-x", "/bin/sh", "-c", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "changed\noverlayfs\n"
    assert not (pristine_tree / "etc/berth-ephemeral").exists()
    assert (pristine_tree / "etc/os-release").exists()
    # A second run starts from the tree again.
    r = run_berth("-D", pristine_tree, "-x", "/bin/sh", "-c", "test ! -e /etc/berth-ephemeral && test -e /etc/os-release")
    assert r.returncode == 0, r.stderr
    assert tree_digest(pristine_tree) == before


def test_read_only(tree, run_berth):
    upper = tree.parent / "upper"
    before = tree_digest(upper)
    out = run_probe(run_berth, "-D", tree, "--read-only", PROBE, "info", "write", "/etc/x", "write", "/root/x",
                    "write", "/usr/x", "write", "/run/x", "write", "/tmp/x")
    info, *writes = out
    assert info["root_ro"] is True
    assert writes == [{"ok": False, "errno": EROFS}] * 3 + [{"ok": True, "errno": 0}] * 2
    assert tree_digest(upper) == before  # nothing reached the tree


VOLATILE = {
    # mode: (fstype of /, of /var or None when missing, /etc exists, writes to /x /etc/x /var/x /usr/x)
    "yes": ("tmpfs", None, False, [0, ENOENT, ENOENT, EROFS]),
    "state": ("overlay", "tmpfs", True, [EROFS, EROFS, 0, EROFS]),
    "overlay": ("overlay", "overlay", True, [0, 0, 0, 0]),
}


@pytest.mark.parametrize("option", ["--volatile", "--volatile=yes", "--volatile=state", "--volatile=overlay"])
def test_volatile(tree, run_berth, option):
    mode = option.partition("=")[2] or "yes"
    root_type, var_type, has_etc, write_errors = VOLATILE[mode]
    upper = tree.parent / "upper"
    before = tree_digest(upper)
    out = run_probe(run_berth, "-D", tree, option, PROBE, "stat", "/", "stat", "/usr", "stat", "/var",
                    "ls", "/etc", "ls", "/", "write", "/x", "write", "/etc/x", "write", "/var/x", "write", "/usr/x")
    root, usr, var, etc, top, *writes = out
    # The tree is itself an overlay here, so "overlay" is also what a bind mount of it shows.
    assert root["fstype"] == root_type
    assert root["ro"] is (mode == "state")
    assert usr["ro"] is (mode != "overlay")
    assert var.get("fstype") == var_type
    assert (etc["errno"] == 0) is has_etc
    if mode == "yes":
        # Only /usr, the tree's links into it and the mount points of the API file systems.
        assert top["names"] == ["bin", "dev", "lib", "lib64", "proc", "run", "sbin", "sys", "tmp", "usr"]
    else:
        assert {"etc", "var", "usr", "root"} <= set(top["names"])
    assert [w["errno"] for w in writes] == write_errors
    assert [w["ok"] for w in writes] == [e == 0 for e in write_errors]
    # Whatever was written is gone: the tree did not change.
    assert tree_digest(upper) == before


def test_template(probe, run_berth):
    tmp = Path(tempfile.mkdtemp(prefix="template-test-", dir="/var/tmp"))
    try:
        template, new = tmp / "template", tmp / "new"
        (template / "usr/bin").mkdir(parents=True)
        (template / "etc").mkdir()
        (template / "bin").symlink_to("usr/bin")
        (template / "etc/marker").write_text("from the template\n")
        shutil.copy(probe, template / "usr/bin/berth-probe")
        before = tree_digest(template)

        out = run_probe(run_berth, "-D", new, f"--template={template}", "berth-probe", "info",
                        "read", "/etc/marker", "write", "/etc/created")
        assert out[0]["hostname"] == "new"
        assert out[1]["text"] == "from the template\n"
        assert out[2]["ok"] is True
        assert (new / "etc/marker").read_text() == "from the template\n"
        assert os.readlink(new / "bin") == "usr/bin"
        assert os.access(new / "usr/bin/berth-probe", os.X_OK)
        assert (new / "etc/created").exists()  # a normal, writable tree
        assert tree_digest(template) == before
        assert sorted(os.listdir(tmp)) == ["new", "template"]  # no half-made copy left

        # An existing directory is used as it is.
        (new / "etc/marker").write_text("changed\n")
        out = run_probe(run_berth, "-D", new, f"--template={template}", "berth-probe", "read", "/etc/marker")
        assert out[0]["text"] == "changed\n"
    finally:
        shutil.rmtree(tmp)


# ---- locks ----

def test_same_tree_lock(tree, spawn, run_berth):
    # A writable run holds the tree: no other run may use it.
    holder = spawn("-D", tree, "-M", "lock-writer", PROBE, "sleep", "60")
    wait_for_machine("lock-writer", "berth-probe", holder)
    for extra in ([], ["-x"], ["--read-only"]):
        r = run_berth("-D", tree, "-M", "lock-other", *extra, PROBE, "exit", "0")
        assert r.returncode == 1, (extra, r.stderr)
        assert "'lock-writer'" in r.stderr and str(tree) in r.stderr, (extra, r.stderr)
        assert machine_record("lock-other") is None
    holder.send_signal(signal.SIGTERM)
    assert finish(holder)[0] == 128 + signal.SIGKILL

    # Runs that leave the tree alone share it, but keep a writer out.
    holder = spawn("-D", tree, "-M", "lock-reader", "--read-only", PROBE, "sleep", "60")
    wait_for_machine("lock-reader", "berth-probe", holder)
    for extra in (["-x"], ["--read-only"], ["--volatile=overlay"]):
        r = run_berth("-D", tree, "-M", "lock-other", *extra, PROBE, "exit", "7")
        assert r.returncode == 7, (extra, r.stderr)
    r = run_berth("-D", tree, "-M", "lock-other", PROBE, "exit", "0")
    assert r.returncode == 1 and "'lock-reader'" in r.stderr, r.stderr
    # Two machines of the same name cannot run, whatever their trees.
    r = run_berth("-D", tree, "-M", "lock-reader", "-x", PROBE, "exit", "0")
    assert r.returncode == 1
    assert "'lock-reader'" in r.stderr and str(holder.pid) in r.stderr, r.stderr
    holder.send_signal(signal.SIGINT)
    assert finish(holder)[0] == 128 + signal.SIGKILL


# ---- signals to berth ----

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stop_signal(tree, spawn, sig):
    """SIGTERM, SIGINT or SIGHUP kill a command container (default --kill-signal is SIGKILL)."""
    name = f"stop-{sig.name.lower()}"
    proc = spawn("-D", tree, "-M", name, PROBE, "sleep", "60")
    pids = wait_for_machine(name, "berth-probe", proc)
    proc.send_signal(sig)
    status, out, err = finish(proc)
    assert status == 128 + signal.SIGKILL, err
    assert out == ""  # the probe never woke up to print
    assert not any(process_alive(p) for p in pids)
    assert machine_record(name) is None


def test_kill_signal_then_second_signal(tree, spawn):
    """--kill-signal goes to PID 1; a second SIGTERM kills it. With -a the stub forwards it."""
    proc = spawn("-D", tree, "-M", "stop-forwarded", "-a", "--kill-signal=TERM", PROBE, "sleep", "60")
    wait_for_machine("stop-forwarded", "berth-probe", proc)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc)[0] == 128 + signal.SIGTERM

    # As PID 1 without a handler, the probe does not die of SIGTERM: the second one kills it.
    proc = spawn("-D", tree, "-M", "stop-twice", "--kill-signal=TERM", PROBE, "sleep", "60")
    wait_for_machine("stop-twice", "berth-probe", proc)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None, "the container ended on the first SIGTERM, which PID 1 ignores"
    assert "berth-probe" in machine_processes("stop-twice").values()
    proc.send_signal(signal.SIGTERM)
    status, _, err = finish(proc)
    assert status == 128 + signal.SIGKILL
    assert "SIGTERM" in err  # "Stopping container ... with SIGTERM"


def test_sigkill_of_berth(tree, spawn):
    """berth killed outright: the container's processes die with it, the rest is cleaned up."""
    proc = spawn("-D", tree, "-M", "killed", "-a", PROBE, "sleep", "60")
    pids = wait_for_machine("killed", "berth-probe", proc)
    payload = {p for p, comm in pids.items() if comm in ("berth-probe", "berth-stub")}
    assert len(payload) == 2, pids
    cgroup = machine_record("killed")["CGROUP"]
    proc.kill()
    assert finish(proc)[0] == -signal.SIGKILL
    deadline = time.monotonic() + 1
    while any(process_alive(p) for p in payload) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [p for p in payload if process_alive(p)], "container processes outlived berth by 1s"
    # The guardian removes the cgroup and the record (the leak check waits for it, then checks).
    deadline = time.monotonic() + 10
    while (os.path.exists(cgroup) or machine_record("killed")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(cgroup) and machine_record("killed") is None


# ---- bad input ----

@pytest.fixture
def scratch():
    tmp = Path(tempfile.mkdtemp(prefix="bad-input-", dir="/var/tmp"))
    yield tmp
    shutil.rmtree(tmp)


@pytest.mark.parametrize("case", [
    "missing-directory", "not-an-os-tree", "bad-machine-name", "underivable-name", "bad-volatile",
    "bad-uuid", "bad-console", "bad-chdir", "bad-kill-signal", "unknown-option", "missing-template",
    "setenv-unset", "missing-chdir", "unknown-user", "unknown-user-as-pid2",
])
def test_bad_input(case, scratch, cached_tree, run_berth):
    """Each mistake: status 1, a message naming the option or path, nothing created."""
    missing = scratch / "missing"
    (scratch / "no-usr/etc").mkdir(parents=True)
    (scratch / "@@@").symlink_to(cached_tree)
    cases = {
        "missing-directory": (["-D", missing], [f"'{missing}'"]),
        "not-an-os-tree": (["-D", scratch / "no-usr"], [f"'{scratch}/no-usr'", "/usr"]),
        "bad-machine-name": (["-D", cached_tree, "-x", "-M", "web/01"], ["'web/01'", "--machine"]),
        "underivable-name": (["-D", scratch / "@@@", "-x"], [f"'{scratch}/@@@'", "--machine"]),
        "bad-volatile": (["-D", cached_tree, "--read-only", "--volatile=maybe"], ["'maybe'", "--volatile"]),
        "bad-uuid": (["-D", cached_tree, "-x", "--uuid=1234"], ["'1234'", "--uuid"]),
        "bad-console": (["-D", cached_tree, "-x", "--console=tty"], ["'tty'", "--console", "interactive"]),
        "bad-chdir": (["-D", cached_tree, "-x", "--chdir=usr"], ["'usr'", "--chdir"]),
        "bad-kill-signal": (["-D", cached_tree, "-x", "--kill-signal=SIGFOO"], ["'SIGFOO'", "--kill-signal"]),
        "unknown-option": (["-D", cached_tree, "-x", "--frobnicate"], ["--frobnicate"]),
        "missing-template": (["-D", missing, f"--template={scratch}/nothing"],
                             [f"'{scratch}/nothing'", "--template"]),
        "setenv-unset": (["-D", cached_tree, "-x", "-E", "BERTH_TEST_UNSET_VARIABLE"],
                         ["BERTH_TEST_UNSET_VARIABLE", "--setenv"]),
        # Found out inside the container, just before the command would run.
        "missing-chdir": (["-D", cached_tree, "-x", "--chdir=/no/such/dir"], ["'/no/such/dir'", "--chdir"]),
        "unknown-user": (["-D", cached_tree, "-x", "-u", "no-such-user"], ["'no-such-user'", "--user"]),
        "unknown-user-as-pid2": (["-D", cached_tree, "-x", "-a", "-u", "no-such-user"],
                                 ["'no-such-user'", "--user"]),
    }
    args, words = cases[case]
    env = {k: v for k, v in os.environ.items() if k != "BERTH_TEST_UNSET_VARIABLE"}
    r = run_berth(*args, "/bin/true", env=env)
    assert r.returncode == 1, r.stderr
    for word in words:
        assert word in r.stderr, (word, r.stderr)
    assert r.stdout == ""
    if case not in ("missing-chdir", "unknown-user", "unknown-user-as-pid2"):
        assert "Spawning" not in r.stderr
    assert sorted(os.listdir(scratch)) == ["@@@", "no-usr"]  # nothing created
    assert sorted(os.listdir(scratch / "no-usr")) == ["etc"]
