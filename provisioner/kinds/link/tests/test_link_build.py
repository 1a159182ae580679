"""Interface settings shared by every kind (addresses, MTU, MAC, up, description), the IPv6
MTU problems, and the one-address-per-L2-segment check (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.validate import validate_document

LAB = "name: lab\nnamespaces:\n  a: {interfaces: {eth0: %s}}\n  b: {}\nlinks: [{a: a:eth0, b: b:eth0%s}]\n"


def problems(iface: str, link: str = "") -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", LAB % (iface, link))).diagnostics]


def test_hairpin_only_on_a_bridge_port() -> None:
    text = "name: lab\nnamespaces: {a: {}}\nbridges: {br0: {}}\nlinks: [{a: a:eth0, b: {at: 'br0:v0', hairpin: true}}]\n"
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None and topo.nodes["host"].root.interfaces["v0"].hairpin
    bad = text.replace("br0:v0", "host:v0")
    found = [d.message for d in validate_document(load_text("t.yaml", bad)).diagnostics]
    assert found == ["hairpin mode is a bridge port's setting and v0 is no bridge's port"]


def test_settings_from_interfaces_and_the_link() -> None:
    doc = load_text("t.yaml", LAB % ("{addresses: [10.0.0.1/24], mac: '02:AA:00:00:00:01', up: false}", ", mtu: 1400"))
    topo = validate_document(doc).topology
    assert topo is not None
    eth0 = topo.nodes["host"].namespaces["a"].interfaces["eth0"]
    assert (tuple(map(str, eth0.addresses)), eth0.mac, eth0.up, eth0.mtu) == (("10.0.0.1/24",), "02:aa:00:00:00:01", False, 1400)
    assert topo.nodes["host"].namespaces["b"].interfaces["eth0"].mtu == 1400


@pytest.mark.parametrize("iface,link,expected", [
    ("{mtu: 1400}", ", mtu: 1300", []),  # the end's own MTU wins; the other end gets the link's
    ("{mac: '01:00:00:00:00:01'}", "", [("namespaces.a.interfaces.eth0.mac", "MAC address 01:00:00:00:00:01 is a multicast address")]),
    ("{mac: '00:00:00:00:00:00'}", "", [("namespaces.a.interfaces.eth0.mac", "MAC address 00:00:00:00:00:00 is all zeros; Linux refuses it")]),
    ("{addresses: [10.0.0.1]}", "", [("namespaces.a.interfaces.eth0.addresses[0]", "address '10.0.0.1' has no prefix length")]),
    ("{addresses: [224.0.0.1/24]}", "", [("namespaces.a.interfaces.eth0.addresses[0]",
                                          "224.0.0.1/24 is a multicast address: a group an interface joins, not an address it has")]),
    ("{addresses: [{address: 'fd00::1/64', broadcast: auto}]}", "", [(
        "namespaces.a.interfaces.eth0.addresses[0].broadcast", "fd00::1/64 is an IPv6 address: IPv6 has no broadcast address")]),
    ("{addresses: [{address: 10.0.0.1/24, broadcast: 'fd00::ff'}]}", "", [(
        "namespaces.a.interfaces.eth0.addresses[0].broadcast", "broadcast fd00::ff is not an IPv4 address")]),
    ("{addresses: [{address: 10.0.0.1}]}", "", [("namespaces.a.interfaces.eth0.addresses[0].address",
                                                  "address '10.0.0.1' has no prefix length")]),
    ("{txqueuelen: 0}", "", []),
    ("{mtu: 1200, addresses: ['fd00::1/64']}", ", mtu: 1200", [("namespaces.a.interfaces.eth0", "eth0 has MTU 1200 and the IPv6 "
                                                                "address fd00::1/64: Linux turns IPv6 off below MTU 1280 and refuses the address")]),
])
def test_interface_setting_problems(iface: str, link: str, expected: list[tuple[str, str]]) -> None:
    found = [p for p in problems(iface, link) if "MTU differs" not in p[1]]
    assert found == expected


def test_an_address_once_per_l2_segment() -> None:
    text = ("name: lab\nnamespaces:\n  a: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}\n"
            "  b: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}\nlinks: [{a: a:eth0, b: b:eth0}]\n")
    found = [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]
    assert len(found) == 1 and found[0][1] == "address 10.0.0.1 is also used by eth0 on the same L2 segment"
