"""An interface's addresses as a topology file writes them: the list under its `addresses:`
(a CIDR, or `{address: CIDR, broadcast: auto}` for one with a broadcast address)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...model import Interface, IPInterface
from .build import AUTO

if TYPE_CHECKING:
    from ...dump import Data


def _entry(iface: Interface, addr: IPInterface) -> Any:
    brd = iface.broadcasts.get(addr)
    if brd is None:
        return str(addr)
    return {"address": str(addr), "broadcast": AUTO if brd == addr.network.broadcast_address else str(brd)}


def addresses(iface: Interface) -> Data:
    return {"addresses": [_entry(iface, a) for a in iface.addresses]} if iface.addresses else {}
