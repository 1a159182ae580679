"""create-macvlan: RTM_NEWLINK in the root namespace on the parent's ifindex, moved into its
namespace by the namespace's fd in the same request; then alias and up (in the namespace it is
in), decoded by pyroute2."""

from __future__ import annotations

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.link.apply import LinkSpec
from provisioner.kinds.macvlan.link import CREATE_MACVLAN, MacvlanSpec
from provisioner.kinds.macvlan.model import Macvlan
from provisioner.kinds.testing import FakeExecutor, FakePool, attr_names, decode
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL, RTM_NEWLINK

MODES = ("bridge", "passthru", "private", "vepa")  # pyroute2 names the values of linux/if_link.h MACVLAN_MODE_*


def executor() -> FakeExecutor:
    return FakeExecutor({(None, "br-mv"): 4, (None, "veth-rt"): 6}, pool=FakePool(fds={"pod-a": 17}))


def built(ex: FakeExecutor, netns: str | None, spec: MacvlanSpec) -> tuple[list, list]:  # type: ignore[type-arg]
    return CREATE_MACVLAN.encode(ex, Action(CREATE_MACVLAN, Change.CREATE, netns, f"macvlan {spec.link.name}", spec))  # type: ignore[misc]


def check_create(msg: object, name: str, parent: int, mode: str) -> object:
    assert (msg.type, msg.flags) == (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)  # type: ignore[attr-defined]
    made = decode(msg, ifinfmsg)  # type: ignore[arg-type]
    assert (made.get_attr("IFLA_IFNAME"), made.get_attr("IFLA_LINK")) == (name, parent)
    info = made.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "macvlan"
    assert info.get_attr("IFLA_INFO_DATA").get_attr("IFLA_MACVLAN_MODE") == mode
    assert "IFLA_IFALIAS" not in attr_names(made) and "IFLA_MASTER" not in attr_names(made)
    return made


@pytest.mark.parametrize("mode", MODES)
def test_macvlan_encode_made_in_the_root_and_moved_into_its_namespace(mode: str) -> None:
    ex = executor()
    spec = MacvlanSpec(LinkSpec("eth0", 1400, "02:00:00:00:01:0a", True, alias="topo:lab"), Macvlan("br-mv", mode))
    requests, followups = built(ex, "pod-a", spec)
    assert [r.netns for r in requests] == [None], "sent in the parent's (root) namespace"
    made = check_create(requests[0].msg, "eth0", 4, mode)
    assert made.get_attr("IFLA_NET_NS_FD") == 17 and ex.open_fds == [17]  # type: ignore[attr-defined]
    assert (made.get_attr("IFLA_MTU"), made.get_attr("IFLA_ADDRESS")) == (1400, "02:00:00:00:01:0a")  # type: ignore[attr-defined]
    [then] = followups
    assert then.netns == "pod-a" and then.msg.type == RTM_NEWLINK and then.msg.flags == 0
    settings = decode(then.msg, ifinfmsg)
    assert (settings.get_attr("IFLA_IFNAME"), settings.get_attr("IFLA_IFALIAS")) == ("eth0", "topo:lab")
    assert (settings["flags"], settings["change"]) == (1, 1)
    assert "IFLA_LINK" not in attr_names(settings) and "IFLA_MTU" not in attr_names(settings)


def test_macvlan_encode_in_the_root_namespace_down_without_mtu_or_mac() -> None:
    ex = executor()
    spec = MacvlanSpec(LinkSpec("mv-rt", None, None, False, alias="topo:lab"), Macvlan("veth-rt", "passthru"))
    requests, followups = built(ex, None, spec)
    assert followups == [] and [r.netns for r in requests] == [None, None]
    made = check_create(requests[0].msg, "mv-rt", 6, "passthru")
    names = attr_names(made)
    assert "IFLA_NET_NS_FD" not in names and "IFLA_MTU" not in names and "IFLA_ADDRESS" not in names and ex.open_fds == []
    settings = decode(requests[1].msg, ifinfmsg)
    assert (settings.get_attr("IFLA_IFALIAS"), settings["flags"], settings["change"]) == ("topo:lab", 0, 1)


def test_macvlan_encode_a_parent_that_is_gone_is_a_clear_error() -> None:
    spec = MacvlanSpec(LinkSpec("eth0", None, None, True, alias="topo:lab"), Macvlan("br-gone"))
    with pytest.raises(OSError, match="no interface br-gone"):
        built(executor(), "pod-a", spec)
