"""Two labs on one machine share a root bridge: lab B declares lab A's bridge exactly as it is
(unmanaged for B, its pod a port of it). Destroying A hands the bridge over to B (the plan says
so) instead of deleting it: B stays intact, and B's destroy removes it (issue 15, point 9).
Real kernel, sandboxed; checked with `ip -j` and ping."""

from __future__ import annotations

from pathlib import Path

import pytest

from podlabs import pod_on_bridge
from sandbox import Sandbox

pytestmark = pytest.mark.kernel

def lab(name: str, host: int) -> str:
    return pod_on_bridge(name, host, "br-left", "10.66.0")


@pytest.mark.parametrize("first_gone", ["a", "b"])
def test_destroying_a_lab_keeps_what_another_declares(sandbox: Sandbox, tmp_path: Path, first_gone: str) -> None:
    files = {}
    for name, host in (("a", 2), ("b", 3)):
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(lab(name, host))
    before = sandbox.snapshot()
    sandbox.topo("apply", str(files["a"]))
    applied = sandbox.topo("apply", str(files["b"]))
    assert "link br-left" in applied.stdout  # unmanaged for b: a's
    last = "b" if first_gone == "a" else "a"
    gone = sandbox.topo("destroy", str(files[first_gone]))
    if first_gone == "a":
        assert "alias topo:b (lab b declares it: handed over, kept)" in gone.stdout, gone.stdout
    [bridge] = sandbox.ip_json("link", "show", "br-left")
    assert bridge.get("ifalias") == f"topo:{last}"
    plan = sandbox.topo("plan", str(files[last]), check=False)
    assert plan.returncode == 0, plan.stdout
    sandbox.run(["ip", "netns", "exec", f"{last}-pod", "ping", "-c1", "-W2", "10.66.0.1"])
    sandbox.topo("destroy", str(files[last]))
    assert sandbox.snapshot() == before
