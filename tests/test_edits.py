"""Edits of a lab and changes behind topo's back that make the plan remake links: one apply
converges, with everything the kernel removed with the old link (addresses, routes) set again
in the same plan. Real kernel, sandboxed; checked with `ip -j` and `ping`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import example
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = example("05")
LAB_NAME = "flannel"


def default_route(box: Sandbox, netns: str) -> list[dict]:
    return [r for r in box.ip_json("route", "show", netns=netns) if r.get("dst") == "default"]


def converges_in_one_apply(box: Sandbox, path: str) -> None:
    applied = box.topo("apply", path, check=False)
    assert applied.returncode == 0 and "verified" in applied.stdout, applied.stdout + applied.stderr
    clean = box.topo("plan", path, check=False)
    assert clean.returncode == 0, clean.stdout


def test_interface_renamed_in_the_file_keeps_its_routes(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", LAB)
    text = (REPO / LAB).read_text()
    renamed = text.replace("interfaces: {eth0: {addresses: [10.42.0.106/24]}}", "interfaces: {net1: {addresses: [10.42.0.106/24]}}")
    renamed = renamed.replace("{a: pod-a:eth0, b: cni0:veth3b27737c", "{a: pod-a:net1, b: cni0:veth3b27737c")
    assert renamed != text
    path = tmp_path / "renamed.yaml"
    path.write_text(renamed)
    converges_in_one_apply(sandbox, str(path))
    [route] = default_route(sandbox, "pod-a")
    assert (route["gateway"], route["dev"]) == ("10.42.0.1", "net1")
    sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c1", "-W2", "10.42.0.7"])


def test_veth_end_moved_behind_topos_back_is_remade_with_its_routes(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB)
    sandbox.run("ip link set veth3b27737c netns pod-b")  # pod-a's pair is broken: its root end is gone
    plan = sandbox.topo("plan", LAB, check=False)
    assert plan.returncode == 2 and "+ pod-a: route default via 10.42.0.1" in plan.stdout, plan.stdout
    converges_in_one_apply(sandbox, LAB)
    [route] = default_route(sandbox, "pod-a")
    assert route["gateway"] == "10.42.0.1"
    sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c1", "-W2", "10.42.0.182"])


def test_a_remade_pod_is_reachable_at_once(sandbox: Sandbox) -> None:
    """Its neighbours learn the new link's MAC from a gratuitous ARP when the address is set:
    `topo check` right after the apply passes, no waiting for their entries to time out
    (issue 15, point 3)."""
    sandbox.topo("apply", LAB)
    sandbox.topo("check", LAB)  # the pods and the node now know each other's MACs
    old = sandbox.ip_json("link", "show", "eth0", netns="pod-a")[0]["address"]
    sandbox.run("ip -n pod-a link del eth0")
    converges_in_one_apply(sandbox, LAB)
    assert sandbox.ip_json("link", "show", "eth0", netns="pod-a")[0]["address"] != old
    # before pod-a sends anything itself: pod-b and the node still had its old MAC
    for where in (["ip", "netns", "exec", "pod-b"], []):
        reached = sandbox.run([*where, "ping", "-c1", "-W1", "10.42.0.106"], check=False)
        assert reached.returncode == 0, f"{where or 'the node'}: {reached.stdout}"
    checked = sandbox.topo("check", LAB, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _link(box: Sandbox, name: str, netns: str | None = None) -> dict:
    [link] = box.ip_json("-s", "link", "show", name, netns=netns)
    return link


def test_renames_in_the_file_rename_in_place(sandbox: Sandbox, tmp_path: Path) -> None:
    """A veth end renamed in the file (here both of pod-a's ends) is renamed in place, not
    remade: the same devices (ifindex, MAC, counters), addresses, routes and neighbours;
    the plan says so (issue 15, point 2)."""
    sandbox.topo("apply", LAB)
    sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c3", "-i0.2", "-W2", "10.42.0.1"])
    pod, host = _link(sandbox, "eth0", "pod-a"), _link(sandbox, "veth3b27737c")
    neigh = sandbox.ip_json("neigh", "show", "10.42.0.1", netns="pod-a")
    assert neigh and neigh[0]["dev"] == "eth0"
    text = (REPO / LAB).read_text()
    renamed = text.replace("interfaces: {eth0: {addresses: [10.42.0.106/24]}}", "interfaces: {net1: {addresses: [10.42.0.106/24]}}")
    renamed = renamed.replace("{a: pod-a:eth0, b: cni0:veth3b27737c", "{a: pod-a:net1, b: cni0:vethpoda")
    assert renamed.count("net1") == 2 and "vethpoda" in renamed
    path = tmp_path / "renamed.yaml"
    path.write_text(renamed)
    plan = sandbox.topo("plan", str(path), check=False)
    assert plan.returncode == 2, plan.stdout
    changes = [line.strip() for line in plan.stdout.splitlines() if line.strip()[:1] in "+-~"]
    assert "~ (root): link veth3b27737c -> vethpoda (rename)" in plan.stdout, plan.stdout
    assert "~ pod-a: link eth0 -> net1 (rename)" in plan.stdout, plan.stdout
    assert not [c for c in changes if c.startswith(("+", "-"))], plan.stdout
    converges_in_one_apply(sandbox, str(path))
    pod2, host2 = _link(sandbox, "net1", "pod-a"), _link(sandbox, "vethpoda")
    for before, after in ((pod, pod2), (host, host2)):
        assert (after["ifindex"], after["address"]) == (before["ifindex"], before["address"])
        assert after["stats64"]["rx"]["packets"] >= before["stats64"]["rx"]["packets"] > 0
    assert host2["master"] == "cni0"
    [addr] = sandbox.ip_json("-4", "addr", "show", "net1", netns="pod-a")[0]["addr_info"]
    assert addr["local"] == "10.42.0.106"
    [route] = default_route(sandbox, "pod-a")
    assert (route["gateway"], route["dev"]) == ("10.42.0.1", "net1")
    neigh = sandbox.ip_json("neigh", "show", "10.42.0.1", netns="pod-a")
    assert neigh and neigh[0]["dev"] == "net1" and neigh[0]["lladdr"] == sandbox.ip_json("link", "show", "cni0")[0]["address"]
    sandbox.run(["ip", "netns", "exec", "pod-a", "ping", "-c1", "-W2", "10.42.0.7"])
    assert _link(sandbox, "vethpoda")["ifalias"] == "topo:" + LAB_NAME
    sandbox.topo("destroy", str(path))
    assert sandbox.run("ip -j link show vethpoda", check=False).returncode != 0
