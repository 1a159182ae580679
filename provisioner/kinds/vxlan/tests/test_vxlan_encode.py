"""create-vxlan (identity in IFLA_INFO_DATA, then master, alias and up) and the forwarding
entries' requests, decoded by pyroute2."""

from __future__ import annotations

import ipaddress

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.link.apply import LinkSpec
from provisioner.kinds.testing import FakeExecutor, attr_names, decode
from provisioner.kinds.vxlan.fdb import ADD_FDB, DELETE_FDB, FdbSpec
from provisioner.kinds.vxlan.link import CREATE_VXLAN, VxlanSpec
from provisioner.model import Vxlan
from provisioner.rtnl import NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, RTM_DELNEIGH, RTM_NEWLINK, RTM_NEWNEIGH

EX = FakeExecutor({(None, "br-l2"): 4, (None, "vx-l2"): 5})


@pytest.mark.parametrize("local,attr", [("192.0.2.11", "IFLA_VXLAN_LOCAL"), ("2001:db8::11", "IFLA_VXLAN_LOCAL6")])
def test_vxlan_encode_create(local: str, attr: str) -> None:
    spec = VxlanSpec(LinkSpec("vx-l2", 1450, None, True, "br-l2", alias="topo:lab"),
                     Vxlan(42, 4789, ipaddress.ip_address(local)))
    requests, followups = CREATE_VXLAN.encode(EX, Action(CREATE_VXLAN, Change.CREATE, None, "vxlan vx-l2", spec))  # type: ignore[misc]
    assert followups == [] and len(requests) == 2
    create, settings = (r.msg for r in requests)
    assert (create.type, create.flags) == (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
    made = decode(create, ifinfmsg)
    assert made.get_attr("IFLA_IFNAME") == "vx-l2" and made.get_attr("IFLA_MTU") == 1450
    assert "IFLA_MASTER" not in attr_names(made), "attached once it exists, in the second request"
    info = made.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "vxlan"
    data = info.get_attr("IFLA_INFO_DATA")
    assert (data.get_attr("IFLA_VXLAN_ID"), data.get_attr("IFLA_VXLAN_PORT"), data.get_attr(attr)) == (42, 4789, local)
    assert data.get_attr("IFLA_VXLAN_LEARNING") == 1
    then = decode(settings, ifinfmsg)
    assert (then["flags"], then["change"], then.get_attr("IFLA_MASTER"), then.get_attr("IFLA_IFALIAS")) == (1, 1, 4, "topo:lab")


@pytest.mark.parametrize("op,msg_type,flags", [(ADD_FDB, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND), (DELETE_FDB, RTM_DELNEIGH, 0)])
@pytest.mark.parametrize("remote", ["192.0.2.12", "2001:db8::12"])
def test_vxlan_encode_fdb(op: object, msg_type: int, flags: int, remote: str) -> None:
    action = Action(op, Change.CREATE, None, "remote", FdbSpec("vx-l2", ipaddress.ip_address(remote)))  # type: ignore[arg-type]
    [req], followups = op.encode(EX, action)  # type: ignore[attr-defined]
    assert followups == [] and (req.msg.type, req.msg.flags, req.tolerate_gone) == (msg_type, flags, op is DELETE_FDB)
    msg = decode(req.msg, ndmsg)
    assert (msg["family"], msg["ifindex"], msg["state"], msg["flags"]) == (7, 5, 0x80 | 0x40, 0x02)  # permanent, noarp; self
    assert msg.get_attr("NDA_LLADDR") == "00:00:00:00:00:00" and msg.get_attr("NDA_DST") == remote
