"""How a diagram draws a tap: a circle `tap NAME` with its mode, owner and queues, and a
`port` line to its bridge when it is one's port."""

from __future__ import annotations

from typing import Iterator

from ...model import EndRef, Interface, Netns, Topology
from ..link.graph import Wire, details
from .link import describe
from .model import KIND, Tap

SHAPE = "circle"
STYLE = "iface"
WIRES = 5  # where its wires come among the kinds'
RANK = 1


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    t = iface.spec
    return (f"{t.mode if isinstance(t, Tap) else 'tap'} {iface.name}", describe(t) if isinstance(t, Tap) else "tun/tap",
            *details(iface))


def wires(topo: Topology) -> Iterator[Wire]:
    for node in topo.nodes.values():
        for ns in node.all_netns():
            for iface in ns.interfaces.values():
                if iface.kind == KIND and iface.master is not None and iface.master in ns.interfaces:
                    yield Wire(EndRef(ns.place, iface.name), EndRef(ns.place, iface.master), "tap", "port")
