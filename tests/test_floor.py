"""bench/baselines/floor.c builds exactly what `topo apply` builds for bench/labs.py's pods_lab,
and its teardown leaves nothing (checked with `ip -j` and the hosts files, never with topo);
past 1,000 pods on bridges cni0, cni1, ... of at most 1,000 ports, as labs.py counts them."""

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


def state(box: Sandbox, namespaces: list[str] = NAMESPACES, kernel_routes6: bool = True) -> dict[str, Any]:
    """Links (with details: bridge ports, MTUs, up state), addresses and routes of the root
    and every one of `namespaces`, their hosts files, and which namespaces exist.
    `kernel_routes6=False`: leave out the IPv6 routes the kernel adds itself (see BIG)."""
    out: dict[str, Any] = {"netns": sorted(box.run(["ls", "/run/netns"]).stdout.split())}
    for ns in (None, *namespaces):
        where = ns or "root"
        out[where] = {
            "links": box.ip_json("-d", "link", "show", netns=ns),
            "up": box.run(["ip", "-o"] + (["-n", ns] if ns else []) + ["link", "show", "up"]).stdout.count("\n"),
            "addrs": box.ip_json("addr", "show", netns=ns),
            "routes4": box.ip_json("-4", "route", "show", "table", "all", netns=ns),
            "routes6": [r for r in box.ip_json("-6", "route", "show", "table", "all", netns=ns)
                        if not str(r.get("dst", "")).startswith("fe80:") and (kernel_routes6 or r.get("protocol") != "kernel")],
        }
        if ns:
            out[where]["hosts"] = box.run(["cat", f"/etc/netns/{ns}/hosts"]).stdout
    return normal(out)


def settled(box: Sandbox) -> None:
    """Wait (at most 10 s) for the kernel's link watch to turn every cni bridge's operstate UP:
    it does so asynchronously, after the ports come up, whoever made them."""
    for _ in range(100):
        if all(link["operstate"] == "UP" for link in box.ip_json("link", "show", "type", "bridge")):
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


def hosts_files(box: Sandbox) -> str:
    """Every pod's hosts file, each after its name (one process for all of them)."""
    return box.run(["sh", "-c", "tail -n +1 /etc/netns/*/hosts"]).stdout


def build_both(box: Sandbox, floor: str, lab: Path, n: int, namespaces: list[str],
               kernel_routes6: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state topo's apply makes, then (after topo's destroy left nothing) the floor's build's;
    `hosts` holds every pod's hosts file."""
    lab.write_text(pods_lab(n))
    empty = box.snapshot()
    box.topo("apply", "-q", str(lab), timeout=600)
    settled(box)
    by_topo = {**state(box, namespaces, kernel_routes6), "hosts": hosts_files(box)}
    box.topo("destroy", "-q", str(lab), timeout=600)
    assert box.snapshot() == empty
    box.run([floor, "build", str(n)], timeout=600)
    settled(box)
    by_floor = {**state(box, namespaces, kernel_routes6), "hosts": hosts_files(box)}
    for where in by_topo:
        a, b = (json.dumps(x[where], indent=1, sort_keys=True).splitlines() for x in (by_topo, by_floor))
        assert a == b, "\n".join(difflib.unified_diff(a, b, "topo", "floor", lineterm=""))
    return by_topo, by_floor


def test_floor_builds_what_topo_builds_and_tears_it_down(sandbox: Sandbox, floor: str, tmp_path: Path) -> None:
    empty = sandbox.snapshot()
    _, by_floor = build_both(sandbox, floor, tmp_path / "pods.yaml", N, NAMESPACES)
    assert len(by_floor["root"]["links"]) == N + 2  # lo, cni0 and the veths: the test can see a difference
    read = sandbox.run([floor, "read"]).stdout.split()
    assert read[:2] == ["namespaces", str(N)]
    sandbox.run([floor, "teardown"])
    assert sandbox.snapshot() == empty


# two bridges: cni0 with 1,000 ports, cni1 with 100. With 1,100 links coming up the kernel's
# IPv6 autoconfiguration adds its own multicast and link-local routes for seconds, and a dump
# meanwhile lists some of them (some twice): those routes follow from the links being up, which
# is compared, so the kernel's own IPv6 routes are left out here.
BIG = 1100
EDGES = ["pod-0", "pod-999", "pod-1000", f"pod-{BIG - 1}"]  # first and last pod of each bridge


def test_floor_builds_two_bridges_past_1000_pods_as_topo_does(sandbox: Sandbox, floor: str, tmp_path: Path) -> None:
    """Every root link (both bridges, each veth's master, MTU, up state), address and route, every
    namespace and hosts file, and the full state of the first and last pod on each bridge."""
    empty = sandbox.snapshot()
    _, by_floor = build_both(sandbox, floor, tmp_path / "pods.yaml", BIG, EDGES, kernel_routes6=False)
    bridges = sandbox.ip_json("-d", "link", "show", "type", "bridge")
    assert sorted(b["ifname"] for b in bridges) == ["cni0", "cni1"]
    masters = {p["ifname"]: p.get("master") for p in sandbox.ip_json("link", "show", "type", "veth")}
    assert masters == {f"veth{i}": f"cni{i // 1000}" for i in range(BIG)}
    assert len(by_floor["netns"]) == BIG
    pod = by_floor["pod-1000"]["addrs"]
    assert any(a.get("local") == "10.1.0.2" for i in pod for a in i.get("addr_info", []))
    assert [r.get("gateway") for r in by_floor["pod-1000"]["routes4"] if r.get("dst") == "default"] == ["10.1.0.1"]
    sandbox.run([floor, "teardown"], timeout=600)
    assert sandbox.snapshot() == empty
