# berth on a host whose PID 1 is systemd (systemd_host.py boots one): registration with
# systemd-machined, berth@.service, and the systemd tools (machinectl, systemctl, journalctl,
# systemd-run) working with berth's machines. The host boots once for the whole file; each test
# leaves it as it found it, which the leak check below verifies.

import ipaddress
import json
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import _clean_up, _host_state, _new_since
from systemd_host import BOOT_TIMEOUT, GUEST, STOP_TIMEOUT, SystemdHost, host_tree

UNIT = f"berth@{GUEST}.service"


@pytest.fixture(scope="session")
def systemd_host(berth, cached_tree):
    host = SystemdHost(berth, host_tree(), cached_tree)
    try:
        host.start()
        yield host
    finally:
        problems = host.stop()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


def host_leftovers(host):
    """What a test may have left in the systemd host: running or failed berth units, machines
    machined knows, berth's records, machine cgroups, berth processes."""
    found = []
    units = host.run("systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager",
                     "berth@*", "machine-*.scope", check=False).stdout.split("\n")
    found += [f"Unit in the systemd host: {u.strip()}" for u in units
              if u.strip() and " inactive " not in f" {u} "]
    machines = host.run("machinectl", "list", "--no-legend", check=False).stdout
    found += [f"Machine registered in the systemd host: {m}" for m in machines.splitlines() if m.strip()]
    records = host.run("ls", "/run/berth/machines", check=False).stdout.split()
    found += [f"Record in the systemd host: /run/berth/machines/{r}" for r in records]
    processes = host.run("pgrep", "-a", "^berth", check=False).stdout
    found += [f"Process in the systemd host: {p}" for p in processes.splitlines()]
    cgroups = host.run("find", "/sys/fs/cgroup/machine.slice", "-mindepth", "1", "-maxdepth", "1",
                       "-type", "d", check=False).stdout
    found += [f"Cgroup in the systemd host: {c}" for c in cgroups.split()]
    return found


def clean_host(host):
    host.run("sh", "-c", "systemctl disable --now 'berth@*' 2>/dev/null; systemctl kill -s KILL "
             "'berth@*' 'machine-*.scope' 2>/dev/null; systemctl reset-failed; "
             "pkill -KILL '^berth'; rm -f /run/berth/machines/*", check=False)


@pytest.fixture(autouse=True)
def _leak_check(request, tmp_path_factory, systemd_host):
    """Replaces conftest's leak check for these tests: the systemd host's own cgroups come and go
    with its services, so its cgroup tree is left out of the check on this machine, and what the
    test may have left inside the host is checked there."""
    basetemp = str(tmp_path_factory.getbasetemp())

    def state():
        s = _host_state(basetemp)
        inside = systemd_host.cgroup
        s["cgroup"] = {k: v for k, v in s["cgroup"].items() if not (inside and k.startswith(inside))}
        return s

    before = state()
    found = []
    yield found
    deadline = time.monotonic() + 10
    while True:
        leaked = _new_since(before, state())
        inside = host_leftovers(systemd_host)
        if not (any(leaked.values()) or inside) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    messages = found + inside + [msg for kind, items in leaked.items() for key, msg in items.items()
                                 if kind != "cgroup" or os.path.dirname(key) not in items]
    if messages:
        _clean_up(leaked)
        clean_host(systemd_host)
        pytest.fail("Left behind after the test (now cleaned up):\n  " + "\n  ".join(messages),
                    pytrace=False)



# ---- helpers ----

def wait_for(what, predicate, host, timeout=BOOT_TIMEOUT):
    """Waits until predicate() returns something true and returns it; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}\n{host.describe()}", pytrace=False)
        time.sleep(0.1)


def unit_state(host, unit):
    return host.run("systemctl", "is-active", unit, check=False).stdout.strip()


def show(host, unit, *props):
    """{property: value} of a unit (systemctl show)."""
    out = host.check("systemctl", "show", unit, *(f"--property={p}" for p in props))
    return dict(line.split("=", 1) for line in out.splitlines())


def machine(host, name):
    """{property: value} of a machine machined knows, or {} when it knows none of that name."""
    r = host.run("machinectl", "show", name, check=False)
    return dict(line.split("=", 1) for line in r.stdout.splitlines()) if r.returncode == 0 else {}


def machine_list(host):
    """machinectl list, as {name: (class, service, os)}."""
    out = host.check("machinectl", "list", "--no-legend", "--no-pager")
    return {f[0]: tuple(f[1:4]) for f in (line.split() for line in out.splitlines()) if f}


def wait_guest_booted(host, name=GUEST):
    """Waits until the machine's systemd finished booting, asked inside it through its leader."""
    leader = wait_for(f"machine '{name}' in machined", lambda: machine(host, name).get("Leader"), host)

    def booted():
        # Right after the start, systemd may not listen on its socket yet (no answer) or not have
        # made /run/systemd/system ("offline").
        out = host.run("nsenter", "-t", leader, "-a", "systemctl", "is-system-running", "--wait",
                       check=False, timeout=BOOT_TIMEOUT).stdout.strip()
        return out not in ("", "offline") and out

    state = wait_for(f"machine '{name}' to boot", booted, host)
    assert state == "running", f"The guest says '{state}'\n" + \
        host.run("nsenter", "-t", leader, "-a", "systemctl", "--failed", check=False).stdout
    return int(leader)


def start_guest(host):
    host.check("systemctl", "start", UNIT, timeout=BOOT_TIMEOUT)
    return wait_guest_booted(host)


def stop_guest(host):
    host.check("systemctl", "stop", UNIT, timeout=BOOT_TIMEOUT)
    wait_for(f"{UNIT} to stop", lambda: unit_state(host, UNIT) in ("inactive", "failed"), host)


def cgroup_exists(host, path):
    return host.run("test", "-d", f"/sys/fs/cgroup/{path}", check=False).returncode == 0


# ---- berth@.service ----

def test_unit_machinectl_and_tools(systemd_host):
    """The flow a user expects: start the unit, see the machine with machinectl, work in it with
    the systemd tools, power it off from the host."""
    host = systemd_host
    leader = start_guest(host)
    props = show(host, UNIT, "ActiveState", "SubState", "StatusText", "ControlGroup", "Type")
    assert (props["ActiveState"], props["SubState"], props["Type"]) == ("active", "running", "notify"), props
    assert props["StatusText"].startswith("Container running"), props
    status = host.run("systemctl", "status", "--no-pager", UNIT, check=False).stdout
    assert "Active: active (running)" in status and "Status: \"Container running" in status, status

    # machined knows the machine: berth registered it, with the unit as its unit.
    assert machine_list(host).get(GUEST, ())[:2] == ("container", "berth"), machine_list(host)
    info = machine(host, GUEST)
    assert info["Unit"] == UNIT and info["Service"] == "berth" and info["Class"] == "container", info
    assert info["RootDirectory"] == f"/var/lib/machines/{GUEST}", info
    assert int(info["Leader"]) == leader
    # -U: the guest's root is not the host's, but the start of a 64K range of its own.
    inside, outside, count = host.check("cat", f"/proc/{leader}/uid_map").split()
    assert (inside, count) == ("0", "65536") and int(outside) >= 0x80000 and int(outside) % 65536 == 0
    # The guest's machine id is the machine's id.
    guest_id = host.check("nsenter", "-t", leader, "-a", "cat", "/etc/machine-id")
    assert info["Id"].replace("-", "") == guest_id, (info, guest_id)
    assert host.check("machinectl", "list", "--no-legend", "--no-pager").split()[3] == "debian"
    status = host.check("machinectl", "status", "--no-pager", GUEST)
    assert f"Unit: {UNIT}" in status and "OS: Debian GNU/Linux 12" in status, status
    # The container runs in a cgroup below the unit's, berth beside it.
    assert cgroup_exists(host, f"machine.slice/{UNIT}/payload")
    # (The guest's systemd moved itself on to init.scope in its part.)
    assert f"\n0::/machine.slice/{UNIT}/payload/" in host.check("cat", f"/proc/{leader}/cgroup")

    # The systemd tools reach into the machine.
    r = host.run("machinectl", "shell", GUEST, "/bin/sh", "-c", "hostname; exit 0", check=False)
    assert r.returncode == 0 and GUEST in r.stdout, r.stdout + r.stderr
    r = host.run("systemd-run", "-M", GUEST, "--wait", "--quiet", "/bin/true", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    r = host.run("systemd-run", "-M", GUEST, "--wait", "--quiet", "/bin/false", check=False)
    assert r.returncode != 0, "systemd-run -M does not report a failure in the guest"
    host.check("nsenter", "-t", leader, "-a", "logger", "-t", "berth-test", "hello-from-the-guest")
    journal = wait_for("the guest's journal", lambda: (lambda out: "hello-from-the-guest" in out and out)(
        host.run("journalctl", "-M", GUEST, "--no-pager", "-t", "berth-test", check=False).stdout), host,
        timeout=30)
    assert "hello-from-the-guest" in journal

    # machinectl poweroff: the guest shuts down cleanly and the unit ends as a success.
    host.check("machinectl", "poweroff", GUEST)
    wait_for(f"{UNIT} to stop", lambda: unit_state(host, UNIT) != "active", host)
    wait_for(f"{UNIT} to stop", lambda: unit_state(host, UNIT) in ("inactive", "failed"), host)
    props = show(host, UNIT, "ActiveState", "Result", "ExecMainStatus")
    assert props == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}, props
    assert GUEST not in machine_list(host)
    assert not cgroup_exists(host, f"machine.slice/{UNIT}")


def test_berthctl_against_the_unit(systemd_host):
    """berthctl, installed by meson into the host, starts the unit, sees the machine, runs commands
    in it with their exit status, and stops it."""
    host = systemd_host
    host.check("berthctl", "start", GUEST, timeout=BOOT_TIMEOUT)
    leader = wait_guest_booted(host)
    machines = {m["machine"]: m for m in json.loads(host.check("berthctl", "list", "--json"))}
    assert machines[GUEST]["os"] == "debian" and machines[GUEST]["leader"] == leader, machines
    status = host.check("berthctl", "status", GUEST)
    assert f"Unit: {UNIT}" in status and f"Leader: {leader}" in status, status
    assert "Debian GNU/Linux 12" in status and "Service: berth; class container" in status, status
    # The guest's addresses (its own network namespace, loopback left out), as machinectl shows.
    guest_addresses = wait_for("an address on host0", lambda: [
        a["local"] for entry in json.loads(host.check("nsenter", "-t", str(leader), "-n", "ip", "-j", "addr",
                                                      "show", "dev", "host0")) for a in entry["addr_info"]], host)
    status = host.check("berthctl", "status", GUEST)
    shown = re.findall(r"^ +(?:Address: +)?([0-9a-f.:]+)$", status.split("Address:", 1)[-1], re.M)
    assert "Address:" in status and set(guest_addresses) <= set(shown), status
    assert "127.0.0.1" not in status and "::1\n" not in status, status
    # The latest lines of the unit's journal close the status: what the guest wrote on its console
    # (berth's output), with the guest's terminal escapes taken out.
    host.check("berthctl", "shell", GUEST, "/bin/sh", "-c", "printf 'marker-\\033[31mred\\n' >/dev/console")
    status = wait_for("the console line in the journal", lambda: (lambda out: "marker-" in out and out)(
        host.check("berthctl", "status", GUEST)), host, timeout=30)
    assert re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ berth\[\d+\]: marker-red$", status, re.M), status
    assert "\033" not in status, status
    for code in (0, 3, 42):
        r = host.run("berthctl", "shell", GUEST, "/bin/sh", "-c", f"exit {code}", check=False)
        assert r.returncode == code, r.stdout + r.stderr
    # In its user namespace, the guest's root is root; the command is in the guest's cgroup tree
    # (its top, or the init.scope of the guest's systemd when controllers are enabled below the top).
    r = host.run("berthctl", "shell", GUEST, "/bin/sh", "-c", "id -u; hostname; grep ^0:: /proc/self/cgroup",
                 check=False)
    assert r.stdout.split()[:2] == ["0", GUEST], r.stdout + r.stderr
    assert r.stdout.split()[2] in ("0::/", "0::/init.scope"), r.stdout + r.stderr
    host.check("berthctl", "stop", GUEST)
    wait_for(f"{UNIT} to stop", lambda: unit_state(host, UNIT) in ("inactive", "failed"), host)
    props = show(host, UNIT, "ActiveState", "Result")
    assert props == {"ActiveState": "inactive", "Result": "success"}, props
    r = host.run("berthctl", "status", GUEST, check=False)
    assert r.returncode == 1 and f"No machine '{GUEST}'" in r.stderr, r.stderr


def test_berthctl_sees_machines_of_other_managers(systemd_host):
    """With machined, berthctl works with every machine it knows, not only berth's: a machine
    another manager registered is listed, shown and terminated through machined."""
    host = systemd_host
    name, unit = "foreign", "foreign-payload.service"
    host.check("systemd-run", f"--unit={unit}", "--collect", "--quiet", "/bin/sleep", "600")
    try:
        pid = wait_for(f"{unit} to run", lambda: (lambda p: p != "0" and p)(
            host.check("systemctl", "show", "-P", "MainPID", unit)), host, timeout=30)
        host.check("busctl", "call", "org.freedesktop.machine1", "/org/freedesktop/machine1",
                   "org.freedesktop.machine1.Manager", "RegisterMachine", "sayssus",
                   name, "0", "other-manager", "container", pid, "/")
        assert host.run("test", "-e", f"/run/berth/machines/{name}", check=False).returncode != 0
        machines = {m["machine"]: m for m in json.loads(host.check("berthctl", "list", "--json"))}
        assert machines[name]["service"] == "other-manager" and machines[name]["leader"] == int(pid), machines
        status = host.check("berthctl", "status", name)
        assert "Service: other-manager; class container" in status and f"Unit: {unit}" in status, status
        assert f"Leader: {pid}" in status and "/bin/sleep 600" in status, status
        shown = host.check("berthctl", "-p", "Unit", "--value", "show", name)
        assert shown == unit, shown
        host.check("berthctl", "terminate", name)
        wait_for(f"{unit} to stop", lambda: unit_state(host, unit) != "active", host, timeout=30)
        wait_for(f"machined to forget '{name}'", lambda: name not in machine_list(host), host, timeout=30)
        r = host.run("berthctl", "status", name, check=False)
        assert r.returncode == 1 and f"No machine '{name}'" in r.stderr, r.stderr
    finally:
        host.run("systemctl", "stop", unit, check=False)


@pytest.mark.parametrize("tool", ["machinectl", "berthctl"])
def test_unit_login_prompt(systemd_host, tool):
    """machinectl login and berthctl login (through machined) reach the guest's login prompt on a
    pty, and ^]^]^] ends them."""
    host = systemd_host
    start_guest(host)
    master, slave = pty.openpty()
    proc = subprocess.Popen(["nsenter", "-t", str(host.leader), "-a", tool, "login", GUEST],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    output = b""
    try:
        deadline = time.monotonic() + 60
        while not re.search(rb"\n%s login: ?$" % GUEST.encode(), output) and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    output += os.read(master, 4096)
                except OSError:
                    break
            else:
                # getty may have printed its banner before the pty was read: ask again.
                if b"login:" not in output and time.monotonic() > deadline - 50:
                    os.write(master, b"\n")
        assert re.search(rb"%s login:" % GUEST.encode(), output), output
        # ^] three times within a second ends the login.
        os.write(master, b"\x1d\x1d\x1d")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    stop_guest(host)


def test_unit_reboot_restarts(systemd_host):
    """A reboot inside the guest: berth exits with 133 and the unit restarts it."""
    host = systemd_host
    leader = start_guest(host)
    host.run("nsenter", "-t", leader, "-a", "systemctl", "reboot", check=False)
    wait_for("the guest to reboot", lambda: (lambda m: m.get("Leader") not in (None, str(leader)))(
        machine(host, GUEST)), host)
    new_leader = wait_guest_booted(host)
    assert new_leader != leader
    props = show(host, UNIT, "ActiveState", "NRestarts")
    assert props == {"ActiveState": "active", "NRestarts": "1"}, props
    # 133 is a success (SuccessExitStatus=), so systemd only says that it restarts the unit.
    restarted = host.run("journalctl", "-u", UNIT, "--no-pager", "-o", "cat", check=False).stdout
    assert f"{UNIT}: Scheduled restart job, restart counter is at 1." in restarted, restarted[-3000:]
    stop_guest(host)
    props = show(host, UNIT, "ActiveState", "Result")
    assert props == {"ActiveState": "inactive", "Result": "success"}, props


def test_unit_enabled_comes_back_after_host_reboot(systemd_host):
    """systemctl enable berth@guest: machines.target starts the guest when the host boots."""
    host = systemd_host
    host.check("systemctl", "enable", UNIT)
    try:
        host.reboot()
        wait_for(f"{UNIT} after the host's reboot", lambda: unit_state(host, UNIT) == "active", host)
        wait_guest_booted(host)
        assert show(host, "machines.target", "ActiveState")["ActiveState"] == "active"
        assert GUEST in machine_list(host)
    finally:
        host.run("systemctl", "disable", UNIT, check=False)
    stop_guest(host)


def ipv4_networks(host, link, leader=None):
    """The IPv4 addresses of link (in the network namespace of leader, or the host's), with their
    prefixes, as ip_interface objects; [] when there is none or no such link."""
    cmd = ("ip", "-j", "-4", "addr", "show", "dev", link)
    r = host.run(*(("nsenter", "-t", str(leader), "-n") if leader else ()), *cmd, check=False)
    if r.returncode != 0:
        return []
    return [ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}")
            for entry in json.loads(r.stdout or "[]") for a in entry.get("addr_info", [])]


def test_unit_network(systemd_host):
    """berth@ gives the guest a veth link: the host's networkd serves ve-guest with DHCP and the
    guest's networkd configures host0 from it, with no configuration of the user's, and the two
    sides reach each other. The link goes with the unit."""
    host = systemd_host
    leader = start_guest(host)
    try:
        def leased():
            """(host side, guest side): addresses of one network on both ends of the link."""
            ours, theirs = ipv4_networks(host, f"ve-{GUEST}"), ipv4_networks(host, "host0", leader)
            return next(((a, b) for a in ours for b in theirs if b.ip in a.network), None)

        host_side, guest_side = wait_for("addresses of one network on ve-guest and on host0 in the guest",
                                         leased, host, timeout=90)
        r = host.run("nsenter", "-t", str(leader), "-n", "ping", "-c", "1", "-W", "5", str(host_side.ip),
                     check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        r = host.run("ping", "-c", "1", "-W", "5", str(guest_side.ip), check=False)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        stop_guest(host)
    assert host.run("ip", "link", "show", f"ve-{GUEST}", check=False).returncode != 0


def test_watchdog_pings(systemd_host):
    """Under a service manager's watchdog, berth pings it: a service with a 2 s watchdog stays up
    well past it (without the pings, the manager would kill it at 2 s)."""
    host = systemd_host
    unit = "berth-watchdog-test.service"
    host.check("systemd-run", f"--unit={unit}", "-p", "Type=notify", "-p", "WatchdogSec=2s",
               "-p", "KillMode=mixed", "/usr/local/bin/berth", "-q", "--keep-unit", "--register=no",
               "-D", f"/var/lib/machines/{GUEST}", "-x", "-M", "watchdog", "sleep", "60")
    try:
        assert show(host, unit, "WatchdogUSec")["WatchdogUSec"] == "2s"
        time.sleep(7)
        props = show(host, unit, "ActiveState", "SubState", "Result", "NRestarts")
        assert props == {"ActiveState": "active", "SubState": "running", "Result": "success",
                         "NRestarts": "0"}, props
    finally:
        host.run("systemctl", "stop", unit, check=False, timeout=STOP_TIMEOUT)
        host.run("systemctl", "reset-failed", unit, check=False)


def test_unit_sigkill_leaves_nothing(systemd_host):
    """systemctl kill -s KILL: berth, its guardian and the container die at once; machined forgets
    the machine and the cgroup goes, and the unit can start again."""
    host = systemd_host
    start_guest(host)
    host.check("systemctl", "kill", "-s", "KILL", UNIT)
    wait_for(f"{UNIT} to end", lambda: unit_state(host, UNIT) in ("inactive", "failed"), host)
    wait_for("machined to forget the machine", lambda: GUEST not in machine_list(host), host, timeout=30)
    assert not cgroup_exists(host, f"machine.slice/{UNIT}")
    assert host.run("pgrep", "-a", "^berth", check=False).stdout == ""
    host.check("systemctl", "reset-failed", UNIT)
    start_guest(host)
    stop_guest(host)


# ---- berth run by hand on a systemd host ----

def spawn_berth(host, name, *args):
    """berth -b from a shell in the host (a transient scope, as a login session's), in the
    background; its output goes to a pipe."""
    return subprocess.Popen(["nsenter", "-t", str(host.leader), "-a", "systemd-run", "--scope", "--quiet",
                             "--collect", "berth", "-b", "-D", f"/var/lib/machines/{GUEST}", "-M", name,
                             "--console=pipe", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_berth_registers_by_itself(systemd_host):
    """berth -b run by hand registers the machine, in a scope machined makes for it; a poweroff
    and a SIGKILL of berth both leave machined and the cgroups clean."""
    host = systemd_host
    name = "adhoc"
    scope = f"machine-{name}.scope"
    # A device node bound in read-only: the scope lets the container read it.
    host.check("sh", "-c", "rm -f /run/bound-null && mknod /run/bound-null c 1 3")
    proc = spawn_berth(host, name, "--bind-ro=/run/bound-null:/bound")
    try:
        leader = wait_guest_booted(host, name)
        info = machine(host, name)
        assert (info["Unit"], info["Service"], info["Class"]) == (scope, "berth", "container"), info
        props = show(host, scope, "Slice", "Delegate", "KillMode", "DevicePolicy", "ActiveState")
        assert props == {"Slice": "machine.slice", "Delegate": "yes", "KillMode": "mixed",
                         "DevicePolicy": "closed", "ActiveState": "active"}, props
        allowed = host.check("systemctl", "show", "-p", "DeviceAllow", scope).splitlines()
        assert "DeviceAllow=/dev/char/1:3 r" in allowed, allowed
        assert f"\n0::/machine.slice/{scope}/payload/" in host.check("cat", f"/proc/{leader}/cgroup")
        host.check("machinectl", "poweroff", name)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert name not in machine_list(host)
    wait_for(f"{scope} to go", lambda: not cgroup_exists(host, f"machine.slice/{scope}"), host, timeout=30)

    # berth SIGKILLed: the container dies with it, machined forgets it, the scope goes.
    proc = spawn_berth(host, name)
    try:
        wait_guest_booted(host, name)
        supervisor = host.check("sed", "-n", "s/^SUPERVISOR=//p", f"/run/berth/machines/{name}")
        host.check("kill", "-KILL", supervisor)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wait_for("machined to forget the machine", lambda: name not in machine_list(host), host, timeout=30)
    wait_for(f"{scope} to go", lambda: not cgroup_exists(host, f"machine.slice/{scope}"), host, timeout=30)
    wait_for("the record to go", lambda: host.run("test", "-e", f"/run/berth/machines/{name}",
                                                 check=False).returncode != 0, host, timeout=30)


def run_unregistered(host, name, *args, machined=True):
    """berth running a sleep as machine name, checked from the host while it runs: its scope made
    by systemd, and machined never hearing of it. Returns what berth wrote to stderr."""
    proc = subprocess.Popen(["nsenter", "-t", str(host.leader), "-a", "systemd-run", "--scope", "--quiet",
                             "--collect", "berth", "-D", f"/var/lib/machines/{GUEST}", "-M", name,
                             "--console=pipe", *args, "/bin/sleep", "600"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    scope = f"machine-{name}.scope"
    try:
        record = f"/run/berth/machines/{name}"
        wait_for(f"berth to run '{name}'", lambda: proc.poll() is not None or host.run(
            "grep", "-q", "^LEADER=[1-9]", record, check=False).returncode == 0, host, timeout=30)
        assert proc.poll() is None, proc.communicate()
        assert host.check("sed", "-n", "s/^UNIT=//p", record) == scope
        props = show(host, scope, "ActiveState", "Slice", "Delegate")
        assert props == {"ActiveState": "active", "Slice": "machine.slice", "Delegate": "yes"}, props
        if machined:
            assert name not in machine_list(host)
        # berthctl finds it all the same, from berth's record.
        listed = {m["machine"]: m for m in json.loads(host.check("berthctl", "list", "--json"))}
        assert listed.get(name, {}).get("service") == "berth", listed
        assert f"Unit: {scope}" in host.check("berthctl", "status", name)
        host.check("kill", "-TERM", host.check("sed", "-n", "s/^SUPERVISOR=//p", record))
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wait_for(f"{scope} to go", lambda: not cgroup_exists(host, f"machine.slice/{scope}"), host, timeout=30)
    return err


def test_register_modes(systemd_host):
    """--register=yes fails clearly when machined cannot be reached; auto then says so in one line
    and runs the machine in a scope systemd makes; no never registers, machined or not."""
    host = systemd_host
    name = "unregistered"
    host.check("systemctl", "mask", "--runtime", "--now", "systemd-machined.service")
    try:
        r = host.run("berth", "-D", f"/var/lib/machines/{GUEST}", "-M", name, "--register=yes", "/bin/true",
                     scope=True, check=False)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "Cannot register machine 'unregistered' (--register=yes): systemd-machined is not " \
            "reachable: " in r.stderr, r.stderr
        assert "Spawning" not in r.stderr, r.stderr

        err = run_unregistered(host, name, machined=False)
        notes = [line for line in err.splitlines() if "machined" in line]
        assert len(notes) == 1 and notes[0].startswith(
            "berth: Not registering machine 'unregistered' with systemd-machined: "), err
    finally:
        host.run("systemctl", "unmask", "--runtime", "systemd-machined.service", check=False)

    err = run_unregistered(host, name, "--register=no")
    assert "machined" not in err, err
