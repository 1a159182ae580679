"""create-bridge: the device made in one request (with a MAC of its own), its MTU and alias set in a second one (set at
creation, the kernel would not count the MTU as chosen)."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.bridge.link import CREATE_BRIDGE
from provisioner.kinds.link.apply import LinkSpec
from provisioner.kinds.testing import FakeExecutor, attr_names, decode
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL, RTM_NEWLINK


def test_bridge_encode_create_then_settings() -> None:
    spec = LinkSpec("br0", 1400, "aa:bb:cc:00:00:01", True, alias="topo:lab")
    action = Action(CREATE_BRIDGE, Change.CREATE, None, "bridge br0", spec)
    requests, followups = CREATE_BRIDGE.encode(FakeExecutor({}), action)  # type: ignore[misc]
    assert followups == [] and [r.netns for r in requests] == [None, None]
    create, settings = (r.msg for r in requests)
    assert (create.type, create.flags, settings.type, settings.flags) == (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, RTM_NEWLINK, 0)
    made = decode(create, ifinfmsg)
    assert (made["flags"], made["change"]) == (1, 1)
    assert made.get_attr("IFLA_IFNAME") == "br0" and made.get_attr("IFLA_ADDRESS") == "aa:bb:cc:00:00:01"
    assert made.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_KIND") == "bridge"
    assert "IFLA_MTU" not in attr_names(made) and "IFLA_IFALIAS" not in attr_names(made)
    then = decode(settings, ifinfmsg)
    assert {a: then.get_attr(a) for a in attr_names(then)} == {"IFLA_IFNAME": "br0", "IFLA_MTU": 1400, "IFLA_IFALIAS": "topo:lab"}


def test_bridge_encode_gives_a_bridge_without_a_mac_its_own() -> None:
    """Not the kernel's choice, which follows the bridge's lowest port as ports come and go."""
    action = Action(CREATE_BRIDGE, Change.CREATE, None, "bridge br0", LinkSpec("br0", up=True, alias="topo:lab"))
    macs = set()
    for _ in range(2):
        requests, _followups = CREATE_BRIDGE.encode(FakeExecutor({}), action)  # type: ignore[misc]
        mac = decode(requests[0].msg, ifinfmsg).get_attr("IFLA_ADDRESS")
        first = int(mac.split(":")[0], 16)
        assert first & 0x01 == 0 and first & 0x02 == 2, mac  # unicast, locally administered
        macs.add(mac)
    assert len(macs) == 2
