# berth's network options, seen from the host and from inside the container's network namespace
# (entered with nsenter): the links berth makes and their names and MAC addresses, traffic both ways
# over them (with addresses the tests assign from a /24 the host does not use), and that nothing
# berth added to the host outlives the machine, SIGKILL of berth included. The tests touch only
# links they create themselves (names starting with "bt"), and the ones berth makes.

import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import time

import pytest

from conftest import machine_record, process_alive

BERTH_PREFIXES = ("ve-", "vb-", "vz-")

# An ICMP echo over a raw socket (the tree has no ping, and the host may not either): exits 0 when
# the address answered one of a few requests.
PING = r"""
import os, socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
def checksum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for seq in range(1, 11):
    body = struct.pack("!HH", ident, seq) + b"berth"
    s.sendto(struct.pack("!BBH", 8, 0, checksum(b"\x08\x00\x00\x00" + body + b"\0")) + body, (dst, 0))
    deadline = time.monotonic() + 0.5
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            break
        icmp = data[(data[0] & 15) * 4:]
        if src[0] == dst and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
            sys.exit(0)
sys.exit(1)
"""


# A server for port forwarding tests, run in the container's network namespace: on TCP port
# argv[1] and UDP port argv[2], IPv4 and IPv6, it answers with the address it sees the client at.
SERVER = r"""
import socket, sys, threading
def serve(family, kind, port):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    if kind == socket.SOCK_STREAM:
        s.listen()
    while True:
        if kind == socket.SOCK_STREAM:
            c, peer = s.accept()
            c.sendall(f"tcp {peer[0]}".encode())
            c.close()
        else:
            data, peer = s.recvfrom(100)
            s.sendto(f"udp {peer[0]}".encode(), peer)
for family in (socket.AF_INET, socket.AF_INET6):
    for kind, port in ((socket.SOCK_STREAM, int(sys.argv[1])), (socket.SOCK_DGRAM, int(sys.argv[2]))):
        threading.Thread(target=serve, args=(family, kind, port), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""


def sh(*cmd, check=True):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({r.returncode}): {r.stderr.strip()}", pytrace=False)
    return r


def in_netns(pid, *cmd):
    """cmd in the network namespace of pid (the host's own programs: only the namespace changes)."""
    return ["nsenter", "-t", str(pid), "-n", *cmd] if pid else list(cmd)


def ip(*args, pid=None, check=True):
    return sh(*in_netns(pid, "ip", *args), check=check)


def link(name, pid=None):
    """`ip -d link show NAME` as a dict, or None when there is no such link."""
    r = ip("-j", "-d", "link", "show", "dev", name, pid=pid, check=False)
    return json.loads(r.stdout)[0] if r.returncode == 0 else None


def link_names(pid=None):
    return {entry["ifname"] for entry in json.loads(ip("-j", "link", "show", pid=pid).stdout)}


def berth_links():
    return {name for name in os.listdir("/sys/class/net") if name.startswith(BERTH_PREFIXES)}


def configure(name, address, pid=None):
    """Gives link name (in pid's namespace, or the host's) an address and brings it up."""
    ip("addr", "add", address, "dev", name, pid=pid)
    ip("link", "set", name, "up", pid=pid)


def addr(address_with_prefix):
    return address_with_prefix.split("/")[0]


def ping(address, pid=None):
    """True when address answers, asked from pid's network namespace (or the host's)."""
    return sh(*in_netns(pid, "/usr/bin/python3", "-c", PING, address), check=False).returncode == 0


def locally_administered_unicast(mac):
    first = int(mac.split(":")[0], 16)
    return first & 0x02 and not first & 0x01


def ports_of(bridge):
    return sorted(os.listdir(f"/sys/class/net/{bridge}/brif"))


class Machine:
    def __init__(self, name, proc, leader):
        self.name, self.proc, self.leader = name, proc, leader

    def stop(self, timeout=30):
        """SIGTERM to berth, which stops the container and cleans up; returns berth's stderr."""
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=timeout)
        return err


@pytest.fixture(scope="session")
def net():
    """net(n, prefix) -> "ADDRESS/PREFIX", the n-th address of a /24 that overlaps no route of the
    host's (documentation and private ranges are tried in turn), so the tests' addresses never take
    traffic meant for the host's own networks."""
    routes = json.loads(sh("ip", "-j", "-4", "route", "show", "table", "all").stdout)
    used = [ipaddress.ip_network(r["dst"], strict=False) for r in routes if r.get("dst", "default") != "default"]
    for candidate in ("198.51.100.0/24", "203.0.113.0/24", "10.213.77.0/24", "172.31.213.0/24"):
        subnet = ipaddress.ip_network(candidate)
        if not any(subnet.overlaps(u) for u in used):
            return lambda n, prefix: f"{subnet[n]}/{prefix}"
    pytest.fail(f"No free /24 for the test addresses among the host's routes: {used}", pytrace=False)


@pytest.fixture(scope="session")
def net6():
    """net6(n) -> "ADDRESS/64": the n-th address of a random unique local /64 the host does not route."""
    routes = json.loads(sh("ip", "-j", "-6", "route", "show", "table", "all").stdout)
    used = [ipaddress.ip_network(r["dst"], strict=False) for r in routes if r.get("dst", "default") != "default"]
    while True:
        subnet = ipaddress.ip_network("fd%02x:%04x:%04x::/64" % (secrets.randbelow(256), secrets.randbelow(65536),
                                                               secrets.randbelow(65536)))
        if not any(subnet.overlaps(u) for u in used):
            return lambda n: f"{subnet[n]}/64"


@pytest.fixture
def tag():
    """A short random tag, so that concurrent runs do not share names."""
    return secrets.token_hex(2)


@pytest.fixture
def machines(berth, cached_tree):
    """start(name, *options) -> Machine: berth -x on the cached tree running `sleep` under a stub
    PID 1, returned once its links are made (berth records the leader after that). Whatever still
    runs at the end is killed."""
    procs = []

    def start(name, *options):
        proc = subprocess.Popen([str(berth), "-D", str(cached_tree), "-x", "-q", "-M", name, *options,
                                 "-a", "sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace")
        procs.append(proc)
        deadline = time.monotonic() + 20
        while True:
            record = machine_record(name) or {}
            if record.get("LEADER", "0") != "0" and process_alive(int(record["LEADER"])):
                return Machine(name, proc, int(record["LEADER"]))
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"berth ended (status {proc.returncode}) before machine '{name}' ran\n"
                            f"--- stdout ---\n{out}\n--- stderr ---\n{err}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"Machine '{name}' did not start within 20s", pytrace=False)
            time.sleep(0.02)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.fixture
def host_links():
    """add(name, *ip_link_args): a link the test makes on the host, deleted afterwards."""
    made = []

    def add(name, *args):
        ip("link", "add", name, *args)
        made.append(name)

    yield add
    for name in reversed(made):
        ip("link", "delete", name, check=False)


def veth_pair(host_links, a, b, address_b=None):
    """A veth pair made by the test, both ends up; b gets address_b."""
    host_links(a, "type", "veth", "peer", "name", b)
    ip("link", "set", a, "up")
    if address_b:
        configure(b, address_b)


def test_veth(net, machines):
    """-n: ve-NAME on the host (shortened, with the whole name as an alternative name), host0 inside,
    stable locally administered MAC addresses, traffic both ways; gone when the machine stops."""
    name = "bt-veth-machine-name"  # "ve-" + it is longer than the kernel's 15 characters
    m = machines(name, "-n")
    created = berth_links()
    assert len(created) == 1, created
    host_side = created.pop()
    assert len(host_side) == 15 and host_side.startswith("ve-bt-veth-")
    info = link(host_side)
    assert info["linkinfo"]["info_kind"] == "veth"
    assert f"ve-{name}" in info.get("altnames", [])

    # Inside: lo and host0, nothing of the host's.
    assert link_names(m.leader) == {"lo", "host0"}
    inside = link("host0", m.leader)
    macs = (info["address"], inside["address"])
    assert all(locally_administered_unicast(mac) for mac in macs) and macs[0] != macs[1]

    configure(f"ve-{name}", net(1, 30))  # the alternative name works as well
    configure("host0", net(2, 30), pid=m.leader)
    assert ping(addr(net(2, 30)))
    assert ping(addr(net(1, 30)), pid=m.leader)

    m.stop()
    assert not berth_links()

    # The next start of the machine gets the same addresses, so leases and configuration hold.
    m = machines(name, "-n")
    assert (link(host_side)["address"], link("host0", m.leader)["address"]) == macs
    m.stop()
    assert not berth_links()


def test_veth_extra(net, machines, tag):
    """--network-veth-extra=HOST:CONTAINER: a second pair, named as given."""
    host_name, inside_name = f"bt{tag}x", "eth7"
    m = machines(f"bt-extra-{tag}", "-n", f"--network-veth-extra={host_name}:{inside_name}")
    assert link(host_name)["linkinfo"]["info_kind"] == "veth"
    assert link_names(m.leader) == {"lo", "host0", inside_name}
    configure(host_name, net(5, 30))
    configure(inside_name, net(6, 30), pid=m.leader)
    assert ping(addr(net(6, 30)))
    m.stop()
    assert link(host_name) is None and not berth_links()


def test_bridge(net, machines, host_links, tag):
    """--network-bridge=: two machines' vb- links are ports of the test's bridge, and the machines and
    the host reach each other across it. The bridge is the test's: it stays."""
    bridge = f"bt{tag}br"
    host_links(bridge, "type", "bridge")
    configure(bridge, net(129, 25))
    first = machines(f"bt-br1-{tag}", f"--network-bridge={bridge}")
    second = machines(f"bt-br2-{tag}", f"--network-bridge={bridge}")
    ports = [f"vb-bt-br1-{tag}", f"vb-bt-br2-{tag}"]
    assert ports_of(bridge) == ports
    assert all("UP" in link(p)["flags"] for p in ports)
    assert link("host0", first.leader)["address"] != link("host0", second.leader)["address"]

    configure("host0", net(130, 25), pid=first.leader)
    configure("host0", net(131, 25), pid=second.leader)
    assert ping(addr(net(131, 25)), pid=first.leader)
    assert ping(addr(net(130, 25)), pid=second.leader)
    assert ping(addr(net(130, 25)))

    first.stop()
    second.stop()
    assert not berth_links()
    assert link(bridge) is not None and ports_of(bridge) == []


def test_zone(net, machines, tag):
    """--network-zone=: the bridge vz-ZONE comes with the zone's first machine and goes after its
    last; the machines of a zone reach each other."""
    zone = f"bt{tag}"
    bridge = f"vz-{zone}"
    first = machines(f"bt-z1-{tag}", f"--network-zone={zone}")
    assert link(bridge)["linkinfo"]["info_kind"] == "bridge"
    assert "UP" in link(bridge)["flags"]
    second = machines(f"bt-z2-{tag}", f"--network-zone={zone}")
    assert ports_of(bridge) == [f"vb-bt-z1-{tag}", f"vb-bt-z2-{tag}"]

    configure("host0", net(9, 29), pid=first.leader)
    configure("host0", net(10, 29), pid=second.leader)
    assert ping(addr(net(10, 29)), pid=first.leader)
    assert ping(addr(net(9, 29)), pid=second.leader)

    first.stop()
    assert ports_of(bridge) == [f"vb-bt-z2-{tag}"]
    second.stop()
    assert link(bridge) is None and not berth_links()


def test_macvlan(net, machines, host_links, tag):
    """--network-macvlan=: mv-PARENT inside, stacked on the host's link; traffic crosses the parent
    (here one end of the test's veth pair, the other end holding the host's address)."""
    parent, peer = f"bt{tag}mp", f"bt{tag}mq"
    veth_pair(host_links, parent, peer, net(65, 26))
    m = machines(f"bt-mv-{tag}", f"--network-macvlan={parent}")
    inside = link(f"mv-{parent}", m.leader)
    assert inside["linkinfo"]["info_kind"] == "macvlan"
    assert inside["linkinfo"]["info_data"]["mode"] == "bridge"
    assert locally_administered_unicast(inside["address"])
    assert f"mv-{parent}" not in link_names()
    configure(f"mv-{parent}", net(66, 26), pid=m.leader)
    assert ping(addr(net(66, 26)))
    assert ping(addr(net(65, 26)), pid=m.leader)
    m.stop()
    assert link(parent) is not None


def test_ipvlan(net, machines, host_links, run_berth, cached_tree, tag):
    """--network-ipvlan=: iv-PARENT inside, in L2 mode, sharing the parent's MAC address. On a kernel
    built without ipvlan the start fails with an error that says so, and leaves no link behind."""
    parent, peer = f"bt{tag}ip", f"bt{tag}iq"
    veth_pair(host_links, parent, peer, net(193, 26))
    probe = ip("link", "add", f"bt{tag}ix", "link", parent, "type", "ipvlan", check=False)
    if probe.returncode != 0:
        r = run_berth("-D", cached_tree, "-x", "-M", f"bt-iv-{tag}", f"--network-veth-extra=bt{tag}iy",
                      f"--network-ipvlan={parent}", "true")
        assert r.returncode == 1, r.stderr
        assert f"Failed to create ipvlan link 'iv-{parent}' on '{parent}': the kernel has no ipvlan support" \
            in r.stderr
        assert not berth_links() and link(f"bt{tag}iy") is None
        assert link(parent) is not None
        return
    ip("link", "delete", f"bt{tag}ix")
    m = machines(f"bt-iv-{tag}", f"--network-ipvlan={parent}")
    inside = link(f"iv-{parent}", m.leader)
    assert inside["linkinfo"]["info_kind"] == "ipvlan"
    assert inside["address"] == link(parent)["address"]
    configure(f"iv-{parent}", net(194, 26), pid=m.leader)
    assert ping(addr(net(194, 26)))
    assert ping(addr(net(193, 26)), pid=m.leader)
    m.stop()


def test_interface_moved_in_and_back(net, machines, host_links, tag):
    """--network-interface=IF:NAME: the host's link goes into the container under NAME and comes back
    under its own name when the machine stops. A veth end would be destroyed with the container's
    namespace (and its peer with it) if it were not moved back."""
    moved, peer = f"bt{tag}ma", f"bt{tag}mb"
    veth_pair(host_links, moved, peer, net(33, 28))
    mac = link(moved)["address"]
    m = machines(f"bt-if-{tag}", f"--network-interface={moved}:eth1")
    assert link(moved) is None
    assert link("eth1", m.leader)["address"] == mac
    configure("eth1", net(34, 28), pid=m.leader)
    assert ping(addr(net(34, 28)))
    assert ping(addr(net(33, 28)), pid=m.leader)
    m.stop()
    back = link(moved)
    assert back is not None and back["address"] == mac
    assert link(peer) is not None


def test_sigkill_of_berth(machines, host_links, tag):
    """Everything berth added to the host goes, and what it moved in comes back, when berth itself is
    killed with SIGKILL: its guardian does the teardown."""
    moved, peer = f"bt{tag}ka", f"bt{tag}kb"
    veth_pair(host_links, moved, peer)
    name = f"bt-kill-{tag}"
    m = machines(name, f"--network-zone=bt{tag}", f"--network-veth-extra=bt{tag}kx:eth5",
                 f"--network-interface={moved}", f"--port={free_port()}")
    assert berth_links() == {f"vb-{name}", f"vz-bt{tag}"}
    assert berth_tables() == {f"berth-{name}"}
    m.proc.kill()
    m.proc.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while machine_record(name) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert machine_record(name) is None, "the guardian did not finish"
    assert not berth_links() and not berth_tables()
    assert link(f"bt{tag}kx") is None
    assert link(moved) is not None and link(peer) is not None


def test_failure_after_start_leaves_nothing(berth, cached_tree, run_berth, tag):
    """A link the kernel refuses to make (a macvlan on the loopback device) fails the start after the
    zone's bridge and the veth links were made: they are all removed again."""
    r = run_berth("-D", cached_tree, "-x", "-M", f"bt-fail-{tag}", f"--network-zone=bt{tag}",
                  f"--network-veth-extra=bt{tag}fx", "--network-macvlan=lo", "true")
    assert r.returncode == 1, r.stderr
    assert "Failed to create macvlan link 'mv-lo' on 'lo'" in r.stderr
    assert not berth_links() and link(f"bt{tag}fx") is None


def test_namespace_path(machines, tag):
    """--network-namespace-path=: the container joins the given namespace; berth makes no links."""
    netns = f"bt{tag}ns"
    ip("netns", "add", netns)
    try:
        m = machines(f"bt-ns-{tag}", f"--network-namespace-path=/run/netns/{netns}")
        assert os.stat(f"/proc/{m.leader}/ns/net").st_ino == os.stat(f"/run/netns/{netns}").st_ino
        m.stop()
    finally:
        ip("netns", "delete", netns, check=False)
    assert not berth_links()


BAD_INPUT = {
    "unknown-interface": (["--network-interface=bt-nothere0"],
                          "Interface 'bt-nothere0' (--network-interface=) does not exist"),
    "unknown-macvlan-parent": (["--network-macvlan=bt-nothere0"],
                               "Interface 'bt-nothere0' (--network-macvlan=) does not exist"),
    "unknown-ipvlan-parent": (["--network-ipvlan=bt-nothere0"],
                              "Interface 'bt-nothere0' (--network-ipvlan=) does not exist"),
    "missing-bridge": (["--network-bridge=bt-nobridge0"], "Bridge 'bt-nobridge0' (--network-bridge=) does not exist"),
    "not-a-bridge": (["--network-bridge=lo"], "Interface 'lo' (--network-bridge=) is not a bridge"),
    "long-veth-extra": (["--network-veth-extra=bt-much-too-long0"],
                        "Interface name 'bt-much-too-long0' for --network-veth-extra= is too long"),
    "long-container-name": (["--network-interface=lo:bt-much-too-long0"],
                            "Interface name 'bt-much-too-long0' for --network-interface= is too long"),
    "long-zone": (["--network-zone=bt-long-zone1"], "Zone name 'bt-long-zone1' for --network-zone= is too long"),
    "bad-name": (["--network-bridge=a/b"], "Invalid interface name 'a/b' for --network-bridge="),
    "taken-host-name": (["--network-veth-extra=lo:eth1"], "Interface 'lo' (--network-veth-extra=) exists already"),
    "twice-inside": (["-n", "--network-veth-extra=bt-x0:host0"],
                     "Interface name 'host0' is given to two links in the container"),
    "bridge-and-zone": (["--network-bridge=lo", "--network-zone=z"], "may not be combined"),
    "namespace-and-veth": (["--network-namespace-path=/proc/self/ns/net", "-n"], "may not be combined"),
    "not-a-namespace": (["--network-namespace-path=/proc/self/ns/mnt"],
                        "'/proc/self/ns/mnt' (--network-namespace-path=) is not a network namespace"),
    "port-out-of-range": (["-n", "--port=tcp:8080:65536"], "Invalid port 'tcp:8080:65536' for --port="),
    "port-protocol": (["-n", "--port=sctp:8080"], "Invalid port 'sctp:8080' for --port="),
    "port-twice": (["-n", "-p", "8080", "-p", "tcp:8080:81"], "Port tcp:8080 is given to --port= twice"),
    "port-without-network": (["-p", "8080"], "--port= needs a network namespace of the container's own"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input(case, cached_tree, run_berth):
    """Bad network settings are refused with a message naming them, before the container starts."""
    options, message = BAD_INPUT[case]
    r = run_berth("-D", cached_tree, "-x", "-M", "bt-bad", *options, "true")
    assert r.returncode == 1, r.stderr
    assert message in r.stderr
    assert "Spawning container" not in r.stderr
    assert not berth_links()


def test_completion(host_links, tag):
    """The shells complete the network options, bridges for --network-bridge and the host's links
    for the options that take an interface."""
    from test_completion import bash_complete, fish_complete, zsh_listing

    bridge = f"bt{tag}cb"
    host_links(bridge, "type", "bridge")
    options = {"--network-veth", "--network-veth-extra", "--network-bridge", "--network-zone",
               "--network-interface", "--network-macvlan", "--network-ipvlan", "--network-namespace-path"}
    for complete in (bash_complete, fish_complete):
        assert options <= {w.rstrip("=") for w in complete("berth --network-")}
        assert "--port" in {w.rstrip("=") for w in complete("berth --po")}
        assert {"tcp:", "udp:"} <= {w.rpartition("=")[2] for w in complete("berth --port ")}
        bridges = complete("berth --network-bridge ")
        assert bridge in bridges and "lo" not in bridges
        assert {"lo", bridge} <= complete("berth --network-interface ")
        assert "lo" in complete("berth --network-macvlan ")
    listing, r = zsh_listing("berth --network-bridge=", bridge)
    assert bridge in listing, r.stdout + r.stderr


def ask(address, port, protocol, timeout=2):
    """What the test server answers at address:port over protocol, or the error."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        if protocol == "tcp":
            with socket.create_connection((address, port), timeout=timeout) as c:
                return c.recv(100).decode()
        with socket.socket(family, socket.SOCK_DGRAM) as u:
            u.settimeout(timeout)
            u.sendto(b"?", (address, port))
            return u.recvfrom(100)[0].decode()
    except OSError as e:
        return f"error: {e.strerror or e}"


def eventually(ask_once, expected, timeout=10):
    """True once ask_once() returns expected, trying again until timeout (a limit, not a measure)."""
    deadline = time.monotonic() + timeout
    while ask_once() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def berth_tables():
    r = sh("nft", "list", "tables")
    return {line.split()[2] for line in r.stdout.splitlines() if line.startswith("table inet berth-")}


@pytest.fixture
def server():
    """server(pid, tcp_port, udp_port): the test server in pid's network namespace, stopped after."""
    procs = []

    def start(pid, tcp_port, udp_port):
        p = subprocess.Popen(in_netns(pid, "/usr/bin/python3", "-c", SERVER, str(tcp_port), str(udp_port)),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout.readline().strip() == "ready"

    yield start
    for p in procs:
        p.kill()
        p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def test_port_forwarding(net, net6, machines, server, tag):
    """-p: TCP and UDP, IPv4 and IPv6, reach the container's server through the host's address on
    the veth, through 127.0.0.1 and through ::1 (relayed by berth); the forwarding follows the
    container's address when it changes, and the table and the ports go with the machine."""
    name = f"bt-port-{tag}"
    tcp_port, udp_port = free_port(), free_port()
    m = machines(name, "-n", f"-p{tcp_port}:8000", f"--port=udp:{udp_port}:8001")
    host_side = f"ve-{name}"
    assert berth_tables() == {f"berth-{name}"}
    configure(host_side, net(1, 29))
    configure("host0", net(2, 29), pid=m.leader)
    ip("-6", "addr", "add", net6(1), "dev", host_side, "nodad")
    ip("-6", "addr", "add", net6(2), "dev", "host0", "nodad", pid=m.leader)
    server(m.leader, 8000, 8001)

    # Through the host's own addresses; 127.0.0.1 arrives masqueraded as the veth's address. berth
    # notices the container's addresses a moment after they are set.
    assert eventually(lambda: ask(addr(net(1, 29)), tcp_port, "tcp", timeout=0.5), f"tcp {addr(net(1, 29))}")
    assert eventually(lambda: ask(addr(net6(1)), tcp_port, "tcp", timeout=0.5), f"tcp {addr(net6(1))}")
    for address, seen in ((addr(net(1, 29)), addr(net(1, 29))), ("127.0.0.1", addr(net(1, 29))),
                          (addr(net6(1)), addr(net6(1)))):
        assert ask(address, tcp_port, "tcp") == f"tcp {seen}", address
        assert ask(address, udp_port, "udp") == f"udp {seen}", address
    # ::1 is relayed by berth, to the container's IPv6 address, from the host's side of the veth.
    assert ask("::1", tcp_port, "tcp") == f"tcp {addr(net6(1))}"
    assert ask("::1", udp_port, "udp") == f"udp {addr(net6(1))}"
    # The host's servers cannot take the ports while the machine has them.
    for family, kind, port in ((socket.AF_INET, socket.SOCK_STREAM, tcp_port),
                               (socket.AF_INET6, socket.SOCK_STREAM, tcp_port),
                               (socket.AF_INET, socket.SOCK_DGRAM, udp_port)):
        with socket.socket(family, kind) as s, pytest.raises(OSError, match="Address already in use"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))

    # The container changes its address: the rules follow.
    ip("addr", "del", net(2, 29), "dev", "host0", pid=m.leader)
    assert ask(addr(net(1, 29)), tcp_port, "tcp", timeout=0.5).startswith("error")
    ip("addr", "add", net(3, 29), "dev", "host0", pid=m.leader)
    assert eventually(lambda: ask(addr(net(1, 29)), tcp_port, "tcp", timeout=0.5), f"tcp {addr(net(1, 29))}")

    # Without an IPv6 address, ::1 goes to the IPv4 one.
    ip("-6", "addr", "del", net6(2), "dev", "host0", pid=m.leader)
    assert eventually(lambda: ask("::1", tcp_port, "tcp", timeout=0.5), f"tcp {addr(net(1, 29))}")

    m.stop()
    assert not berth_tables() and not berth_links()
    # The ports are free again for a server (which, as servers do, ignores connections of the past).
    for family, kind, port in ((socket.AF_INET, socket.SOCK_STREAM, tcp_port),
                               (socket.AF_INET6, socket.SOCK_STREAM, tcp_port),
                               (socket.AF_INET, socket.SOCK_DGRAM, udp_port),
                               (socket.AF_INET6, socket.SOCK_DGRAM, udp_port)):
        with socket.socket(family, kind) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))


def test_port_taken_by_another_machine(machines, run_berth, cached_tree, tag):
    """Two machines cannot forward the same host port: the second is refused before it starts and
    leaves nothing behind, and the first goes on."""
    port = free_port()
    first = machines(f"bt-pa-{tag}", "-n", f"-p{port}")
    r = run_berth("-D", cached_tree, "-x", "-M", f"bt-pb-{tag}", "-n", f"--port={port}:81", "true")
    assert r.returncode == 1, r.stderr
    assert f"Port tcp:{port} (--port=) is in use on the host" in r.stderr
    assert "Spawning container" not in r.stderr
    assert berth_links() == {f"ve-bt-pa-{tag}"} and berth_tables() == {f"berth-bt-pa-{tag}"}
    assert process_alive(first.leader)
    first.stop()
    assert not berth_links() and not berth_tables()


def test_port_from_nspawn_file(net, machines, server, tag):
    """Port= and VirtualEthernet= of a trusted .nspawn file forward as -n -p do."""
    name = f"bt-pf-{tag}"
    port = free_port()
    path = f"/run/systemd/nspawn/{name}.nspawn"
    os.makedirs("/run/systemd/nspawn", exist_ok=True)
    with open(path, "w") as f:
        f.write(f"[Network]\nVirtualEthernet=yes\nPort=tcp:{port}:8000\n")
    try:
        m = machines(name)
        assert berth_links() == {f"ve-{name}"} and berth_tables() == {f"berth-{name}"}
        configure(f"ve-{name}", net(1, 29))
        configure("host0", net(2, 29), pid=m.leader)
        server(m.leader, 8000, 8001)
        assert eventually(lambda: ask("127.0.0.1", port, "tcp", timeout=0.5), f"tcp {addr(net(1, 29))}")
        m.stop()
    finally:
        os.unlink(path)
    assert not berth_links() and not berth_tables()


def test_port_in_use(cached_tree, run_berth):
    """A host port a server of the host listens on is refused before the container starts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        r = run_berth("-D", cached_tree, "-x", "-M", "bt-busy", "-n", f"--port={port}", "true")
    assert r.returncode == 1, r.stderr
    assert f"Port tcp:{port} (--port=) is in use on the host" in r.stderr
    assert "Spawning container" not in r.stderr
    assert not berth_links() and not berth_tables()
