"""How a diagram draws a bridge: a hexagon `bridge NAME`, and a dashed `port` line from each
interface with a master to it."""

from __future__ import annotations

from typing import Iterator

from ...model import EndRef, Interface, Kind, Netns, Topology
from ..link.graph import Wire, details

KIND = Kind.BRIDGE
SHAPE = "hexagon"
STYLE = "bridge"
WIRES = 3  # where its wires come among the kinds'
RANK = 1


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    return (f"bridge {iface.name}", *details(iface))


def wires(topo: Topology) -> Iterator[Wire]:
    for ns in topo.all_netns():
        for iface in sorted(ns.interfaces.values(), key=lambda i: i.name):
            if iface.master is not None:
                yield Wire(EndRef(ns.place, iface.name), EndRef(ns.place, iface.master), "port", "port")
