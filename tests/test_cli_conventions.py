"""The CLI conventions of issue 20: the README's commands as root without sudo (and through
sudo otherwise), the demo's setup without the test tools, `topo ls`."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from sandbox import REPO, Sandbox

PROBE = 'set -eu\ncd "$(dirname "$0")/.."\n. scripts/as-root.sh\necho "ran as $(id -u) with $*"\n'
NOBODY = [shutil.which("setpriv") or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def probe_tree() -> Iterator[Path]:
    """A copy of scripts/as-root.sh with a script sourcing it, readable by an unprivileged user,
    and a bin directory for the PATH (bash and the few tools, no sudo)."""
    top = Path(tempfile.mkdtemp(prefix="topo-as-root-"))
    try:
        (top / "scripts").mkdir()
        shutil.copy(REPO / "scripts" / "as-root.sh", top / "scripts" / "as-root.sh")
        (top / "scripts" / "probe.sh").write_text(PROBE)
        (top / "bin").mkdir()
        for tool in ("bash", "id", "dirname", "basename"):
            found = shutil.which(tool)
            assert found is not None
            (top / "bin" / tool).symlink_to(found)
        for path in (top, top / "scripts", top / "bin"):
            path.chmod(0o755)
        yield top
    finally:
        shutil.rmtree(top)


def run_probe(top: Path, as_nobody: bool) -> subprocess.CompletedProcess[str]:
    argv = [*(NOBODY if as_nobody else []), str(top / "bin" / "bash"), "scripts/probe.sh", "one"]
    return subprocess.run(argv, cwd=top, env={"PATH": str(top / "bin")}, capture_output=True, text=True, timeout=30)


def test_scripts_run_as_root_without_sudo(probe_tree: Path) -> None:
    res = run_probe(probe_tree, as_nobody=False)
    assert res.returncode == 0 and res.stdout == "ran as 0 with one\n", res.stderr


def test_scripts_without_root_and_without_sudo_say_how(probe_tree: Path) -> None:
    res = run_probe(probe_tree, as_nobody=True)
    assert res.returncode == 1 and "probe.sh: needs root, and sudo is not installed" in res.stderr
    assert res.stdout == ""


def test_scripts_without_root_go_through_sudo(probe_tree: Path) -> None:
    fake = probe_tree / "bin" / "sudo"
    fake.write_text('#!' + str(probe_tree / "bin" / "bash") + '\necho "sudo $*"\n')
    fake.chmod(0o755)
    res = run_probe(probe_tree, as_nobody=True)
    assert res.returncode == 0 and res.stdout == f"sudo -- bash {probe_tree}/scripts/probe.sh one\n", res.stderr


def test_readme_scripts_use_it() -> None:
    for script in ("demo.sh", "test.sh"):
        text = (REPO / "scripts" / script).read_text()
        assert ". scripts/as-root.sh" in text and "sudo bash" not in text
    assert "bash scripts/setup.sh --demo" in (REPO / "scripts" / "demo.sh").read_text()


def test_demo_setup_installs_no_test_tools() -> None:
    def listed(*args: str) -> set[str]:
        out = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh"), *args, "--list"], capture_output=True,
                             text=True, check=True).stdout
        return set(out.split())

    demo, full = listed("--demo"), listed()
    assert {"iproute2", "python3-venv", "tcpdump"} <= demo
    assert not demo & {"chromium", "mininet", "nodejs", "openssh-server", "strace", "graphviz"}
    assert demo < full and {"chromium", "mininet", "openssh-server"} <= full


@pytest.mark.kernel
def test_ls_lists_every_lab_with_its_status(sandbox: Sandbox) -> None:
    import yaml

    from conftest import example

    assert sandbox.topo("ls").stdout == "No labs recorded on this machine.\n"
    assert json.loads(sandbox.topo("ls", "--json").stdout) == []
    sandbox.topo("apply", example("03"))
    sandbox.topo("apply", example("04"))
    rows = {r["lab"]: r for r in json.loads(sandbox.topo("ls", "-o", "json").stdout)}
    assert set(rows) == {"veth-by-hand", "kindnet"}
    kind = rows["kindnet"]
    assert kind["file"] == str(Path(example("04")).resolve()) and kind["namespaces"] == 3 and kind["links"] == 3
    assert kind["status"] == "in sync" and rows["veth-by-hand"]["status"] == "in sync"
    assert yaml.safe_load(sandbox.topo("ls", "-o", "yaml").stdout) == list(rows.values())
    sandbox.run(["ip", "link", "set", "veth-a", "down"])  # behind topo's back
    rows = {r["lab"]: r for r in json.loads(sandbox.topo("ls", "--json").stdout)}
    assert rows["kindnet"]["status"] == "drift" and rows["kindnet"]["changes"] >= 1
    assert rows["veth-by-hand"]["status"] == "in sync"
    assert sandbox.topo("plan", example("04"), check=False).returncode == 2  # plan agrees
    sandbox.run(["rm", "/var/lib/topo/labs/veth-by-hand.applied.yaml"])  # as after an interrupted apply
    table = sandbox.topo("ls", "-o", "wide").stdout
    line = next(x for x in table.splitlines() if x.startswith("veth-by-hand"))
    assert line.split()[-1] == "partial" and "CHANGES" in table
    assert next(x for x in table.splitlines() if x.startswith("kindnet")).split()[-1] == "drift"


@pytest.mark.kernel
def test_show_and_check_output_formats(sandbox: Sandbox) -> None:
    import yaml

    from conftest import example

    sandbox.topo("apply", example("03"))
    as_json = json.loads(sandbox.topo("show", example("03"), "--json").stdout)
    assert json.loads(sandbox.topo("show", example("03"), "-o", "json").stdout) == as_json
    assert yaml.safe_load(sandbox.topo("show", example("03"), "-o", "yaml").stdout) == as_json
    assert any(r["interface"] == "h6902" for r in as_json["interfaces"])
    assert "lab-docker0" in sandbox.topo("show", example("03"), "-o", "wide").stdout
    checks = json.loads(sandbox.topo("check", example("03"), "--json").stdout)
    assert yaml.safe_load(sandbox.topo("check", example("03"), "-o", "yaml").stdout)["lab"] == checks["lab"]
    bad = sandbox.topo("show", example("03"), "-o", "xml", check=False)
    assert bad.returncode == 2 and "'xml' is not one of" in bad.stderr


@pytest.mark.kernel
def test_plan_output_formats(sandbox: Sandbox) -> None:
    import yaml

    from conftest import example

    as_json = sandbox.topo("plan", example("03"), "--json", check=False)
    as_yaml = sandbox.topo("plan", example("03"), "-o", "yaml", check=False)
    assert as_json.returncode == as_yaml.returncode == 2
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout) == json.loads(
        sandbox.topo("plan", example("03"), "-o", "json", check=False).stdout)
    assert "create-namespace" in as_yaml.stdout
    assert "container" in sandbox.topo("plan", example("03"), "-o", "wide", check=False).stdout


@pytest.mark.kernel
def test_completion_of_lab_names_and_namespaces(sandbox: Sandbox) -> None:
    from conftest import example


    sandbox.topo("apply", example("03"))
    sandbox.topo("apply", example("04"))

    def complete(words: str) -> list[str]:
        env = {"_TOPO_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        out = sandbox.run(["env", *(f"{k}={v}" for k, v in env.items()), TOPO_BIN], check=False).stdout
        return [line.split(",", 1)[1] for line in out.splitlines()]

    assert complete("topo destroy --lab kind") == ["kindnet"]
    assert complete("topo exec cni-pod-") == ["cni-pod-a", "cni-pod-b", "cni-pod-c"]
    assert complete("topo exec cont") == ["container"]


TOPO_BIN = str(REPO / ".venv" / "bin" / "topo")
