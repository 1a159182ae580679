"""VXLAN devices: made with their identity (VNI, port, local address), remade when it changes."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.keys import LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Built, Request
from ...model import Interface, Kind, Vxlan
from ...rtnl import (
    IFLA_INFO_DATA,
    IFLA_INFO_KIND,
    IFLA_LINKINFO,
    NLM_F_CREATE,
    NLM_F_EXCL,
    RTM_NEWLINK,
    Msg,
    ifinfo,
    rta,
    rta_str,
    rta_u32,
)
from .read import read, IFLA_VXLAN_ID, IFLA_VXLAN_LEARNING, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, IFLA_VXLAN_PORT
from ..link.apply import LinkSpec, link_attrs, link_msg
from ..link.diff import LinkDiff, link_summary, spec_of

if TYPE_CHECKING:
    from ...live import LiveLink


@dataclass(frozen=True)
class VxlanSpec:
    link: LinkSpec
    vxlan: Vxlan


def _create(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, VxlanSpec)
    v, link = spec.vxlan, spec.link
    local = rta(IFLA_VXLAN_LOCAL if v.local.version == 4 else IFLA_VXLAN_LOCAL6, v.local.packed)
    data = rta_u32(IFLA_VXLAN_ID, v.vni) + local + rta(IFLA_VXLAN_PORT, struct.pack(">H", v.port))
    data += rta(IFLA_VXLAN_LEARNING, b"\x01")
    attrs = link_attrs(ex, a.netns, link.name, LinkSpec(mtu=link.mtu, mac=link.mac))
    attrs.append(rta(IFLA_LINKINFO, rta_str(IFLA_INFO_KIND, "vxlan") + rta(IFLA_INFO_DATA, data)))
    create = Msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfo() + b"".join(attrs))
    settings = link_msg(ex, a.netns, link.name, LinkSpec(alias=link.alias, master=link.master, up=link.up))
    return [Request(a.netns, create, a), Request(a.netns, settings, a)], []


CREATE_VXLAN = Op("create-vxlan", Stage.CREATE, encode=_create)


class VxlanLink:
    name = Kind.VXLAN
    paired = False
    read = staticmethod(read)

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        """Make the device, or remake it when its identity (VNI, port, local) changed."""
        v = iface.vxlan
        assert v is not None
        if link is not None:
            if d.claim(netns, link, "vxlan"):
                if link.info == (v.vni, v.port, v.local):
                    return
                d.delete(netns, link, "vxlan, changed identity", before=f"vni {link.info[0] if link.info else '?'}")
            elif not d.owned(netns, link):
                return
        d.out.add(CREATE_VXLAN, Change.CREATE, netns, f"vxlan {iface.name}", VxlanSpec(spec_of(iface, d.ctx.alias), v),
                  after=f"{link_summary(iface)} vni {v.vni} port {v.port} local {v.local}",
                  key=LinkKey(netns, iface.name), links=(LinkKey(netns, iface.name),))
        d.made(netns, iface.name)

    def pairs(self, d: LinkDiff) -> None:
        """Not paired."""
