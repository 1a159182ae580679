"""Reading tun/tap devices from pyroute2-encoded RTM_NEWLINK replies (IFLA_TUN_* in
IFLA_INFO_DATA): topo's parser, then the kind's reader through the registry -> TapFacts."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner import live
from provisioner.kinds.tap.read import TapFacts, read
from provisioner.kinds.testing import parse, pyroute2_bytes
from provisioner.rtnl import RTM_NEWLINK, parse_link


def tun_link(data: list[tuple[str, Any]]) -> bytes:
    attrs: list[tuple[str, Any]] = [("IFLA_IFNAME", "tap-vm"), ("IFLA_MTU", 1500), ("IFLA_ADDRESS", "02:00:00:00:01:0a"),
                                    ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "tun"), ("IFLA_INFO_DATA", {"attrs": data})]})]
    return pyroute2_bytes(ifinfmsg, {"index": 7, "flags": 1}, attrs, RTM_NEWLINK)


@pytest.mark.parametrize("data,want", [
    ([("IFLA_TUN_TYPE", 2), ("IFLA_TUN_PI", 0), ("IFLA_TUN_VNET_HDR", 0), ("IFLA_TUN_PERSIST", 1),
      ("IFLA_TUN_MULTI_QUEUE", 1), ("IFLA_TUN_NUM_QUEUES", 0), ("IFLA_TUN_OWNER", 65534)], TapFacts("tap", 65534, True, True)),
    ([("IFLA_TUN_TYPE", 1), ("IFLA_TUN_PERSIST", 1), ("IFLA_TUN_MULTI_QUEUE", 0)], TapFacts("tun", None, False, True)),
    ([("IFLA_TUN_TYPE", 2), ("IFLA_TUN_PERSIST", 0), ("IFLA_TUN_OWNER", 0)], TapFacts("tap", 0, False, False)),
    ([("IFLA_TUN_TYPE", 5)], TapFacts("type 5", None, False, False)),
    ([], TapFacts("type 0", None, False, False)),
])
def test_tap_read(data: list[tuple[str, Any]], want: TapFacts) -> None:
    raw = parse(parse_link, tun_link(data))
    assert read(raw) == want
    link = live._link(raw, {}, live.link_readers())  # the registry's reader, by the kernel's kind name
    assert (link.kind, link.info, link.name) == ("tun", want, "tap-vm")
