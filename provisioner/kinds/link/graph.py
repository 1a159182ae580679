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


@dataclass(frozen=True)
class Box:
    """Something a diagram draws beside the namespaces, not in one (a Service, a policy): its
    lines, and lines from it to interfaces (`to`: each with its label). A kind's graph.py
    that draws some has `boxes(topo)`."""

    name: str
    lines: tuple[str, ...]
    to: tuple[tuple[EndRef, str], ...]


def end_with_address(topo: Topology, netns: str, address: object) -> EndRef | None:
    """The interface of namespace `netns` (on whichever node has it) that has `address`."""
    for node in topo.nodes.values():
        ns = node.namespaces.get(netns)
        for iface in (ns.interfaces.values() if ns is not None else ()):
            if any(a.ip == address for a in iface.addresses):
                return EndRef(ns.place, iface.name)
    return None


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
