# berthctl's image verbs that inspect and tend images: image-status, show-image, edit, clean
# (--all), and the progress shown on a terminal. Images are small trees and file systems made here,
# named berth-test-<random>; /var/lib/machines holds afterwards exactly what it held before.

import fcntl
import io
import json
import os
import pty
import re
import secrets
import shlex
import shutil
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from conftest import skip_or_fail

MACHINES = Path("/var/lib/machines")
NSPAWN_ETC = Path("/etc/systemd/nspawn")
NSPAWN_RUN = Path("/run/systemd/nspawn")


def entries():
    return sorted(os.listdir(MACHINES)) if MACHINES.exists() else []


def remove(path):
    """Removes what a test made, read-only (immutable) or not."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def machines_untouched():
    """/var/lib/machines holds afterwards what it held before; a settings directory that edit made
    is removed again."""
    before = entries()
    made = [d for d in (NSPAWN_ETC, NSPAWN_RUN) if not d.exists()]
    yield
    for d in made:
        if d.exists():
            d.rmdir()
    assert entries() == before


@pytest.fixture
def name():
    n = f"berth-test-{secrets.token_hex(4)}"
    yield n
    for d in (MACHINES, NSPAWN_ETC, NSPAWN_RUN):
        if d.exists():
            for p in d.iterdir():
                if n in p.name:
                    remove(p)


def ctl(berthctl, *args, input=None, env=None, timeout=120):
    return subprocess.run([str(berthctl), *map(str, args)], input=input, capture_output=True, text=True,
                          errors="replace", timeout=timeout, env=env, stdin=None if input else subprocess.DEVNULL)


def ok(r):
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r


def small_image(name, pretty="Tiny OS 1.0"):
    """A directory image with an os-release, a few files and a /usr."""
    root = MACHINES / name
    (root / "etc").mkdir(parents=True)
    (root / "usr/lib").mkdir(parents=True)
    (root / "etc/os-release").write_text(f'NAME="Tiny"\nPRETTY_NAME="{pretty}"\n')
    (root / "data").write_bytes(b"x" * 300000)
    return root


# ---- list-images, remove and import --force: what the lookup and the locks share ----

def test_os_release_symlink_cannot_reach_the_host(berthctl, name, tmp_path):
    host_file = tmp_path / "os-release"
    host_file.write_text('PRETTY_NAME="The host, not the image"\n')
    root = MACHINES / name
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").symlink_to(host_file)
    images = {i["name"]: i for i in json.loads(ok(ctl(berthctl, "list-images", "--json")).stdout)}
    assert images[name]["os"] is None


def test_read_only_raw_image_is_not_removed(berthctl, name):
    raw = MACHINES / f"{name}.raw"
    raw.write_bytes(b"\0" * 4096)
    ok(ctl(berthctl, "read-only", name))
    assert raw.stat().st_mode & 0o222 == 0
    r = ctl(berthctl, "remove", name)
    assert r.returncode == 1 and f"Image '{name}' is read-only" in r.stderr
    assert raw.exists()
    ok(ctl(berthctl, "read-only", name, "no"))
    ok(ctl(berthctl, "remove", name))
    assert not raw.exists()


def test_image_in_use_is_not_removed_renamed_or_replaced(berthctl, name):
    """A machine running from a raw image holds its lock; its record names where berth mounted it,
    not the image, so the lock is what tells."""
    raw = MACHINES / f"{name}.raw"
    raw.write_bytes(b"old" * 1000)
    with open(raw, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = ctl(berthctl, "remove", name)
        assert r.returncode == 1 and f"Image '{name}' is in use by a running machine" in r.stderr
        r = ctl(berthctl, "--force", "import-raw", "-", name, input="new" * 1000)
        assert r.returncode == 1 and f"Image '{name}' is in use by a running machine, not replacing it" in r.stderr
        r = ctl(berthctl, "rename", name, f"{name}-renamed")
        assert r.returncode == 1 and f"Image '{name}' is in use by a running machine" in r.stderr
    assert raw.read_bytes() == b"old" * 1000
    assert [e for e in entries() if name in e] == [f"{name}.raw"]
    ok(ctl(berthctl, "--force", "import-raw", "-", name, input="new" * 1000))
    assert raw.read_bytes() == b"new" * 1000


# ---- image-status and show-image ----

def status_fields(text):
    """{label: value} of the lines of one image-status record."""
    return dict(line.strip().split(": ", 1) for line in text.splitlines()[1:] if ": " in line)


def props(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def du_bytes(path):
    return int(subprocess.run(["du", "-s", "-x", "--block-size=1", str(path)], capture_output=True, text=True,
                              check=True).stdout.split()[0])


def when(t):
    return time.strftime("%a %Y-%m-%d %H:%M:%S %Z", time.localtime(t))


def test_image_status_of_a_directory(berthctl, name):
    root = small_image(name)
    # The image's os-release is an absolute symlink: inside the image, not the host's file.
    (root / "usr/lib/os-release").write_text('PRETTY_NAME="Tiny via usr"\n')
    (root / "etc/os-release").unlink()
    (root / "etc/os-release").symlink_to("/usr/lib/os-release")

    out = ok(ctl(berthctl, "image-status", name)).stdout
    assert out.splitlines()[0] == name
    f = status_fields(out)
    assert f["Type"] == "directory" and f["Path"] == str(root) and f["RO"] == "writable"
    assert f["OS"] == "Tiny via usr"
    assert f["Modified"] == when(root.stat().st_mtime)
    assert "Created" in f and "Usage" in f

    ok(ctl(berthctl, "read-only", name))
    try:
        assert status_fields(ok(ctl(berthctl, "image-status", name)).stdout)["RO"] == "read-only"
        assert props(ok(ctl(berthctl, "show-image", name)).stdout)["ReadOnly"] == "yes"
    finally:
        ok(ctl(berthctl, "read-only", name, "no"))


def test_show_image_properties(berthctl, name):
    root = small_image(name)
    out = ok(ctl(berthctl, "show-image", name)).stdout
    p = props(out)
    assert list(p) == ["Name", "Path", "Type", "ReadOnly", "CreationTimestamp", "ModificationTimestamp", "Usage"]
    assert p["Name"] == name and p["Path"] == str(root) and p["Type"] == "directory" and p["ReadOnly"] == "no"
    assert p["ModificationTimestamp"] == when(root.stat().st_mtime)
    assert int(p["Usage"]) == du_bytes(root) and int(p["Usage"]) >= 300000

    # -p and --value as show has them.
    assert ok(ctl(berthctl, "show-image", name, "-p", "Usage", "--value")).stdout == f"{du_bytes(root)}\n"
    assert ok(ctl(berthctl, "show-image", name, "-p", "Name", "-p", "Type")).stdout == \
        f"Name={name}\nType=directory\n"
    assert json.loads(ok(ctl(berthctl, "show-image", "--json", name)).stdout)[0]["Path"] == str(root)

    # Without a name: the pool.
    pool = props(ok(ctl(berthctl, "show-image")).stdout)
    assert list(pool) == ["PoolPath", "PoolUsage"] and pool["PoolPath"] == str(MACHINES)
    assert int(pool["PoolUsage"]) >= du_bytes(root)


def test_unknown_and_invalid_images(berthctl, name):
    small_image(name)
    for verb in ("image-status", "show-image"):
        r = ctl(berthctl, verb, "berth-test-none")
        assert r.returncode == 1 and "No image 'berth-test-none'" in r.stderr
        r = ctl(berthctl, verb, "bad/name")
        assert r.returncode == 1 and "Invalid image name 'bad/name'" in r.stderr
        # The images that are there are still shown; the exit status tells of the missing one.
        r = ctl(berthctl, verb, name, "berth-test-none")
        assert r.returncode == 1 and name in r.stdout


def need_tools(*tools):
    for tool in tools:
        if not shutil.which(tool):
            skip_or_fail(f"'{tool}' is missing: run tools/install-deps --test")


def raw_image(path, tmp_path, usr_partition=False):
    """A raw image whose os-release lives in /usr/lib: a bare ext4 file system, or a GPT disk with
    a root and a /usr partition (then /etc/os-release points into the other partition)."""
    need_tools("mkfs.ext4", "sfdisk")
    root, usr = tmp_path / "root", tmp_path / "usr"
    (root / "etc").mkdir(parents=True)
    (root / "usr").mkdir()
    (usr / "lib").mkdir(parents=True)
    (root / "etc/os-release").symlink_to("../usr/lib/os-release")
    if not usr_partition:
        (root / "usr/lib").mkdir()
        (root / "usr/lib/os-release").write_text('PRETTY_NAME="Raw Tiny"\n')
        with open(path, "wb") as f:
            f.truncate(8 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-d", root, path], check=True, capture_output=True)
        return
    (usr / "lib/os-release").write_text('PRETTY_NAME="Raw Split"\n')
    with open(path, "wb") as f:
        f.truncate(20 << 20)
    table = ("label: gpt\nstart=2048, size=16384, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709\n"
             "start=18432, size=16384, type=8484680c-9521-48c6-9c11-b0720656f69e\n")
    subprocess.run(["sfdisk", "-q", path], input=table, text=True, check=True, capture_output=True)
    for src, start in ((root, 2048), (usr, 18432)):
        subprocess.run(["mkfs.ext4", "-q", "-F", "-E", f"offset={start * 512}", "-d", src, path, "8M"],
                       check=True, capture_output=True)


@pytest.mark.parametrize("usr_partition", [False, True], ids=["bare", "gpt-usr"])
def test_image_status_of_a_raw_image(berthctl, name, tmp_path, usr_partition):
    raw = MACHINES / f"{name}.raw"
    raw_image(raw, tmp_path, usr_partition)
    before = raw.read_bytes()
    f = status_fields(ok(ctl(berthctl, "image-status", name)).stdout)
    assert f["Type"] == "raw" and f["Path"] == str(raw) and f["RO"] == "writable"
    assert f["OS"] == ("Raw Split" if usr_partition else "Raw Tiny")
    assert raw.read_bytes() == before  # mounted read-only: not even a mount count written
    assert props(ok(ctl(berthctl, "show-image", name)).stdout)["Type"] == "raw"

    # A machine running from it writably holds an exclusive lock: its OS is not read then.
    with open(raw, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        out = ok(ctl(berthctl, "image-status", name)).stdout
    f = status_fields(out)
    assert "OS" not in f and f["Type"] == "raw"


# ---- edit ----

def editor(tmp_path, script, name="editor"):
    """An editor: a shell script run with the file to edit as its last argument."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def edit_env(**editors):
    env = {k: v for k, v in os.environ.items() if k not in ("SYSTEMD_EDITOR", "EDITOR", "VISUAL")}
    env.update({k: str(v) for k, v in editors.items()})
    return env


def no_copies_left():
    return not NSPAWN_ETC.exists() or not [p for p in NSPAWN_ETC.iterdir() if p.name.startswith(".#")]


def test_edit_starts_from_the_file_berth_reads_and_saves_to_etc(berthctl, name, tmp_path):
    small_image(name)
    beside = MACHINES / f"{name}.nspawn"
    beside.write_text("[Exec]\nHostname=beside\n")
    append = editor(tmp_path, 'printf "[Network]\\nPrivate=yes\\n" >> "$1"\n')

    ok(ctl(berthctl, "edit", name, env=edit_env(EDITOR=append)))
    assert (NSPAWN_ETC / f"{name}.nspawn").read_text() == "[Exec]\nHostname=beside\n[Network]\nPrivate=yes\n"
    assert beside.read_text() == "[Exec]\nHostname=beside\n"
    assert (NSPAWN_ETC / f"{name}.nspawn").stat().st_mode & 0o777 == 0o644
    # berth reads the trusted file now: cat shows it.
    assert f"# {NSPAWN_ETC}/{name}.nspawn\n" in ok(ctl(berthctl, "cat", name)).stdout

    # Edited again, it starts from what /etc has.
    ok(ctl(berthctl, "edit", name, env=edit_env(EDITOR=append)))
    assert (NSPAWN_ETC / f"{name}.nspawn").read_text().count("Private=yes") == 2
    assert no_copies_left()


def test_edit_starts_from_run_or_from_nothing(berthctl, name, tmp_path):
    small_image(name)
    seen = tmp_path / "seen"
    copy_out = editor(tmp_path, f'cat "$1" > {seen}; echo "[Exec]" >> "$1"\n')
    ok(ctl(berthctl, "edit", name, env=edit_env(EDITOR=copy_out)))
    assert seen.read_text() == ""
    (NSPAWN_ETC / f"{name}.nspawn").unlink()

    NSPAWN_RUN.mkdir(parents=True, exist_ok=True)
    (NSPAWN_RUN / f"{name}.nspawn").write_text("[Files]\nReadOnly=yes\n")
    ok(ctl(berthctl, "edit", name, env=edit_env(EDITOR=copy_out)))
    assert seen.read_text() == "[Files]\nReadOnly=yes\n"
    assert (NSPAWN_ETC / f"{name}.nspawn").read_text() == "[Files]\nReadOnly=yes\n[Exec]\n"


def test_edit_keeps_the_file_when_the_edit_does_not_parse(berthctl, name, tmp_path):
    small_image(name)
    NSPAWN_ETC.mkdir(parents=True, exist_ok=True)
    settings = NSPAWN_ETC / f"{name}.nspawn"
    settings.write_text("[Exec]\nHostname=kept\n")
    os.utime(settings, (1000000000, 1000000000))
    bad = editor(tmp_path, 'printf "Boot=maybe\\n" >> "$1"\n')

    r = ctl(berthctl, "edit", name, env=edit_env(EDITOR=bad))
    assert r.returncode == 1
    # The parser's message names the file and the line.
    assert f"{settings}:3: Invalid value 'maybe' for Boot=" in r.stderr, r.stderr
    assert "left as it was" in r.stderr
    assert settings.read_text() == "[Exec]\nHostname=kept\n" and settings.stat().st_mtime == 1000000000
    assert no_copies_left()


def test_edit_keeps_the_file_when_the_editor_fails(berthctl, name, tmp_path):
    small_image(name)
    NSPAWN_ETC.mkdir(parents=True, exist_ok=True)
    settings = NSPAWN_ETC / f"{name}.nspawn"
    settings.write_text("[Exec]\nHostname=kept\n")
    failing = editor(tmp_path, 'echo "[Exec]" > "$1"; exit 3\n')
    r = ctl(berthctl, "edit", name, env=edit_env(EDITOR=failing))
    assert r.returncode == 1 and "exit status 3" in r.stderr
    assert settings.read_text() == "[Exec]\nHostname=kept\n"
    assert no_copies_left()


def test_edit_picks_the_editor(berthctl, name, tmp_path):
    small_image(name)
    log = tmp_path / "log"
    first = editor(tmp_path, f'echo "systemd-editor $*" >> {log}; for f; do :; done; echo "[Exec]" >> "$f"\n',
                   "first")
    second = editor(tmp_path, f'echo "editor $*" >> {log}; echo "[Files]" >> "$1"\n', "second")
    # $SYSTEMD_EDITOR wins over $EDITOR; a command's words are its arguments.
    ok(ctl(berthctl, "edit", name, env=edit_env(SYSTEMD_EDITOR=f"{first} --wait", EDITOR=second)))
    assert log.read_text().startswith(f"systemd-editor --wait {NSPAWN_ETC}/.#{name}.nspawn")
    # One that does not exist is passed over.
    log.unlink()
    ok(ctl(berthctl, "edit", name, env=edit_env(SYSTEMD_EDITOR="/nonexistent/editor", VISUAL=second)))
    assert log.read_text().startswith("editor ")
    assert (NSPAWN_ETC / f"{name}.nspawn").read_text() == "[Exec]\n[Files]\n"


def test_edit_of_no_image(berthctl, tmp_path):
    marker = tmp_path / "ran"
    ed = editor(tmp_path, f"touch {marker}\n")
    r = ctl(berthctl, "edit", "berth-test-none", env=edit_env(EDITOR=ed))
    assert r.returncode == 1 and "No image 'berth-test-none'" in r.stderr
    assert not marker.exists() and not (NSPAWN_ETC / "berth-test-none.nspawn").exists()


# ---- clean ----

def in_pool(pool, vendor, *cmd):
    """cmd, run in a mount namespace of its own in which pool is /var/lib/machines and vendor is
    /usr/local/lib/machines: clean --all empties the real pool of everyone, so tests give it one of
    their own."""
    setup = (f"mount --bind {shlex.quote(str(pool))} /var/lib/machines && "
             "mount -t tmpfs berth-test-vendor /usr/local/lib && mkdir /usr/local/lib/machines && "
             f"mount --bind {shlex.quote(str(vendor))} /usr/local/lib/machines && exec \"$@\"")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", setup, "sh", *map(str, cmd)]


def in_namespace_of(pid, *cmd):
    return ["nsenter", f"--mount=/proc/{pid}/ns/mnt", *map(str, cmd)]


@pytest.fixture
def pools(tmp_path):
    need_tools("unshare", "nsenter", "chattr")
    pool, vendor = tmp_path / "pool", tmp_path / "vendor"
    pool.mkdir(mode=0o700)
    vendor.mkdir()
    yield pool, vendor
    for d in (pool, vendor):
        for p in d.iterdir():
            remove(p)


def tar_of_big_file(size):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        info = tarfile.TarInfo("big")
        info.size = size
        t.addfile(info, io.BytesIO(b"y" * size))
    return out.getvalue()


def test_clean_during_an_import(berthctl, pools):
    """clean removes what a killed import left, and leaves an import that runs alone: it holds
    its entry's lock; the import then completes."""
    pool, vendor = pools
    (pool / ".#berth-test-stale0123456789abcdef").mkdir()
    (vendor / ".#berth-test-vendor-stale").write_text("left over")
    data = tar_of_big_file(1 << 20)
    proc = subprocess.Popen(in_pool(pool, vendor, berthctl, "import-tar", "-", "berth-test-imp"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(data[:300000])
        proc.stdin.flush()
        deadline = time.monotonic() + 10
        while not list(pool.glob(".#berth-test-imp*")):
            assert time.monotonic() < deadline and proc.poll() is None, "the import made no hidden entry"
            time.sleep(0.02)
        building = list(pool.glob(".#berth-test-imp*"))[0]

        r = subprocess.run(in_namespace_of(proc.pid, berthctl, "clean"), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert f"Kept /var/lib/machines/{building.name}: in use" in r.stdout
        assert "Removed /var/lib/machines/.#berth-test-stale0123456789abcdef" in r.stdout
        assert "Removed /usr/local/lib/machines/.#berth-test-vendor-stale" in r.stdout
        assert building.exists() and not (pool / ".#berth-test-stale0123456789abcdef").exists()
        assert not (vendor / ".#berth-test-vendor-stale").exists()

        proc.stdin.write(data[300000:])
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (pool / "berth-test-imp/big").stat().st_size == 1 << 20
    assert sorted(p.name for p in pool.iterdir()) == ["berth-test-imp"]


def test_clean_all(berth, berthctl, probe, pools, tmp_path):
    """--all removes the pool's writable images that no machine uses, and nothing else."""
    pool, vendor = pools
    for d in ("gone-dir", "kept-ro", "locked", "busy/usr/local/bin", "busy/etc"):
        (pool / d).mkdir(parents=True)
    (pool / "gone-dir/file").write_text("x")
    (pool / "gone-dir.nspawn").write_text("[Exec]\n")  # goes with its image
    (pool / "kept-ro.nspawn").write_text("[Exec]\n")  # stays with its image
    (pool / "gone.raw").write_bytes(b"\0" * 4096)
    (pool / "kept-ro.raw").write_bytes(b"\0" * 4096)
    (pool / "kept-ro.raw").chmod(0o444)
    subprocess.run(["chattr", "+i", str(pool / "kept-ro")], check=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/file").write_text("x")
    (pool / "link").symlink_to(tmp_path / "elsewhere")  # no image: never followed
    (pool / ".#stale").mkdir()
    shutil.copy(probe, pool / "busy/usr/local/bin/berth-probe")
    (pool / "busy/etc/os-release").write_text("ID=busy\n")
    (vendor / "vendor-image").mkdir()
    name = f"berth-test-{secrets.token_hex(3)}"

    machine = subprocess.Popen(in_pool(pool, vendor, berth, "-D", "/var/lib/machines/busy", "-M", name,
                                       "/usr/local/bin/berth-probe", "sleep", "60"),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    locked = os.open(pool / "locked", os.O_RDONLY | os.O_DIRECTORY)
    try:
        # A machine berth does not know of holds its image's lock, as berth's own do.
        fcntl.flock(locked, fcntl.LOCK_EX)
        deadline = time.monotonic() + 30
        while not (Path("/run/berth/machines") / name).exists():
            assert time.monotonic() < deadline and machine.poll() is None, machine.stderr.read()
            time.sleep(0.05)
        r = subprocess.run(in_namespace_of(machine.pid, berthctl, "clean", "--all"), capture_output=True,
                           text=True)
    finally:
        os.close(locked)
        machine.kill()
        machine.wait()
    assert r.returncode == 0, r.stderr
    left = sorted(p.name for p in pool.iterdir())
    assert left == ["busy", "kept-ro", "kept-ro.nspawn", "kept-ro.raw", "link", "locked"], r.stdout
    assert (vendor / "vendor-image").exists() and (tmp_path / "elsewhere/file").exists()
    for line in ("Removed /var/lib/machines/gone-dir", "Removed /var/lib/machines/gone.raw",
                 "Removed /var/lib/machines/.#stale", "Kept /var/lib/machines/kept-ro: read-only",
                 "Kept /var/lib/machines/kept-ro.raw: read-only", "Kept /var/lib/machines/locked: in use",
                 f"Kept /var/lib/machines/busy: in use by the running machine '{name}'"):
        assert line in r.stdout.splitlines(), r.stdout


# ---- progress on a terminal ----

PROGRESS = re.compile(rb"\r([^\r\x1b]*?): +(\d+)% \(([\d.]+[BKMGTPE]) of ([\d.]+[BKMGTPE])(?:, [\d.]+[BKMGTPE]/s)?\)\x1b\[K")
COUNT = re.compile(rb"\r([^\r\x1b]*?): ([\d.]+[BKMGTPE])(?: \([\d.]+[BKMGTPE]/s\))?\x1b\[K")
CLEAR = b"\r\x1b[K"


def on_terminal(cmd, chunks=None, pause=0.0):
    """Runs cmd with stdout and stderr on a pseudo-terminal, and stdin fed chunks through a pipe
    (with pause seconds between them) or /dev/null; returns (status, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=slave, stderr=slave,
                            stdin=subprocess.PIPE if chunks is not None else subprocess.DEVNULL)
    os.close(slave)

    def feed():
        for c in chunks:
            proc.stdin.write(c)
            proc.stdin.flush()
            time.sleep(pause)
        proc.stdin.close()

    feeder = threading.Thread(target=feed) if chunks is not None else None
    if feeder:
        feeder.start()
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the last holder of the slave is gone
            break
        if not data:
            break
        out += data
    os.close(master)
    if feeder:
        feeder.join()
    return proc.wait(timeout=60), out


def percentages(out, what):
    return [int(m.group(2)) for m in PROGRESS.finditer(out) if m.group(1) == what.encode()]


def cleared_before_the_end(out):
    """The last progress line was cleared: what follows it starts at the line's beginning."""
    ends = [m.end() for m in PROGRESS.finditer(out)] + [m.end() for m in COUNT.finditer(out)]
    return bool(ends) and out.find(CLEAR, max(ends)) == max(ends)


def test_import_progress_on_a_terminal(berthctl, name, tmp_path):
    src = tmp_path / "disk.raw"
    src.write_bytes(os.urandom(8 << 20))
    status, out = on_terminal([berthctl, "import-raw", src, name])
    assert status == 0, out
    seen = percentages(out, f"Importing '{name}'")
    assert seen and seen == sorted(seen) and seen[-1] == 100, out
    assert b"100% (8.0M of 8.0M" in out
    assert cleared_before_the_end(out) and out.rstrip().endswith(f"Imported '{src}' as image '{name}'".encode())
    assert (MACHINES / f"{name}.raw").read_bytes() == src.read_bytes()


def test_import_progress_from_a_pipe(berthctl, name):
    """The size of what comes through a pipe is unknown: the bytes so far, growing, and the total
    at the end."""
    data = os.urandom(3 << 20)
    chunks = [data[i:i + (512 << 10)] for i in range(0, len(data), 512 << 10)]
    status, out = on_terminal([berthctl, "import-raw", "-", name], chunks, pause=0.25)
    assert status == 0, out
    counts = [m.group(2).decode() for m in COUNT.finditer(out) if m.group(1) == f"Importing '{name}'".encode()]
    assert len(counts) >= 3 and counts[-1] == "3.0M", out
    assert b"%" not in out and cleared_before_the_end(out)


def test_no_progress_without_a_terminal(berthctl, name, tmp_path):
    src = tmp_path / "disk.raw"
    src.write_bytes(os.urandom(4 << 20))
    r = ctl(berthctl, "import-raw", src, name)
    assert r.returncode == 0 and "\r" not in r.stderr and "Importing" not in r.stderr and "%" not in r.stderr
    r = ctl(berthctl, "export-raw", name, tmp_path / "out.raw")
    assert r.returncode == 0 and r.stderr == ""
    # Nor with -q on a terminal.
    status, out = on_terminal([berthctl, "-q", "clone", name, f"{name}-copy"])
    assert status == 0 and out == b"", out


def test_export_progress_on_a_terminal(berthctl, name, tmp_path):
    need_tools("xz")
    (MACHINES / f"{name}.raw").write_bytes(os.urandom(2 << 20))
    status, out = on_terminal([berthctl, "export-raw", name, tmp_path / "out.raw.xz"])
    assert status == 0, out
    assert percentages(out, f"Exporting '{name}'")[-1] == 100 and cleared_before_the_end(out)
    assert subprocess.run(["xz", "-dc", tmp_path / "out.raw.xz"], capture_output=True).stdout == \
        (MACHINES / f"{name}.raw").read_bytes()

    small_image(f"{name}-tree")
    status, out = on_terminal([berthctl, "export-tar", f"{name}-tree", tmp_path / "out.tar"])
    assert status == 0, out
    # A tar stream's size is not known before its end: the count, no percentage.
    counts = [m.group(2) for m in COUNT.finditer(out) if m.group(1) == f"Exporting '{name}-tree'".encode()]
    assert counts and b"%" not in out and cleared_before_the_end(out), out
    assert counts[-1].decode() == format_size((tmp_path / "out.tar").stat().st_size)


def format_size(n):
    """What berth prints for n bytes (format-util.c)."""
    if n < 1024:
        return f"{n}B"
    for i, unit in enumerate("KMGTPE"):
        scale = 1024 ** (i + 1)
        if n // scale < 1024 or unit == "E":
            tenths = n // (scale // 1024) * 10 // 1024
            return f"{tenths // 10}.{tenths % 10}{unit}"


def reflinks_work(directory):
    a, b = directory / ".#berth-test-reflink-a", directory / ".#berth-test-reflink-b"
    a.write_bytes(b"x" * 4096)
    try:
        return subprocess.run(["cp", "--reflink=always", a, b], capture_output=True).returncode == 0
    finally:
        a.unlink()
        b.unlink(missing_ok=True)


def test_clone_progress_on_a_terminal(berthctl, name):
    root = small_image(name)
    (root / "more").write_bytes(os.urandom(6 << 20))
    status, out = on_terminal([berthctl, "clone", name, f"{name}-copy"])
    assert status == 0, out
    assert (MACHINES / f"{name}-copy/more").read_bytes() == (root / "more").read_bytes()
    if reflinks_work(MACHINES):
        # Sharing the data is no copy: nothing to show.
        assert b"Cloning" not in out, out
    else:
        seen = percentages(out, f"Cloning '{name}'")
        assert seen and seen == sorted(seen) and seen[-1] == 100 and cleared_before_the_end(out), out
