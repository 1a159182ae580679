"""Macvlan devices: made in the root namespace on their parent, and moved into their
namespace in the same request; remade when their parent or mode changes (the kernel cannot
change either), and whenever the plan remakes their parent (the kernel deletes a macvlan
with its parent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.diff import ForeignDiff
from ...core.keys import LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Built, Request
from ...model import Interface
from ... import rtnl
from ..link.apply import LinkSpec, link_attrs, link_msg
from ..link.diff import LinkDiff, link_summary, spec_of
from .model import KIND, MODES, Macvlan
from .read import IFLA_MACVLAN_MODE, MacvlanFacts, read

if TYPE_CHECKING:
    from ...live import LiveLink


@dataclass(frozen=True)
class MacvlanSpec:
    link: LinkSpec
    macvlan: Macvlan


def encode(name: str, spec: LinkSpec, mode: str, parent_index: int, netns_fd: int | None) -> rtnl.Msg:
    """rtnl.RTM_NEWLINK, sent in the parent's (root) namespace: a macvlan on `parent_index`, moved
    at once into the namespace open at `netns_fd` (None: stays in the root namespace)."""
    attrs = link_attrs(None, None, name, LinkSpec(mtu=spec.mtu, mac=spec.mac))
    attrs.append(rtnl.rta_u32(rtnl.IFLA_LINK, parent_index))
    if netns_fd is not None:
        attrs.append(rtnl.rta_u32(rtnl.IFLA_NET_NS_FD, netns_fd))
    info = rtnl.rta_str(rtnl.IFLA_INFO_KIND, KIND) + rtnl.rta(rtnl.IFLA_INFO_DATA, rtnl.rta_u32(IFLA_MACVLAN_MODE, MODES[mode]))
    attrs.append(rtnl.rta(rtnl.IFLA_LINKINFO, info))
    return rtnl.Msg(rtnl.RTM_NEWLINK, rtnl.NLM_F_CREATE | rtnl.NLM_F_EXCL, rtnl.ifinfo() + b"".join(attrs))


def _create(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, MacvlanSpec)
    fd = None
    if a.netns is not None:
        fd = ex.pool.fd(a.netns)
        ex.open_fds.append(fd)  # the kernel reads it when the request arrives: closed after the send
    create = encode(spec.link.name, spec.link, spec.macvlan.mode, ex.index(None, spec.macvlan.parent), fd)
    settings = link_msg(ex, a.netns, spec.link.name, LinkSpec(alias=spec.link.alias, master=spec.link.master, up=spec.link.up))
    if a.netns is None:
        return [Request(None, create, a), Request(None, settings, a)], []
    return [Request(None, create, a)], [Request(a.netns, settings, a)]


CREATE_MACVLAN = Op("create-macvlan", Stage.CREATE, encode=_create)


class MacvlanLink:
    name = KIND
    paired = False
    read = staticmethod(read)

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        m = iface.spec
        assert isinstance(m, Macvlan)
        parent = d.ctx.live.root.links.get(m.parent)
        parent_made = d.effects.link_made(None, m.parent)
        if parent is None and not parent_made and not _declared(d, m.parent):
            d.out.conflict(netns, f"macvlan {iface.name}", f"macvlan {iface.name}: its parent {m.parent} does not exist "
                           f"in the root namespace of node {d.ctx.node.name}",
                           "declare the parent in the lab (a bridge, a veth end), or name a link the node has")
            return
        if link is not None:
            if not d.claim(netns, link, KIND):
                if not d.owned(netns, link):
                    return
            elif not parent_made and self.same(link, m, parent, netns):
                return
            elif d.owned(netns, link) or d.ctx.adopt:
                why = "its parent is made anew" if parent_made else "changed parent or mode"
                d.delete(netns, link, f"macvlan, {why}", before=_facts_text(link))
            else:  # another's: compared, never changed
                d.out.foreign.append(ForeignDiff(LinkKey(netns, link.name), f"link {link.name}", netns,
                                                 f"~ macvlan {link.name}: {_facts_text(link)} -> on {m.parent} mode {m.mode}"))
                return
        d.out.add(CREATE_MACVLAN, Change.CREATE, netns, f"macvlan {iface.name}", MacvlanSpec(spec_of(iface, d.ctx.alias), m),
                  after=f"{link_summary(iface)} on {m.parent} mode {m.mode}", key=LinkKey(netns, iface.name),
                  links=(LinkKey(netns, iface.name),))
        d.made(netns, iface.name)

    @staticmethod
    def same(link: LiveLink, m: Macvlan, parent: LiveLink | None, netns: str | None) -> bool:
        facts = link.info
        if not isinstance(facts, MacvlanFacts) or parent is None or facts.mode != m.mode:
            return False
        # in the root namespace the parent is local; elsewhere it is the root's, by its id
        in_root = facts.parent_netnsid is None
        return facts.parent_index == parent.index and (in_root == (netns is None))

    def pairs(self, d: LinkDiff) -> None:
        """Not paired."""


def _declared(d: LinkDiff, name: str) -> bool:
    return name in d.ctx.node.root.interfaces


def _facts_text(link: LiveLink) -> str:
    facts = link.info
    return f"mode {facts.mode}" if isinstance(facts, MacvlanFacts) else "macvlan"
