# Shell completions (shell-completion/): options, enum values, machine names and the command's own
# arguments, asked of bash, zsh and fish the way they ask when the user presses Tab.

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import REPO, skip_or_fail

COMPLETIONS = REPO / "shell-completion"
BASH_DRIVER = r'''
source /usr/share/bash-completion/bash_completion
source "$1"
line=$2
COMP_LINE=$line COMP_POINT=${#line}
read -ra COMP_WORDS <<< "$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
"_${COMP_WORDS[0]}" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


@pytest.fixture
def machine():
    """A machine directory in /var/lib/machines, for completing machine names."""
    name = f"berth-compl-{uuid.uuid4().hex[:8]}"
    path = Path("/var/lib/machines") / name
    path.mkdir(parents=True)
    (path / "usr").mkdir()
    yield name
    shutil.rmtree(path)


def need(program, path=None):
    if not shutil.which(program) or (path and not os.path.exists(path)):
        skip_or_fail(f"{program} is not installed (tools/install-deps --test installs it)")


def bash_complete(line):
    need("bash", "/usr/share/bash-completion/bash_completion")
    r = subprocess.run(["bash", "-c", BASH_DRIVER, "bash", COMPLETIONS / "bash" / line.split()[0], line],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def fish_complete(line):
    need("fish")
    script = f"source {COMPLETIONS / 'fish' / (line.split()[0] + '.fish')}; complete -C {shlex_quote(line)}"
    r = subprocess.run(["fish", "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return {row.split("\t")[0] for row in r.stdout.splitlines()}


def shlex_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.parametrize("complete", [bash_complete, fish_complete], ids=["bash", "fish"])
def test_options_values_and_machines(complete, machine):
    assert {"--volatile", "--version"} <= {w.rstrip("=") for w in complete("berth --v")}
    assert {"--boot", "--link-journal", "--notify-ready", "--keep-unit"} <= \
        {w.rstrip("=") for w in complete("berth --")}
    assert {"--volatile=no", "--volatile=yes", "--volatile=state", "--volatile=overlay"} <= \
        {w if w.startswith("--") else f"--volatile={w}" for w in complete("berth --volatile=")}
    assert {"interactive", "read-only", "passive", "pipe", "autopipe"} <= complete("berth --console ")
    assert {"try-guest", "host", "auto"} <= complete("berth --link-journal ")
    assert machine in complete("berth -M ")
    assert machine in complete("berth --machine ")


@pytest.mark.parametrize("complete", [bash_complete, fish_complete], ids=["bash", "fish"])
def test_security_and_settings_values(complete):
    def values(line):
        return {w.partition("=")[2] if w.startswith("--") else w for w in complete(line)}
    assert {"yes", "no", "override", "trusted"} <= values("berth --settings=")
    assert {"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG"} == values("berth --capability=CAP_SYS_T")
    assert "all" in values("berth --drop-capability=")
    assert {"@swap", "~@swap"} <= values("berth --system-call-filter=") | values("berth --system-call-filter=~")
    assert "NOFILE=" in values("berth --rlimit=NO")
    assert {"x86", "x86-64"} <= values("berth --personality=")


@pytest.mark.parametrize("complete", [bash_complete, fish_complete], ids=["bash", "fish"])
def test_berthctl_verbs_options_and_names(complete, berthctl, machine):
    # Every command berthctl --help lists is offered; image names after an image command, and only
    # running machines after a machine command (the image directory is no running machine).
    help_text = subprocess.run([berthctl, "--help"], capture_output=True, text=True, check=True).stdout
    verbs = {word for line in help_text.splitlines() if line.startswith("  ") and not line.lstrip().startswith("-")
             for word in line.split()[0].split("|")}
    assert {"list", "bind", "copy-to", "import-tar"} <= verbs
    assert verbs <= complete("berthctl ")
    assert {"--read-only", "--mkdir", "--kill-whom"} <= {w.rstrip("=") for w in complete("berthctl --")}
    assert machine in complete("berthctl clone ")
    assert machine not in complete("berthctl bind ")


@pytest.mark.parametrize("complete", [bash_complete, fish_complete], ids=["bash", "fish"])
def test_command_arguments_are_the_commands(complete, cached_tree):
    # After the command, the command's own completion takes over: berth's options are not offered.
    words = complete(f"berth -D {cached_tree} ls --colo")
    assert "--boot" not in words
    assert any(w.startswith("--color") for w in words), words


# zsh completes only in an interactive line editor: drive one in a zpty, press Tab after $2 and
# read until $3 shows up in the listing (or give up after a few seconds).
ZSH_DRIVER = r'''
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -U compinit && compinit -u -D; PS1='%% '; zstyle ':completion:*' menu no"
zpty -w -n z "$2"$'\t'
out=
for i in {1..100}; do
  if zpty -r -t z line; then out+=$line; else sleep 0.1; fi
  [[ $out == *"$3"* ]] && break
done
zpty -d z
print -r -- "$out"
'''


def zsh_listing(line, until):
    need("zsh")
    r = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER, "zsh", COMPLETIONS / "zsh", line, until],
                       capture_output=True, text=True, timeout=60)
    # The typed lines hold none of the words looked for, so these can only come from the listing.
    return r.stdout, r


def test_zsh_completes_values_and_machines(machine):
    listing, r = zsh_listing("berth --volatile=", "overlay")
    assert "overlay" in listing and "state" in listing, r.stdout + r.stderr
    listing, r = zsh_listing("berth -M ", machine)
    assert machine in listing, r.stdout + r.stderr
