"""How a diagram draws a VXLAN segment: each node's device a circle `vxlan NAME` with its VNI and
local address, and a `vxlan NAME` tunnel line between every two of the segment's devices."""

from __future__ import annotations

from typing import Iterator

from ...model import EndRef, Interface, Kind, Netns, Place, Topology
from ..link.graph import Wire, details

KIND = Kind.VXLAN
SHAPE = "circle"
STYLE = "iface"
WIRES = 2  # where its wires come among the kinds'
RANK = 1


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    if iface.vxlan is None:
        return (iface.name, *details(iface))
    return (f"vxlan {iface.name}", f"vni {iface.vxlan.vni}, local {iface.vxlan.local}", *details(iface))


def wires(topo: Topology) -> Iterator[Wire]:
    tunnels: dict[str, list[EndRef]] = {}  # segment -> its devices, one per node
    for node in sorted(topo.nodes.values(), key=lambda n: n.name):
        for iface in sorted(node.root.interfaces.values(), key=lambda i: i.name):
            if iface.vxlan is not None:
                tunnels.setdefault(iface.name, []).append(EndRef(Place(node.name), iface.name))
    for name, ends in sorted(tunnels.items()):
        yield from (Wire(a, b, f"vxlan {name}", "tunnel") for i, a in enumerate(ends) for b in ends[i + 1:])
