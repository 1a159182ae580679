"""Renames in place: a link of the lab the file now names otherwise is renamed, not remade,
when it is the only one it can be (nothing else about it tells it from the one the file names):
it keeps its addresses, routes, neighbours and counters. The kinds of link that can say which
of their devices is which call these (veth by its pairs; bridge, one of a namespace)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.effects import LinkRenamed
from ...core.keys import LinkKey
from ...core.plan import Change
from .apply import RENAME_LINK, RenameSpec

if TYPE_CHECKING:
    from ...live import LiveLink
    from .diff import LinkDiff


def renamable(d: "LinkDiff", netns: str | None, link: "LiveLink") -> bool:
    """A link of the lab the file no longer names, that the kernel can rename as it is (up,
    from Linux 6.2 only), and that no other lab declares."""
    from .diff import heir_of

    if link.name == "lo" or link.name in d.declared(netns) or not d.owned(netns, link):
        return False
    if netns is None and heir_of(d.ctx, link) is not None:
        return False
    return d.ctx.live.live_rename or not link.up


def rename(d: "LinkDiff", netns: str | None, link: "LiveLink", new: str) -> None:
    d.effect(LinkRenamed(LinkKey(netns, link.name), new))
    d.out.add(RENAME_LINK, Change.UPDATE, netns, f"link {link.name} -> {new} (rename)",
              RenameSpec(link.index, link.name, new), key=LinkKey(netns, new),
              links=(LinkKey(netns, link.name), LinkKey(netns, new)))


def rename_alone(d: "LinkDiff", kind: str) -> None:
    """For a kind of link made on its own: in each namespace where exactly one device of the
    kind the file declares is missing and exactly one of the lab's is no longer declared, the
    latter is renamed to the former (more than one: which is which is not known; remade)."""
    for ns in list(d.ctx.scoped(d.effects)):
        netns = ns.place.netns
        live = d.live_ns(netns)
        if live is None:
            continue
        missing = [i.name for i in ns.interfaces.values() if i.kind == kind and i.name not in live.links]
        spare = [link for link in live.links.values() if link.kind == kind and renamable(d, netns, link)]
        if len(missing) == 1 and len(spare) == 1:
            rename(d, netns, spare[0], missing[0])
