"""How a diagram draws an interface of any kind: a circle with its name, addresses, MTU and
state. A kind's own `graph.py` says how it draws its interfaces (`KIND`, `SHAPE`, `STYLE`; `RANK`,
lower first in a namespace's box; `lines(ns, iface)`, None: not drawn) and which lines
(`wires(topo)`) join them; this module is what a kind without one gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ...model import EndRef, Interface, Netns, Topology

SHAPE = "circle"  # or "hexagon"
STYLE = "iface"  # a diagram style (render.graph.STYLES)
RANK = 1


@dataclass(frozen=True)
class Wire:
    """A line between two interfaces of the diagram; `kind` is "veth", "port" or "tunnel"."""

    a: EndRef
    b: EndRef
    label: str
    kind: str


def details(iface: Interface) -> tuple[str, ...]:
    """The settings lines under an interface's name: its addresses, MTU, `down`."""
    lines = [str(a) for a in iface.addresses]
    if iface.mtu is not None:
        lines.append(f"mtu {iface.mtu}")
    if not iface.up:
        lines.append("down")
    return tuple(lines)


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    return (iface.name, *details(iface))


def wires(topo: Topology) -> Iterable[Wire]:
    return ()
