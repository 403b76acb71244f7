# Harness for berth's integration tests (run as root; see tools/test-all).
#
# Environment:
#   BERTH_BUILD_DIR       meson build directory (default: <repo>/build)
#   BERTH_TEST_TREE       Debian tree from tools/build-test-trees (default: the cached bookworm tree)
#   CI=true or BERTH_TEST_MUST_WORK=1
#                         a test that would skip fails instead
#
# Fixtures: berth, berthctl, probe (paths in the build dir); cached_tree (the cached tree); tree (a
# per-test writable overlay of it, with the probe as /usr/local/bin/berth-probe); pristine_tree (the
# cached tree itself, checked unchanged afterwards); run_berth(*args).
# Helpers: must_work(), skip_or_fail(reason), tree_digest(path), run_command(cmd); for running
# machines: machine_record(name), machine_processes(name), wait_for_machine(name, comm),
# process_alive(pid).
# After every test, a leak check fails the test if berth left processes, mounts, cgroups, state
# files, network interfaces, nftables tables or loop devices behind (and cleans them up for the next
# test).

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TREE = Path("/var/cache/berth/trees/bookworm/root")
STATE_DIR = Path("/run/berth/machines")
LEAKY_COMMS = {"berth", "berth-probe"}


# ---- skipping ----

def must_work():
    """True when a skip must count as a failure (CI, or BERTH_TEST_MUST_WORK=1)."""
    return os.environ.get("CI") == "true" or os.environ.get("BERTH_TEST_MUST_WORK") == "1"


def skip_or_fail(reason):
    """Skips the test on a developer's machine; fails it where everything must work."""
    if must_work():
        pytest.fail(f"{reason} (a skip counts as a failure with CI=true or BERTH_TEST_MUST_WORK=1)",
                    pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Also catches skips that bypass skip_or_fail (pytest.skip, skipif marks).
    outcome = yield
    report = outcome.get_result()
    if must_work() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped, but CI=true or BERTH_TEST_MUST_WORK=1 requires it to run: {reason}"


# ---- paths ----

def build_dir():
    return Path(os.environ.get("BERTH_BUILD_DIR") or REPO / "build").resolve()


def _built(relpath):
    path = build_dir() / relpath
    if not os.access(path, os.X_OK):
        pytest.fail(f"'{path}' is missing or not executable: build first (meson compile -C build), "
                    "or point BERTH_BUILD_DIR at the build directory", pytrace=False)
    return path


@pytest.fixture(scope="session", autouse=True)
def _require_root():
    if os.geteuid() != 0:
        skip_or_fail("integration tests need root")


@pytest.fixture(scope="session")
def berth():
    return _built("src/berth/berth")


@pytest.fixture(scope="session")
def berthctl():
    return _built("src/berthctl/berthctl")


@pytest.fixture(scope="session")
def probe():
    return _built("tests/integration/berth-probe")


@pytest.fixture(scope="session")
def cached_tree():
    """The cached test tree, read-only by convention (see pristine_tree)."""
    path = Path(os.environ.get("BERTH_TEST_TREE") or DEFAULT_TREE)
    if not (path / "usr").is_dir():
        skip_or_fail(f"no test tree at '{path}': run tools/build-test-trees, set BERTH_TEST_TREE")
    return path


# ---- running berth ----

@pytest.fixture
def run_berth(berth):
    """run_berth(*args, timeout=60, input=None, env=None) -> CompletedProcess (text stdout/stderr).

    No terminal; stdin is /dev/null unless input is given. A timeout kills berth and fails the test.
    """
    def run(*args, timeout=60, input=None, env=None):
        return run_command([berth, *args], timeout=timeout, input=input, env=env)
    return run


def run_command(cmd, timeout=60, input=None, env=None):
    """Runs cmd like run_berth does, for other programs."""
    cmd = [str(c) for c in cmd]
    try:
        return subprocess.run(cmd, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        # subprocess.run has SIGKILLed it by now; the leak check will say what was left.
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        pytest.fail(f"Timed out after {timeout}s, killed: {' '.join(cmd)}\n"
                    f"--- stdout ---\n{out or ''}\n--- stderr ---\n{err or ''}", pytrace=False)


# ---- running machines ----

def make_owned_source(path):
    """A bind source for the ID-mapping tests: path and its file "mine" owned by 1000:1000, its
    file "far" by 70000:70000 (outside any 64K range from 0)."""
    path.mkdir()
    (path / "mine").write_text("x")
    (path / "far").write_text("x")
    os.chown(path, 1000, 1000)
    os.chown(path / "mine", 1000, 1000)
    os.chown(path / "far", 70000, 70000)
    return path


def machine_record(name):
    """The runtime record of running machine name (/run/berth/machines/NAME) as a dict, or None."""
    try:
        text = (STATE_DIR / name).read_text()
    except FileNotFoundError:
        return None
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def process_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def machine_processes(name):
    """{pid: comm} of the live processes in machine name's cgroup (berth's own included)."""
    record = machine_record(name)
    found = {}
    if not record or not record.get("CGROUP"):
        return found
    for dirpath, _, filenames in os.walk(record["CGROUP"]):
        if "cgroup.procs" not in filenames:
            continue
        try:
            pids = Path(dirpath, "cgroup.procs").read_text().split()
        except OSError:
            continue
        for pid in map(int, pids):
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if process_alive(pid):
                found[pid] = comm
    return found


def wait_for_machine(name, comm, proc=None, timeout=15):
    """Waits until a process called comm runs in machine name's cgroup and returns
    machine_processes(name). Fails the test if proc (berth's Popen) ends first, or on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = machine_processes(name)
        if comm in found.values():
            return found
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"berth ended (status {proc.returncode}) before '{comm}' ran in machine "
                        f"'{name}'\n--- stdout ---\n{out}\n--- stderr ---\n{err}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"No process '{comm}' in machine '{name}' after {timeout}s: {found}", pytrace=False)
        time.sleep(0.02)


# ---- trees ----

def tree_digest(path):
    """A hash of the names, types and modes, owners, sizes, mtimes, device numbers and symlink
    targets of path and everything below it. Symlinks are not followed; contents are not read."""
    h = hashlib.sha256()

    def add(full, rel):
        st = os.lstat(full)
        target = os.readlink(full) if stat.S_ISLNK(st.st_mode) else ""
        h.update(os.fsencode(f"{rel}\0{st.st_mode:o}\0{st.st_uid}\0{st.st_gid}\0{st.st_size}\0"
                             f"{st.st_mtime_ns}\0{st.st_rdev}\0{target}\n"))
        if stat.S_ISDIR(st.st_mode):
            for name in sorted(os.listdir(full)):
                add(os.path.join(full, name), f"{rel}/{name}")

    add(os.fspath(path), ".")
    return h.hexdigest()


@pytest.fixture
def pristine_tree(cached_tree):
    """The cached tree itself; the test fails if it changed (it is shared by all tests and runs)."""
    before = tree_digest(cached_tree)
    yield cached_tree
    if tree_digest(cached_tree) != before:
        pytest.fail(f"The cached test tree '{cached_tree}' was modified; rebuild it with "
                    "tools/build-test-trees --rebuild", pytrace=False)


def _mountinfo():
    """[(mount point, fstype)] of this mount namespace, in mount order."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            # Mount points escape space, tab, newline and backslash as octal.
            point = fields[4].encode().decode("unicode_escape").encode("latin-1").decode(errors="replace")
            mounts.append((point, fields[sep + 1]))
    return mounts


def _umount(path, lazy=False):
    args = ["umount", "--recursive", *(["--lazy"] if lazy else []), str(path)]
    return subprocess.run(args, capture_output=True, text=True).returncode == 0


def _umount_retrying(path, tries=10):
    """Unmounts path and everything below it, retrying while it is busy."""
    for _ in range(tries):
        if _umount(path):
            return True
        time.sleep(0.2)
    return False


def _processes_in(path):
    """{pid: description} of the processes whose root or working directory is inside path."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            dirs = [os.readlink(f"/proc/{pid}/{d}") for d in ("root", "cwd")]
            if any(d == str(path) or d.startswith(f"{path}/") for d in dirs):
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
                found[int(pid)] = f"{pid} ({comm})"
        except OSError:
            continue
    return found


@pytest.fixture
def tree(cached_tree, probe, _leak_check):
    """A writable copy of the test tree for this test only: an overlay mounted at
    /var/tmp/berth-test-*/root (upper and work dirs beside it), with the probe installed as
    /usr/local/bin/berth-probe. Unmounted and removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="berth-test-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    upper, work, merged = tmp / "upper", tmp / "work", tmp / "root"
    for d in (upper, work, merged):
        d.mkdir()
    # The overlay's root directory takes its mode and owner from the upper directory.
    st = os.stat(cached_tree)
    os.chmod(upper, stat.S_IMODE(st.st_mode))
    os.chown(upper, st.st_uid, st.st_gid)
    try:
        subprocess.run(["mount", "-t", "overlay", "berth-test-overlay", "-o",
                        f"lowerdir={cached_tree},upperdir={upper},workdir={work}", str(merged)],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        shutil.rmtree(tmp)
        pytest.fail(f"Failed to mount the test overlay at '{merged}': {e.stderr.strip()}", pytrace=False)
    shutil.copy(probe, merged / "usr/local/bin/berth-probe")
    os.chmod(merged / "usr/local/bin/berth-probe", 0o755)

    yield merged

    # Anything mounted below the overlay was left by the test, not by us: report it.
    _leak_check.extend(f"Mount '{point}' ({fstype}) inside the test tree"
                       for point, fstype in _mountinfo() if point.startswith(f"{merged}/"))
    if not _umount_retrying(merged):
        users = _processes_in(merged)
        _leak_check.append(f"Test tree '{merged}' still busy after the test; processes using it: "
                           f"{', '.join(users.values()) or 'none found'}")
        for pid in users:
            os.kill(pid, signal.SIGKILL)
        if not _umount_retrying(merged, tries=5) and not _umount(merged, lazy=True):
            _leak_check.append(f"Could not unmount the test tree '{merged}'")
    if any(point == str(merged) or point.startswith(f"{merged}/") for point, _ in _mountinfo()):
        _leak_check.append(f"Test tree '{merged}' is still mounted; not removing '{tmp}'")
    else:
        shutil.rmtree(tmp)


# ---- leak check ----

def _cgroup_roots():
    """Mount points of the cgroup hierarchies; the cgroup2 one (/sys/fs/cgroup or, on hybrid hosts,
    /sys/fs/cgroup/unified) first."""
    roots = [Path(p) for p, fstype in _mountinfo() if fstype in ("cgroup2", "cgroup")]
    return sorted(roots, key=lambda p: not (p == Path("/sys/fs/cgroup") or p.name == "unified"))


def _host_state(basetemp):
    """What berth might leave behind, as {kind: {key: description}}."""
    state = {"process": {}, "mount": {}, "cgroup": {}, "state file": {}, "network interface": {},
             "nftables table": {}, "loop device": {}}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if comm not in LEAKY_COMMS:
                continue
            stat_fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if stat_fields[0] == "Z":
                continue  # dead; only its parent can reap it
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state["process"][int(pid)] = f"Process {pid} ({comm}): {cmdline.strip()}"
    for point, fstype in _mountinfo():
        if "berth" in point or (basetemp and point.startswith(f"{basetemp}/")):
            state["mount"][point] = f"Mount '{point}' ({fstype})"
    for root in _cgroup_roots():
        for dirpath, dirnames, _ in os.walk(root / "machine.slice"):
            for d in dirnames:
                state["cgroup"][f"{dirpath}/{d}"] = f"Cgroup '{dirpath}/{d}'"
    if STATE_DIR.is_dir():
        for p in STATE_DIR.iterdir():
            state["state file"][str(p)] = f"State file '{p}'"
    for name in os.listdir("/sys/class/net"):
        state["network interface"][name] = f"Network interface '{name}'"
    for family, name in _nft_tables():
        state["nftables table"][f"{family} {name}"] = f"nftables table '{family} {name}'"
    for dev in Path("/sys/block").glob("loop*"):
        backing = dev / "loop/backing_file"
        if backing.exists():
            state["loop device"][dev.name] = f"Loop device /dev/{dev.name} on '{backing.read_text().strip()}'"
    return state


def _nft_tables():
    """[(family, name)] of the host's nftables tables, when nft is installed."""
    if not shutil.which("nft"):
        return []
    r = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True)
    return [tuple(line.split()[1:3]) for line in r.stdout.splitlines() if line.startswith("table ")]


def _new_since(before, after):
    return {kind: {k: v for k, v in items.items() if k not in before[kind]} for kind, items in after.items()}


def _clean_up(leaked):
    """Removes what one test leaked, so the next test starts clean."""
    for pid in leaked["process"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for point in sorted(leaked["mount"], reverse=True):
        _umount(point, lazy=True)
    for cg in sorted(leaked["cgroup"], key=len, reverse=True):
        try:
            for pid in Path(cg, "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        for _ in range(20):
            try:
                os.rmdir(cg)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
    for f in leaked["state file"]:
        Path(f).unlink(missing_ok=True)
    for table in leaked["nftables table"]:
        subprocess.run(["nft", "delete", "table", *table.split()], capture_output=True)
    for name in leaked["network interface"]:
        subprocess.run(["ip", "link", "delete", name], capture_output=True)
    for dev in leaked["loop device"]:
        subprocess.run(["losetup", "--detach", f"/dev/{dev}"], capture_output=True)


@pytest.fixture(autouse=True)
def _leak_check(request, tmp_path_factory):
    """Fails the test if, after it (and after the tree fixture's teardown), anything berth made is
    left on the host that was not there before the test. Fixtures add their own findings to the
    yielded list."""
    basetemp = str(tmp_path_factory.getbasetemp())
    before = _host_state(basetemp)
    found = []
    yield found
    # Give the kernel a moment: exiting processes and their cgroups go away asynchronously.
    deadline = time.monotonic() + 3
    while True:
        leaked = _new_since(before, _host_state(basetemp))
        if not any(leaked.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    # A leaked cgroup tree is reported by its top directory only.
    messages = found + [msg for kind, items in leaked.items() for key, msg in items.items()
                        if kind != "cgroup" or os.path.dirname(key) not in items]
    if messages:
        _clean_up(leaked)
        pytest.fail("Left behind after the test (now cleaned up):\n  " + "\n  ".join(messages),
                    pytrace=False)
