# User namespaces: -U and --private-users=, seen from inside the container (its UID map, who owns
# its files, what its root may do) and from the host (the tree's owners before and after, the
# ranges of machines that run at once).

import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from boot import Boot
from conftest import machine_record, make_owned_source, process_alive, run_command, tree_digest

BLOCK = 0x10000
PICK_FIRST, PICK_LAST = 0x00080000, 0x6FFF0000

# Run inside: the UID map, the owners of files of the tree, the container root's own file, and
# what root of a user namespace may not do.
REPORT = r"""
read -r inside outside count < /proc/self/uid_map; echo "map $inside $outside $count"
echo "me $(id -u):$(id -g)"
echo "passwd $(stat -c %u:%g /etc/passwd)"
echo "root $(stat -c %u:%g /)"
echo made > /root/made-inside && echo "made $(stat -c %u:%g /root/made-inside)"
mknod /tmp/disk b 8 0 2>/dev/null && echo "mknod allowed" || echo "mknod refused"
echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo "sysctl written" || echo "sysctl refused"
"""


def report(r):
    """REPORT's output as {key: value}."""
    assert r.returncode == 0, r.stderr
    return dict(line.split(" ", 1) for line in r.stdout.splitlines() if " " in line)


def base_of(info):
    inside, outside, count = info["map"].split()
    assert (inside, count) == ("0", str(BLOCK)), info
    return int(outside)


def test_pick_maps_without_changing_the_tree(pristine_tree, run_berth):
    """-U: a 64K range picked from the machine's name (the same at each start), root's files are
    root's inside, nothing of the tree changes on disk (an id-mapped mount), and root inside is
    no root of the host's."""
    runs = [report(run_berth("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-a", "/bin/sh", "-c", REPORT))
            for _ in range(2)]
    base = base_of(runs[0])
    assert base % BLOCK == 0 and PICK_FIRST <= base <= PICK_LAST
    assert base_of(runs[1]) == base
    info = runs[0]
    assert info["me"] == "0:0"
    assert info["passwd"] == "0:0" and info["root"] == "0:0"
    assert info["made"] == "0:0"
    assert info["mknod"] == "refused"
    assert info["sysctl"] == "refused"
    # Another name, another range.
    other = report(run_berth("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-b", "/bin/sh", "-c", REPORT))
    assert base_of(other) != base


# What else a container in a user namespace shows: its own PID namespace in its /proc, its own
# cgroup as the root, its console.
SEEN_INSIDE = REPORT + r"""
echo "pid1 $(cat /proc/1/comm)"
echo "self $(readlink /proc/self)"
echo "cgroup $(grep '^0::' /proc/self/cgroup)"
echo "cgroup-paths $(cut -d: -f3 /proc/self/cgroup | sort -u | paste -sd' ')"
echo "console $(stat -c %F:%u /dev/console)"
"""


def test_both_ways_of_starting_give_the_same_container(pristine_tree, run_berth):
    """Under -U, berth starts the container in its own memory when it has nothing to do between the
    clone and the payload, and as a copy of itself otherwise (here a resource limit written after
    the clone); both give the same container, seen from inside."""
    args = ("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-ways")
    shared = report(run_berth(*args, "/bin/sh", "-c", SEEN_INSIDE))
    copied = report(run_berth(*args, "--property=TasksMax=100", "/bin/sh", "-c", SEEN_INSIDE))
    # The copy's /proc is made by a process that joins its PID namespace: one PID more is used.
    assert {**shared, "self": None} == {**copied, "self": None}
    assert base_of(shared) >= PICK_FIRST
    assert shared["me"] == "0:0" and shared["passwd"] == "0:0" and shared["mknod"] == "refused"
    assert shared["pid1"] == "sh" and int(shared["self"]) < 100, shared
    # Its own cgroups are the root it sees, in the v1 hierarchies of a hybrid host too.
    assert shared["cgroup"] == "0::/" and shared["cgroup-paths"] == "/", shared
    assert shared["console"] == "character special file:0", shared


def picked_base(berth, tree, name, setup=""):
    """The range berth picks for name, run in a mount namespace of its own after the shell
    commands setup (which may bind files over the host's /etc)."""
    r = run_command(["unshare", "-m", "--propagation", "private", "sh", "-ec", setup + '\nexec "$@"', "sh",
                     berth, "-q", "-D", tree, "-x", "-U", "-M", name, "cat", "/proc/self/uid_map"])
    assert r.returncode == 0, r.stderr
    return int(r.stdout.split()[1])


def test_pick_leaves_the_hosts_users_and_groups_alone(berth, pristine_tree, tmp_path):
    """A user or group of the host's with the first or the last ID of the range a machine would
    pick makes it pick another: whether it is in /etc/passwd or /etc/group (which berth reads
    itself when that is all the host's database is), behind a source berth leaves to NSS, or a
    record of systemd's user database."""
    name = "bt-userns-host"
    base = picked_base(berth, pristine_tree, name)
    last = base + BLOCK - 2
    passwd = tmp_path / "passwd"
    passwd.write_text(Path("/etc/passwd").read_text() + f"berth-test:x:{base}:{base}::/nonexistent:/bin/false\n")
    group = tmp_path / "group"
    group.write_text(Path("/etc/group").read_text() + f"berth-test:x:{last}:\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("passwd: files systemd\ngroup: compat\n")
    record = f'{{"userName": "berth-test", "uid": {last}, "gid": {last}}}'
    cases = {
        "a user in /etc/passwd": f"mount --bind {passwd} /etc/passwd",
        "a group in /etc/group": f"mount --bind {group} /etc/group",
        "a group behind nsswitch.conf's compat": f"mount --bind {group} /etc/group\n"
                                                 f"mount --bind {nsswitch} /etc/nsswitch.conf",
        "a record of systemd's user database": "mount -t tmpfs tmpfs /usr/local/lib\n"
                                               "mkdir /usr/local/lib/userdb\n"
                                               f"echo '{record}' > /usr/local/lib/userdb/{last}.user",
    }
    for case, setup in cases.items():
        other = picked_base(berth, pristine_tree, name, setup)
        assert other != base and other % BLOCK == 0, case
    # Nothing of the kind: the same range as before.
    assert picked_base(berth, pristine_tree, name, f"mount --bind {nsswitch} /etc/nsswitch.conf") == base


def test_explicit_range_and_identity(pristine_tree, run_berth):
    r = run_berth("-q", "-D", pristine_tree, "-x", "--private-users=1048576", "--private-users-ownership=map",
                  "-M", "bt-userns-c", "/bin/sh", "-c", REPORT)
    info = report(r)
    assert base_of(info) == 1048576 and info["passwd"] == "0:0"
    r = run_berth("-q", "-D", pristine_tree, "-x", "--private-users=identity", "-M", "bt-userns-d", "/bin/sh",
                  "-c", REPORT)
    assert base_of(report(r)) == 0


def test_running_machines_never_share_a_range(berth, pristine_tree, run_berth):
    """A range that a running machine has is refused to another one, with a clear message."""
    proc = subprocess.Popen([berth, "-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-e", "sleep", "60"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (machine_record("bt-userns-e") or {}).get("LEADER", "0") != "0":
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        leader = int(machine_record("bt-userns-e")["LEADER"])
        base = int(Path(f"/proc/{leader}/uid_map").read_text().split()[1])
        assert os.stat(f"/proc/{leader}").st_uid == base  # the container's root, seen from the host
        r = run_berth("-q", "-D", pristine_tree, "-x", f"--private-users={base}:65536", "-M", "bt-userns-f",
                      "true")
        assert r.returncode == 1
        assert f"UID range {base}:65536 (--private-users=) is used by another machine" in r.stderr, r.stderr
        # Another machine picking at the same time gets a range of its own.
        r = run_berth("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-f", "cat", "/proc/self/uid_map")
        assert r.returncode == 0, r.stderr
        other = int(r.stdout.split()[1])
        assert other % BLOCK == 0 and other != base
        # A range that only overlaps it is refused too.
        r = run_berth("-q", "-D", pristine_tree, "-x", f"--private-users={base - 4096}:8192", "-M",
                      "bt-userns-f", "true")
        assert r.returncode == 1 and "is used by another machine" in r.stderr, r.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert not process_alive(leader)


@pytest.fixture(scope="module")
def copied_tree(cached_tree):
    """A real copy of the test tree (the owners of an overlay's lower files cannot change), with
    a file outside it that tests link to."""
    tmp = Path(tempfile.mkdtemp(prefix="berth-userns-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    tree = tmp / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", cached_tree, tree], check=True)
    outside = tmp / "outside"
    outside.write_text("the host's\n")
    yield tree, outside
    shutil.rmtree(tmp)


def owners(tree):
    """{relative path: (uid, gid)} of everything in tree, symlinks not followed."""
    got = {}
    for top, dirs, files in os.walk(tree):
        for name in [".", *dirs, *files]:
            path = os.path.join(top, name)
            st = os.lstat(path)
            got[os.path.relpath(path, tree)] = (st.st_uid, st.st_gid)
    return got


def test_map_leaves_the_owners_on_disk(copied_tree, run_berth):
    """ownership=map on a writable tree (no overlay): inside, root's files are root's; on disk no
    owner changed, and what root made inside is the host's root's (the mount maps both ways)."""
    tree, _ = copied_tree
    before = owners(tree)
    r = run_berth("-q", "-D", tree, "--private-users=pick", "--private-users-ownership=map", "-M",
                  "bt-userns-m", "/bin/sh", "-c", REPORT)
    info = report(r)
    assert base_of(info) % BLOCK == 0 and info["passwd"] == "0:0" and info["made"] == "0:0"
    after = owners(tree)
    assert {p: o for p, o in after.items() if p in before} == before
    assert after["root/made-inside"] == (0, 0)
    (tree / "root/made-inside").unlink()


def test_berthctl_copies_shift_owners(berth, berthctl, copied_tree, tmp_path):
    """berthctl copy-to into a machine with its own user namespace (an id-mapped tree): the host's
    owners become the machine's (root's file is the machine root's, UID 1000's stays 1000 inside),
    new parent directories are the machine root's, and copy-from moves them back."""
    tree, _ = copied_tree
    name = "bt-userns-copy"
    src = tmp_path / "from-host"
    src.mkdir()
    (src / "by-root").write_text("r\n")
    (src / "by-user").write_text("u\n")
    os.chown(src / "by-user", 1000, 1000)
    proc = subprocess.Popen([berth, "-q", "-D", tree, "-U", "-M", name, "--console=pipe", "/bin/sleep", "120"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (machine_record(name) or {}).get("LEADER", "0") != "0":
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        r = subprocess.run([berthctl, "copy-to", name, src, "/srv/new/copied"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        r = subprocess.run([berthctl, "shell", name, "/usr/bin/stat", "-c", "%n %u:%g", "/srv/new",
                            "/srv/new/copied", "/srv/new/copied/by-root", "/srv/new/copied/by-user"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == ["/srv/new 0:0", "/srv/new/copied 0:0", "/srv/new/copied/by-root 0:0",
                                         "/srv/new/copied/by-user 1000:1000"], r.stdout
        subprocess.run([berthctl, "shell", name, "/bin/sh", "-c", "echo m > /srv/new/made; chown 1000:1000 /srv/new/made"],
                       check=True)
        r = subprocess.run([berthctl, "copy-from", name, "/srv/new", tmp_path / "back"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        got = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in (tmp_path / "back").rglob("*")}
        assert got == {"copied": (0, 0), "by-root": (0, 0), "by-user": (1000, 1000), "made": (1000, 1000)}, got
    finally:
        proc.kill()
        proc.communicate()
    # The tree is id-mapped: on disk, the owners are the machine's own.
    assert (tree / "srv/new/copied/by-root").stat().st_uid == 0
    assert (tree / "srv/new/copied/by-user").stat().st_uid == 1000
    shutil.rmtree(tree / "srv/new")


def test_boot_with_a_mapped_tree(berth, pristine_tree):
    """-b -U on a tree owned by the host's root: systemd runs in the user namespace over the
    id-mapped tree and reaches running."""
    with Boot(berth, pristine_tree, "bt-userns-boot", "-x", "-U") as b:
        b.wait_running()
        uid_map = b.check("cat", "/proc/1/uid_map").split()
        assert uid_map[0] == "0" and uid_map[2] == str(BLOCK) and int(uid_map[1]) % BLOCK == 0
        assert b.check("stat", "-c", "%u:%g", "/etc/shadow") == "0:42"
        b.signal(signal.SIGTERM)
        assert b.wait() == 0


def test_idmap_binds_with_a_user_namespace(pristine_tree, run_berth, tmp_path):
    """With -U, berth maps bind sources into the container's range: rootidmap shows the source's
    owner as the container's root (and what root makes there is the owner's on the host), idmap
    shows IDs 0-65535 on disk as the container's own, noidmap leaves the host's IDs (nobody)."""
    owned = make_owned_source(tmp_path / "owned")
    r = run_berth("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-i",
                  f"--bind={owned}:/mnt/root:rootidmap", f"--bind={owned}:/mnt/id:idmap",
                  f"--bind={owned}:/mnt/plain:noidmap", "/bin/sh", "-c",
                  "stat -c '%n %u' /mnt/root /mnt/root/mine /mnt/root/far /mnt/id/mine /mnt/id/far "
                  "/mnt/plain/mine; echo made > /mnt/root/created")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["/mnt/root 0", "/mnt/root/mine 0", "/mnt/root/far 65534",
                                     "/mnt/id/mine 1000", "/mnt/id/far 65534", "/mnt/plain/mine 65534"], r.stdout
    st = (owned / "created").stat()
    assert (st.st_uid, st.st_gid) == (1000, 1000)

    # A source in the tree would have to be mapped from inside the container: refused by name.
    r = run_berth("-q", "-D", pristine_tree, "-x", "-U", "-M", "bt-userns-i", "--bind=+/srv:/mnt:idmap", "true")
    assert r.returncode == 1
    assert "The bind option 'idmap' of '/mnt' needs a host source with --private-users=" in r.stderr, r.stderr


def test_chown_refuses_a_tree_with_links_outside(copied_tree, run_berth):
    tree, outside = copied_tree
    link = tree / "root/linked-outside"
    os.link(outside, link)
    try:
        before = tree_digest(tree)
        r = run_berth("-q", "-D", tree, "--private-users=pick", "--private-users-ownership=chown", "-M",
                      "bt-userns-g", "true")
        assert r.returncode == 1
        assert f"'{link}' has hard links outside the tree '{tree}'" in r.stderr, r.stderr
        assert tree_digest(tree) == before and os.stat(outside).st_uid == 0
    finally:
        link.unlink()


ACL_TAGS = {"user_obj": 1, "user": 2, "group_obj": 4, "group": 8, "mask": 0x10, "other": 0x20}


def acl(*entries):
    """A POSIX ACL in the kernel's xattr form, from (tag, id, perm) entries."""
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", ACL_TAGS[t], perm, i) for t, i, perm in entries)


def acl_ids(value):
    """The (tag, id) of the named user and group entries of an ACL in xattr form."""
    names = {v: k for k, v in ACL_TAGS.items()}
    entries = [struct.unpack_from("<HHI", value, off) for off in range(4, len(value), 8)]
    return [(names[tag], i) for tag, _, i in entries if names[tag] in ("user", "group")]


def test_chown_shifts_the_tree_and_boots(berth, copied_tree, run_berth):
    """ownership=chown shifts the owners on disk (not through symlinks), after which the tree boots
    with -U in the same range without being changed again."""
    tree, outside = copied_tree
    (tree / "root/points-outside").symlink_to(outside)
    suid = tree / "usr/bin/passwd"
    mode = os.stat(suid).st_mode
    # POSIX ACLs naming users and groups: user 1000 on a file, group 100 by default in a directory.
    (tree / "srv/acl-dir").mkdir()
    (tree / "srv/acl-file").write_text("acl\n")
    os.setxattr(tree / "srv/acl-file", "system.posix_acl_access", acl(("user_obj", 0, 6), ("user", 1000, 6),
                                                                      ("group_obj", 0, 4), ("mask", 0, 6),
                                                                      ("other", 0, 4)))
    os.setxattr(tree / "srv/acl-dir", "system.posix_acl_default", acl(("user_obj", 0, 7), ("group_obj", 0, 5),
                                                                      ("group", 100, 5), ("mask", 0, 5),
                                                                      ("other", 0, 5)))
    r = run_berth("-q", "-D", tree, "--private-users=pick", "--private-users-ownership=chown", "-M",
                  "bt-userns-h", "/bin/sh", "-c", REPORT)
    info = report(r)
    base = base_of(info)
    assert info["passwd"] == "0:0" and info["made"] == "0:0"
    st = os.stat(tree / "etc/passwd")
    assert (st.st_uid, st.st_gid) == (base, base)
    assert os.stat(tree).st_uid == base
    assert os.lstat(tree / "root/points-outside").st_uid == base
    assert os.stat(outside).st_uid == 0  # the symlink's target is not the tree's
    assert os.stat(suid).st_mode == mode  # set-user-ID kept
    shadow = os.stat(tree / "etc/shadow")
    assert shadow.st_gid == base + 42  # group shadow, shifted with the rest
    # The IDs in ACLs move with the owners.
    assert acl_ids(os.getxattr(tree / "srv/acl-file", "system.posix_acl_access")) == [("user", base + 1000)]
    assert acl_ids(os.getxattr(tree / "srv/acl-dir", "system.posix_acl_default")) == [("group", base + 100)]

    # -U takes the range the tree's owners are in, and shifts nothing again.
    with Boot(berth, tree, "bt-userns-h", "-U") as b:
        b.wait_running()
        uid_map = b.check("cat", "/proc/1/uid_map").split()
        assert uid_map == ["0", str(base), str(BLOCK)]
        assert b.check("stat", "-c", "%u", "/etc/shadow") == "0"
        b.signal(signal.SIGTERM)
        assert b.wait() == 0
    assert os.stat(tree / "etc/passwd").st_uid == base
    # What the boot wrote into the tree belongs to the range too: nothing is the host's root's.
    strays = [str(p) for p in tree.rglob("*") if os.lstat(p).st_uid < base]
    assert strays == [], strays[:10]
