# Raw disk images with `berth -i`: GPT disks laid out per the Discoverable Partitions
# Specification, an MBR disk, a bare filesystem and a squashfs root, built from the test tree
# without mounting it; corrupt and hostile images; locking; and nothing left attached or mounted
# however the run ends.
#
# Building the images takes a while, booting them does not: they are built once and kept in
# IMAGE_CACHE, keyed by the test tree's recipe and this file's recipe version. Runs that write to
# an image work on a sparse copy.

import fcntl
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import tarfile
import time
import uuid
import zlib
from pathlib import Path

import pytest

from boot import Boot, BOOT_TIMEOUT
from conftest import run_command, skip_or_fail

IMAGE_CACHE = Path("/var/cache/berth/images")
RECIPE_VERSION = "1"

ROOT_X86_64 = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
USR_X86_64 = "8484680c-9521-48c6-9c11-b0720656f69e"
HOME = "933ac7e1-2eb4-4f13-b844-0e14e2aef915"
MiB = 1024 * 1024
EXT4_SIZE = 400 * MiB  # the tree is about 200 MiB

TOOLS = ("sfdisk", "mkfs.ext4", "mksquashfs")


def sh(*cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed with {r.returncode}:\n{r.stdout}{r.stderr}",
                    pytrace=False)
    return r.stdout


def gpt_disk(path, parts):
    """A GPT disk at path with parts [(type, size in bytes)], each starting on a MiB boundary;
    returns the partitions' byte offsets."""
    offsets, start = [], MiB
    for _, size in parts:
        offsets.append(start)
        start += size
    with open(path, "wb") as f:
        f.truncate(start + MiB)
    script = "label: gpt\n" + "".join(f"start={o // 512}, size={s // 512}, type={t}\n"
                                      for o, (t, s) in zip(offsets, parts))
    subprocess.run(["sfdisk", "-q", str(path)], input=script, text=True, check=True, capture_output=True)
    return offsets


def mkfs_ext4(path, src, offset, size):
    sh("mkfs.ext4", "-q", "-F", "-E", f"offset={offset}", "-d", src, path, f"{size // 1024}K")


def copy_tree_without(tree, dest, excluded):
    """The tree at dest, less the top-level directories in excluded (left as empty directories,
    mount points for their partitions)."""
    dest.mkdir()
    with subprocess.Popen(["tar", "-C", tree, "-c", *[f"--exclude=./{e}/*" for e in excluded], "."],
                          stdout=subprocess.PIPE) as tar:
        subprocess.run(["tar", "-C", dest, "-x"], stdin=tar.stdout, check=True)
        if tar.wait() != 0:
            pytest.fail(f"tar of '{tree}' failed", pytrace=False)


def build_images(tree, out):
    """Every image the tests boot, in the directory out."""
    work = out / "work"
    work.mkdir()
    # GPT, one root partition.
    (o,) = gpt_disk(out / "gpt-root.raw", [(ROOT_X86_64, EXT4_SIZE)])
    mkfs_ext4(out / "gpt-root.raw", tree, o, EXT4_SIZE)
    # GPT, root + /usr + /home.
    copy_tree_without(tree, work / "root", ["usr", "home"])
    (work / "home").mkdir()
    (work / "home" / "on-home-partition").write_text("home\n")
    offs = gpt_disk(out / "gpt-split.raw", [(ROOT_X86_64, 64 * MiB), (USR_X86_64, 360 * MiB), (HOME, 16 * MiB)])
    for src, off, size in ((work / "root", offs[0], 64 * MiB), (Path(tree) / "usr", offs[1], 360 * MiB),
                           (work / "home", offs[2], 16 * MiB)):
        mkfs_ext4(out / "gpt-split.raw", src, off, size)
    # MBR, one Linux partition.
    with open(out / "mbr.raw", "wb") as f:
        f.truncate(EXT4_SIZE + MiB)
    subprocess.run(["sfdisk", "-q", str(out / "mbr.raw")], input=f"label: dos\nstart=2048, type=83\n",
                   text=True, check=True, capture_output=True)
    mkfs_ext4(out / "mbr.raw", tree, MiB, EXT4_SIZE)
    # A bare ext4 filesystem, no table.
    with open(out / "bare.raw", "wb") as f:
        f.truncate(EXT4_SIZE)
    mkfs_ext4(out / "bare.raw", tree, 0, EXT4_SIZE)
    # GPT, a squashfs root.
    sh("mksquashfs", tree, work / "root.squashfs", "-noappend", "-quiet", "-comp", "lz4")
    size = -(-(work / "root.squashfs").stat().st_size // MiB) * MiB
    (o,) = gpt_disk(out / "gpt-squashfs.raw", [(ROOT_X86_64, size)])
    sh("dd", f"if={work / 'root.squashfs'}", f"of={out / 'gpt-squashfs.raw'}", "bs=1M", f"seek={o // MiB}",
       "conv=notrunc,sparse", "status=none")
    shutil.rmtree(work)


@pytest.fixture(scope="session")
def images(cached_tree):
    """The directory of built images, from the cache when they are there."""
    for tool in TOOLS:
        if not shutil.which(tool):
            skip_or_fail(f"'{tool}' is missing: run tools/install-deps --test")
    recipe = cached_tree.parent / "recipe.sha256"
    stamp = recipe.read_text().strip() if recipe.exists() else str(cached_tree.stat().st_mtime_ns)
    key = hashlib.sha256(f"{stamp} {RECIPE_VERSION}".encode()).hexdigest()[:16]
    IMAGE_CACHE.mkdir(parents=True, exist_ok=True)
    out = IMAGE_CACHE / key
    with open(IMAGE_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.is_dir():
            tmp = IMAGE_CACHE / f".{key}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            build_images(cached_tree, tmp)
            tmp.rename(out)
    return out


def sparse_copy(src, dest):
    sh("cp", "--sparse=always", src, dest)
    return dest


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


def loop_devices(backing):
    """The loop devices attached to the file backing."""
    out = run_command(["losetup", "-l", "-n", "-O", "NAME,BACK-FILE"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.split()[1:] == [str(backing)]]


def fstype(boot, path):
    return boot.check("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", path)


def test_gpt_root_boot_lock_and_sigkill(berth, run_berth, images, tmp_path):
    image = sparse_copy(images / "gpt-root.raw", tmp_path / "gpt-root.raw")
    with Boot(berth, None, "rawgpt", f"--image={image}") as b:
        b.wait_running()
        assert fstype(b, "/") == "ext4"
        assert b.check("findmnt", "-n", "-o", "SOURCE", "/").startswith("/dev/loop")
        assert b.check("cat", "/etc/debian_version").startswith("12")
        assert loop_devices(image)
        # A second writable run of the same image is refused, naming the reason.
        r = run_berth(f"--image={image}", "-M", "rawgpt2", "true")
        assert r.returncode != 0
        assert "in use by another container" in r.stderr
        b.signal(signal.SIGKILL)
        b.wait()
    # The guardian takes the container down; with the last mount gone the loop device detaches.
    deadline = time.monotonic() + BOOT_TIMEOUT
    while loop_devices(image) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert loop_devices(image) == []
    assert not [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if str(image) in line]


def test_gpt_split_partitions(berth, images, tmp_path):
    image = sparse_copy(images / "gpt-split.raw", tmp_path / "gpt-split.raw")
    with Boot(berth, None, "rawsplit", f"--image={image}") as b:
        b.wait_running()
        mounts = {p: fstype(b, p) for p in ("/", "/usr", "/home")}
        assert mounts == {"/": "ext4", "/usr": "ext4", "/home": "ext4"}
        assert b.check("cat", "/home/on-home-partition") == "home"
        # Three partitions, three different filesystems.
        sources = {b.check("findmnt", "-n", "-o", "SOURCE", "--mountpoint", p) for p in mounts}
        assert len(sources) == 3
        b.check("systemctl", "poweroff", "--no-block")
        assert b.wait() == 0


def test_split_refuses_overlay_and_machine_finds_raw(run_berth, images):
    image = images / "gpt-split.raw"
    r = run_berth(f"--image={image}", "-x", "true")
    assert r.returncode != 0
    assert "has a usr partition" in r.stderr
    # -M NAME finds NAME.raw in the image directories.
    link = Path("/var/lib/machines/berth-rawtest.raw")
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(images / "bare.raw")
    try:
        r = run_berth("-M", "berth-rawtest", "-x", "cat", "/etc/debian_version")
    finally:
        link.unlink()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("12")


@pytest.mark.parametrize("name", ["mbr", "bare"])
def test_ephemeral_mbr_and_bare(berth, images, name):
    image = images / f"{name}.raw"
    before = digest(image)
    with Boot(berth, None, f"raw{name}", f"--image={image}", "-x") as b:
        b.wait_running()
        assert fstype(b, "/") == "overlay"
        b.check("sh", "-c", "echo changed > /etc/berth-ephemeral && rm -f /etc/hostname")
        b.check("systemctl", "poweroff", "--no-block")
        assert b.wait() == 0
    assert digest(image) == before


def test_squashfs_volatile_overlay(berth, images):
    image = images / "gpt-squashfs.raw"
    before = digest(image)
    with Boot(berth, None, "rawsquash", f"--image={image}", "--volatile=overlay") as b:
        b.wait_running()
        assert fstype(b, "/") == "overlay"
        b.check("touch", "/var/written")
        b.check("systemctl", "poweroff", "--no-block")
        assert b.wait() == 0
    assert digest(image) == before


# ---- corrupt and hostile images ----

def gpt_bytes(sectors, parts, table_sectors=None):
    """A GPT disk image of sectors with parts [(type, first LBA, last LBA)], written by hand (sfdisk
    refuses hostile tables); the table may describe a bigger disk than the image."""
    n = table_sectors or sectors
    img = bytearray(n * 512)
    entries = bytearray(128 * 128)
    for i, (t, first, last) in enumerate(parts):
        e = 128 * i
        entries[e:e + 16] = uuid.UUID(t).bytes_le
        entries[e + 16:e + 32] = uuid.uuid4().bytes_le
        struct.pack_into("<QQ", entries, e + 32, first, last)
    for backup in (False, True):
        me, entries_lba = (n - 1, n - 33) if backup else (1, 2)
        img[entries_lba * 512:entries_lba * 512 + len(entries)] = entries
        h = bytearray(92)
        h[0:8] = b"EFI PART"
        struct.pack_into("<IIIIQQQQ", h, 8, 0x10000, 92, 0, 0, me, 1 if backup else n - 1, 34, n - 34)
        h[56:72] = uuid.uuid4().bytes_le
        struct.pack_into("<QIII", h, 72, entries_lba, 128, 128, zlib.crc32(entries))
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        img[me * 512:me * 512 + 92] = h
    img[446 + 4] = 0xEE
    struct.pack_into("<II", img, 446 + 8, 1, n - 1)
    img[510:512] = b"\x55\xaa"
    return bytes(img[:sectors * 512])


def test_hostile_images_refused(run_berth, tmp_path):
    good = tmp_path / "good.raw"
    (o,) = gpt_disk(good, [(ROOT_X86_64, 4 * MiB)])
    sh("mkfs.ext4", "-q", "-F", "-E", f"offset={o}", good, "4M")
    sectors = good.stat().st_size // 512

    bad_crc = bytearray(good.read_bytes())
    for header in (1, sectors - 1):
        bad_crc[header * 512 + 16] ^= 0xFF
    cases = {
        "bad-crc": (bytes(bad_crc), "no valid partition table"),
        "overlap": (gpt_bytes(sectors, [(ROOT_X86_64, 2048, 8191), (HOME, 4096, 10000)]), "overlap"),
        "two-roots": (gpt_bytes(sectors, [(ROOT_X86_64, 2048, 4095), (ROOT_X86_64, 4096, 8191)]),
                      "both root partitions"),
        "past-end": (gpt_bytes(sectors, [(ROOT_X86_64, 2048, 8191), (HOME, 8192, 4 * sectors)],
                               table_sectors=8 * sectors), "cannot be used"),
        "empty": (b"", "empty"),
    }
    for name, (data, message) in cases.items():
        image = tmp_path / f"{name}.raw"
        image.write_bytes(data)
        r = run_berth(f"--image={image}", "-M", f"hostile-{name}", "true")
        assert r.returncode != 0, name
        assert f"Image '{image}' cannot be used" in r.stderr, (name, r.stderr)
        assert message in r.stderr, (name, r.stderr)
        assert loop_devices(image) == [], name
    # The good one is only refused for what it is: a root without an OS in it.
    r = run_berth(f"--image={good}", "-M", "hostile-good", "true")
    assert "cannot be used" not in r.stderr
    assert loop_devices(good) == []
