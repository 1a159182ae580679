"""Impairments in a topology file, where the file gave them: a link's `impair:` (both ends send
with the same), an end's `impair:` (`{at: NS:IFNAME, impair: ...}`), or a namespace's `impair:`
by interface name. An impairment with no `path` (a captured one) is a link's when both ends of
its veth pair send with the same, else its end's; an interface that is not a veth end is its
namespace's."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from ...model import EndRef, Netns, Place, Topology, VethPair
from . import units
from .model import Chance, Impaired, Impairment

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


class Form(Enum):
    LINK = "link"
    END = "end"
    NAMESPACE = "namespace"


def impairment(imp: Impairment) -> Data:
    """The `impair:` mapping of `imp` (defaults left out; never empty: the schema wants a setting)."""
    out: Data = {}
    if imp.rate is not None:
        out["rate"] = units.format_rate(imp.rate)
    for key in ("delay", "jitter"):
        if getattr(imp, key):
            out[key] = units.format_time(getattr(imp, key))
    for key in ("loss", "duplicate", "reorder", "corrupt"):
        got: Chance | None = getattr(imp, key)
        if got is not None:
            out[key] = {"percent": got.percent, "correlation": got.correlation} if got.correlation else got.percent
    if imp.limit is not None:
        out["limit"] = imp.limit
    return out or {"delay": units.format_amount(0, units.TIME_UNITS)}


def _by_end(topo: Topology) -> dict[tuple[Place, str], Impaired]:
    return {(i.place, i.ifname): i for i in topo.impairments}


def _veth_end(topo: Topology, found: Impaired) -> tuple[VethPair, EndRef] | None:
    for pair in topo.veths:
        for end in (pair.a, pair.b):
            if end.place == found.place and end.ifname == found.ifname:
                return pair, end
    return None


def form(topo: Topology, found: Impaired) -> Form:
    """Where `found` is written: where its path says, else the shortest place that says it."""
    placed = _veth_end(topo, found)
    if placed is None:
        return Form.NAMESPACE
    if found.path and found.path[0] == "links":
        shared = len(found.path) == 3  # ("links", i, "impair")
        return Form.LINK if shared and _shared(topo, placed[0]) is not None else Form.END
    if found.path:
        return Form.NAMESPACE
    return Form.LINK if _shared(topo, placed[0]) is not None else Form.END


def _shared(topo: Topology, pair: VethPair) -> Impairment | None:
    """The impairment both ends of `pair` send with, when they do and neither is written elsewhere."""
    by_end = _by_end(topo)
    ia, ib = by_end.get((pair.a.place, pair.a.ifname)), by_end.get((pair.b.place, pair.b.ifname))
    if ia is None or ib is None or ia.impairment != ib.impairment:
        return None
    if any(i.path and (i.path[0] != "links" or len(i.path) != 3) for i in (ia, ib)):
        return None
    return ia.impairment


def link(topo: Topology, pair: VethPair) -> Data:
    """A veth pair's link entry's `impair:` (both ends send with it)."""
    shared = _shared(topo, pair)
    found = _by_end(topo).get((pair.a.place, pair.a.ifname))
    if shared is None or found is None or form(topo, found) is not Form.LINK:
        return {}
    return {"impair": impairment(shared)}


def end(topo: Topology, end: EndRef) -> Data:
    """A link end's own `impair:`."""
    found = _by_end(topo).get((end.place, end.ifname))
    if found is None or form(topo, found) is not Form.END:
        return {}
    return {"impair": impairment(found.impairment)}


def namespace(ctx: DumpContext, ns: Netns) -> Data:
    """A namespace's `impair:` of its interfaces by name."""
    topo = ctx.topo
    own = {i.ifname: impairment(i.impairment) for i in topo.impairments if i.place == ns.place and form(topo, i) is Form.NAMESPACE}
    return {"impair": own} if own else {}


