"""How a diagram draws a veth pair: each end a circle with its settings, a `veth` line between."""

from __future__ import annotations

from typing import Iterator

from ...model import EndRef, Kind, Topology
from ..impair.show import link_label
from ..link.graph import Wire, lines  # a veth end's lines: its name and settings

KIND = Kind.VETH
SHAPE = "circle"
STYLE = "iface"
WIRES = 1  # where its wires come among the kinds'
RANK = 1


def _order(end: EndRef) -> tuple[str, bool, str, str]:
    """An end's place in the drawing order: by node, the root namespace first, namespace, name
    (an `EndRef` itself does not order a root-namespace end against a namespace's)."""
    place = end.place
    return place.node, place.netns is not None, place.netns or "", end.ifname


def wires(topo: Topology) -> Iterator[Wire]:
    for pair in sorted(topo.veths, key=lambda p: (_order(p.a), _order(p.b))):
        yield Wire(pair.a, pair.b, link_label(topo, pair.a, pair.b), "veth")
