"""Reading veth ends: the peer's ifindex (IFLA_LINK) and, for a peer in another namespace, the
id this namespace gives it (IFLA_LINK_NETNSID)."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.kinds.testing import parse, pyroute2_bytes
from provisioner.live import _link
from provisioner.rtnl import RTM_NEWLINK, parse_link

VETH = ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "veth")]})

CASES: dict[str, tuple[list[tuple[str, Any]], dict[str, Any]]] = {
    "peer in another namespace": ([("IFLA_IFNAME", "veth1"), ("IFLA_LINK", 2), ("IFLA_LINK_NETNSID", 3), VETH],
                                  {"kind": "veth", "peer_index": 2, "peer_in_other_netns": True, "peer_netnsid": 3,
                                   "link_index": 2}),
    "peer id zero": ([("IFLA_IFNAME", "veth1"), ("IFLA_LINK", 2), ("IFLA_LINK_NETNSID", 0), VETH],
                     {"peer_in_other_netns": True, "peer_netnsid": 0}),
    "peer in the same namespace": ([("IFLA_IFNAME", "a"), ("IFLA_LINK", 9), VETH],
                                   {"peer_index": 9, "peer_in_other_netns": False, "peer_netnsid": None}),
    "IFLA_LINK of another kind is no peer": ([("IFLA_IFNAME", "m0"), ("IFLA_LINK", 2),
                                              ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "macvlan")]})],
                                             {"kind": "macvlan", "peer_index": None, "link_index": 2}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_veth_read(case: str) -> None:
    attrs, want = CASES[case]
    link = _link(parse(parse_link, pyroute2_bytes(ifinfmsg, {"index": 8, "flags": 1}, attrs, RTM_NEWLINK)), {}, {})
    assert {k: getattr(link, k) for k in want} == want
