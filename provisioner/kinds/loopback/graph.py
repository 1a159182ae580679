"""How a diagram draws a loopback: first in its namespace's box, with the addresses every
loopback has; a root namespace's only when it has addresses of its own."""

from __future__ import annotations

from typing import Iterable

from ...model import Interface, Kind, Netns, Topology
from ..link.graph import Wire, details

KIND = Kind.LOOPBACK
SHAPE = "circle"
STYLE = "lo"
WIRES = 0  # where its wires come among the kinds'
RANK = 0
IMPLICIT_ADDRESSES = "127.0.0.1/8, ::1"


def lines(ns: Netns, iface: Interface) -> tuple[str, ...] | None:
    if not iface.addresses and ns.place.netns is None:
        return None
    return (iface.name, IMPLICIT_ADDRESSES, *details(iface))


def wires(topo: Topology) -> Iterable[Wire]:
    return ()
