# berthctl against machines berth runs on this host without machined: it finds them through
# berth's records and enters their namespaces itself.

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from conftest import machine_processes, machine_record, process_alive, run_command, wait_for_machine

NAME = "ctl-shared"


def start_machine(berth, cached_tree, name):
    # -x: an ephemeral overlay of the cached tree, so nothing the test does reaches the cache.
    proc = subprocess.Popen([str(berth), "-b", "-x", "-D", str(cached_tree), "-M", name, "--console=pipe"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    wait_for_machine(name, "systemd-logind", proc, timeout=30)
    return proc


def finish(proc, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"berth did not exit within {timeout}s\n{err}", pytrace=False)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def machine(berth, cached_tree):
    """One booted machine shared by the tests of this module; the last test stops it."""
    proc = start_machine(berth, cached_tree, NAME)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def ctl(berthctl, *args, timeout=30):
    return run_command([berthctl, *args], timeout=timeout)


def test_shell_returns_the_command_status(berthctl, machine):
    for status in (0, 3, 42):
        r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", f"exit {status}")
        assert r.returncode == status, r.stderr
    # The command runs inside the machine: its hostname, its PID namespace, its files.
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "hostname; cat /proc/1/comm; . /etc/os-release; echo $ID")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [NAME, "systemd", "debian"]
    # Options after NAME belong to the command; USER@ and -E are honoured.
    r = ctl(berthctl, "-E", "FOO=bar", "shell", f"nobody@{NAME}", "/bin/sh", "-c", 'id -un; echo "$FOO"')
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["nobody", "bar"]


def test_list_status_show(berthctl, machine):
    r = ctl(berthctl, "list", "--json")
    assert r.returncode == 0, r.stderr
    machines = {m["machine"]: m for m in json.loads(r.stdout)}
    assert machines[NAME]["os"] == "debian"
    leader = int(machine_record(NAME)["LEADER"])
    assert machines[NAME]["leader"] == leader

    r = ctl(berthctl, "list", "--no-legend")
    assert any(line.split()[0] == NAME for line in r.stdout.splitlines())
    assert "MACHINE" not in r.stdout

    r = ctl(berthctl, "show", NAME, "-p", "Leader", "--value")
    assert r.returncode == 0 and r.stdout.strip() == str(leader)
    r = ctl(berthctl, "show", "--json", NAME)
    assert json.loads(r.stdout)[0]["Name"] == NAME
    # pretty: the same data, one member a line, indented.
    short = r.stdout
    r = ctl(berthctl, "show", "--json=pretty", NAME)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(short)
    assert f'\n    "Name": "{NAME}",\n' in r.stdout, r.stdout

    r = ctl(berthctl, "status", NAME)
    assert r.returncode == 0, r.stderr
    assert f"Leader: {leader}" in r.stdout
    assert "Debian GNU/Linux" in r.stdout
    assert "systemd-logind" in r.stdout  # the process tree


def test_unknown_and_bad_names(berthctl, machine):
    r = ctl(berthctl, "status", "no-such-machine")
    assert r.returncode == 1
    assert "No machine 'no-such-machine'" in r.stderr
    r = ctl(berthctl, "shell", "no-such-machine", "true")
    assert r.returncode == 1 and "No machine 'no-such-machine'" in r.stderr
    r = ctl(berthctl, "status", "bad/name")
    assert r.returncode == 1 and "Invalid machine name 'bad/name'" in r.stderr
    r = ctl(berthctl, "start", NAME)
    assert r.returncode == 1 and "does not run systemd" in r.stderr


def unified_cgroup_of(pid):
    """The directory of pid's cgroup in the unified (v2) hierarchy, as the host sees it."""
    rel = [l for l in Path(f"/proc/{pid}/cgroup").read_text().splitlines() if l.startswith("0::")][0][3:]
    root = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified/init.scope") or \
        os.path.ismount("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
    return Path(root + rel)


def test_pause_resume(berthctl, machine):
    cgroup = Path(machine_record(NAME)["CGROUP"])
    logind = [p for p, c in machine_processes(NAME).items() if c == "systemd-logind"][0]
    assert ctl(berthctl, "pause", NAME).returncode == 0
    try:
        assert "frozen 1" in (cgroup / "payload/cgroup.events").read_text()
        # The machine's own services, deep in its cgroup tree, are frozen too.
        assert "frozen 1" in (unified_cgroup_of(logind) / "cgroup.events").read_text()
        # berth itself keeps running: its supervisor cgroup is not frozen.
        assert "frozen 0" in (cgroup / "supervisor/cgroup.events").read_text()
    finally:
        assert ctl(berthctl, "resume", NAME).returncode == 0
    assert "frozen 0" in (cgroup / "payload/cgroup.events").read_text()
    assert "frozen 0" in (unified_cgroup_of(logind) / "cgroup.events").read_text()


def test_copy_to_and_from(berthctl, machine, tmp_path):
    """Files and trees go in and out; paths in the machine are the machine's, even through its
    symlinks: an absolute symlink inside cannot make a copy write or read a host file."""
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "file").write_text("from the host\n")
    os.chmod(src / "sub" / "file", 0o640)
    (tmp_path / "single").write_text("one file\n")
    assert ctl(berthctl, "copy-to", NAME, src, "/root/copied").returncode == 0
    assert ctl(berthctl, "copy-to", NAME, tmp_path / "single", "/root/single").returncode == 0
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "cat /root/copied/sub/file /root/single; "
            "stat -c %a /root/copied/sub/file")
    assert r.stdout.split("\n")[:3] == ["from the host", "one file", "640"], r.stdout + r.stderr
    r = ctl(berthctl, "copy-to", NAME, tmp_path / "single", "/root/single")
    assert r.returncode == 1 and "exists in machine" in r.stderr

    # Symlinks in the machine that point at the host's paths.
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "ln -s / /root/up && ln -s /etc/machine-id /root/id && "
            "mkdir -p /root/etcdir && ln -s /etc /root/etclink")
    assert r.returncode == 0, r.stderr
    marker = f"bt-ctl-copy-{os.getpid()}"
    assert ctl(berthctl, "copy-to", NAME, tmp_path / "single", f"/root/etclink/{marker}").returncode == 0
    assert not Path(f"/etc/{marker}").exists()
    r = ctl(berthctl, "shell", NAME, "/bin/cat", f"/etc/{marker}")
    assert r.stdout == "one file\n", r.stderr
    out = tmp_path / "machine-id-of-machine"
    assert ctl(berthctl, "copy-from", NAME, "/root/id", out).returncode == 0
    # The machine's /etc/machine-id, not the host's.
    assert out.read_text() == ctl(berthctl, "shell", NAME, "/bin/cat", "/etc/machine-id").stdout
    assert out.read_text() != Path("/etc/machine-id").read_text()
    out = tmp_path / "copied-back"
    assert ctl(berthctl, "copy-from", NAME, "/root/up/root/copied", out).returncode == 0
    assert (out / "sub" / "file").read_text() == "from the host\n"
    r = ctl(berthctl, "copy-from", NAME, "/no/such/path", tmp_path / "x")
    assert r.returncode == 1 and "Failed to find '/no/such/path' in machine" in r.stderr
    r = ctl(berthctl, "copy-to", "bt-no-such-machine", tmp_path / "single")
    assert r.returncode == 1 and "No machine 'bt-no-such-machine'" in r.stderr


def test_shell_runs_in_the_machine_cgroup(berthctl, machine):
    """The command is born in the machine's cgroup: inside the machine's cgroup namespace its
    cgroup is the machine's (no "/.." path out of it), and on the host it is below the machine's."""
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "cat /proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    unified = [line for line in r.stdout.splitlines() if line.startswith("0::")]
    assert unified and ".." not in unified[0], r.stdout
    proc = subprocess.Popen([str(berthctl), "shell", NAME, "/bin/sleep", "31"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def sleeper():
            return [pid for pid, comm in machine_processes(NAME).items() if comm == "sleep" and
                    Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2] == [b"/bin/sleep", b"31"]]
        deadline = time.monotonic() + 10
        while not sleeper():
            assert time.monotonic() < deadline, "the shell's command is not among the machine's processes"
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    # berthctl's child goes with the machine's processes, not with berthctl: stop it.
    assert ctl(berthctl, "shell", NAME, "/usr/bin/pkill", "-x", "sleep").returncode == 0


def test_shell_on_a_terminal_gets_a_pty_of_the_machine(berthctl, machine):
    """On a terminal the command gets a pseudo-terminal of the machine's devpts, not the user's,
    and its exit status still comes back."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(berthctl), "shell", NAME, "/bin/sh", "-c",
                             # the terminal's file system is the machine's devpts instance
                             'tty; [ "$(stat -L -c %d /proc/self/fd/0)" = "$(stat -c %d /dev/pts/ptmx)" ] '
                             '&& echo in-machine-devpts; exit 7'],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None or select.select([master], [], [], 0)[0]:
            assert time.monotonic() < deadline, seen
            if select.select([master], [], [], 0.2)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        assert proc.wait(timeout=10) == 7, seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = seen.decode(errors="replace")
    assert re.search(r"^/dev/pts/\d+\r?$", text, re.M) and "in-machine-devpts" in text, text


def test_login_reaches_a_prompt(berthctl, machine):
    """login on a terminal: the machine's login prompt, a root login without password (the test
    tree has none), and ^]^]^] ends the session."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(berthctl), "login", NAME], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    seen = b""

    def expect(pattern, timeout=30):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while not re.search(pattern, seen):
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} within {timeout}s; got {seen[-500:]!r}"
            if select.select([master], [], [], left)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return seen

    try:
        expect(rb"Connected to machine " + NAME.encode())
        expect(NAME.encode() + rb" login: ")
        os.write(master, b"root\r")
        expect(rb"root@" + NAME.encode() + rb":~# ")
        os.write(master, b"echo in-$((6*7))-machine\r")
        expect(rb"in-42-machine")
        os.write(master, b"\x1d\x1d\x1d")
        assert proc.wait(timeout=15) == 0
        expect(rb"Connection to machine " + NAME.encode() + rb" terminated")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_bind_into_a_running_machine(berthctl, machine, tmp_path):
    """bind: a host directory appears live in the machine; with --read-only the machine cannot
    write to it; a missing target needs --mkdir."""
    shared = tmp_path / "shared"
    shared.mkdir()
    r = ctl(berthctl, "bind", NAME, shared, "/mnt/bt-shared")
    assert r.returncode == 1 and "--mkdir creates it" in r.stderr
    assert ctl(berthctl, "--mkdir", "bind", NAME, shared, "/mnt/bt-shared").returncode == 0
    (shared / "from-host").write_text("live\n")
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "cat /mnt/bt-shared/from-host; echo back > /mnt/bt-shared/from-machine")
    assert r.returncode == 0 and r.stdout == "live\n", r.stderr
    assert (shared / "from-machine").read_text() == "back\n"
    ro = tmp_path / "ro"
    ro.mkdir()
    assert ctl(berthctl, "--mkdir", "--read-only", "bind", NAME, ro, "/mnt/bt-ro").returncode == 0
    r = ctl(berthctl, "shell", NAME, "/bin/sh", "-c", "touch /mnt/bt-ro/x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    assert not (ro / "x").exists()
    # The host sees none of it: the mounts are the machine's.
    assert not any("bt-shared" in line for line in open("/proc/self/mountinfo"))


def test_stop_makes_berth_exit_cleanly(berthctl, machine):
    record = machine_record(NAME)
    r = ctl(berthctl, "stop", NAME)
    assert r.returncode == 0, r.stderr
    status, _, err = finish(machine)
    assert status == 0, err
    assert not process_alive(int(record["LEADER"]))
    assert machine_record(NAME) is None
    assert not os.path.exists(record["CGROUP"])
    r = ctl(berthctl, "list", "--json")
    assert NAME not in [m["machine"] for m in json.loads(r.stdout)]


def test_kill_and_terminate(berth, berthctl, cached_tree):
    name = "ctl-kill"
    proc = start_machine(berth, cached_tree, name)
    try:
        logind = [p for p, c in machine_processes(name).items() if c == "systemd-logind"][0]
        # SIGSTOP to all: every machine process stops, berth does not.
        r = ctl(berthctl, "kill", name, "--kill-whom=all", "-s", "SIGSTOP")
        assert r.returncode == 0, r.stderr
        assert Path(f"/proc/{logind}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
        assert Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T"
        assert ctl(berthctl, "kill", name, "-s", "CONT").returncode == 0
        r = ctl(berthctl, "terminate", name)
        assert r.returncode == 0, r.stderr
        status, _, err = finish(proc)
        assert machine_record(name) is None
        assert not process_alive(logind)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
