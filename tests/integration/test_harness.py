# Checks the integration harness itself (conftest.py): fixtures, helpers and the leak check.
# Berth's own features are tested elsewhere.

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (_host_state, _mountinfo, _new_since, _clean_up, must_work, run_command,
                      skip_or_fail, tree_digest)

# The tree used by test_tree_overlay, for test_tree_teardown (tests run in file order).
seen = {}


def test_tree_overlay(tree, pristine_tree):
    assert (tree / "usr/bin").is_dir()
    assert os.access(tree / "usr/local/bin/berth-probe", os.X_OK)
    assert (str(tree), "overlay") in _mountinfo()
    assert tree.parent.parent == Path("/var/tmp")
    # Writes land in the test's upper directory, never in the cached tree (pristine_tree checks).
    (tree / "etc/hostname").write_text("scratch\n")
    (tree / "etc/os-release").unlink()
    assert (tree.parent / "upper/etc/hostname").exists()
    assert (pristine_tree / "etc/os-release").exists()
    assert not (pristine_tree / "etc/hostname").exists()
    seen["tree"] = tree


def test_tree_teardown():
    if "tree" not in seen:
        pytest.skip("test_tree_overlay did not run")
    tree = seen["tree"]
    assert not tree.parent.exists()
    assert not [m for m in _mountinfo() if m[0].startswith(str(tree.parent))]


def test_probe_runs_in_tree(tree):
    # chroot only: enough to show the static probe runs in the tree and prints JSON.
    r = run_command(["chroot", tree, "/usr/local/bin/berth-probe", "info"], timeout=10)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["uid"] == 0 and info["cwd"] == "/"
    assert info["machine_id"] == ""
    assert set(info["ns"]) == {"mnt", "pid", "uts", "ipc", "net", "cgroup", "user"}
    for cmd, code in ((["exit", "7"], 7), (["kill", "TERM"], -15)):
        r = run_command(["chroot", tree, "/usr/local/bin/berth-probe", *cmd], timeout=10)
        assert r.returncode == code
    r = run_command(["chroot", tree, "/usr/local/bin/berth-probe", "write", "/missing/file"], timeout=10)
    assert json.loads(r.stdout) == {"ok": False, "errno": 2}
    r = run_command(["chroot", tree, "/usr/local/bin/berth-probe", "write", "/root/file"], timeout=10)
    assert json.loads(r.stdout) == {"ok": True, "errno": 0}
    assert (tree / "root/file").read_text() == "berth-probe\n"


def test_tree_digest():
    with tempfile.TemporaryDirectory() as d:
        Path(d, "f").write_text("x")
        os.symlink("f", Path(d, "l"))
        first = tree_digest(d)
        assert tree_digest(d) == first
        os.chmod(Path(d, "f"), 0o600)
        assert tree_digest(d) != first
        second = tree_digest(d)
        os.remove(Path(d, "l"))
        os.symlink("g", Path(d, "l"))
        assert tree_digest(d) != second


def test_skip_or_fail(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BERTH_TEST_MUST_WORK", raising=False)
    assert not must_work()
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("nothing")
    monkeypatch.setenv("BERTH_TEST_MUST_WORK", "1")
    assert must_work()
    with pytest.raises(pytest.fail.Exception):
        skip_or_fail("nothing")


def test_run_command_timeout():
    assert run_command(["cat"], input="hello").stdout == "hello"
    assert run_command(["cat"]).stdout == ""  # stdin is /dev/null
    with pytest.raises(pytest.fail.Exception, match="Timed out after 0.5s"):
        run_command(["sleep", "30"], timeout=0.5)


def test_leak_detection():
    """The leak check notices a process named berth and a mount with berth in its path."""
    before = _host_state(None)
    tmp = Path(tempfile.mkdtemp(prefix="berth-leak-", dir="/var/tmp"))
    fake = tmp / "berth"
    shutil.copy("/bin/sleep", fake)
    proc = subprocess.Popen([fake, "30"])
    subprocess.run(["mount", "-t", "tmpfs", "none", tmp], check=True)
    try:
        leaked = _new_since(before, _host_state(None))
        assert list(leaked["process"]) == [proc.pid]
        assert list(leaked["mount"]) == [str(tmp)]
        _clean_up(leaked)
        proc.wait(timeout=5)
        assert not any(_new_since(before, _host_state(None)).values())
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["umount", tmp], capture_output=True)
        shutil.rmtree(tmp)
