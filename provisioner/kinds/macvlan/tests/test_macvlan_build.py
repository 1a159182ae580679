"""The macvlan builder: each macvlan at `OWNER:IFNAME` on a parent of its node's root namespace,
and the refusals, each at its place in the file (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.kinds.macvlan.model import Macvlan
from provisioner.loader import load_text
from provisioner.validate import validate_document

LAB = ("name: lab\nbridges: {br-mv: {}}\nnamespaces:\n  pod-a: {}\n  router: {interfaces: {eth0: {}}}\n"
       "links:\n  - {a: 'router:eth0', b: 'br-mv:veth-rt'}\nmacvlans:\n")


def problems(text: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_macvlans_in_a_namespace_and_in_the_root() -> None:
    text = LAB + ("  - {at: 'pod-a:eth0', parent: br-mv, mtu: 1400, addresses: [10.50.0.11/24], mac: '02:00:00:00:01:0a'}\n"
                  "  - {at: 'host:mv0', parent: veth-rt, mode: private, up: false, description: root one}\n"
                  "  - {at: 'router:mv1', parent: eth0, mode: vepa}\n")
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None
    node = topo.nodes["host"]
    eth0 = node.namespaces["pod-a"].interfaces["eth0"]
    assert (eth0.kind, eth0.spec, eth0.mtu, eth0.mac, eth0.up) == ("macvlan", Macvlan("br-mv", "bridge"), 1400, "02:00:00:00:01:0a", True)
    assert [str(a) for a in eth0.addresses] == ["10.50.0.11/24"]
    mv0 = node.root.interfaces["mv0"]
    assert (mv0.kind, mv0.spec, mv0.up, mv0.description) == ("macvlan", Macvlan("veth-rt", "private"), False, "root one")
    router = node.namespaces["router"].interfaces
    assert list(router) == ["lo", "eth0", "mv1"] and router["mv1"].spec == Macvlan("eth0", "vepa")  # the node's eth0


def test_macvlans_on_the_nodes_of_a_multi_node_lab() -> None:
    text = ("name: lab\nnodes: {n1: {bridges: {br: {}}}, n2: {}}\nnamespaces: {pod-a: {node: n1}}\nmacvlans:\n"
            "  - {at: 'pod-a:eth0', parent: br}\n  - {at: 'n2:mv0', parent: eth0}\n")
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None
    assert topo.nodes["n1"].namespaces["pod-a"].interfaces["eth0"].spec == Macvlan("br")
    assert topo.nodes["n2"].root.interfaces["mv0"].spec == Macvlan("eth0")
    assert problems(text.replace("n2:mv0", "host:mv0")) == [("macvlans[1].at", "'host' is not a namespace or node of this lab")]


@pytest.mark.parametrize("macvlans,expected", [
    ("{at: 'pod-x:eth0', parent: br-mv}", [("macvlans[0].at", "'pod-x' is not a namespace or node of this lab")]),
    ("{at: 'pod-a', parent: br-mv}", [("macvlans[0].at", "invalid value 'pod-a'")]),
    ("{at: 'pod-a:averyverylongname0', parent: br-mv}",
     [("macvlans[0].at", "interface name 'averyverylongname0' is 18 characters; Linux allows 1 to 15 bytes")]),
    ("{at: 'pod-a:bad/name', parent: br-mv}",
     [("macvlans[0].at", "interface name 'bad/name' contains '/'; '/', ':', '%' and whitespace are not allowed")]),
    ("{at: 'pod-a:eth0', parent: averyverylongname0}", [("macvlans[0].parent", "'averyverylongname0' is too long")]),
    ("{at: 'pod-a:eth0', parent: 'bad name'}",
     [("macvlans[0].parent", "interface name 'bad name' contains ' '; '/', ':', '%' and whitespace are not allowed")]),
    ("{at: 'pod-a:eth0', parent: br-mv, mode: source}",
     [("macvlans[0].mode", "'source' is not one of ['bridge', 'private', 'vepa', 'passthru']")]),
    ("{at: 'router:eth0', parent: br-mv}", [("macvlans[0].at", "'eth0' already exists in router as a veth")]),
    ("{at: 'host:veth-rt', parent: br-mv}", [("macvlans[0].at", "'veth-rt' already exists in host as a veth")]),
    ("{at: 'host:br-mv', parent: veth-rt}", [("macvlans[0].at", "'br-mv' already exists in host as a bridge")]),
    ("{at: 'pod-a:lo', parent: br-mv}", [("macvlans[0].at", "'lo' already exists in pod-a as a loopback")]),
    ("{at: 'pod-a:eth0', parent: br-mv}\n  - {at: 'pod-a:eth0', parent: veth-rt}",
     [("macvlans[1].at", "'eth0' already exists in pod-a as a macvlan")]),
    ("{at: 'host:mv0', parent: mv0}", [("macvlans[0].parent", "macvlan mv0 cannot be its own parent")]),
    ("{at: 'host:mv1', parent: br-mv}\n  - {at: 'pod-a:eth0', parent: mv1}",
     [("macvlans[1].parent", "mv1 is a macvlan; a macvlan's parent is a bridge, a veth end, a VXLAN device or a link the node has")]),
    ("{at: 'pod-a:eth0', parent: br-mv, mode: passthru}\n  - {at: 'host:mv0', parent: br-mv}",
     [("macvlans[0].mode", "macvlan eth0 is in passthru mode, but br-mv has 1 other macvlan(s) on node host")]),
    ("{at: 'pod-a:eth0', parent: br-mv}\n  - {at: 'host:mv0', parent: br-mv, mode: passthru}",
     [("macvlans[1].mode", "macvlan mv0 is in passthru mode, but br-mv has 1 other macvlan(s) on node host")]),
])
def test_refused_macvlans(macvlans: str, expected: list[tuple[str, str]]) -> None:
    assert problems(LAB + f"  - {macvlans}\n") == expected


def test_a_passthru_macvlan_alone_on_its_parent_and_others_beside_it() -> None:
    text = LAB + ("  - {at: 'pod-a:eth0', parent: veth-rt, mode: passthru}\n  - {at: 'host:mv0', parent: br-mv}\n"
                  "  - {at: 'router:mv1', parent: br-mv, mode: private}\n")
    assert problems(text) == []


def test_the_root_loopback_is_no_parent() -> None:
    assert problems(LAB + "  - {at: 'pod-a:eth0', parent: lo}\n") == [
        ("macvlans[0].parent", "lo is a loopback; a macvlan's parent is a bridge, a veth end, a VXLAN device or a link the node has")]


def test_a_macvlan_declared_later_is_no_parent_either() -> None:
    assert problems(LAB + "  - {at: 'pod-a:eth0', parent: mv1}\n  - {at: 'host:mv1', parent: br-mv}\n") == [
        ("macvlans[0].parent", "mv1 is a macvlan; a macvlan's parent is a bridge, a veth end, a VXLAN device or a link the node has")]
