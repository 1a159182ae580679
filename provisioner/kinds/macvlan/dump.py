"""Macvlans in a topology file: the top-level `macvlans:` (mode left out when bridge)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..link.dump import settings
from .model import DEFAULT_MODE, KIND, Macvlan

if TYPE_CHECKING:
    from ...dump import Data, DumpContext
    from ...model import Interface


def document(ctx: DumpContext) -> Data:
    entries = []
    for name, node in ctx.topo.nodes.items():
        for ns in node.all_netns():
            owner = ns.place.netns if ns.place.netns is not None else name
            for iface in ns.interfaces.values():
                if iface.kind == KIND and isinstance(iface.spec, Macvlan):
                    entry: Data = {"at": f"{owner}:{iface.name}", "parent": iface.spec.parent}
                    if iface.spec.mode != DEFAULT_MODE:
                        entry["mode"] = iface.spec.mode
                    entries.append(entry | settings(iface))
    return {"macvlans": entries} if entries else {}


def interface(ctx: DumpContext, iface: Interface) -> Data:
    """Written under `macvlans:`, never a namespace's `interfaces:`."""
    return {}
