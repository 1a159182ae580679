"""Reading links: RTM_NEWLINK replies encoded by pyroute2 (independent of topo's parser), then
rtnl.parse_link and live._link give the facts every kind of link shares."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.kinds.link.read import PortFacts
from provisioner.kinds.testing import parse, pyroute2_bytes
from provisioner.live import _link
from provisioner.rtnl import RTM_NEWLINK, parse_link

NAMES = {1: "lo", 2: "br0", 7: "eth0"}

CASES: dict[str, tuple[dict[str, Any], list[tuple[str, Any]], dict[str, Any]]] = {
    # case: (ifinfmsg fields, attributes, facts expected of LiveLink)
    "plain device, up": ({"index": 7, "flags": 0x1 | 0x40}, [("IFLA_IFNAME", "eth0"), ("IFLA_MTU", 9000),
                                                             ("IFLA_ADDRESS", "02:aa:bb:cc:dd:ee")],
                         {"index": 7, "name": "eth0", "kind": "", "mtu": 9000, "mac": "02:aa:bb:cc:dd:ee", "up": True,
                          "alias": None, "master": None, "peer_index": None}),
    "down (IFF_UP clear, RUNNING set)": ({"index": 7, "flags": 0x40}, [("IFLA_IFNAME", "eth0")], {"up": False}),
    "alias": ({"index": 7}, [("IFLA_IFNAME", "eth0"), ("IFLA_IFALIAS", "topo:lab")], {"alias": "topo:lab"}),
    "empty alias is none": ({"index": 7}, [("IFLA_IFNAME", "eth0"), ("IFLA_IFALIAS", "")], {"alias": None}),
    "master by name": ({"index": 8}, [("IFLA_IFNAME", "veth1"), ("IFLA_MASTER", 2)], {"master": "br0"}),
    "master unknown to the dump": ({"index": 8}, [("IFLA_IFNAME", "veth1"), ("IFLA_MASTER", 99)], {"master": None}),
    "kind from linkinfo": ({"index": 9}, [("IFLA_IFNAME", "d0"), ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "dummy")]})],
                           {"kind": "dummy", "info": None}),
    "queue length": ({"index": 7}, [("IFLA_IFNAME", "eth0"), ("IFLA_TXQLEN", 0)], {"txqlen": 0}),
    "not a bridge port": ({"index": 7}, [("IFLA_IFNAME", "eth0")], {"port": None, "hairpin": False}),
    "bridge port, hairpin on": ({"index": 8}, [("IFLA_IFNAME", "veth1"), ("IFLA_MASTER", 2), ("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_KIND", "veth"), ("IFLA_INFO_SLAVE_KIND", "bridge"),
        ("IFLA_INFO_SLAVE_DATA", {"attrs": [("IFLA_BRPORT_MODE", 1), ("IFLA_BRPORT_LEARNING", 1), ("IFLA_BRPORT_COST", 2)]})]})],
        {"kind": "veth", "hairpin": True, "port": PortFacts(True, ())}),
    "bridge port, settings topo does not model": ({"index": 8}, [("IFLA_IFNAME", "veth1"), ("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_SLAVE_KIND", "bridge"), ("IFLA_INFO_SLAVE_DATA", {"attrs": [
            ("IFLA_BRPORT_MODE", 0), ("IFLA_BRPORT_LEARNING", 0), ("IFLA_BRPORT_ISOLATED", 1)]})]})],
        {"hairpin": False, "port": PortFacts(False, ("learning off", "isolated on"))}),
    "attributes after linkinfo still read": ({"index": 9}, [("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "dummy")]}),
                                                            ("IFLA_IFNAME", "d0"), ("IFLA_MTU", 1280)],
                                             {"kind": "dummy", "name": "d0", "mtu": 1280}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_link_read(case: str) -> None:
    fields, attrs, want = CASES[case]
    raw = parse(parse_link, pyroute2_bytes(ifinfmsg, fields, attrs, RTM_NEWLINK))
    link = _link(raw, NAMES, {})
    assert {k: getattr(link, k) for k in want} == want


def test_link_read_gives_the_info_data_to_the_kinds_reader() -> None:
    data = pyroute2_bytes(ifinfmsg, {"index": 3}, [("IFLA_IFNAME", "x0"), ("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_KIND", "vxlan"), ("IFLA_INFO_DATA", {"attrs": [("IFLA_VXLAN_ID", 7)]})]})], RTM_NEWLINK)
    seen = []
    link = _link(parse(parse_link, data), {}, {"vxlan": lambda raw: seen.append(raw.info_data) or "facts"})
    assert link.info == "facts" and seen and seen[0][:8] == b"\x08\x00\x01\x00\x07\x00\x00\x00"
