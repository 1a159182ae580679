"""Veth pairs in a topology file: the top-level `links:`. A namespace's end is `NS:IFNAME` with its
settings under the namespace's `interfaces:`; a root-namespace end (a bridge port or a node's end)
is an `{at: OWNER:IFNAME, ...}` mapping with its settings; an MTU both ends share is the link's `mtu:`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import EndRef, Interface, Kind, Place, Topology, VethPair
from ..impair import dump as impair
from ..link.dump import settings

if TYPE_CHECKING:
    from ...dump import Data, DumpContext

KIND = Kind.VETH


def document(ctx: DumpContext) -> Data:
    return {"links": [link(ctx.topo, pair) for pair in ctx.topo.veths]} if ctx.topo.veths else {}


def interface(ctx: DumpContext, iface: Interface) -> Data:
    """A veth end's settings; its MTU only when its link does not carry it."""
    return settings(iface, mtu=not shared_mtu(ctx.topo, iface))


def shared_mtu(topo: Topology, iface: Interface) -> bool:
    """Whether a veth end's MTU is written once, as its link's `mtu:` (both ends have it)."""
    if iface.peer is None or iface.mtu is None:
        return False
    return topo.interface(iface.peer).mtu == iface.mtu


def link(topo: Topology, pair: VethPair) -> Data:
    a, b = topo.interface(pair.a), topo.interface(pair.b)
    out: Data = {"a": _impaired(topo, pair.a, end(topo, pair.a.place, a)), "b": _impaired(topo, pair.b, end(topo, pair.b.place, b))}
    if shared_mtu(topo, a):
        out["mtu"] = a.mtu
    out.update(impair.link(topo, pair))
    if pair.description is not None:
        out["description"] = pair.description
    return out


def _impaired(topo: Topology, ref: EndRef, entry: str | Data) -> str | Data:
    """An end's entry with its own `impair:` (a mapping then)."""
    own = impair.end(topo, ref)
    if not own:
        return entry
    return {**({"at": entry} if isinstance(entry, str) else entry), **own}


def end(topo: Topology, place: Place, iface: Interface) -> str | Data:
    """`OWNER:IFNAME`; a root-namespace end (bridge port or node end) carries its settings here,
    a namespace end has them under the namespace's `interfaces:`."""
    owner = place.netns or iface.master or place.node
    at = f"{owner}:{iface.name}"
    if place.netns is not None:
        return at
    out = settings(iface, mtu=not shared_mtu(topo, iface))
    return {"at": at, **out} if out else at
