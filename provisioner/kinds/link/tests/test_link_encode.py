"""The shared link ops: set-link's request (decoded by pyroute2) and delete-link's."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.link.apply import DELETE_LINK, SET_LINK, LinkSpec
from provisioner.kinds.testing import FakeExecutor, attr_names, decode
from provisioner.rtnl import RTM_DELLINK, RTM_NEWLINK

EX = FakeExecutor({(None, "br0"): 3})

CASES: dict[str, tuple[LinkSpec, tuple[int, int], dict[str, Any]]] = {
    # case: (spec, (flags, change), attributes)
    "mtu": (LinkSpec("veth1", mtu=1400), (0, 0), {"IFLA_IFNAME": "veth1", "IFLA_MTU": 1400}),
    "mac": (LinkSpec("veth1", mac="aa:bb:cc:00:00:01"), (0, 0), {"IFLA_ADDRESS": "aa:bb:cc:00:00:01"}),
    "up": (LinkSpec("veth1", up=True), (1, 1), {"IFLA_IFNAME": "veth1"}),
    "down": (LinkSpec("veth1", up=False), (0, 1), {"IFLA_IFNAME": "veth1"}),
    "master by index": (LinkSpec("veth1", master="br0"), (0, 0), {"IFLA_MASTER": 3}),
    "no master": (LinkSpec("veth1", nomaster=True), (0, 0), {"IFLA_MASTER": 0}),
    "alias": (LinkSpec("veth1", alias="topo:lab"), (0, 0), {"IFLA_IFALIAS": "topo:lab"}),
    "queue length": (LinkSpec("veth1", txqlen=0), (0, 0), {"IFLA_TXQLEN": 0}),
    "all at once": (LinkSpec("veth1", 9000, "aa:bb:cc:00:00:02", True, "br0", alias="topo:lab"), (1, 1),
                    {"IFLA_IFNAME": "veth1", "IFLA_MTU": 9000, "IFLA_ADDRESS": "aa:bb:cc:00:00:02", "IFLA_MASTER": 3,
                     "IFLA_IFALIAS": "topo:lab"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_link_encode_set(case: str) -> None:
    spec, (flags, change), attrs = CASES[case]
    action = Action(SET_LINK, Change.UPDATE, None, f"link {spec.name}", spec)
    requests, followups = SET_LINK.encode(EX, action)  # type: ignore[misc]
    assert followups == [] and len(requests) == 1 and requests[0].netns is None
    assert (requests[0].msg.type, requests[0].msg.flags) == (RTM_NEWLINK, 0)  # changes, never creates
    msg = decode(requests[0].msg, ifinfmsg)
    assert (msg["index"], msg["flags"], msg["change"]) == (0, flags, change)  # by name
    assert {k: msg.get_attr(k) for k in attrs} == attrs
    assert set(attr_names(msg)) == {"IFLA_IFNAME", *attrs}


@pytest.mark.parametrize("hairpin", [True, False])
def test_link_encode_hairpin_after_the_rest(hairpin: bool) -> None:
    """A port's hairpin mode is a request of its own, after the one that may make the link a
    port (the kernel applies IFLA_INFO_SLAVE_DATA before the rest of a request)."""
    spec = LinkSpec("veth1", master="br0", hairpin=hairpin)
    requests, followups = SET_LINK.encode(EX, Action(SET_LINK, Change.UPDATE, None, "link veth1", spec))  # type: ignore[misc]
    assert followups == [] and len(requests) == 2
    first, port = (decode(r.msg, ifinfmsg) for r in requests)
    assert first.get_attr("IFLA_MASTER") == 3 and first.get_attr("IFLA_LINKINFO") is None
    assert (requests[1].msg.type, requests[1].msg.flags, port["index"]) == (RTM_NEWLINK, 0, 0)
    assert port.get_attr("IFLA_IFNAME") == "veth1" and attr_names(port) == ["IFLA_IFNAME", "IFLA_LINKINFO"]
    info = port.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_SLAVE_KIND") == "bridge"
    assert info.get_attr("IFLA_INFO_SLAVE_DATA").get_attr("IFLA_BRPORT_MODE") == int(hairpin)


def test_link_encode_delete_by_name() -> None:
    ex = FakeExecutor({})
    DELETE_LINK.run(ex, Action(DELETE_LINK, Change.DELETE, "pod1", "link d0", LinkSpec("d0")))  # type: ignore[misc]
    [sent] = ex.pool.socket("pod1").sent
    msg = decode(sent, ifinfmsg)
    assert (sent.type, msg["index"], attr_names(msg), msg.get_attr("IFLA_IFNAME")) == (RTM_DELLINK, 0, ["IFLA_IFNAME"], "d0")
    assert ex.forgotten == [("pod1",)], "the ifindex cache of the namespace is dropped"
