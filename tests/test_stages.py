"""Lesson stages on a real kernel (in sandboxes): going from one stage to another, forward or
back, leaves the machine as a fresh apply of the target stage does (`ip -j -d` link, addr and
route in every namespace); `--reset` rebuilds from nothing; `topo stages` marks the stage the
lab is at; `check --stage` runs that stage's checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox import REPO, Sandbox

LAB = str(REPO / "topologies" / "15-workshop-stages.yaml")

VARYING = ("ifindex", "link_index", "link_netnsid", "stats", "stats64", "address", "perm_address", "bridge_id",
           "root_id", "designated_root", "designated_bridge")
"""What differs between two sandboxes whatever topo does: ifindexes, counters and MACs (and
the bridge and port identities made of them)."""
TIMERS = ("timer", "_life_time")


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k not in VARYING and not any(t in k for t in TIMERS)}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    if isinstance(value, str) and value.startswith("fe80:") and "/" not in value:
        return "fe80::(link-local)"  # an address made of the MAC (an address, a local route's dst)
    return value


def settled(box: Sandbox) -> None:
    """Until no address is tentative (IPv6 DAD) in any namespace."""
    box.run(["sh", "-c", "for i in $(seq 100); do t=$(ip -6 -all netns exec ip -6 addr show tentative; "
                         "ip -6 addr show tentative); echo \"$t\" | grep -q inet6 || exit 0; sleep 0.1; done; exit 1"])


def kernel_view(box: Sandbox) -> dict[str, Any]:
    """Every namespace's links, addresses and routes (all tables), as `ip -j -d` says, normalised."""
    settled(box)
    spaces = sorted(box.run(["ls", "-A", "/run/netns"]).stdout.split())
    out: dict[str, Any] = {"namespaces": spaces}
    for ns in (None, *spaces):
        routes = [sorted(_normalised(box.ip_json(f, "route", "show", "table", "all", netns=ns)), key=repr)
                  for f in ("-4", "-6")]
        out[ns or "(root)"] = {"links": _normalised(box.ip_json("-d", "link", "show", netns=ns)),
                               "addresses": _normalised(box.ip_json("-d", "addr", "show", netns=ns)),
                               "routes": routes}
    return out


def fresh_view(tmp_path: Path, stage: str) -> dict[str, Any]:
    other = Sandbox(tmp_path / f"fresh-{stage}").start()
    try:
        other.topo("apply", LAB, "--stage", stage, "-q")
        return kernel_view(other)
    finally:
        other.close()


def current(box: Sandbox) -> str | None:
    doc = json.loads(box.topo("stages", LAB, "-o", "json").stdout)
    marked = [s["name"] for s in doc["stages"] if s["current"]]
    assert marked == ([doc["current"]] if doc["current"] else [])
    return doc["current"]


@pytest.mark.parametrize("start,target", [("cni0", "pause"), ("pause", "cni0"), ("pod-to-pod", "veth"),
                                          ("base", "pod-to-pod")])
def test_a_stage_reached_from_another_is_a_fresh_apply_of_it(sandbox: Sandbox, tmp_path: Path, start: str,
                                                              target: str) -> None:
    sandbox.topo("apply", LAB, "--stage", start, "-q")
    assert current(sandbox) == start
    before = kernel_view(sandbox)
    moved = sandbox.topo("apply", LAB, "--stage", target)
    assert "Apply complete" in moved.stdout
    assert current(sandbox) == target
    after = kernel_view(sandbox)
    assert after != before
    assert after == fresh_view(tmp_path, target)
    assert sandbox.topo("plan", LAB, "--stage", target, check=False).returncode == 0
    assert sandbox.topo("plan", LAB, "--stage", start, check=False).returncode == 2


def test_reset_rebuilds_the_stage_from_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB, "--stage", "pod-to-pod", "-q")
    pids = set(sandbox.run(["ip", "netns", "pids", "pod"]).stdout.split())
    assert len(pids) >= 2  # the pod's two servers (and what runs them)
    sandbox.topo("apply", LAB, "--stage", "cni0", "-q")  # without --reset the pod and its processes stay
    assert set(sandbox.run(["ip", "netns", "pids", "pod"]).stdout.split()) == pids
    back = sandbox.topo("apply", LAB, "--stage", "veth", "--reset")
    assert "Reset: lab workshop destroyed" in back.stderr
    again = set(sandbox.run(["ip", "netns", "pids", "pod"]).stdout.split())
    assert len(again) == len(pids) and not again & pids  # the lab was made anew: new servers
    assert current(sandbox) == "veth"
    assert kernel_view(sandbox) == fresh_view(tmp_path, "veth")


def test_stages_lists_every_stage_and_marks_the_current_one(sandbox: Sandbox) -> None:
    assert current(sandbox) is None  # never applied
    listed = sandbox.topo("stages", LAB).stdout.splitlines()
    assert [line.split()[0] for line in listed[:5]] == ["base", "pause", "veth", "cni0", "pod-to-pod"]
    sandbox.topo("apply", LAB, "-q")  # no --stage: the base lab
    assert current(sandbox) == "base"
    sandbox.topo("apply", LAB, "--stage", "cni0", "-q")
    marked = [line for line in sandbox.topo("stages", LAB).stdout.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and marked[0].split()[1] == "cni0"
    sandbox.topo("destroy", LAB, "-q")
    assert current(sandbox) is None


def _checks(box: Sandbox, *stage: str) -> dict[str, bool]:
    res = box.topo("check", LAB, *stage, "-o", "json", check=False)
    doc = json.loads(res.stdout)
    results = {r["name"]: r["result"] == "passed" for r in doc["checks"]}
    assert res.returncode == (0 if all(results.values()) else 1)
    return results


def test_check_stage_runs_the_checks_of_that_stage(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB, "--stage", "veth", "-q")
    assert _checks(sandbox) == {"web-on-lo": True, "own-name": True}
    assert _checks(sandbox, "--stage", "veth") == {"web-on-lo": True, "own-name": True, "sidecar-on-lo": True,
                                                  "node-to-pod": True}
    # the checks of a later stage really run, and those of the second pod fail at this one (the
    # gateway answers: at `veth` the node's end of the veth holds its address)
    later = _checks(sandbox, "--stage", "pod-to-pod")
    assert later == {"web-on-lo": True, "own-name": True, "sidecar-on-lo": True, "node-to-pod": True,
                     "pod-to-gateway": True, "pod-to-pod": False, "pod-b-to-pod": False}
    sandbox.topo("apply", LAB, "--stage", "pod-to-pod", "-q")
    assert all(_checks(sandbox, "--stage", "pod-to-pod").values())
    # and back at `pause`, the veth's check fails: it is gone
    sandbox.topo("apply", LAB, "--stage", "pause", "-q")
    assert _checks(sandbox, "--stage", "veth")["node-to-pod"] is False
