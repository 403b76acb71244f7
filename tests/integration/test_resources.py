# Device access and resource limits berth applies itself when no service manager runs: the
# container opens only the nodes of its own /dev (a block device it makes cannot be opened), and
# --property=MemoryMax=, CPUQuota= and TasksMax= land in the machine's cgroup, cgroup2 or v1. The
# leak check then finds no cgroup of the machine left in any hierarchy, and an --overlay work
# directory beside its upper directory is gone even after a SIGKILL of berth.

import os
import subprocess
import time
from pathlib import Path

import pytest

MACHINE = "berthres"
SCOPE = f"machine.slice/machine-{MACHINE}.scope"

INSIDE = """
echo x > /dev/null && echo null-ok
head -c1 /dev/zero | od -An -c | grep -q '\\\\0' && echo zero-ok
mknod /root/null c 1 3 && echo x > /root/null && echo mknod-ok
{{ mknod /root/disk b {disk} && ( exec 3</root/disk ); }} 2>&1 | grep -q 'Operation not permitted' && echo blockdev-denied
echo READY
read line
( for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done ) 2>/dev/null
echo fork=$?
"""


def host_disk():
    """MAJOR MINOR of a block device of the host that root can open (not a loop device, which
    machines may use), so that only the device policy can make opening it in the container fail."""
    for entry in sorted(Path("/sys/dev/block").iterdir()):
        major, minor = map(int, entry.name.split(":"))
        node = Path("/dev") / Path(os.readlink(entry)).name
        if major == 7 or not node.is_block_device():
            continue
        try:
            os.close(os.open(node, os.O_RDONLY))
        except OSError:
            continue
        return f"{major} {minor}"
    pytest.fail("No block device of this host can be opened, to test the device policy with", pytrace=False)


def limit_file(v2, v1_controller, v1):
    """The machine's file for a limit: the payload's cgroup2 file where that controller is on,
    else the v1 hierarchy's."""
    for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        p = root / SCOPE / "payload" / v2
        if p.exists():
            return p
    return Path("/sys/fs/cgroup", v1_controller, SCOPE, v1)


def test_devices_and_limits(berth, tree):
    proc = subprocess.Popen([berth, "-q", "-D", tree, "-M", MACHINE, "--console=pipe",
                             "--property=TasksMax=5", "--property=MemoryMax=300M",
                             "--property=CPUQuota=50%", "/bin/sh", "-c", INSIDE.format(disk=host_disk())],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line.strip())
            if line.strip() == "READY":
                break
        assert "READY" in seen, f"{seen}\n{proc.stderr.read()}"
        # From the host, while the machine runs.
        memory = limit_file("memory.max", "memory", "memory.limit_in_bytes").read_text().strip()
        pids = limit_file("pids.max", "pids", "pids.max").read_text().strip()
        cpu = limit_file("cpu.max", "cpu", "cpu.cfs_quota_us").read_text().split()[0]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seen += out.split()
    assert proc.returncode == 0, f"{seen}\n{err}"
    assert "null-ok" in seen and "zero-ok" in seen, seen
    # Nodes can be made (null works; /root, as /tmp is nodev), but not the host's disk, nor opened.
    assert "mknod-ok" in seen and "blockdev-denied" in seen, seen
    assert memory == str(300 * 1024 * 1024)
    assert pids == "5"
    assert cpu == "50000"
    # Ten more processes do not fit in five.
    assert "fork=0" not in seen and any(s.startswith("fork=") for s in seen), seen


def test_devices_with_a_bpf_program(berth, tree):
    """Where there is no v1 devices hierarchy (cgroup2 only), berth's BPF device program is the
    policy: berth runs in a mount namespace that lacks /sys/fs/cgroup/devices."""
    if not Path("/sys/fs/cgroup/devices").is_dir():
        script = ""  # cgroup2-only already: the program is what berth uses anyway
    else:
        script = "umount -l /sys/fs/cgroup/devices && "
    inside = "echo x > /dev/null && echo null-ok; mknod /root/null c 1 3 && echo x > /root/null && echo mknod-ok; " \
        f"{{ mknod /root/disk b {host_disk()} && ( exec 3</root/disk ); }} 2>&1 | " \
        "grep -q 'Operation not permitted' && echo blockdev-denied; head -c1 /dev/urandom | wc -c"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        script + 'exec "$0" "$@"', berth, "-q", "-D", tree, "-M", MACHINE, "--console=pipe",
                        "/bin/sh", "-c", inside], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["null-ok", "mknod-ok", "blockdev-denied", "1"], r.stdout + r.stderr


def host_disk_node():
    """The path of host_disk()'s node."""
    major, minor = host_disk().split()
    return Path("/dev") / Path(os.readlink(f"/sys/dev/block/{major}:{minor}")).name


@pytest.mark.parametrize("policy", ["v1", "bpf"])
def test_bound_device_opens(berth, tree, policy):
    """A host device node bound in may be opened as the bind allows (--bind-ro: for reading only),
    with either policy, but the container still cannot make the node itself."""
    if policy == "bpf" and Path("/sys/fs/cgroup/devices").is_dir():
        wrapper = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'umount -l /sys/fs/cgroup/devices && exec "$0" "$@"']
    elif policy == "v1" and not Path("/sys/fs/cgroup/devices").is_dir():
        pytest.fail("This host has no v1 devices hierarchy", pytrace=False)
    else:
        wrapper = []
    node = host_disk_node()
    inside = f"( exec 3<{node} ) && echo read-ok; ( exec 3<>{node} ) 2>/dev/null && echo write-ok; " \
        f"mknod /root/disk b {host_disk()} 2>/dev/null && echo mknod-ok; echo done"
    seen = {}
    for option in ("--bind", "--bind-ro"):
        r = subprocess.run(wrapper + [berth, "-q", "-D", tree, "-M", MACHINE, "--console=pipe",
                                      f"{option}={node}", "/bin/sh", "-c", inside],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        seen[option] = r.stdout.split()
    assert seen["--bind"] == ["read-ok", "write-ok", "done"], seen
    assert seen["--bind-ro"] == ["read-ok", "done"], seen


def test_properties_refused_without_systemd(run_berth, tree):
    r = run_berth("-q", "-D", tree, "-M", MACHINE, "--property=CPUWeight=50", "/bin/true")
    assert r.returncode != 0
    assert "'CPUWeight=50'" in r.stderr and "without systemd" in r.stderr, r.stderr
    r = run_berth("-q", "-D", tree, "-M", MACHINE, "--property=NoSuchThing=1", "/bin/true")
    assert r.returncode != 0
    assert "NoSuchThing" in r.stderr, r.stderr
    r = run_berth("-q", "-D", tree, "-M", MACHINE, "--slice=tenants", "/bin/true")
    assert r.returncode != 0
    assert "'tenants.slice'" in r.stderr, r.stderr


def test_overlay_work_dir_removed_after_sigkill(berth, tree, tmp_path):
    """The work directory berth makes beside an --overlay upper directory goes when berth is
    SIGKILLed too (the guardian removes it), and what the container wrote stays in upper."""
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    upper.mkdir()
    proc = subprocess.Popen([berth, "-q", "-D", tree, "-M", MACHINE, "--console=pipe",
                             f"--overlay={lower}:{upper}:/mnt", "/bin/sh", "-c",
                             "touch /mnt/written && echo READY && exec sleep 60"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        work = [p.name for p in tmp_path.iterdir() if p.name.startswith(".#berth-work")]
        assert work, "No overlay work directory beside the upper directory while the machine runs"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while any(p.name.startswith(".#berth-work") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lower", "upper"]
    assert (upper / "written").exists()
