"""Reading addresses: RTM_NEWADDR replies encoded by pyroute2, parsed by rtnl.parse_addr and
gathered per link by live.read_netns."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner import live
from provisioner.kinds.testing import DumpPool, DumpSocket, parse, pyroute2_bytes
from provisioner.rtnl import RTM_NEWADDR, RTM_NEWLINK, parse_addr


def addr(family: int, prefixlen: int, index: int, attrs: list[tuple[str, Any]]) -> bytes:
    return pyroute2_bytes(ifaddrmsg, {"family": family, "prefixlen": prefixlen, "index": index}, attrs, RTM_NEWADDR)


CASES = {
    "IPv4": (addr(2, 24, 3, [("IFA_ADDRESS", "10.9.0.2"), ("IFA_LOCAL", "10.9.0.2"), ("IFA_LABEL", "eth0")]), 3, "10.9.0.2/24"),
    "IPv4 host": (addr(2, 32, 1, [("IFA_LOCAL", "10.0.0.1"), ("IFA_ADDRESS", "10.0.0.1")]), 1, "10.0.0.1/32"),
    "IPv4 point-to-point: the local address, not the peer": (
        addr(2, 32, 4, [("IFA_ADDRESS", "10.1.1.2"), ("IFA_LOCAL", "10.1.1.1")]), 4, "10.1.1.1/32"),
    "IPv6 (no IFA_LOCAL)": (addr(10, 64, 3, [("IFA_ADDRESS", "fd00::2"), ("IFA_FLAGS", 0x80)]), 3, "fd00::2/64"),
    "IPv6 link-local": (addr(10, 64, 3, [("IFA_ADDRESS", "fe80::1")]), 3, "fe80::1/64"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_address_read(case: str) -> None:
    data, index, want = CASES[case]
    raw = parse(parse_addr, data)
    assert (raw.index, raw.address) == (index, ipaddress.ip_interface(want))


def test_address_read_broadcast() -> None:
    raw = parse(parse_addr, addr(2, 24, 3, [("IFA_LOCAL", "10.9.0.1"), ("IFA_BROADCAST", "10.9.0.255")]))
    assert raw.broadcast == ipaddress.ip_address("10.9.0.255")
    assert parse(parse_addr, addr(2, 24, 3, [("IFA_LOCAL", "10.9.0.1")])).broadcast is None


def test_address_read_namespace_gathers_them_per_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "read_managed_block", lambda *args: None)
    links = [pyroute2_bytes(ifinfmsg, {"index": i}, [("IFLA_IFNAME", n)], RTM_NEWLINK) for i, n in ((1, "lo"), (3, "eth0"))]
    sock = DumpSocket(link_msgs=links, addr_msgs=[
        addr(2, 8, 1, [("IFA_LOCAL", "127.0.0.1")]), addr(10, 128, 1, [("IFA_ADDRESS", "::1")]),
        addr(2, 24, 3, [("IFA_LOCAL", "10.9.0.2"), ("IFA_BROADCAST", "10.9.0.255")]), addr(10, 64, 3, [("IFA_ADDRESS", "fd00::2")]),
        addr(2, 24, 99, [("IFA_LOCAL", "10.99.0.1")]),  # a link that went between the dumps: dropped
    ])
    ns = live.read_netns(DumpPool({None: sock}), None, (), "lab")  # type: ignore[arg-type]
    assert ns.addresses == {"lo": {ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128")},
                            "eth0": {ipaddress.ip_interface("10.9.0.2/24"), ipaddress.ip_interface("fd00::2/64")}}
    assert ns.broadcasts == {"eth0": {ipaddress.ip_interface("10.9.0.2/24"): ipaddress.ip_address("10.9.0.255")}}
