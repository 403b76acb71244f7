# The mount options (--bind, --bind-ro, --tmpfs, --overlay, --overlay-ro, --inaccessible,
# --pivot-root) as a user checks them from inside, and trees that try to make berth mount or create
# something on the host through symlinks: /dev, /proc, /sys, /run, /tmp, /etc files, mount targets.

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import make_owned_source, tree_digest
from test_completion import bash_complete, fish_complete, zsh_listing

PROBE = "/usr/local/bin/berth-probe"
EROFS, EACCES, ENOENT = 30, 13, 2
NOBODY = 65534
PROC_MASKED = ["/proc/kallsyms", "/proc/kcore", "/proc/keys", "/proc/sysrq-trigger", "/proc/timer_list"]


class Host:
    """A scratch directory on the host (/var/tmp/berth-mounts-*), and the mounts a test made in it."""

    def __init__(self, path):
        self.path = path
        self.mounts = []

    def mount_tmpfs(self, where):
        subprocess.run(["mount", "-t", "tmpfs", "berth-test-submount", str(where)], check=True)
        self.mounts.append(where)


@pytest.fixture
def host(_leak_check):
    """Host (.path, .mount_tmpfs()): unmounts what the test mounted and removes the directory after
    the test, before the leak check looks for what berth left."""
    h = Host(Path(tempfile.mkdtemp(prefix="berth-mounts-", dir="/var/tmp")))
    os.chmod(h.path, 0o755)
    yield h
    for where in reversed(h.mounts):
        subprocess.run(["umount", str(where)], check=False)
    shutil.rmtree(h.path)


def host_mounts_below(path):
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p == str(path) or p.startswith(f"{path}/")]


def probe_lines(r):
    """The probe's JSON lines; other lines (a shell's) are returned apart."""
    lines = [line for line in r.stdout.splitlines() if line]
    try:
        return ([json.loads(line) for line in lines if line.startswith("{")],
                [line for line in lines if not line.startswith("{")])
    except json.JSONDecodeError as e:
        pytest.fail(f"Bad probe output ({e}):\n{r.stdout}\n--- stderr ---\n{r.stderr}", pytrace=False)


def run_checks(run_berth, args, checks, shell=None):
    """Runs the probe's verbs (a list of (verb, path)) in one container, then the shell command if
    given. Returns ({(verb, path): result}, other output lines)."""
    verbs = [word for check in checks for word in check]
    command = [PROBE, *verbs]
    if shell:
        command = ["/bin/sh", "-c", f"{shlex.join(command)}; {shell}"]
    r = run_berth(*args, *command)
    assert r.returncode == 0, f"exit status {r.returncode}\n{r.stdout}\n{r.stderr}"
    lines, other = probe_lines(r)
    assert len(lines) == len(checks), r.stdout
    return dict(zip(checks, lines)), other


def test_mount_options(tree, host, run_berth):
    """Each mount option as seen from inside, and where writes land on the host."""
    src, lower, upper, top = (host.path / d for d in ("src", "lower", "upper", "top"))
    (src / "sub").mkdir(parents=True)
    (src / "file").write_text("hello\n")
    host.mount_tmpfs(src / "sub")
    (src / "sub/in-sub").write_text("sub\n")
    lower.mkdir()
    (lower / "from-lower").write_text("lower\n")
    top.mkdir()
    (top / "from-top").write_text("top\n")
    lower_before, top_before = tree_digest(lower), tree_digest(top)
    args = ["-D", tree, "--register=no",
            f"--bind={src}:/mnt/rw", f"--bind-ro={src}:/mnt/ro", f"--bind={src}:/mnt/norbind:norbind",
            f"--bind-ro={src}/file:/new/deep/file", "--bind=:/mnt/scratch", "--bind-ro=+/etc:/mnt/tree-etc",
            "--tmpfs=/mnt/tmp:mode=0700,size=1M", f"--overlay={lower}:{upper}:/mnt/ov",
            f"--overlay-ro={lower}:{top}:/mnt/ovro", f"--overlay-ro={lower}::/mnt/ovro1",
            f"--overlay={lower}::/mnt/ovtmp",
            "--inaccessible=/etc/issue", "--inaccessible=/usr/share/doc"]
    checks = [
        ("read", "/mnt/rw/file"), ("write", "/mnt/rw/written"), ("ls", "/mnt/rw/sub"),
        ("read", "/mnt/ro/file"), ("write", "/mnt/ro/x"), ("write", "/mnt/ro/sub/x"), ("stat", "/mnt/ro"),
        ("ls", "/mnt/norbind/sub"),
        ("stat", "/new/deep/file"), ("read", "/new/deep/file"),
        ("ls", "/mnt/scratch"), ("write", "/mnt/scratch/x"),
        ("read", "/mnt/tree-etc/debian_version"), ("write", "/mnt/tree-etc/x"),
        ("stat", "/mnt/tmp"), ("write", "/mnt/tmp/x"),
        ("ls", "/mnt/ov"), ("write", "/mnt/ov/new"),
        ("ls", "/mnt/ovro"), ("write", "/mnt/ovro/x"), ("ls", "/mnt/ovro1"), ("write", "/mnt/ovro1/x"),
        ("write", "/mnt/ovtmp/x"), ("ls", "/mnt/ovtmp"),
        ("read", "/etc/issue"), ("write", "/etc/issue"), ("ls", "/usr/share/doc"), ("write", "/usr/share/doc/x"),
    ]
    got, other = run_checks(run_berth, args, checks, shell="stat -f -c %b:%S /mnt/tmp")

    # --bind: the host's directory, with what is mounted below it; writes land on the host.
    assert got["read", "/mnt/rw/file"]["text"] == "hello\n"
    assert got["write", "/mnt/rw/written"] == {"ok": True, "errno": 0}
    assert (src / "written").exists()
    assert got["ls", "/mnt/rw/sub"]["names"] == ["in-sub"]
    # --bind-ro: read-only, submounts too.
    assert got["read", "/mnt/ro/file"]["text"] == "hello\n"
    assert got["write", "/mnt/ro/x"] == {"ok": False, "errno": EROFS}
    assert got["write", "/mnt/ro/sub/x"] == {"ok": False, "errno": EROFS}
    assert got["stat", "/mnt/ro"]["ro"] is True
    # norbind: the submount is not taken along.
    assert got["ls", "/mnt/norbind/sub"]["names"] == []
    # A file source on a missing target: made as a file, its parents too, in the tree.
    assert got["stat", "/new/deep/file"]["type"] == "reg"
    assert got["read", "/new/deep/file"]["text"] == "hello\n"
    assert (tree / "new/deep/file").is_file() and (tree / "new/deep/file").stat().st_size == 0
    # No source: an empty temporary directory.
    assert got["ls", "/mnt/scratch"]["names"] == []
    assert got["write", "/mnt/scratch/x"] == {"ok": True, "errno": 0}
    # "+": a source in the tree.
    assert got["read", "/mnt/tree-etc/debian_version"]["text"] == (tree / "etc/debian_version").read_text()
    assert got["write", "/mnt/tree-etc/x"] == {"ok": False, "errno": EROFS}
    # --tmpfs with options: mode and size.
    assert (got["stat", "/mnt/tmp"]["fstype"], got["stat", "/mnt/tmp"]["mode"]) == ("tmpfs", 0o700)
    assert got["write", "/mnt/tmp/x"] == {"ok": True, "errno": 0}
    blocks, block_size = map(int, other[-1].split(":"))
    assert blocks * block_size == 1024 * 1024
    # --overlay: the lower directory shows, writes land in the upper one (made as it was missing),
    # the lower one is unchanged and the work directory is gone afterwards.
    assert got["ls", "/mnt/ov"]["names"] == ["from-lower"]
    assert got["write", "/mnt/ov/new"] == {"ok": True, "errno": 0}
    assert (upper / "new").is_file()
    assert tree_digest(lower) == lower_before
    assert sorted(os.listdir(host.path)) == ["lower", "src", "top", "upper"]
    # --overlay-ro: the "upper" directory is the top layer, and nothing is writable.
    assert got["ls", "/mnt/ovro"]["names"] == ["from-lower", "from-top"]
    assert got["write", "/mnt/ovro/x"] == {"ok": False, "errno": EROFS}
    assert tree_digest(top) == top_before
    assert got["ls", "/mnt/ovro1"]["names"] == ["from-lower"]
    assert got["write", "/mnt/ovro1/x"] == {"ok": False, "errno": EROFS}
    # An empty upper directory: a temporary one.
    assert got["write", "/mnt/ovtmp/x"] == {"ok": True, "errno": 0}
    assert got["ls", "/mnt/ovtmp"]["names"] == ["from-lower", "x"]
    # --inaccessible: a file reads nothing, a directory is empty, and neither can be written.
    assert got["read", "/etc/issue"]["size"] == 0 and (tree / "etc/issue").stat().st_size > 0
    assert got["write", "/etc/issue"] == {"ok": False, "errno": EROFS}
    assert got["ls", "/usr/share/doc"]["names"] == []
    assert got["write", "/usr/share/doc/x"]["ok"] is False
    # Missing mount points were made in the tree, not elsewhere.
    for d in ("mnt/rw", "mnt/ro", "mnt/norbind", "mnt/scratch", "mnt/tree-etc", "mnt/tmp", "mnt/ov", "mnt/ovro"):
        assert (tree / d).is_dir(), d


def test_inaccessible_as_user(tree, run_berth):
    """For a user other than root, an inaccessible directory cannot even be listed."""
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no", "-u", "nobody", "--inaccessible=/usr/share/doc",
                                    "--inaccessible=/etc/issue"],
                        [("ls", "/usr/share/doc"), ("read", "/etc/issue")])
    assert got["ls", "/usr/share/doc"]["errno"] == EACCES
    assert got["read", "/etc/issue"]["errno"] == EACCES


def test_bind_id_mapping(tree, host, run_berth):
    """Without a user namespace the container's IDs are the host's: rootidmap shows the source's
    owner as root (and root's new files belong to the owner), idmap shows IDs 0-65535 unchanged."""
    owned = make_owned_source(host.path / "owned")
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no", f"--bind={owned}:/mnt/root:rootidmap",
                                    f"--bind={owned}:/mnt/id:idmap", f"--bind={owned}:/mnt/plain:noidmap"],
                        [("stat", "/mnt/root"), ("stat", "/mnt/root/mine"), ("stat", "/mnt/root/far"),
                         ("write", "/mnt/root/created"), ("stat", "/mnt/id/mine"), ("stat", "/mnt/id/far"),
                         ("stat", "/mnt/plain/far")])
    assert got["stat", "/mnt/root"]["uid"] == 0 and got["stat", "/mnt/root/mine"]["uid"] == 0
    assert got["stat", "/mnt/root/far"]["uid"] == NOBODY
    assert got["write", "/mnt/root/created"] == {"ok": True, "errno": 0}
    st = (owned / "created").stat()
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert got["stat", "/mnt/id/mine"]["uid"] == 1000 and got["stat", "/mnt/id/far"]["uid"] == NOBODY
    assert got["stat", "/mnt/plain/far"]["uid"] == 70000


def test_pivot_root(tree, run_berth):
    """--pivot-root=NEW: a directory of the tree is the root; with :OLD the tree is below it."""
    alt = tree / "alt"
    (alt / "usr/local/bin").mkdir(parents=True)
    shutil.copy(tree / "usr/local/bin/berth-probe", alt / "usr/local/bin/berth-probe")
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no", "--pivot-root=/alt"],
                        [("ls", "/"), ("read", "/etc/debian_version"), ("stat", "/alt")])
    assert "usr" in got["ls", "/"]["names"] and "oldroot" not in got["ls", "/"]["names"]
    assert got["read", "/etc/debian_version"]["errno"] == ENOENT
    assert got["stat", "/alt"]["errno"] == ENOENT
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no", "--pivot-root=/alt:/oldroot"],
                        [("ls", "/"), ("read", "/oldroot/etc/debian_version"), ("ls", "/oldroot/alt")])
    assert "oldroot" in got["ls", "/"]["names"]
    assert got["read", "/oldroot/etc/debian_version"]["text"] == (tree / "etc/debian_version").read_text()
    assert "usr" in got["ls", "/oldroot/alt"]["names"]


@pytest.mark.parametrize("option, words", [
    ("--bind=/srv:relative", ["--bind=", "'/srv:relative'"]),
    ("--bind=/srv:/srv:bogus", ["--bind=", "'/srv:/srv:bogus'", "rbind"]),
    ("--bind-ro=", ["--bind-ro="]),
    ("--tmpfs=relative:size=1M", ["--tmpfs=", "'relative:size=1M'"]),
    ("--overlay=/only", ["--overlay=", "'/only'"]),
    ("--overlay-ro=:/b:/c", ["--overlay-ro=", "':/b:/c'"]),
    ("--inaccessible=etc/shadow", ["--inaccessible=", "'etc/shadow'"]),
    ("--pivot-root=/new:old", ["--pivot-root=", "'/new:old'"]),
])
def test_bad_values(option, words, tree, run_berth):
    """A bad value is refused before anything is set up, naming the option and the value."""
    r = run_berth("-D", tree, "--register=no", option, "/bin/true")
    assert r.returncode == 1, r.stderr
    for word in words:
        assert word in r.stderr, (word, r.stderr)
    assert "Spawning" not in r.stderr and r.stdout == ""


def test_failures_at_start(tree, host, run_berth):
    """What can only be found out at start fails it clearly, and creates nothing."""
    missing = host.path / "missing"
    cases = [
        ([f"--bind={missing}:/mnt/a"], [f"'{missing}'", "'/mnt/a'"], True),
        ([f"--overlay={missing}:{host.path}/up:/mnt/a"], [f"'{missing}'", "'/mnt/a'"], True),
        (["--inaccessible=/no/such/file"], ["'/no/such/file'"], False),
        (["--tmpfs=/mnt/a:size=bogus"], ["'/mnt/a'", "size=bogus", "size"], False),
        (["--pivot-root=/no/such/dir"], ["'/no/such/dir'", "--pivot-root"], False),
    ]
    for args, words, before_spawning in cases:
        r = run_berth("-D", tree, "--register=no", *args, "/bin/true")
        assert r.returncode == 1, (args, r.stderr)
        for word in words:
            assert word in r.stderr, (word, r.stderr)
        assert ("Spawning" not in r.stderr) == before_spawning, r.stderr
        assert not (tree / "mnt/a").exists()
        assert os.listdir(host.path) == [], args


# ---- trees that point at the host ----

def host_dirs(host, *names):
    """Directories on the host, each with a file in it, for a tree to point at; and a digest of it all."""
    for name in names:
        (host.path / name).mkdir()
        (host.path / name / "host-file").write_text("host\n")
    return tree_digest(host.path)


def relative_link(target):
    """A relative link that climbs far above any tree and then names target."""
    return "../" * 12 + str(target).lstrip("/")


def replace_with_link(path, target):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


def test_hostile_api_directories(tree, host, run_berth):
    """/dev, /proc, /sys, /run and /tmp of the tree point at host directories, absolutely or
    relatively: berth mounts its file systems where they lead in the tree, the masks of /proc hold,
    and nothing on the host is touched."""
    before = host_dirs(host, "dev", "proc", "sys", "run", "tmp")
    replace_with_link(tree / "dev", host.path / "dev")
    replace_with_link(tree / "proc", relative_link(host.path / "proc"))
    replace_with_link(tree / "sys", host.path / "sys")
    replace_with_link(tree / "run", relative_link(host.path / "run"))
    replace_with_link(tree / "tmp", host.path / "tmp")
    checks = [("stat", "/dev/null"), ("ls", "/dev/pts"), ("stat", "/proc/self"), ("stat", "/sys/kernel"),
              ("read", "/run/host/container-manager"), ("write", "/tmp/x"), ("write", "/run/x"),
              *(("read", p) for p in PROC_MASKED), ("write", "/proc/sysrq-trigger")]
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no"], checks)
    assert (got["stat", "/dev/null"]["type"], got["stat", "/dev/null"]["rdev"]) == ("chr", [1, 3])
    assert got["stat", "/proc/self"]["fstype"] == "proc" and got["stat", "/sys/kernel"]["fstype"] == "sysfs"
    assert got["read", "/run/host/container-manager"]["text"] == "berth\n"
    assert got["write", "/tmp/x"]["ok"] and got["write", "/run/x"]["ok"]
    for p in PROC_MASKED:
        assert got["read", p]["errno"] != 0 or got["read", p]["size"] == 0, got["read", p]
    assert got["write", "/proc/sysrq-trigger"]["ok"] is False
    # Made in the tree, where the links lead there.
    inside = tree / str(host.path).lstrip("/")
    assert sorted(os.listdir(inside)) == ["dev", "proc", "run", "sys", "tmp"]
    assert tree_digest(host.path) == before
    assert host_mounts_below(host.path) == []


def test_hostile_dev_entries(tree, host, run_berth):
    """/dev/pts and /dev/console of the tree point at the host: berth's own /dev hides them."""
    before = host_dirs(host, "pts")
    (host.path / "console").write_text("host\n")
    before = tree_digest(host.path)
    replace_with_link(tree / "dev/pts", host.path / "pts")
    replace_with_link(tree / "dev/console", host.path / "console")
    got, _ = run_checks(run_berth, ["-D", tree, "--register=no"], [("stat", "/dev/pts"), ("stat", "/dev/console")])
    assert got["stat", "/dev/pts"]["fstype"] == "devpts"
    assert got["stat", "/dev/console"]["type"] == "chr"
    assert tree_digest(host.path) == before
    assert host_mounts_below(host.path) == []


def test_hostile_files_and_targets(tree, host, run_berth):
    """/etc/resolv.conf, /etc/localtime, /etc/machine-id and mount targets of the tree point at the
    host: what berth binds or creates there lands in the tree."""
    src = host.path / "src"
    src.mkdir()
    (src / "file").write_text("hello\n")
    for name in ("resolv.conf", "localtime", "machine-id"):
        (host.path / name).write_text("host\n")
    before = host_dirs(host, "target", "rel-target")
    replace_with_link(tree / "etc/resolv.conf", host.path / "resolv.conf")
    replace_with_link(tree / "etc/localtime", relative_link(host.path / "localtime"))
    replace_with_link(tree / "etc/machine-id", host.path / "machine-id")
    (tree / "mnt/link").symlink_to(host.path / "target")
    (tree / "mnt/rel").symlink_to(relative_link(host.path / "rel-target"))
    (tree / "mnt/file").symlink_to(host.path / "target/new-file")
    args = ["-D", tree, "--register=no", "--resolv-conf=bind-host", "--timezone=bind",
            f"--bind={src}:/mnt/link/sub", "--tmpfs=/mnt/rel/t", f"--bind={src}/file:/mnt/file",
            "--overlay=+/etc::/mnt/link/ov"]
    got, _ = run_checks(run_berth, args,
                        [("read", "/etc/resolv.conf"), ("read", "/mnt/link/sub/file"), ("stat", "/mnt/rel/t"),
                         ("read", "/mnt/file"), ("read", "/etc/machine-id"), ("ls", "/mnt/link")])
    assert got["read", "/etc/resolv.conf"]["text"] == Path("/etc/resolv.conf").read_text()
    assert got["read", "/mnt/link/sub/file"]["text"] == "hello\n"
    assert got["stat", "/mnt/rel/t"]["fstype"] == "tmpfs"
    assert got["read", "/mnt/file"]["text"] == "hello\n"
    assert len(got["read", "/etc/machine-id"]["text"]) == 33
    assert "host-file" not in got["ls", "/mnt/link"]["names"]
    inside = tree / str(host.path).lstrip("/")
    assert (inside / "target/sub").is_dir() and (inside / "rel-target/t").is_dir()
    assert (inside / "target/new-file").is_file() and (inside / "resolv.conf").is_file()
    assert tree_digest(host.path) == before
    assert host_mounts_below(host.path) == []


@pytest.mark.parametrize("volatile, path", [("yes", "usr"), ("state", "var")])
def test_hostile_volatile(volatile, path, tree, host, run_berth):
    """--volatile= mounts the tree's /usr, or a tmpfs on its /var, before the container's root is
    in place: a tree whose /usr or /var points at the host neither gets the host's directory nor
    has a tmpfs put on it; the start fails, naming the directory."""
    before = host_dirs(host, path)
    replace_with_link(tree / path, host.path / path)
    r = run_berth("-D", tree, "--register=no", f"--volatile={volatile}", "/bin/ls", f"/{path}")
    assert "host-file" not in r.stdout
    assert r.returncode != 0 and f"/{path}" in r.stderr, r.stderr
    assert tree_digest(host.path) == before
    assert host_mounts_below(host.path) == []


# ---- completions ----

MOUNT_OPTIONS = {"--bind", "--bind-ro", "--tmpfs", "--overlay", "--overlay-ro", "--inaccessible", "--pivot-root"}


@pytest.mark.parametrize("complete", [bash_complete, fish_complete], ids=["bash", "fish"])
def test_completions(complete):
    assert MOUNT_OPTIONS <= {w.rstrip("=") for w in complete("berth --")}


def test_bash_completes_paths_in_the_tree(cached_tree):
    """--inaccessible= and the like name paths in the container: completed from the tree."""
    assert "/etc/" in bash_complete(f"berth -D {cached_tree} --inaccessible /et")
    assert "/usr/" in bash_complete(f"berth -D {cached_tree} --pivot-root /us")


def test_zsh_completes_mount_options():
    # Unambiguous: zsh completes the word in the line (the typed part holds neither name whole).
    for typed, option in (("berth --inacc", "inaccessible"), ("berth --pivot", "pivot-root")):
        listing, r = zsh_listing(typed, option)
        assert option in listing, r.stdout + r.stderr
