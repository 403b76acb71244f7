# A host whose PID 1 is systemd, for the tests of berth's systemd integration (machined
# registration, berth@.service, machinectl): the machines the tests run on have none, so berth boots
# one. The "systemd-host" tree (tools/build-test-trees) is booted with `berth -b` on a writable
# overlay, with berth's build installed into it by `meson install --destdir` and a guest tree (an
# overlay of the test tree) at its /var/lib/machines/guest. The host has its own network namespace,
# so its networkd never touches this machine's interfaces.
#
# Environment:
#   BERTH_SYSTEMD_HOST_TREE  the host's tree (default: built or found by tools/build-test-trees)
#
# SystemdHost.run(cmd) runs cmd in all of the host's namespaces with nsenter (in this machine's
# cgroup, which is outside the host's: use run(..., scope=True) for a program that cares where it
# runs, such as berth itself, which then runs in a transient scope as from a login shell).

import os
import select
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO, STATE_DIR, build_dir, run_command, skip_or_fail

# Bounds for waiting, meant to catch hangs; not measures of speed.
BOOT_TIMEOUT = 120
STOP_TIMEOUT = 60
GUEST = "guest"


def host_tree():
    """The systemd host's tree: BERTH_SYSTEMD_HOST_TREE, or the cached one (built if needed)."""
    path = os.environ.get("BERTH_SYSTEMD_HOST_TREE")
    if not path:
        r = subprocess.run([REPO / "tools/build-test-trees", "--path", "systemd-host"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            skip_or_fail(f"Cannot build the systemd-host tree (tools/build-test-trees systemd-host):\n"
                         f"{r.stderr[-2000:]}")
        path = r.stdout.strip().splitlines()[-1]
    path = Path(path)
    if not (path / "usr/lib/systemd/systemd").exists() or not (path / "usr/bin/machinectl").exists():
        skip_or_fail(f"'{path}' is not a tree with systemd and machinectl")
    return path


def mount_overlay(lower, tmp, name, where):
    """Mounts a writable overlay of lower at where, with its upper and work directories named after
    name in tmp. The overlay's root takes its mode and owner from the upper directory."""
    upper, work = tmp / f"{name}-upper", tmp / f"{name}-work"
    upper.mkdir()
    work.mkdir()
    st = os.stat(lower)
    os.chmod(upper, stat.S_IMODE(st.st_mode))
    os.chown(upper, st.st_uid, st.st_gid)
    r = run_command(["mount", "-t", "overlay", f"berth-{name}", "-o",
                     f"lowerdir={lower},upperdir={upper},workdir={work}", where])
    if r.returncode != 0:
        pytest.fail(f"Failed to mount an overlay of '{lower}' on '{where}': {r.stderr}", pytrace=False)


def install_build(root, stage):
    """`meson install` of the build into stage, then copied into root: what a distribution package
    of berth would put there (berth in /usr/local/bin, berth@.service in systemd's unit directory,
    ...). Directory symlinks of root (lib -> usr/lib) are kept."""
    r = run_command(["meson", "install", "-C", build_dir(), "--no-rebuild", "--quiet", "--destdir", stage],
                    timeout=120)
    if r.returncode != 0:
        pytest.fail(f"meson install failed:\n{r.stdout}{r.stderr}", pytrace=False)
    r = run_command(["sh", "-c", 'tar -C "$1" -cf - . | tar -C "$2" -xf - --keep-directory-symlink', "sh",
                     stage, root])
    if r.returncode != 0:
        pytest.fail(f"Failed to copy the installed files into '{root}': {r.stderr}", pytrace=False)


def copy_tree(source, copy, where):
    """A real copy of source (as /var/lib/machines/NAME is on a user's host: berth@'s -U maps its
    owners with an id-mapped mount, which an overlay would not take), bound at where."""
    r = run_command(["cp", "-a", "--reflink=auto", source, copy], timeout=300)
    if r.returncode == 0:
        r = run_command(["mount", "--bind", copy, where])
    if r.returncode != 0:
        pytest.fail(f"Failed to copy '{source}' to '{where}': {r.stderr}", pytrace=False)


def enable_networkd(root):
    """Enables systemd-networkd in the tree at root, as `systemctl enable` would: in the guest, it
    configures host0 with the shipped 80-container-host0.network (DHCP from the host's networkd)."""
    for target, unit in (("multi-user.target.wants", "systemd-networkd.service"),
                         ("sockets.target.wants", "systemd-networkd.socket")):
        wants = root / "etc/systemd/system" / target
        wants.mkdir(parents=True, exist_ok=True)
        if not (wants / unit).is_symlink():
            (wants / unit).symlink_to(f"/lib/systemd/system/{unit}")


class SystemdHost:
    """A systemd host booted by berth. start() boots it and waits until systemd says "running";
    stop() powers it off and removes everything."""

    def __init__(self, berth, tree, guest_tree, name="berth-systemd-host"):
        self.berth, self.tree, self.guest_tree, self.name = berth, Path(tree), Path(guest_tree), name
        self.tmp = None
        self.root = None
        self.proc = None
        self.messages = []
        self.leader = None
        self._sock = None

    # ---- start and stop ----

    def start(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="berth-systemd-host-", dir="/var/tmp"))
        os.chmod(self.tmp, 0o755)
        self.root = self.tmp / "root"
        self.root.mkdir()
        mount_overlay(self.tree, self.tmp, "host", self.root)
        install_build(self.root, self.tmp / "stage")
        guest = self.root / "var/lib/machines" / GUEST
        guest.mkdir(parents=True, exist_ok=True)
        copy_tree(self.guest_tree, self.tmp / "guest", guest)
        enable_networkd(guest)

        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(self.tmp / "notify"))
        env = {**os.environ, "NOTIFY_SOCKET": str(self.tmp / "notify")}
        with open(self.tmp / "console", "ab") as out:
            self.proc = subprocess.Popen(
                [self.berth, "-b", "-D", self.root, "-M", self.name, "--private-network",
                 "--notify-ready=yes", "--console=read-only"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.wait_message("READY=1")
        self.wait_running()
        return self

    def stop(self):
        """Powers the host off (killing berth if that does not end it) and removes its trees."""
        problems = []
        if self.proc and self.proc.poll() is None:
            self.run("systemctl", "poweroff", "--no-block", check=False)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"The systemd host did not power off within {STOP_TIMEOUT}s")
                self.proc.kill()
                self.proc.wait()
        if self._sock:
            self._sock.close()
        if self.tmp:
            for where in (self.root / "var/lib/machines" / GUEST, self.root):
                if os.path.ismount(where) and run_command(["umount", "-R", where]).returncode != 0:
                    run_command(["umount", "-R", "-l", where])
            if any(os.path.ismount(p) for p in (self.root, self.root / "var/lib/machines" / GUEST)):
                problems.append(f"'{self.root}' is still mounted; not removing '{self.tmp}'")
            else:
                shutil.rmtree(self.tmp)
        return problems

    def reboot(self):
        """Reboots the host (berth starts it again) and waits until it is running again."""
        old = self.leader
        self.run("systemctl", "reboot", "--no-block")
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            pid = self._record_leader()
            if pid and pid != old and self._comm(pid) not in (None, "berth"):
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The systemd host did not come back after a reboot\n{self.describe()}",
                            pytrace=False)
            time.sleep(0.1)
        self.leader = None
        self.wait_running()

    # ---- state ----

    def _record(self):
        try:
            text = (STATE_DIR / self.name).read_text()
        except FileNotFoundError:
            return {}
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def _record_leader(self):
        return int(self._record().get("LEADER", "0") or 0)

    @staticmethod
    def _comm(pid):
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None

    @property
    def cgroup(self):
        """The host's cgroup on this machine (its whole tree is the host's business)."""
        return self._record().get("CGROUP")

    def wait_message(self, wanted, timeout=BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while wanted not in self.messages:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                pytest.fail(f"No {wanted} from the systemd host's berth\n{self.describe()}", pytrace=False)
            r, _, _ = select.select([self._sock], [], [], min(left, 0.2))
            if r:
                self.messages += self._sock.recv(65536).decode(errors="replace").split("\n")

    def wait_running(self):
        """Waits until the host's systemd finished booting; fails unless it says "running"."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            pid = self._record_leader()
            if pid and self._comm(pid) not in (None, "berth"):
                self.leader = pid
                r = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=BOOT_TIMEOUT)
                if r.stdout.strip() not in ("", "offline"):
                    break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The systemd host did not boot\n{self.describe()}", pytrace=False)
            time.sleep(0.1)
        if r.stdout.strip() != "running":
            failed = self.run("systemctl", "--failed", "--no-pager", check=False)
            pytest.fail(f"The systemd host is '{r.stdout.strip()}', not 'running':\n{failed.stdout}",
                        pytrace=False)

    # ---- running commands ----

    def run(self, *cmd, check=True, timeout=60, input=None, scope=False):
        """Runs cmd in the host (CompletedProcess, text output); with check, fails the test unless
        it succeeds. scope: in a transient scope of the host's systemd, as from a login shell."""
        if scope:
            cmd = ("systemd-run", "--scope", "--quiet", "--collect", "--", *cmd)
        leader = self.leader or self._record_leader()
        r = run_command(["nsenter", "-t", leader, "-a", "--", *cmd], timeout=timeout, input=input)
        if check and r.returncode != 0:
            pytest.fail(f"{' '.join(map(str, cmd))} failed in the systemd host with {r.returncode}:\n"
                        f"{r.stdout}{r.stderr}", pytrace=False)
        return r

    def check(self, *cmd, **kwargs):
        """run() that must succeed; returns the stripped stdout."""
        return self.run(*cmd, check=True, **kwargs).stdout.strip()

    def write(self, path, text):
        """Writes a file in the host's tree (the overlay berth booted: the same files)."""
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def describe(self):
        try:
            console = (self.tmp / "console").read_bytes()[-3000:].decode(errors="replace")
        except (OSError, TypeError):
            console = ""
        return (f"--- notifications ---\n{self.messages}\n"
                f"--- the host's console and berth's messages (last 3000 bytes) ---\n{console}")
