"""The node's filesystem roots are passed explicitly (provisioner/roots.py), never read at import.

Importing every provisioner module with the TOPO_* variables pointing elsewhere leaves every
module attribute as it is without them; the CLI reads the variables once per command and the
paths it is given are the ones apply, plan and destroy use: the record, the lock, the hosts
files and the pinned namespaces land under them, and nothing under the system's paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import example
from provisioner.diagnostics import TopoError
from provisioner.roots import ENVIRONMENT, Roots
from sandbox import REPO, TOPO, Sandbox

ELSEWHERE = "/nonexistent-topo-roots"

ATTRIBUTES = r"""
import importlib, json, pkgutil, types
import provisioner

out = {}
for info in pkgutil.walk_packages(provisioner.__path__, "provisioner."):
    if info.name.endswith("__main__"):
        continue
    module = importlib.import_module(info.name)
    for name, value in vars(module).items():
        if name.startswith("__") or callable(value) or isinstance(value, types.ModuleType):
            continue
        text = repr(value)
        if " at 0x" not in text:
            out[f"{info.name}.{name}"] = text
print(json.dumps(out, sort_keys=True))
"""


def _module_attributes(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {var for var, _ in ENVIRONMENT.values()}}
    res = subprocess.run([sys.executable, "-c", ATTRIBUTES], capture_output=True, text=True, cwd=REPO, check=True,
                         env={**env, "PYTHONHASHSEED": "0", **extra})
    return json.loads(res.stdout)


def test_importing_reads_no_root_from_the_environment() -> None:
    plain = _module_attributes({})
    moved = _module_attributes({var: f"{ELSEWHERE}/{name}" for name, (var, _) in ENVIRONMENT.items()})
    assert len(plain) > 100  # the modules were imported and their constants seen
    assert [k for k, v in moved.items() if ELSEWHERE in v] == []
    assert moved == plain


def test_roots_from_the_environment() -> None:
    assert Roots.from_environ({}) == Roots(Path("/var/lib/topo"), Path("/etc/netns"), Path("/etc/hosts"),
                                           Path("/run/topo"), Path("/run/netns"))
    moved = Roots.from_environ({"TOPO_STATE_DIR": "/srv/state", "TOPO_NETNS_DIR": "/srv/netns", "HOME": "/root"})
    assert (moved.state, moved.netns_run, moved.etc_hosts) == (Path("/srv/state"), Path("/srv/netns"), Path("/etc/hosts"))
    for var in ("TOPO_RUN_DIR", "TOPO_ETC_HOSTS"):
        with pytest.raises(TopoError, match=f"{var} must be an absolute path, not 'relative/dir'"):
            Roots.from_environ({var: "relative/dir"})
    with pytest.raises(TopoError, match="the state root must be an absolute path"):
        Roots(Path("state"), Path("/a"), Path("/b"), Path("/c"), Path("/d"))


def _exists(box: Sandbox, *paths: str | Path) -> list[bool]:
    out = box.run(["sh", "-c", 'for p; do [ -e "$p" ] && echo yes || echo no; done', "sh", *map(str, paths)]).stdout
    return [line == "yes" for line in out.split()]


@pytest.mark.kernel
def test_apply_and_destroy_honour_other_roots(sandbox: Sandbox, tmp_path: Path) -> None:
    """A lab with hosts files and processes, with the record, the lock and both hosts roots moved."""
    alt = tmp_path / "roots"
    alt.mkdir()
    (alt / "hosts").write_text("127.0.0.1\tlocalhost\n# the moved file's own line\n")
    env = {"TOPO_STATE_DIR": str(alt / "state"), "TOPO_RUN_DIR": str(alt / "run"),
           "TOPO_ETC_HOSTS": str(alt / "hosts"), "TOPO_ETC_NETNS": str(alt / "netns")}
    lab = example("06")
    system_hosts = sandbox.run(["cat", "/etc/hosts"]).stdout
    sandbox.run([TOPO, "apply", lab], env=env)
    record = json.loads((alt / "state" / "labs" / "node-to-pod.json").read_text())
    assert sorted(record["namespaces"]) == ["pod-httpd", "pod-nginx"]
    assert sorted(os.listdir(alt / "state" / "procs" / "node-to-pod")) == ["pod-httpd.httpd.json", "pod-nginx.nginx.json"]
    assert (alt / "run" / "lock").is_file()
    assert "pod-nginx" in (alt / "netns" / "pod-httpd" / "hosts").read_text()
    hosts = (alt / "hosts").read_text()
    assert hosts.startswith("127.0.0.1\tlocalhost\n# the moved file's own line\n# BEGIN topo lab node-to-pod ")
    assert _exists(sandbox, "/var/lib/topo/labs", "/var/lib/topo/procs", "/etc/netns/pod-httpd") == [False, False, False]
    assert sandbox.run(["cat", "/etc/hosts"]).stdout == system_hosts
    assert sandbox.run([TOPO, "plan", lab], env=env, check=False).returncode == 0  # nothing left to do, there
    sandbox.run([TOPO, "destroy", lab], env=env)
    assert not (alt / "state" / "labs" / "node-to-pod.json").exists() and not (alt / "netns" / "pod-httpd").exists()
    assert (alt / "hosts").read_text() == "127.0.0.1\tlocalhost\n# the moved file's own line\n"
    assert sandbox.run(["ip", "netns", "list"]).stdout == ""


@pytest.mark.kernel
def test_namespaces_are_pinned_under_the_netns_root_given(sandbox: Sandbox, tmp_path: Path) -> None:
    pinned = tmp_path / "netns"
    env = {"TOPO_NETNS_DIR": str(pinned), "TOPO_STATE_DIR": str(tmp_path / "state")}
    lab = example("05")
    sandbox.run([TOPO, "apply", lab], env=env)
    record = tmp_path / "state" / "labs" / "flannel.json"
    names = sorted(os.listdir(pinned))
    assert names == sorted(json.loads(record.read_text())["namespaces"])
    assert names and sandbox.run(["ls", "-A", "/run/netns"]).stdout == ""
    ours = sandbox.run(["readlink", "/proc/self/ns/net"]).stdout
    inside = sandbox.run(["nsenter", f"--net={pinned / names[0]}", "readlink", "/proc/self/ns/net"]).stdout
    assert inside != ours  # a namespace of its own is pinned there
    assert sandbox.run([TOPO, "plan", lab], env=env, check=False).returncode == 0
    sandbox.run([TOPO, "destroy", lab], env=env)
    assert os.listdir(pinned) == [] and not record.exists()


@pytest.mark.kernel
def test_a_relative_root_is_refused_with_a_clear_message(sandbox: Sandbox) -> None:
    res = sandbox.run([TOPO, "destroy", "--lab", "x"], env={"TOPO_STATE_DIR": "var/lib/topo"}, check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "error: TOPO_STATE_DIR must be an absolute path, not 'var/lib/topo'"
