"""create-veth: one request makes both ends (the peer in its namespace by fd, encoded by
pyroute2 and decoded here by it too), then each end's alias and settings."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.link.apply import LinkSpec
from provisioner.kinds.testing import FakeExecutor, FakePool, decode
from provisioner.kinds.veth.link import CREATE_VETH, VethSpec
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL, RTM_NEWLINK


def _encode(spec: VethSpec) -> tuple[FakeExecutor, list, list]:
    ex = FakeExecutor({(None, "br0"): 3}, pool=FakePool(fds={"pod1": 41, None: 40}))
    first, then = CREATE_VETH.encode(ex, Action(CREATE_VETH, Change.CREATE, spec.a_netns, "veth", spec))  # type: ignore[misc]
    return ex, first, then


def test_veth_encode_made_from_the_root_side() -> None:
    pod = LinkSpec("eth0", 1400, "aa:bb:cc:00:00:01", True, alias="topo:lab")
    root = LinkSpec("veth1", 1400, None, True, "br0", alias="topo:lab")
    ex, first, then = _encode(VethSpec("pod1", "eth0", None, "veth1", pod, root))
    assert ex.open_fds == [41], "the peer namespace's fd stays open until the batch is sent"
    assert [r.netns for r in first] == [None, None] and [r.netns for r in then] == ["pod1"]
    create = first[0].msg
    assert (create.type, create.flags) == (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
    msg = decode(create, ifinfmsg)
    assert (msg.get_attr("IFLA_IFNAME"), msg.get_attr("IFLA_MTU"), msg.get_attr("IFLA_MASTER")) == ("veth1", 1400, 3)
    assert (msg["flags"], msg["change"]) == (1, 1)
    info = msg.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "veth"
    peer = info.get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert (peer.get_attr("IFLA_IFNAME"), peer.get_attr("IFLA_NET_NS_FD"), peer.get_attr("IFLA_MTU"),
            peer.get_attr("IFLA_ADDRESS")) == ("eth0", 41, 1400, "aa:bb:cc:00:00:01")
    assert peer["flags"] == 0, "a peer cannot be brought up in the create request"
    alias = decode(first[1].msg, ifinfmsg)
    assert (alias.get_attr("IFLA_IFNAME"), alias.get_attr("IFLA_IFALIAS")) == ("veth1", "topo:lab")
    up = decode(then[0].msg, ifinfmsg)
    assert (up.get_attr("IFLA_IFNAME"), up.get_attr("IFLA_IFALIAS"), up["flags"], up["change"]) == ("eth0", "topo:lab", 1, 1)


def test_veth_encode_between_two_namespaces() -> None:
    a, b = LinkSpec("eth0", up=True, alias="topo:lab"), LinkSpec("eth1", up=False, alias="topo:lab")
    ex = FakeExecutor({}, pool=FakePool(fds={"pod2": 52}))
    first, then = CREATE_VETH.encode(ex, Action(CREATE_VETH, Change.CREATE, "pod1", "veth",  # type: ignore[misc]
                                                VethSpec("pod1", "eth0", "pod2", "eth1", a, b)))
    assert [r.netns for r in first] == ["pod1", "pod1"] and [r.netns for r in then] == ["pod2"]
    msg = decode(first[0].msg, ifinfmsg)
    assert "IFLA_MASTER" not in [x[0] for x in msg["attrs"]]
    peer = msg.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert (msg.get_attr("IFLA_IFNAME"), peer.get_attr("IFLA_IFNAME"), peer.get_attr("IFLA_NET_NS_FD")) == ("eth0", "eth1", 52)
    down = decode(then[0].msg, ifinfmsg)
    assert (down["flags"], down["change"]) == (0, 1)
