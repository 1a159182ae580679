"""How a diagram draws a macvlan: a circle `macvlan NAME` with its parent and mode, and a
dashed `macvlan` line to its parent when the parent is drawn (the lab's bridge or veth end)."""

from __future__ import annotations

from typing import Iterator

from ...model import EndRef, Interface, Netns, Place, Topology
from ..link.graph import Wire, details
from .model import KIND, Macvlan

SHAPE = "circle"
STYLE = "iface"
WIRES = 4  # where its wires come among the kinds'
RANK = 1


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    m = iface.spec
    head = f"on {m.parent}, {m.mode}" if isinstance(m, Macvlan) else "macvlan"
    return (f"macvlan {iface.name}", head, *details(iface))


def wires(topo: Topology) -> Iterator[Wire]:
    for node in topo.nodes.values():
        for ns in node.all_netns():
            for iface in ns.interfaces.values():
                m = iface.spec
                if iface.kind == KIND and isinstance(m, Macvlan) and m.parent in node.root.interfaces:
                    yield Wire(EndRef(ns.place, iface.name), EndRef(Place(node.name), m.parent), "macvlan", "port")
