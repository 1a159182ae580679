"""Taps in a topology file: the top-level `taps:` (mode left out when tap; a bridge's port at
`BRIDGE:IFNAME`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..link.dump import settings
from .model import DEFAULT_MODE, KIND, Tap

if TYPE_CHECKING:
    from ...dump import Data, DumpContext
    from ...model import Interface


def document(ctx: DumpContext) -> Data:
    entries = []
    for name, node in ctx.topo.nodes.items():
        for ns in node.all_netns():
            for iface in ns.interfaces.values():
                t = iface.spec
                if iface.kind != KIND or not isinstance(t, Tap):
                    continue
                owner = ns.place.netns if ns.place.netns is not None else iface.master or name
                entry: Data = {"at": f"{owner}:{iface.name}"}
                if t.mode != DEFAULT_MODE:
                    entry["mode"] = t.mode
                if t.owner is not None:
                    entry["owner"] = t.owner
                if t.multi_queue:
                    entry["multi_queue"] = True
                entries.append(entry | settings(iface))
    return {"taps": entries} if entries else {}


def interface(ctx: DumpContext, iface: Interface) -> Data:
    """Written under `taps:`, never a namespace's `interfaces:`."""
    return {}
