# berthctl's image verbs, as a user runs them: an archive made from the test tree is imported
# into /var/lib/machines and boots; export gives it back; hostile archives and interrupted imports
# leave nothing in /var/lib/machines. The tests use image names starting with "bt-img-".

import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from boot import Boot

MACHINES = Path("/var/lib/machines")
ARCHIVE_CACHE = Path("/var/cache/berth/archives")


def leftovers():
    """What of the tests' images and their hidden import entries is in /var/lib/machines."""
    return sorted(p.name for p in MACHINES.iterdir() if p.name.lstrip(".#").startswith("bt-img-")) \
        if MACHINES.exists() else []


@pytest.fixture
def name():
    n = f"bt-img-{secrets.token_hex(3)}"
    yield n
    for p in MACHINES.glob(f"*{n}*"):
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


@pytest.fixture(scope="module")
def tree_archive(cached_tree):
    """A .tar.xz of the test tree, made once per tree (cached: xz takes a while)."""
    recipe = cached_tree.parent / "recipe.sha256"
    stamp = recipe.read_text().strip() if recipe.exists() else str(cached_tree.stat().st_mtime_ns)
    path = ARCHIVE_CACHE / f"{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.tar.xz"
    if not path.exists():
        ARCHIVE_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run(f"tar -C '{cached_tree}' --numeric-owner --xattrs -cf - . | xz -T0 -1 > '{tmp}'",
                       shell=True, check=True)
        tmp.rename(path)
    return path


def ctl(berthctl, *args, input=None, check=True):
    r = subprocess.run([str(berthctl), *map(str, args)], input=input, capture_output=True, timeout=300)
    if check and r.returncode != 0:
        pytest.fail(f"berthctl {' '.join(map(str, args))} failed ({r.returncode}): {r.stderr.decode()}",
                    pytrace=False)
    return r


def test_import_boot_export_remove(berth, berthctl, tree_archive, name, tmp_path):
    ctl(berthctl, "import-tar", tree_archive, name)
    assert (MACHINES / name / "etc/os-release").exists()
    assert (MACHINES / name / "usr/bin/passwd").stat().st_mode & 0o4000  # set-user-ID kept
    assert leftovers() == [name]

    images = {i["name"]: i for i in json.loads(ctl(berthctl, "list-images", "--json").stdout)}
    assert images[name]["type"] == "directory" and images[name]["os"].startswith("Debian GNU/Linux 12")

    # It boots by name, as a user would run it.
    with Boot(berth, None, name) as b:
        b.wait_running()
        b.signal(signal.SIGTERM)
        assert b.wait() == 0

    # Exported and imported again under another name: the same files.
    exported = tmp_path / "export.tar.xz"
    ctl(berthctl, "export-tar", name, exported)
    other = f"{name}-again"
    ctl(berthctl, "import-tar", exported, other)
    for f in ("etc/os-release", "usr/bin/passwd", "etc/shadow"):
        a, b2 = MACHINES / name / f, MACHINES / other / f
        assert a.read_bytes() == b2.read_bytes() and a.stat().st_mode == b2.stat().st_mode
        assert (a.stat().st_uid, a.stat().st_gid) == (b2.stat().st_uid, b2.stat().st_gid)

    # An existing name is kept unless --force.
    r = ctl(berthctl, "import-tar", exported, other, check=False)
    assert r.returncode == 1 and b"exists already; use --force" in r.stderr
    ctl(berthctl, "--force", "import-tar", exported, other)

    ctl(berthctl, "remove", name, other)
    assert leftovers() == []
    r = ctl(berthctl, "remove", name, check=False)
    assert r.returncode == 1 and f"No image '{name}'".encode() in r.stderr


def archive(*members):
    """A tar archive of (TarInfo fields, data) pairs, in memory."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for k, v in fields.items():
                setattr(info, k, v)
            info.size = len(data) if data is not None else 0
            t.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


HOSTILE = {
    "dotdot": archive(({"name": "../escaped", "type": tarfile.REGTYPE}, b"x")),
    "absolute": archive(({"name": "/tmp/bt-img-absolute", "type": tarfile.REGTYPE}, b"x")),
    "symlink-pivot": archive(({"name": "pivot", "type": tarfile.SYMTYPE, "linkname": "/tmp"}, None),
                             ({"name": "pivot/bt-img-through", "type": tarfile.REGTYPE}, b"x")),
    "hardlink-out": archive(({"name": "shadow", "type": tarfile.LNKTYPE, "linkname": "/etc/shadow"}, None)),
    "truncated": archive(({"name": "file", "type": tarfile.REGTYPE}, b"x" * 5000))[:3000],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_is_refused(berthctl, name, kind):
    r = ctl(berthctl, "import-tar", "-", name, input=HOSTILE[kind], check=False)
    assert r.returncode == 1
    assert b"Refusing '-'" in r.stderr, r.stderr
    assert leftovers() == []
    assert not Path("/escaped").exists() and not Path("/var/lib/escaped").exists()
    assert not Path("/tmp/bt-img-absolute").exists() and not Path("/tmp/bt-img-through").exists()
    assert Path("/etc/shadow").stat().st_nlink == 1


def test_interrupted_import_leaves_nothing(berthctl, name):
    """SIGINT while the archive is still coming: no image and no hidden entry remain."""
    proc = subprocess.Popen([str(berthctl), "import-tar", "-", name], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdin.write(archive(({"name": "a-file", "type": tarfile.REGTYPE}, b"x" * 100000))[:60000])
    proc.stdin.flush()
    deadline = time.monotonic() + 10
    while not any(p.startswith(".#") for p in leftovers()):
        assert time.monotonic() < deadline, "the import made no hidden entry"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    proc.stdin.close()
    assert proc.returncode == 1 and b"interrupted, nothing was left" in err, err
    assert leftovers() == []


def test_bad_names(berthctl, tree_archive):
    r = ctl(berthctl, "import-tar", tree_archive, "no/slashes", check=False)
    assert r.returncode == 1 and b"Invalid image name 'no/slashes'" in r.stderr
    r = ctl(berthctl, "export-tar", "bt-img-missing", "/tmp/bt-img-x.tar", check=False)
    assert r.returncode == 1 and b"No image 'bt-img-missing'" in r.stderr
    assert not Path("/tmp/bt-img-x.tar").exists()


def small_image(name):
    """A directory image with just an os-release, for the verbs that do not run it."""
    root = MACHINES / name
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('PRETTY_NAME="Tiny OS"\n')
    (root / "etc/data").write_text("data\n")
    return root


def test_clone_rename_read_only_cat_clean(berthctl, name):
    small_image(name)
    (MACHINES / f"{name}.nspawn").write_text("[Exec]\nHostname=tiny\n")

    ctl(berthctl, "clone", name, f"{name}-copy")
    assert (MACHINES / f"{name}-copy/etc/data").read_text() == "data\n"
    r = ctl(berthctl, "clone", name, f"{name}-copy", check=False)
    assert r.returncode == 1 and b"exists already" in r.stderr

    # rename takes the settings file along.
    ctl(berthctl, "rename", name, f"{name}-new")
    assert not (MACHINES / name).exists() and (MACHINES / f"{name}-new/etc/data").exists()
    assert (MACHINES / f"{name}-new.nspawn").exists() and not (MACHINES / f"{name}.nspawn").exists()
    out = ctl(berthctl, "cat", f"{name}-new").stdout.decode()
    assert f"# {MACHINES}/{name}-new.nspawn (untrusted" in out and "Hostname=tiny" in out
    r = ctl(berthctl, "cat", f"{name}-copy", check=False)
    assert r.returncode == 1 and b"has no settings file" in r.stderr

    # read-only: nothing can be added to the image; list-images says so; and back.
    ctl(berthctl, "read-only", f"{name}-copy")
    with pytest.raises(PermissionError):
        (MACHINES / f"{name}-copy/new-file").write_text("x")
    images = {i["name"]: i for i in json.loads(ctl(berthctl, "list-images", "--json").stdout)}
    assert images[f"{name}-copy"]["read_only"] is True and images[f"{name}-new"]["read_only"] is False
    assert images[f"{name}-new"]["os"] == "Tiny OS"
    r = ctl(berthctl, "remove", f"{name}-copy", check=False)
    assert r.returncode == 1 and b"is read-only" in r.stderr
    ctl(berthctl, "read-only", f"{name}-copy", "no")
    (MACHINES / f"{name}-copy/new-file").write_text("x")

    # clean removes hidden leftovers, and nothing else.
    (MACHINES / f".#{name}-leftover").mkdir()
    ctl(berthctl, "clean")
    assert not (MACHINES / f".#{name}-leftover").exists() and (MACHINES / f"{name}-new").exists()

    # remove takes the settings file beside the image along.
    ctl(berthctl, "remove", f"{name}-new", f"{name}-copy")
    assert not (MACHINES / f"{name}-new.nspawn").exists()
    assert leftovers() == []
