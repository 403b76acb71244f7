# Images that are btrfs subvolumes: listed as such, cloned as snapshots, made read-only with the
# subvolume flag, removed. /var/lib/machines is a btrfs file system of the test's for the while
# (mounted over the host's, which is back afterwards).

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import skip_or_fail

MACHINES = Path("/var/lib/machines")


def run(*cmd, check=True):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({r.returncode}): {r.stdout}{r.stderr}", pytrace=False)
    return r


@pytest.fixture
def btrfs_machines(tmp_path):
    if not shutil.which("mkfs.btrfs") or not shutil.which("btrfs"):
        skip_or_fail("btrfs-progs is not installed (tools/install-deps --test installs it)")
    image = tmp_path / "machines.btrfs"
    with open(image, "wb") as f:
        f.truncate(256 << 20)
    run("mkfs.btrfs", "-q", image)
    run("mount", "-o", "loop", image, MACHINES)
    try:
        yield MACHINES
    finally:
        run("umount", MACHINES)


def subvolume_info(path):
    """`btrfs subvolume show` as {key: value}."""
    out = run("btrfs", "subvolume", "show", path).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()[1:]) if v}


def read_only(path):
    return run("btrfs", "property", "get", "-ts", path, "ro").stdout.strip()


def test_subvolume_images(berthctl, btrfs_machines):
    src = btrfs_machines / "bt-sv"
    run("btrfs", "subvolume", "create", src)
    # A subvolume inside the image (as systemd makes for /var/lib/machines) goes with it too.
    (src / "var").mkdir()
    run("btrfs", "subvolume", "create", src / "var/nested")
    (src / "var/nested/file").write_text("n\n")
    (src / "etc").mkdir()
    (src / "etc/os-release").write_text('ID=debian\nPRETTY_NAME="Subvolume Linux"\n')
    (src / "data").write_bytes(b"x" * 65536)
    # A plain directory beside it stays a directory.
    (btrfs_machines / "bt-dir").mkdir()

    images = {i["name"]: i for i in json.loads(run(berthctl, "list-images", "--json").stdout)}
    assert images["bt-sv"]["type"] == "subvolume" and images["bt-dir"]["type"] == "directory", images
    assert "subvolume" in run(berthctl, "list-images").stdout

    # clone: a snapshot of the subvolume (its parent is the source), writable unless asked.
    run(berthctl, "clone", "bt-sv", "bt-sv-clone")
    info = subvolume_info(btrfs_machines / "bt-sv-clone")
    assert info["Parent UUID"] == subvolume_info(src)["UUID"], info
    assert read_only(btrfs_machines / "bt-sv-clone") == "ro=false"
    assert (btrfs_machines / "bt-sv-clone/data").read_bytes() == b"x" * 65536
    run(berthctl, "--read-only", "clone", "bt-sv", "bt-sv-ro")
    assert read_only(btrfs_machines / "bt-sv-ro") == "ro=true"
    images = {i["name"]: i for i in json.loads(run(berthctl, "list-images", "--json").stdout)}
    assert images["bt-sv-ro"]["read_only"] is True and images["bt-sv-clone"]["read_only"] is False, images

    # read-only: the subvolume's flag, and back.
    run(berthctl, "read-only", "bt-sv")
    assert read_only(src) == "ro=true"
    assert run("touch", src / "new", check=False).returncode != 0
    run(berthctl, "read-only", "bt-sv", "no")
    assert read_only(src) == "ro=false"

    # remove: a read-only image is refused, others go, subvolume and all.
    r = run(berthctl, "remove", "bt-sv-ro", check=False)
    assert r.returncode != 0 and "read-only" in r.stderr, r.stderr
    run(berthctl, "read-only", "bt-sv-ro", "no")
    run(berthctl, "remove", "bt-sv-ro", "bt-sv-clone", "bt-sv")
    assert sorted(p.name for p in btrfs_machines.iterdir()) == ["bt-dir"]
    assert run("btrfs", "subvolume", "list", btrfs_machines).stdout.strip() == ""
