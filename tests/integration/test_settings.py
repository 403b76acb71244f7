# Settings files (NAME.nspawn), seen from inside the container: a trusted file's settings take effect,
# the command line wins over them (or loses, with --settings=override), a file next to the image is not
# trusted with privileged keys, and a bad file stops berth before it touches anything.

import json
import os
import uuid
from pathlib import Path

import pytest

from conftest import _cgroup_roots, machine_record, tree_digest

PROBE = "/usr/local/bin/berth-probe"
TRUSTED_DIR = Path("/run/systemd/nspawn")
CAP_NET_ADMIN, CAP_MKNOD = 12, 27
DEFAULT_CAPS = sum(1 << c for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 18, 19, 21, 22, 23, 24,
                                    26, 27, 28, 29, 30, 31))


def host_bounding_set():
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("CapBnd:")), 16)


@pytest.fixture
def machine():
    """(name, path): a machine name no other test uses, and where its trusted settings file goes
    (/run/systemd/nspawn/NAME.nspawn, removed afterwards)."""
    name = f"settings-{uuid.uuid4().hex[:10]}"
    made_dir = not TRUSTED_DIR.exists()
    TRUSTED_DIR.mkdir(parents=True, exist_ok=True)
    path = TRUSTED_DIR / f"{name}.nspawn"
    yield name, path
    path.unlink(missing_ok=True)
    if made_dir:
        try:
            TRUSTED_DIR.rmdir()
        except OSError:
            pass


def run_probe(run_berth, *args, status=0):
    """Runs berth ARGS, checks its exit status, returns (the probe's JSON lines, stderr)."""
    r = run_berth(*args)
    assert r.returncode == status, f"exit status {r.returncode}, expected {status}\n{r.stdout}\n{r.stderr}"
    try:
        return [json.loads(line) for line in r.stdout.splitlines() if line], r.stderr
    except json.JSONDecodeError as e:
        pytest.fail(f"Not the probe's output ({e}):\n{r.stdout}\n--- stderr ---\n{r.stderr}", pytrace=False)


def limits(text, name):
    """(soft, hard) of the limit called name ("Max open files") in a /proc/PID/limits text."""
    line = next(line for line in text.splitlines() if line.startswith(name))
    soft, hard = line[len(name):].split()[:2]
    return int(soft), int(hard)


TRUSTED_FILE = f"""\
# Everything checked from inside the container.
[Exec]
ProcessTwo=yes
Parameters={PROBE} info read /proc/self/limits read /proc/self/oom_score_adj stat /mnt
Hostname=from-file
Environment=FROM_FILE=file "SPACED=two words"
WorkingDirectory=/tmp
NoNewPrivileges=yes
DropCapability=CAP_MKNOD
LimitNOFILE=300:400
OOMScoreAdjust=300

[Files]
ReadOnly=yes
TemporaryFileSystem=/mnt

[Network]
VirtualEthernet=yes
"""


def test_trusted_file_and_the_command_line(tree, run_berth, machine):
    name, path = machine
    path.write_text(TRUSTED_FILE)

    # The file alone: ProcessTwo= and Parameters= give the start mode and the command.
    (info, limit, oom, mnt), err = run_probe(run_berth, "-q", "-D", tree, "-M", name)
    assert err == ""
    assert (info["pid"], info["comm1"]) == (2, "berth-stub")
    assert info["hostname"] == "from-file"
    assert info["env"]["FROM_FILE"] == "file" and info["env"]["SPACED"] == "two words"
    assert info["cwd"] == "/tmp"
    assert info["no_new_privs"] == "1"
    assert info["root_ro"] is True
    # The file's network brings CAP_NET_ADMIN with it.
    assert int(info["caps_bnd"], 16) == (DEFAULT_CAPS | 1 << CAP_NET_ADMIN) & host_bounding_set() & ~(1 << CAP_MKNOD)
    assert sorted(info["links"]) == ["host0", "lo"]
    assert mnt["fstype"] == "tmpfs"
    assert limits(limit["text"], "Max open files") == (300, 400)
    assert oom["text"].strip() == "300"

    # The command line wins, setting by setting: a command is a start mode, -E replaces the whole
    # environment of the file; what it does not say still comes from the file.
    # A network option replaces all of the file's network, a mount option all of its mounts.
    (info, mnt), _ = run_probe(run_berth, "-q", "-D", tree, "-M", name, "--hostname=from-cmdline",
                                   "-E", "FROM_FILE=cmdline", "--chdir=/", "--private-network", "--tmpfs=/run/x",
                                   PROBE, "info", "stat", "/mnt")
    assert info["pid"] == 1
    assert info["links"] == ["lo"]
    assert mnt["fstype"] != "tmpfs"
    assert info["hostname"] == "from-cmdline"
    assert info["env"]["FROM_FILE"] == "cmdline" and "SPACED" not in info["env"]
    assert info["cwd"] == "/"
    assert info["no_new_privs"] == "1" and info["root_ro"] is True

    # --settings=override: the file wins, its command too.
    (info, _, _, _), _ = run_probe(run_berth, "-q", "-D", tree, "-M", name, "--settings=override",
                                "--hostname=from-cmdline", "--chdir=/", PROBE, "exit", "3")
    assert (info["pid"], info["hostname"], info["cwd"]) == (2, "from-file", "/tmp")

    # --settings=no: no file.
    (info,), _ = run_probe(run_berth, "-q", "-D", tree, "-M", name, "--settings=no", PROBE, "info")
    assert (info["pid"], info["hostname"], info["no_new_privs"], info["root_ro"]) == (1, name, "0", False)
    assert "FROM_FILE" not in info["env"]


def test_file_next_to_the_image_is_not_trusted(tree, run_berth, machine):
    name, _ = machine
    beside = tree.parent / f"{name}.nspawn"
    beside.write_text("[Exec]\nHostname=beside-the-image\nCapability=all\n\n[Files]\nBind=/:/host\n")

    (info, host), err = run_probe(run_berth, "-q", "-D", tree, "-M", name, PROBE, "info", "ls", "/host")
    # Its unprivileged settings count; the privileged ones are ignored, each with a warning that
    # names the file, the line and the key.
    assert info["hostname"] == "beside-the-image"
    assert int(info["caps_bnd"], 16) == DEFAULT_CAPS & host_bounding_set()
    assert host["errno"] == 2  # ENOENT: nothing of the host's root was bound
    assert f"{beside}:3: Ignoring Capability= in untrusted file" in err, err
    assert f"{beside}:6: Ignoring Bind= in untrusted file" in err, err

    # --settings=trusted trusts it wherever it is.
    beside.write_text("[Exec]\nCapability=all\n")
    (info,), err = run_probe(run_berth, "-q", "-D", tree, "-M", name, "--settings=trusted", PROBE, "info")
    assert int(info["caps_bnd"], 16) == host_bounding_set()
    assert err == ""


def machine_cgroups(name):
    return [p for root in _cgroup_roots() for p in root.glob(f"**/machine-{name}.scope")]


@pytest.mark.parametrize("content, line, message", [
    ("[Exec]\nHostname=fine\nKillSignal=SIGNOPE\n", 3, "Invalid value 'SIGNOPE' for KillSignal="),
    ("[Files]\nBindUser=alice\n", 2, "BindUser= is not supported by berth yet"),
], ids=["bad-value", "unsupported-key"])
def test_bad_file_touches_nothing(tree, run_berth, machine, content, line, message):
    name, path = machine
    path.write_text(content)
    new = tree.parent / "new"
    upper = tree.parent / "upper"
    before = tree_digest(upper)

    # Even a copy from a template would come after the file was read.
    r = run_berth("-q", "-D", new, f"--template={tree}", "-M", name, PROBE, "info")
    assert r.returncode == 1, f"{r.stdout}\n{r.stderr}"
    assert f"{path}:{line}: {message}" in r.stderr, r.stderr
    assert r.stdout == ""
    assert not new.exists()
    assert machine_record(name) is None
    assert machine_cgroups(name) == []
    assert tree_digest(upper) == before
