# berthctl's image verbs that inspect and tend images: image-status, show-image, edit, clean
# (--all), and the progress shown on a terminal. Images are small trees and file systems made here,
# named berth-test-<random>; /var/lib/machines holds afterwards exactly what it held before.

import fcntl
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import skip_or_fail

MACHINES = Path("/var/lib/machines")
NSPAWN_ETC = Path("/etc/systemd/nspawn")
NSPAWN_RUN = Path("/run/systemd/nspawn")


def entries():
    return sorted(os.listdir(MACHINES)) if MACHINES.exists() else []


def remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.chmod(0o644) if not path.is_symlink() else None
        path.unlink()


@pytest.fixture(autouse=True)
def machines_untouched():
    """/var/lib/machines and the settings directories hold afterwards what they held before."""
    before = entries()
    yield
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


# ---- list-images and remove: what the lookup shares ----

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
