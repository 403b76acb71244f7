# Booting the test tree with `berth -b`: systemd as the container's PID 1, readiness and status
# notifications, shutdown from inside and from outside, reboot, the console, and the journal.
# Each test boots once or twice (a boot of the test tree takes about a second) and checks what it can.

import os
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest

from boot import Boot, random_machine_id, read_record
from conftest import run_command

HOST_JOURNAL = Path("/var/log/journal")

# A oneshot service that holds the boot up until the test creates /run/berth-test-gate in the
# guest: while it runs, systemd has not finished starting up, so it cannot have said READY=1.
GATE_UNIT = """\
[Unit]
Description=Hold the boot until the test opens the gate

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'until [ -e /run/berth-test-gate ]; do sleep 0.1; done'
TimeoutStartSec=infinity
"""

# A service whose stop takes ten minutes: a clean shutdown of the guest cannot end while it runs.
SLOW_STOP_UNIT = """\
[Unit]
Description=Hold the shutdown for ten minutes

[Service]
ExecStart=/bin/sleep infinity
ExecStop=/bin/sleep 600
TimeoutStopSec=infinity
"""

# After a poweroff from inside, berth is gone within 5 s. It takes a fraction of a second; this
# catches a wait for some time-out in berth (such as the console's drain) or in the guest.
POWEROFF_TIMEOUT = 5
# A container whose berth was SIGKILLed is gone within a second (the kernel kills its PID 1 at
# once, and with it the PID namespace).
KILL_TIMEOUT = 1


def install_unit(tree, name, text):
    """Installs a service in the tree and has multi-user.target pull it in at boot."""
    units = tree / "etc/systemd/system"
    (units / name).write_text(text)
    wants = units / "multi-user.target.wants"
    wants.mkdir(exist_ok=True)
    (wants / name).symlink_to(f"/etc/systemd/system/{name}")


def wait_unit_state(boot, unit, state, timeout=60):
    """Waits until `systemctl is-active unit` in the guest says state."""
    deadline = time.monotonic() + timeout
    while True:
        now = boot.run("systemctl", "is-active", unit).stdout.strip()
        if now == state:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{unit} is '{now}' in the guest, not '{state}', after {timeout}s\n"
                        f"{boot.describe()}", pytrace=False)
        time.sleep(0.1)


def alive(pid):
    """Whether pid exists and is not a zombie (this host's PID 1 does not reap orphans)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def wait_gone(pids, timeout):
    """Returns the pids still alive after up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = {p for p in pids if alive(p)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def boot_id(boot, leader=None):
    return boot.check("cat", "/proc/sys/kernel/random/boot_id", leader=leader)


def journal(directory, boot_id_):
    """The messages of one boot in the journal files under directory, read on the host."""
    r = run_command(["journalctl", "-D", directory, "--no-pager", "-o", "cat",
                     f"_BOOT_ID={boot_id_.replace('-', '')}"])
    assert r.returncode == 0, f"journalctl -D {directory} failed: {r.stderr}"
    return r.stdout


@pytest.fixture
def host_journal_dir():
    """host_journal_dir(machine_id) -> /var/log/journal/MACHINE-ID on the host, removed after the
    test (a link or a directory, as --link-journal= left it), with /var/log/journal itself if the
    test created it."""
    made = []
    journal_existed = HOST_JOURNAL.exists()

    def make(machine_id):
        path = HOST_JOURNAL / machine_id
        assert not os.path.lexists(path)
        made.append(path)
        return path

    yield make
    for path in made:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    if not journal_existed and HOST_JOURNAL.is_dir() and not any(HOST_JOURNAL.iterdir()):
        HOST_JOURNAL.rmdir()


def test_boot_until_ready_then_poweroff(berth, tree):
    install_unit(tree, "berth-test-gate.service", GATE_UNIT)
    name = "boot-ready"
    with Boot(berth, tree, name, "--notify-ready=yes") as boot:
        leader = boot.leader()
        # The guest is booting, held by the gate: berth must not have said READY=1 yet.
        wait_unit_state(boot, "berth-test-gate.service", "activating")
        assert boot.run("systemctl", "is-system-running").stdout.strip() == "starting"
        assert not boot.received("READY=1"), boot.describe()

        boot.check("touch", "/run/berth-test-gate")
        boot.wait_message("READY=1")
        boot.wait_running()
        # systemd sends a status text with its READY=1; berth passes it on.
        boot.wait_message("STATUS=", prefix=True)

        assert boot.check("hostname") == name
        assert boot.check("cat", "/proc/1/comm") == "systemd"
        assert Path(f"/proc/{leader}/comm").read_text().strip() == "systemd"
        # systemd 252 does not know container=berth by name, so it says "container-other".
        r = boot.run("systemd-detect-virt", "--container")
        assert r.returncode == 0 and r.stdout.strip() not in ("", "none"), r

        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()

    assert read_record(name) is None
    assert not alive(leader)
    assert boot.messages.count("READY=1") == 1, boot.describe()
    # Without a terminal the console is read-only: the guest's boot and shutdown messages are
    # berth's standard output, berth's own messages its standard error.
    out = boot.output.decode(errors="replace")
    assert "Welcome to" in out and "Debian GNU/Linux" in out, boot.describe()
    assert "Powering off." in out, boot.describe()
    assert f"Spawning container '{name}'" in boot.errors.decode(), boot.describe()


def test_notify_ready_no_reports_ready_at_once(berth, tree):
    install_unit(tree, "berth-test-gate.service", GATE_UNIT)
    with Boot(berth, tree, "boot-ready-no", "--notify-ready=no") as boot:
        boot.wait_message("READY=1")
        # READY=1 came although the boot cannot finish before the gate opens.
        wait_unit_state(boot, "berth-test-gate.service", "activating")
        assert boot.run("systemctl", "is-system-running").stdout.strip() == "starting"

        boot.check("touch", "/run/berth-test-gate")
        boot.wait_running()
        assert boot.messages.count("READY=1") == 1, boot.describe()

        # SIGINT, like SIGTERM, shuts the guest down cleanly.
        boot.signal(signal.SIGINT)
        assert boot.wait() == 0, boot.describe()
    assert "STOPPING=1" in boot.messages, boot.describe()
    assert "Halting system." in boot.output.decode(errors="replace"), boot.describe()


def test_reboot_starts_the_guest_again(berth, tree):
    name = "boot-reboot"
    with Boot(berth, tree, name, "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        first = boot.leader()
        boot.wait_running()
        first_boot_id = boot_id(boot)

        boot.check("systemctl", "reboot", "--no-block")
        second = boot.leader(other_than=first)
        boot.wait_running(leader=second)
        assert boot_id(boot, leader=second) != first_boot_id
        assert boot.check("hostname", leader=second) == name
        assert boot.proc.poll() is None
        assert not alive(first)

        boot.check("systemctl", "poweroff", "--no-block", leader=second)
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()
    assert read_record(name) is None
    assert boot.output.decode(errors="replace").count("Welcome to") == 2, boot.describe()


def test_reboot_with_keep_unit_exits_133(berth, tree):
    name = "boot-keep-unit"
    with Boot(berth, tree, name, "--notify-ready=yes", "--keep-unit") as boot:
        boot.wait_message("READY=1")
        leader = boot.leader()
        boot.wait_running()
        pids = boot.container_pids()
        boot.check("systemctl", "reboot", "--no-block")
        assert boot.wait() == 133, boot.describe()
    assert read_record(name) is None
    assert not wait_gone(pids | {leader}, 0)
    assert boot.output.decode(errors="replace").count("Welcome to") == 1, boot.describe()


def test_sigterm_halts_cleanly(berth, tree):
    machine_id = random_machine_id()
    # The tree keeps a persistent journal in /var/log/journal (as Debian does once the directory
    # exists); the guest's own record of its shutdown is read from there afterwards.
    assert (tree / "var/log/journal").is_dir()
    with Boot(berth, tree, "boot-sigterm", "--notify-ready=yes", f"--uuid={machine_id}") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        boot_id_ = boot_id(boot)

        boot.signal(signal.SIGTERM)
        assert boot.wait() == 0, boot.describe()
    assert "STOPPING=1" in boot.messages, boot.describe()
    assert "Stopping container 'boot-sigterm'" in boot.errors.decode(), boot.describe()
    # Everything up to the last service: journald stays until the final kill of all processes.
    log = journal(tree / "var/log/journal" / machine_id, boot_id_)
    assert "Stopped target multi-user.target - Multi-User System." in log, log[-3000:]
    assert "Reached target shutdown.target - System Shutdown." in log, log[-3000:]
    assert "systemd-halt.service - System Halt" in log, log[-3000:]
    assert "Journal stopped" in log, log[-3000:]


def test_second_sigterm_kills_at_once(berth, tree):
    install_unit(tree, "berth-test-slow-stop.service", SLOW_STOP_UNIT)
    with Boot(berth, tree, "boot-sigterm-twice", "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        leader = boot.leader()
        pids = boot.container_pids()

        boot.signal(signal.SIGTERM)
        # The guest is shutting down and will take ten minutes over it.
        wait_unit_state(boot, "berth-test-slow-stop.service", "deactivating")
        assert boot.proc.poll() is None

        boot.signal(signal.SIGTERM)
        assert boot.wait() == 128 + signal.SIGKILL, boot.describe()
    assert leader in pids
    assert not wait_gone(pids, 0)


# started: as soon as the container's init exists; booting: in the middle of the boot, before
# READY=1; running: once the boot finished.
@pytest.mark.parametrize("when", ["started", "booting", "running"])
def test_sigkill_of_berth_kills_the_container(berth, tree, when):
    install_unit(tree, "berth-test-gate.service", GATE_UNIT)
    with Boot(berth, tree, f"boot-sigkill-{when}", "--notify-ready=yes") as boot:
        leader = boot.leader()
        if when != "started":
            wait_unit_state(boot, "berth-test-gate.service", "activating")
        if when == "running":
            boot.check("touch", "/run/berth-test-gate")
            boot.wait_message("READY=1")
            boot.wait_running()
        pids = boot.container_pids()
        assert leader in pids
        if when != "started":
            assert len(pids) > 1
        if when != "running":
            assert not boot.received("READY=1"), boot.describe()

        boot.signal(signal.SIGKILL)
        assert boot.wait() == -signal.SIGKILL
        left = wait_gone(pids, KILL_TIMEOUT)
        assert not left, f"Still running {KILL_TIMEOUT}s after berth was killed: {sorted(left)}"


# A crypttab entry for a disk the container cannot have: a device-mapper target needs the device
# and /dev/mapper/control, so the unit systemd-cryptsetup-generator makes for it could never work.
CRYPTTAB = "secret /dev/disk/by-uuid/0b6c8f3e-7d1a-4c55-9a8e-2f4b1c9d0e7a none luks\n"

# The guest's own systemd-gpt-auto-generator (an admin's override): it leaves a unit behind.
OVERRIDING_GENERATOR = """\
#!/bin/sh
printf '[Unit]\\nDescription=Made by the guest generator\\n' > "$1/berth-test-generated.target"
"""


def generated_units(boot, pattern):
    return boot.check("systemctl", "list-units", "--all", "--plain", "--no-legend", pattern).splitlines()


def test_generators_that_cannot_act_do_not_run(berth, tree):
    (tree / "etc/crypttab").write_text(CRYPTTAB)
    gens = tree / "etc/systemd/system-generators"
    gens.mkdir(parents=True, exist_ok=True)
    (gens / "systemd-gpt-auto-generator").write_text(OVERRIDING_GENERATOR)
    (gens / "systemd-gpt-auto-generator").chmod(0o755)
    with Boot(berth, tree, "boot-generators", "--notify-ready=yes") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        # The generators that cannot act here did not run: no unit for the encrypted disk.
        assert generated_units(boot, "systemd-cryptsetup@*") == []
        assert boot.check("readlink", "/run/systemd/system-generators/systemd-cryptsetup-generator") == "/dev/null"
        assert boot.check("readlink", "/run/systemd/system-generators/systemd-hibernate-resume-generator") == \
            "/dev/null"
        # Nothing asked for what these would do (no init arguments, no rc.local, no /system-update).
        for idle in ("debug", "run", "rc-local", "system-update"):
            assert boot.check("readlink", f"/run/systemd/system-generators/systemd-{idle}-generator") == "/dev/null"
        # The guest's own generator of a masked name ran: the guest's word counts.
        assert boot.check("systemctl", "show", "-P", "LoadState", "berth-test-generated.target") == "loaded"
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()


def test_device_mapper_generators_run_when_its_control_is_bound(berth, tree, tmp_path):
    (tree / "etc/crypttab").write_text(CRYPTTAB)
    # A node of the device-mapper's control device, as /dev/mapper/control is on hosts that have it.
    control = tmp_path / "control"
    os.mknod(control, stat.S_IFCHR | 0o600, os.makedev(10, 236))
    # Another bound device does not count.
    with Boot(berth, tree, "boot-generators-other", "--notify-ready=yes",
              "--bind-ro=/dev/zero:/dev/berth-test-zero") as boot:
        boot.wait_message("READY=1")
        assert generated_units(boot, "systemd-cryptsetup@*") == []
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()
    with Boot(berth, tree, "boot-generators-dm", "--notify-ready=yes",
              f"--bind-ro={control}:/dev/mapper/control") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        units = generated_units(boot, "systemd-cryptsetup@*")
        assert units and units[0].startswith("systemd-cryptsetup@secret.service"), units
        assert boot.run("test", "-e", "/run/systemd/system-generators/systemd-cryptsetup-generator").returncode == 1
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()


def test_generators_run_when_the_guest_asks_for_what_they_do(berth, tree, tmp_path):
    # rc.local comes from a bind: what the user's mounts add counts.
    rc_local = tmp_path / "rc.local"
    rc_local.write_text("#!/bin/sh\ntouch /run/berth-test-rc-local\n")
    rc_local.chmod(0o755)
    # In a container, init's arguments are the kernel command line the generators read.
    with Boot(berth, tree, "boot-generators-asked", "--notify-ready=yes", f"--bind-ro={rc_local}:/etc/rc.local",
              "systemd.mask=berth-test-masked.service") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        assert boot.check("systemctl", "show", "-P", "ActiveState", "rc-local.service") == "active"
        assert boot.run("test", "-e", "/run/berth-test-rc-local").returncode == 0, "rc.local did not run"
        assert boot.check("systemctl", "show", "-P", "LoadState", "berth-test-masked.service") == "masked"
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()


def test_kernel_command_line_run_from_init_arguments(berth, tree):
    command = tree / "usr/local/bin/berth-test-run"
    command.write_text("#!/bin/sh\ntouch /run/berth-test-run\n")
    command.chmod(0o755)
    # systemd.run= makes the boot's goal that command (kernel-command-line.target).
    with Boot(berth, tree, "boot-generators-run", "--notify-ready=yes",
              "systemd.run=/usr/local/bin/berth-test-run", "systemd.run_success_action=none") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        assert boot.check("systemctl", "show", "-P", "Result", "kernel-command-line.service") == "success"
        assert boot.run("test", "-e", "/run/berth-test-run").returncode == 0, "systemd.run= did not run"
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()


def test_offline_update_link_boots_into_the_update(berth, tree):
    # systemd.offline-updates(7): the boot goes to system-update.target, whose cleanup removes the
    # link and reboots; with --keep-unit, berth exits with 133 on that reboot.
    (tree / "system-update").symlink_to("/var/cache")
    with Boot(berth, tree, "boot-offline-update", "--keep-unit") as boot:
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 133, boot.describe()
    assert not os.path.lexists(tree / "system-update")
    assert b"Offline System Update" in boot.output, boot.describe()


def test_console_escape_kills_the_container(berth, tree):
    with Boot(berth, tree, "boot-escape", "--notify-ready=yes", console="pty") as boot:
        boot.wait_message("READY=1")
        boot.expect(rb"Press Ctrl-\] three times")
        pids = boot.container_pids()
        boot.type(b"\x1d\x1d\x1d")
        assert boot.wait() == 128 + signal.SIGKILL, boot.describe()
    assert b"Killing container 'boot-escape'" in boot.output
    assert not wait_gone(pids, 0)


def test_console_login(berth, tree):
    name = "boot-login"
    with Boot(berth, tree, name, console="pty") as boot:
        # root has no password in the test tree: its name is all the login asks for.
        at = boot.expect(rf"{name} login: ".encode())
        boot.type(b"root\r")
        at = boot.expect(rf"root@{name}:\S*# ".encode(), start=at)
        boot.type(b"echo $((6*7))\r")
        # (bash turns bracketed paste off before running the command: "ESC[?2004l\r42\r\n")
        boot.expect(rb"[\r\n]42\r?\n", start=at)
        boot.type(b"poweroff\r")
        assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()


def test_booted_os_sets_up_its_machine_id(berth, tree):
    """As systemd's container interface has it: the guest's systemd takes the ID from
    container_uuid and writes it into the tree's empty file; "uninitialized" means a first boot."""
    machine_id = random_machine_id()
    for content, first_boot in (("", "no"), ("uninitialized\n", "yes")):
        (tree / "etc/machine-id").write_text(content)
        with Boot(berth, tree, "boot-machine-id", "--notify-ready=yes", f"--uuid={machine_id}") as boot:
            boot.wait_message("READY=1")
            boot.wait_running()
            assert boot.check("cat", "/etc/machine-id") == machine_id
            assert boot.check("systemctl", "show", "-P", "ConditionResult", "systemd-firstboot.service") == \
                first_boot, f"first boot with {content!r}"
            boot.check("systemctl", "poweroff", "--no-block")
            assert boot.wait(timeout=POWEROFF_TIMEOUT) == 0, boot.describe()
        assert (tree / "etc/machine-id").read_text() == machine_id + "\n"


def test_link_journal_guest(berth, tree, host_journal_dir):
    machine_id = random_machine_id()
    host_dir = host_journal_dir(machine_id)
    guest_dir = tree / "var/log/journal" / machine_id
    with Boot(berth, tree, "boot-journal-guest", "--notify-ready=yes", f"--uuid={machine_id}",
              "--link-journal=guest") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        # The journal is the tree's; the host links to it.
        assert host_dir.is_symlink() and os.readlink(host_dir) == str(guest_dir)
        boot_id_ = boot_id(boot)
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait() == 0, boot.describe()
    # The link stays after the container ended (documented), and the host reads the guest's
    # journal through it.
    assert host_dir.is_symlink() and os.readlink(host_dir) == str(guest_dir)
    assert "Reached target shutdown.target - System Shutdown." in journal(host_dir, boot_id_)


def test_link_journal_host(berth, tree, host_journal_dir):
    machine_id = random_machine_id()
    host_dir = host_journal_dir(machine_id)
    guest_dir = f"/var/log/journal/{machine_id}"
    with Boot(berth, tree, "boot-journal-host", "--notify-ready=yes", f"--uuid={machine_id}",
              "--link-journal=host") as boot:
        boot.wait_message("READY=1")
        boot.wait_running()
        # The host's directory is mounted over the guest's: a file made on one side is seen on
        # the other.
        assert host_dir.is_dir() and not host_dir.is_symlink()
        assert boot.check("findmnt", "--noheadings", "--output", "TARGET", "--mountpoint",
                          guest_dir) == guest_dir
        (host_dir / "from-host").write_text("x")
        assert boot.check("cat", f"{guest_dir}/from-host") == "x"
        (host_dir / "from-host").unlink()
        boot_id_ = boot_id(boot)
        boot.check("systemctl", "poweroff", "--no-block")
        assert boot.wait() == 0, boot.describe()
    # The journal stays on the host; the tree has none of it.
    assert "Reached target shutdown.target - System Shutdown." in journal(host_dir, boot_id_)
    assert not list((tree / "var/log/journal" / machine_id).glob("*.journal"))
