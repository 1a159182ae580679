"""The veth builder: `links:`, their ends and `interfaces:` (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import Severity, format_path
from provisioner.loader import load_text
from provisioner.model import EndRef, Place
from provisioner.validate import validate_document

NS = "name: lab\nnamespaces: {a: {}, b: {}}\n"


def problems(text: str) -> list[tuple[str, str, Severity]]:
    return [(format_path(d.path), d.message, d.severity) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_a_pair_joins_its_ends() -> None:
    topo = validate_document(load_text("t.yaml", NS + "links: [{a: a:eth0, b: {at: b:eth1, addresses: [10.0.0.2/24]}}]\n")).topology
    assert topo is not None and len(topo.veths) == 1
    a, b = EndRef(Place("host", "a"), "eth0"), EndRef(Place("host", "b"), "eth1")
    assert (topo.veths[0].a, topo.veths[0].b) == (a, b)
    assert topo.interface(a).peer == b and topo.interface(b).peer == a
    assert tuple(map(str, topo.interface(b).addresses)) == ("10.0.0.2/24",)


@pytest.mark.parametrize("links,expected", [
    ("[{a: a:eth0, b: c:eth0}]", ("links[0].b", "'c' is not a namespace, bridge or node of this lab")),
    ("[{a: a:eth0, b: b:eth0}, {a: a:eth0, b: b:eth1}]", ("links[1].a", "veth end 'a:eth0' is already used by links[0].a")),
    ("[{a: a:lo, b: b:eth0}]", ("links[0].a", "'lo' already exists in a as a loopback")),
    ("[{a: 'a:eth0123456789abc', b: b:eth0}]", ("links[0].a", "interface name 'eth0123456789abc' is 16 characters; Linux allows 1 to 15 bytes")),
    ("[{a: {at: a:eth0, mtu: 1400}, b: b:eth0}]", ("links[0]", "MTU differs across the veth pair: eth0 1400, eth0 default")),
])
def test_refused_links(links: str, expected: tuple[str, str]) -> None:
    assert [p[:2] for p in problems(NS + f"links: {links}\n")] == [expected]


def test_a_setting_in_two_places_and_an_interface_without_link() -> None:
    text = ("name: lab\nnamespaces:\n  a: {interfaces: {eth0: {mtu: 1400}, eth1: {}}}\n  b: {}\n"
            "links: [{a: {at: a:eth0, mtu: 1400}, b: {at: b:eth0, mtu: 1400}}]\n")
    assert sorted(p[:2] for p in problems(text)) == [
        ("links[0].a.mtu", "'mtu' of eth0 is also set at namespaces.a.interfaces.eth0.mtu"),
        ("namespaces.a.interfaces.eth1", "interface 'eth1' of namespace a is not an end of any link"),
    ]


def test_a_pair_stays_on_one_node() -> None:
    text = "name: lab\nnodes: {n1: {}, n2: {}}\nnamespaces: {a: {node: n1}, b: {node: n2}}\nlinks: [{a: a:eth0, b: b:eth0}]\n"
    assert [p[:2] for p in problems(text)] == [("links[0]", "a veth pair cannot join two nodes (n1 and n2)")]


def test_1500_is_the_default_mtu_no_warning() -> None:
    """An end or a bridge at 1500 matches one that says nothing: the kernel's MTU is 1500."""
    text = ("name: lab\nbridges: {br0: {mtu: 1500}}\nnamespaces: {a: {interfaces: {eth0: {mtu: 1500}}}, b: {}}\n"
            "links: [{a: a:eth0, b: br0:v0}, {a: {at: b:eth0, mtu: 1500}, b: b:eth1}]\n")
    assert problems(text) == []
