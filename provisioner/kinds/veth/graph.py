"""How a diagram draws a veth pair: each end a circle with its settings, a `veth` line between."""

from __future__ import annotations

from typing import Iterator

from ...model import Kind, Topology
from ..link.graph import Wire, lines  # a veth end's lines: its name and settings

KIND = Kind.VETH
SHAPE = "circle"
STYLE = "iface"
RANK = 1


def wires(topo: Topology) -> Iterator[Wire]:
    for pair in sorted(topo.veths, key=lambda p: (p.a, p.b)):
        yield Wire(pair.a, pair.b, "veth", "veth")
