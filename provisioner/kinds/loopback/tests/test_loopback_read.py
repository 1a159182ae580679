"""Reading a namespace's lo: the kernel reports no kind for it; the reader names it loopback."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.kinds.address.diff import automatic
from provisioner.kinds.testing import parse, pyroute2_bytes
from provisioner.live import _link
from provisioner.rtnl import RTM_NEWLINK, parse_link

import ipaddress


def test_loopback_read_lo_is_the_loopback_kind() -> None:
    data = pyroute2_bytes(ifinfmsg, {"index": 1, "flags": 0x1 | 0x8}, [
        ("IFLA_IFNAME", "lo"), ("IFLA_MTU", 65536), ("IFLA_ADDRESS", "00:00:00:00:00:00"), ("IFLA_IFALIAS", "topo:lab")],
        RTM_NEWLINK)
    link = _link(parse(parse_link, data), {1: "lo"}, {})
    assert (link.kind, link.name, link.mtu, link.up, link.alias, link.mac) == (
        "loopback", "lo", 65536, True, "topo:lab", "00:00:00:00:00:00")


def test_loopback_read_another_device_without_kind_is_not_loopback() -> None:
    link = _link(parse(parse_link, pyroute2_bytes(ifinfmsg, {"index": 2}, [("IFLA_IFNAME", "eth0")], RTM_NEWLINK)), {}, {})
    assert link.kind == ""


def test_loopback_read_the_kernels_addresses_are_automatic() -> None:
    assert automatic("lo", ipaddress.ip_interface("127.0.0.1/8"))
    assert automatic("lo", ipaddress.ip_interface("::1/128"))
    assert automatic("eth0", ipaddress.ip_interface("fe80::1/64"))
    assert not automatic("lo", ipaddress.ip_interface("127.0.0.2/8"))
    assert not automatic("eth0", ipaddress.ip_interface("127.0.0.1/8"))
