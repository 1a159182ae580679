"""The settings every kind of interface has, as a topology file writes them (defaults left out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Interface
from ..address.dump import addresses

if TYPE_CHECKING:
    from ...dump import Data


def settings(iface: Interface, *, mtu: bool = True) -> Data:
    """An interface's settings that differ from the defaults (`up: true`, no MTU, MAC, queue
    length or description, hairpin off);
    `mtu=False` leaves the MTU out (it is written elsewhere)."""
    out: Data = addresses(iface)
    if mtu and iface.mtu is not None:
        out["mtu"] = iface.mtu
    if iface.mac is not None:
        out["mac"] = iface.mac
    if not iface.up:
        out["up"] = False
    if iface.txqueuelen is not None:
        out["txqueuelen"] = iface.txqueuelen
    if iface.hairpin:
        out["hairpin"] = True
    if iface.description is not None:
        out["description"] = iface.description
    return out
