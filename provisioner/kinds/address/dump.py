"""An interface's addresses as a topology file writes them: the list under its `addresses:`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Interface

if TYPE_CHECKING:
    from ...dump import Data


def addresses(iface: Interface) -> Data:
    return {"addresses": [str(a) for a in iface.addresses]} if iface.addresses else {}
