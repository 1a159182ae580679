"""bench/baselines/floor.c builds exactly what `topo apply` builds for bench/labs.py's pods_lab,
and its teardown leaves nothing (checked with `ip -j` and the hosts files, never with topo)."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox import REPO, Sandbox

sys.path.insert(0, str(REPO / "bench"))
from labs import pods_lab  # noqa: E402

N = 5
NAMESPACES = [f"pod-{i}" for i in range(N)]
# what differs between two builds of the same state: indexes, MACs (and what derives from
# them: bridge ids, link-local addresses), port numbers, timers, counters, DAD's progress
VOLATILE = {"ifindex", "link_index", "address", "link_netnsid", "stats", "stats64", "bridge_id", "root_id", "id", "no",
            "designated_port", "hold_timer", "message_age_timer", "forward_delay_timer", "gc_timer", "hello_timer",
            "tcn_timer", "topology_change_timer", "tentative", "valid_life_time", "preferred_life_time", "flags"}


def normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        items = [normal(v) for v in value if not (isinstance(v, dict) and str(v.get("local", "")).startswith("fe80:"))]
        return sorted(items, key=repr)
    return value


def state(box: Sandbox) -> dict[str, Any]:
    """Links (with details: bridge ports, MTUs, up state), addresses and routes of the root
    and every pod namespace, and the pods' hosts files."""
    out: dict[str, Any] = {"netns": sorted(box.run(["ls", "/run/netns"]).stdout.split())}
    for ns in (None, *NAMESPACES):
        where = ns or "root"
        out[where] = {
            "links": box.ip_json("-d", "link", "show", netns=ns),
            "up": box.run(["ip", "-o"] + (["-n", ns] if ns else []) + ["link", "show", "up"]).stdout.count("\n"),
            "addrs": box.ip_json("addr", "show", netns=ns),
            "routes4": box.ip_json("-4", "route", "show", "table", "all", netns=ns),
            "routes6": [r for r in box.ip_json("-6", "route", "show", "table", "all", netns=ns)
                        if not str(r.get("dst", "")).startswith("fe80:")],
        }
        if ns:
            out[where]["hosts"] = box.run(["cat", f"/etc/netns/{ns}/hosts"]).stdout
    return normal(out)


def settled(box: Sandbox) -> None:
    """Wait (at most 5 s) for the kernel's link watch to turn cni0's operstate UP: it does so
    asynchronously, after the ports come up, whoever made them."""
    for _ in range(50):
        if box.ip_json("link", "show", "cni0")[0]["operstate"] == "UP":
            return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    binary = tmp_path_factory.mktemp("floor") / "floor"
    subprocess.run([cc, "-O2", "-Wall", "-Werror", "-o", str(binary), str(REPO / "bench" / "baselines" / "floor.c")], check=True)
    return str(binary)


def test_floor_builds_what_topo_builds_and_tears_it_down(sandbox: Sandbox, floor: str, tmp_path: Path) -> None:
    lab = tmp_path / "pods.yaml"
    lab.write_text(pods_lab(N))
    empty = sandbox.snapshot()
    sandbox.topo("apply", "-q", str(lab))
    settled(sandbox)
    by_topo = state(sandbox)
    sandbox.topo("destroy", "-q", str(lab))
    assert sandbox.snapshot() == empty
    sandbox.run([floor, "build", str(N)])
    settled(sandbox)
    by_floor = state(sandbox)
    for where in by_topo:
        a, b = (json.dumps(x[where], indent=1, sort_keys=True).splitlines() for x in (by_topo, by_floor))
        assert a == b, "\n".join(difflib.unified_diff(a, b, "topo", "floor", lineterm=""))
    assert len(by_floor["root"]["links"]) == N + 2  # lo, cni0 and the veths: the test can see a difference
    read = sandbox.run([floor, "read"]).stdout.split()
    assert read[:2] == ["namespaces", str(N)]
    sandbox.run([floor, "teardown"])
    assert sandbox.snapshot() == empty
