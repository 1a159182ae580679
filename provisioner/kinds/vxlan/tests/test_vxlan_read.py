"""Reading VXLAN devices (their identity, by the kind's reader of IFLA_INFO_DATA) and their
forwarding entries (AF_BRIDGE neighbours), from pyroute2-encoded replies."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg

from provisioner import live
from provisioner.kinds.testing import DumpPool, DumpSocket, parse, pyroute2_bytes
from provisioner.kinds.vxlan.read import read
from provisioner.rtnl import RTM_NEWLINK, RTM_NEWNEIGH, parse_fdb, parse_link


def vxlan_link(index: int, name: str, data: list[tuple[str, Any]]) -> bytes:
    return pyroute2_bytes(ifinfmsg, {"index": index, "flags": 1}, [
        ("IFLA_IFNAME", name), ("IFLA_MTU", 1450),
        ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "vxlan"), ("IFLA_INFO_DATA", {"attrs": data})]})], RTM_NEWLINK)


def fdb_entry(index: int, mac: str, dst: str) -> bytes:
    return pyroute2_bytes(ndmsg, {"family": 7, "ifindex": index, "state": 0xC0, "flags": 2},
                          [("NDA_LLADDR", mac), ("NDA_DST", dst)], RTM_NEWNEIGH)


IDENTITIES = {
    "IPv4 local": ([("IFLA_VXLAN_ID", 42), ("IFLA_VXLAN_LOCAL", "192.0.2.11"), ("IFLA_VXLAN_PORT", 4789),
                    ("IFLA_VXLAN_LEARNING", 1)], (42, 4789, ipaddress.ip_address("192.0.2.11"))),
    "IPv6 local": ([("IFLA_VXLAN_ID", 16777215), ("IFLA_VXLAN_LOCAL6", "2001:db8::11"), ("IFLA_VXLAN_PORT", 8472)],
                   (16777215, 8472, ipaddress.ip_address("2001:db8::11"))),
    "no local": ([("IFLA_VXLAN_ID", 7), ("IFLA_VXLAN_PORT", 4789)], (7, 4789, None)),
}


@pytest.mark.parametrize("case", sorted(IDENTITIES))
def test_vxlan_read_identity(case: str) -> None:
    data, want = IDENTITIES[case]
    raw = parse(parse_link, vxlan_link(5, "vx0", data))
    assert read(raw) == want
    link = live._link(raw, {}, live.link_readers())  # the registry's reader, by the kernel's kind name
    assert (link.kind, link.vxlan, link.mtu) == ("vxlan", want, 1450)


@pytest.mark.parametrize("dst", ["192.0.2.12", "2001:db8::12"])
def test_vxlan_read_fdb_entry(dst: str) -> None:
    entry = parse(parse_fdb, fdb_entry(5, "00:00:00:00:00:00", dst))
    assert (entry.index, entry.mac, entry.dst) == (5, "00:00:00:00:00:00", dst)


def test_vxlan_read_namespace_keeps_the_remotes_of_vxlan_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only all-zero MAC entries of VXLAN devices are remotes (learned MACs and other devices'
    entries are not)."""
    monkeypatch.setattr(live, "read_managed_block", lambda *args: None)  # no /etc/hosts read
    bridge = pyroute2_bytes(ifinfmsg, {"index": 4}, [("IFLA_IFNAME", "br0"), ("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_KIND", "bridge")]})], RTM_NEWLINK)
    sock = DumpSocket(link_msgs=[bridge, vxlan_link(5, "vx0", [("IFLA_VXLAN_ID", 42), ("IFLA_VXLAN_PORT", 4789)])],
                      fdb_msgs=[fdb_entry(5, "00:00:00:00:00:00", "192.0.2.12"),
                                fdb_entry(5, "00:00:00:00:00:00", "2001:db8::13"),
                                fdb_entry(5, "02:aa:bb:cc:dd:ee", "192.0.2.14"),
                                fdb_entry(4, "00:00:00:00:00:00", "192.0.2.15")])
    ns = live.read_netns(DumpPool({None: sock}), None, (), "lab")  # type: ignore[arg-type]
    assert ns.fdb == {"vx0": {ipaddress.ip_address("192.0.2.12"), ipaddress.ip_address("2001:db8::13")}}
    assert ns.links["vx0"].vxlan == (42, 4789, None) and ns.links["br0"].kind == "bridge"
