"""Namespaces: the lab's are the ones its record lists (and whose identity it knows)."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects, ForeignNamespace, NamespaceGoes, NamespaceMade, NamespaceRemade
from ...core.keys import NetnsKey
from ...core.plan import Change, Unmanaged
from .ops import ADOPT_NETNS, CREATE_NETNS, DELETE_NETNS

FALLBACK_DEVICES = frozenset({"sit0", "ip6tnl0", "tunl0", "gre0", "gretap0", "erspan0", "ip_vti0", "ip6_vti0", "ip6gre0"})
"""Devices the kernel puts in every new namespace while their tunnel module is loaded."""


def not_the_labs(ctx: DiffContext, name: str) -> bool:
    """A namespace the record names that is not the one the lab made: another identity than
    the record knows, or (identity unknown: an older record, an interrupted run) links that
    are not the lab's. It is never changed or deleted; the record forgets it."""
    live = ctx.live.namespaces.get(name)
    if live is None:
        return False
    known = ctx.record.netns_ids.get(name)
    if known is not None:
        return known != live.inode
    lo = live.links.get("lo")
    if lo is not None and lo.alias == ctx.alias:
        return False  # topo marks the lo of every namespace it creates (its links may not be marked yet)
    others = [link for ifname, link in live.links.items() if link.kind != "loopback" and ifname not in FALLBACK_DEVICES]
    if any(link.alias != ctx.alias for link in others):
        return True
    # the first release's records know no identities, and its namespaces have no lo mark
    return ctx.record.version >= 2 and not others


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    record, live = ctx.record, ctx.live
    owned = set(record.namespaces)
    for name in sorted(n for n in owned if not_the_labs(ctx, n)):
        owned.discard(name)
        record.namespaces.remove(name)
        record.netns_ids.pop(name, None)
        out.unmanaged.append(Unmanaged(name, f"namespace {name} (named by the lab's record, but not the lab's: kept)"))
    for name in sorted(owned & live.unpinned):  # an empty file: remove it, then (re)create
        out.add(DELETE_NETNS, Change.DELETE, name, f"namespace {name} (unpinned file)", key=NetnsKey(name))
    for name in sorted(ctx.node.namespaces):
        if name not in live.existing or name in owned & live.unpinned:
            out.add(CREATE_NETNS, Change.CREATE, name, f"namespace {name}", key=NetnsKey(name))
            out.effect(NamespaceMade(name), *([NamespaceRemade(name)] if name in owned else []))
            owned.add(name)
        elif name not in owned:
            if ctx.adopt:
                out.add(ADOPT_NETNS, Change.UPDATE, name, f"namespace {name}", before="not the lab's",
                        after=f"lab {ctx.topo.name}", key=NetnsKey(name))
                owned.add(name)
            else:
                out.effect(ForeignNamespace(name))
    for name in sorted(owned - set(ctx.node.namespaces)):
        if name in live.existing and name not in live.unpinned:
            out.add(DELETE_NETNS, Change.DELETE, name, f"namespace {name}", key=NetnsKey(name))
            out.effect(NamespaceGoes(name))
        owned.discard(name)
    record.namespaces = sorted(owned)
    return out
