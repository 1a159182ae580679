"""`--target OBJECT` on plan, apply and destroy (provisioner/targets.py; issue 20, CLI
conventions): root-free on the narrowing of a plan, then in the sandbox with two pods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.core.keys import LinkKey
from provisioner.targets import UnknownTarget, resolve
from provisioner.validate import load_topology
from sandbox import Sandbox

LAB = """\
name: twopods
namespaces:
  pod-a:
    interfaces: {eth0: {addresses: [10.77.1.2/24]}}
    routes: [{to: default, via: 10.77.1.1}]
    sysctls: {net.ipv4.ip_forward: 1}
  pod-b:
    interfaces: {eth0: {addresses: [10.77.2.2/24]}}
    routes: [{to: default, via: 10.77.2.1}]
links:
  - {a: pod-a:eth0, b: {at: "host:va", addresses: [10.77.1.1/24]}}
  - {a: pod-b:eth0, b: {at: "host:vb", addresses: [10.77.2.1/24]}}
routes:
  - {to: 10.99.1.0/24, via: 10.77.1.2}
  - {to: 10.99.2.0/24, dev: vb}
"""


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(LAB)
    path.parent.chmod(0o755)
    return path


def _node(lab: Path):  # type: ignore[no-untyped-def]
    topo = load_topology(lab)
    return topo.nodes[next(iter(topo.nodes))]


@pytest.mark.parametrize("spec, namespaces, links", [
    ("pod-a", {"pod-a"}, {LinkKey("pod-a", "lo"), LinkKey("pod-a", "eth0"), LinkKey(None, "va")}),
    ("namespace:pod-b", {"pod-b"}, {LinkKey("pod-b", "lo"), LinkKey("pod-b", "eth0"), LinkKey(None, "vb")}),
    ("pod-b:eth0", set(), {LinkKey("pod-b", "eth0"), LinkKey(None, "vb")}),
    ("vb", set(), {LinkKey("pod-b", "eth0"), LinkKey(None, "vb")}),
    ("link:(root):va", set(), {LinkKey("pod-a", "eth0"), LinkKey(None, "va")}),
])
def test_targets_resolve_to_their_namespace_and_links(lab: Path, spec: str, namespaces: set[str], links: set[LinkKey]) -> None:
    target = resolve(_node(lab), spec)
    assert target.namespaces == namespaces and target.links == links


@pytest.mark.parametrize("spec", ["nope", "pod-a:eth9", "namespace:va", "link:pod-c:eth0", ""])
def test_unknown_target_is_refused_with_what_there_is(lab: Path, spec: str) -> None:
    with pytest.raises(UnknownTarget, match="namespaces: pod-a, pod-b; root links: va, vb"):
        resolve(_node(lab), spec)


def _targets(plan_json: dict) -> set[tuple[str | None, str]]:  # type: ignore[type-arg]
    return {(c["namespace"], c["target"]) for c in plan_json["nodes"][0]["changes"]}


def test_plan_target_keeps_the_namespace_and_what_depends_on_it(sandbox: Sandbox, lab: Path) -> None:
    full = json.loads(sandbox.topo("plan", str(lab), "--json", check=False).stdout)
    part = json.loads(sandbox.topo("plan", str(lab), "--json", "--target", "pod-a", check=False).stdout)
    kept = _targets(part)
    assert kept < _targets(full)
    assert ("pod-a", "namespace pod-a") in kept and (None, "address 10.77.1.1/24 on va") in kept
    assert (None, "route 10.99.1.0/24 via 10.77.1.2") in kept  # a root route via the pod's veth
    assert not any(ns == "pod-b" or "vb" in target for ns, target in kept)
    link = _targets(json.loads(sandbox.topo("plan", str(lab), "--json", "--target", "pod-b:eth0", check=False).stdout))
    assert (None, "route 10.99.2.0/24 dev vb") in link and ("pod-b", "route default via 10.77.2.1") in link
    assert ("pod-b", "namespace pod-b") not in link  # the link depends on its namespace, not the other way


def test_plan_target_warns_and_unknown_target_fails(sandbox: Sandbox, lab: Path) -> None:
    res = sandbox.topo("plan", str(lab), "--target", "pod-a", check=False)
    assert res.returncode == 2 and "warning: --target pod-a: the plan is partial" in res.stderr
    res = sandbox.topo("apply", str(lab), "--target", "pod-z", check=False)
    assert res.returncode == 1 and "--target 'pod-z' names no namespace or link" in res.stderr
    assert "Traceback" not in res.stderr
    assert sandbox.run(["ip", "netns", "list"]).stdout.strip() == ""


def _links(sandbox: Sandbox) -> set[str]:
    return {link["ifname"] for link in sandbox.ip_json("link", "show")}


def test_apply_and_destroy_target_one_pod(sandbox: Sandbox, lab: Path) -> None:
    res = sandbox.topo("apply", str(lab), "--target", "pod-a", check=False)
    assert res.returncode == 0, res.stderr
    assert sandbox.run(["ip", "netns", "list"]).stdout.split()[0::3] == ["pod-a"]
    assert _links(sandbox) == {"lo", "va"}
    assert [a["local"] for a in sandbox.ip_json("-4", "addr", "show", "eth0", netns="pod-a")[0]["addr_info"]] \
        == ["10.77.1.2"]
    assert {r["dst"] for r in sandbox.ip_json("-4", "route", "show")} == {"10.77.1.0/24", "10.99.1.0/24"}
    rest = sandbox.topo("plan", str(lab), check=False)  # a later full plan shows the rest
    assert rest.returncode == 2 and "+ pod-b: namespace pod-b" in rest.stdout and "pod-a" not in rest.stdout
    sandbox.topo("apply", str(lab))
    res = sandbox.topo("destroy", str(lab), "--target", "pod-b", check=False)
    assert res.returncode == 0, res.stderr
    assert "namespace pod-b of lab twopods removed" in res.stdout
    assert sandbox.run(["ip", "netns", "list"]).stdout.split()[0::3] == ["pod-a"]
    assert _links(sandbox) == {"lo", "va"}
    assert [a["local"] for a in sandbox.ip_json("-4", "addr", "show", "eth0", netns="pod-a")[0]["addr_info"]] \
        == ["10.77.1.2"]
    rest = sandbox.topo("plan", str(lab), check=False)
    assert rest.returncode == 2 and "+ pod-b: namespace pod-b" in rest.stdout and "pod-a" not in rest.stdout
    sandbox.topo("destroy", str(lab))  # the rest of the lab is still the lab's
    assert sandbox.run(["ip", "netns", "list"]).stdout.strip() == "" and _links(sandbox) == {"lo"}


def test_target_refuses_rollback_and_lab(sandbox: Sandbox, lab: Path) -> None:
    res = sandbox.topo("apply", str(lab), "--target", "pod-a", "--rollback", check=False)
    assert res.returncode == 1 and "not with --target" in res.stderr
    res = sandbox.topo("destroy", "--lab", "twopods", "--target", "pod-a", check=False)
    assert res.returncode != 0 and "--target needs the FILE" in res.stderr


def test_narrow_keeps_the_targets_actions_and_record_root_free(lab: Path) -> None:
    from provisioner.core.keys import AddressKey, NetnsKey
    from provisioner.core.plan import Action, Change, Op, Plan, Stage
    from provisioner.model import Route
    from provisioner.kinds.route.ops import RouteSpec
    from provisioner.state import LabRecord
    import ipaddress

    op = Op("test-op", Stage.CONFIGURE)
    net = ipaddress.ip_network

    def route(ns: str | None, dst: str, via: str | None = None, dev: str | None = None) -> Action:
        spec = RouteSpec(Route(net(dst), ipaddress.ip_address(via) if via else None, dev))
        return Action(op, Change.CREATE, ns, f"route {dst}", spec)

    acts = [Action(op, Change.CREATE, "pod-a", "namespace pod-a", key=NetnsKey("pod-a")),
            Action(op, Change.CREATE, "pod-b", "namespace pod-b", key=NetnsKey("pod-b")),
            Action(op, Change.CREATE, None, "address on va", key=AddressKey(None, "va", ipaddress.ip_interface("10.77.1.1/24"))),
            Action(op, Change.CREATE, None, "address on vb", key=AddressKey(None, "vb", ipaddress.ip_interface("10.77.2.1/24"))),
            Action(op, Change.UPDATE, None, "link vb", links=(LinkKey(None, "vb"),)),
            route(None, "10.99.1.0/24", via="10.77.1.2"), route(None, "10.99.2.0/24", dev="vb"),
            route(None, "10.98.0.0/16", via="10.77.2.9")]
    plan = Plan("twopods", "host", acts, record=LabRecord("twopods", "host", ["pod-a", "pod-b"]))
    node = _node(lab)
    a = resolve(node, "pod-a").narrow(plan, None)
    assert [x.target for x in a.actions] == ["namespace pod-a", "address on va", "route 10.99.1.0/24"]
    assert a.record is not None and a.record.namespaces == ["pod-a"]  # not yet made: not the lab's
    b = resolve(node, "vb").narrow(plan, LabRecord("twopods", "host", ["pod-a"]))
    assert [x.target for x in b.actions] == ["address on vb", "link vb", "route 10.99.2.0/24", "route 10.98.0.0/16"]
    assert b.record is not None and b.record.namespaces == ["pod-a"]
