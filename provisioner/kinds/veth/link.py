"""Veth pairs (`links:`): both ends made in one request, each in its namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.keys import LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Built, Request
from ...model import EndRef, Interface, Kind
from ...rtnl import IFF_UP, NLM_F_CREATE, NLM_F_EXCL, RTM_NEWLINK, Msg
from ..link.apply import LinkSpec, link_msg
from ..link.diff import LinkDiff, link_summary, spec_of
from ..link.rename import renamable, rename

if TYPE_CHECKING:
    from ...live import LiveLink


@dataclass(frozen=True)
class VethSpec:
    a_netns: str | None
    a_name: str
    b_netns: str | None
    b_name: str
    a: LinkSpec
    b: LinkSpec


def encode_pair(p_name: str, p_spec: LinkSpec, p_master: int | None, q_name: str, q_spec: LinkSpec, q_fd: int) -> Msg:
    """RTM_NEWLINK making end p here and its peer q in the namespace open at `q_fd`. The
    nested peer info is encoded by pyroute2."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    msg = ifinfmsg()
    msg["index"] = 0
    msg["flags"] = IFF_UP if p_spec.up else 0
    msg["change"] = IFF_UP
    attrs: list[tuple[str, object]] = [("IFLA_IFNAME", p_name)]
    if p_spec.mtu is not None:
        attrs.append(("IFLA_MTU", p_spec.mtu))
    if p_spec.mac is not None:
        attrs.append(("IFLA_ADDRESS", p_spec.mac))
    if p_master is not None:
        attrs.append(("IFLA_MASTER", p_master))
    peer_attrs: list[tuple[str, object]] = [("IFLA_IFNAME", q_name), ("IFLA_NET_NS_FD", q_fd)]
    if q_spec.mtu is not None:
        peer_attrs.append(("IFLA_MTU", q_spec.mtu))
    if q_spec.mac is not None:
        peer_attrs.append(("IFLA_ADDRESS", q_spec.mac))
    # the peer cannot be brought up inside the create request (veth_open: ENOTCONN until
    # both ends exist); it is brought up with its alias right after
    peer = {"index": 0, "flags": 0, "change": 0, "attrs": peer_attrs}
    attrs.append(("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_KIND", "veth"),
        ("IFLA_INFO_DATA", {"attrs": [("VETH_INFO_PEER", peer)]}),
    ]}))
    msg["attrs"] = attrs
    return Msg.from_pyroute2(msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)


def _create(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, VethSpec)
    # create from the root namespace when one end is there: all of a phase's veths then go
    # out in one batch on the root socket
    ends = [(spec.a_netns, spec.a_name, spec.a), (spec.b_netns, spec.b_name, spec.b)]
    if spec.a_netns is not None and spec.b_netns is None:
        ends.reverse()
    (p_ns, p_name, p_spec), (q_ns, q_name, q_spec) = ends
    master = ex.index(p_ns, p_spec.master) if p_spec.master is not None else None
    fd = ex.pool.fd(q_ns)
    ex.open_fds.append(fd)  # the kernel reads it when the request arrives: closed after the send
    create = encode_pair(p_name, p_spec, master, q_name, q_spec, fd)
    first = [Request(p_ns, create, a), Request(p_ns, link_msg(ex, p_ns, p_name, LinkSpec(alias=p_spec.alias)), a)]
    peer_settings = LinkSpec(alias=q_spec.alias, master=q_spec.master, up=q_spec.up)
    return first, [Request(q_ns, link_msg(ex, q_ns, q_name, peer_settings), a)]


CREATE_VETH = Op("create-veth", Stage.CREATE, encode=_create)


def _end(end: EndRef) -> str:
    return f"{end.place.netns or '(root)'}:{end.ifname}"


def _peers(p: "LiveLink", q: "LiveLink") -> bool:
    return p.peer_index == q.index and q.peer_index == p.index


def _spare_veths(d: LinkDiff, netns: str | None) -> list["LiveLink"]:
    live = d.live_ns(netns)
    return [link for link in live.links.values() if link.kind == "veth" and renamable(d, netns, link)] if live else []


class Veth:
    name = Kind.VETH
    paired = True

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        """Veths are planned by pairs."""

    def pairs(self, d: LinkDiff) -> None:
        for pair in d.ctx.topo.veths:
            if pair.a.place.node == d.ctx.node.name:
                self.pair(d, pair.a, pair.b)

    def renames(self, d: LinkDiff) -> None:
        """Pairs the file names otherwise: an end whose peer is the other end the file names
        (or both ends, when exactly one pair of the lab's links the two namespaces)."""
        for pair in d.ctx.topo.veths:
            if pair.a.place.node == d.ctx.node.name:
                self.rename_pair(d, pair.a, pair.b)

    def rename_pair(self, d: LinkDiff, a: EndRef, b: EndRef) -> None:
        la, lb = d.live_link(a.place.netns, a.ifname), d.live_link(b.place.netns, b.ifname)
        if la is not None and lb is not None:
            return
        if la is None and lb is None:
            candidates = [(p, q) for p in _spare_veths(d, a.place.netns) for q in _spare_veths(d, b.place.netns)
                          if _peers(p, q) and (a.place.netns != b.place.netns or p.name != q.name)]
            if len(candidates) == 1:
                p, q = candidates[0]
                rename(d, a.place.netns, p, a.ifname)
                rename(d, b.place.netns, q, b.ifname)
            return
        present, missing = (la, b) if la is not None else (lb, a)
        assert present is not None
        if present.kind != "veth" or not d.owned((a if la is not None else b).place.netns, present):
            return
        peers = [q for q in _spare_veths(d, missing.place.netns) if _peers(present, q)]
        if len(peers) == 1:
            rename(d, missing.place.netns, peers[0], missing.ifname)

    def pair(self, d: LinkDiff, a: EndRef, b: EndRef) -> None:
        topo = d.ctx.topo
        ia, ib = topo.interface(a), topo.interface(b)
        la, lb = d.live_link(a.place.netns, a.ifname), d.live_link(b.place.netns, b.ifname)
        for end, link in ((a, la), (b, lb)):
            # another's end: a veth is compared (or adopted), anything else is a conflict;
            # the lab's own ends of the wrong kind are replaced below (not paired)
            if link is not None and not d.owned(end.place.netns, link) and not d.claim(end.place.netns, link, "veth"):
                return
        paired = (la is not None and lb is not None and la.kind == "veth" and lb.kind == "veth"
                  and la.peer_index == lb.index and lb.peer_index == la.index)
        if paired:
            for end, iface, link in ((a, ia, la), (b, ib, lb)):
                assert link is not None
                d.settings(end.place.netns, iface, link)
            return
        for end, link, other in ((a, la, b), (b, lb, a)):
            if link is not None:
                why = f"veth, not paired with {_end(other)}" if link.kind == "veth" else f"{link.kind or 'device'}, not a veth"
                d.delete(end.place.netns, link, why)
        keys = (LinkKey(a.place.netns, a.ifname), LinkKey(b.place.netns, b.ifname))
        d.out.add(CREATE_VETH, Change.CREATE, a.place.netns, f"veth {_end(a)} <-> {_end(b)}",
                  VethSpec(a.place.netns, a.ifname, b.place.netns, b.ifname, spec_of(ia, d.ctx.alias), spec_of(ib, d.ctx.alias)),
                  after=f"{link_summary(ia)} / {link_summary(ib)}", key=keys[0], links=keys)
        d.made(a.place.netns, a.ifname)
        d.made(b.place.netns, b.ifname)
