"""Impairments as plans, diagrams and `show` print them: `rate 10mbit, delay 50ms, loss 1%`."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from . import units
from .model import Chance, Impairment

if TYPE_CHECKING:
    from ...live import LiveState
    from ...model import EndRef, Topology


def value(imp: Impairment, name: str) -> str:
    got = getattr(imp, name)
    if name == "rate":
        return units.format_rate(got) if got else "none"
    if name in ("delay", "jitter"):
        return units.format_time(got)
    if name == "limit":
        return str(got) if got else "default"
    if isinstance(got, Chance) and got.percent:
        shown = units.format_percent(got.percent)
        return f"{shown} ({units.format_percent(got.correlation)} correlated)" if got.correlation else shown
    return "0"


def describe(imp: Impairment, names: list[str] | None = None) -> str:
    """The settings `names` (default: those set), as `name value` pairs."""
    chosen = names if names is not None else [f.name for f in fields(imp) if getattr(imp, f.name)]
    return ", ".join(f"{name} {value(imp, name)}" for name in chosen)


def differing(before: Impairment, after: Impairment) -> list[str]:
    return [f.name for f in fields(Impairment) if value(before, f.name) != value(after, f.name)]


def _end(end: "EndRef") -> str:
    return f"{end.place.netns}:{end.ifname}" if end.place.netns is not None else end.ifname


def link_label(topo: "Topology", a: "EndRef", b: "EndRef") -> str:
    """A veth line's label in a diagram: `veth`, and the impairments of what each end sends
    (once when both ends send with the same): `veth: rate 10mbit`, `veth: a:eth0→ loss 2%; b:eth0→ rate 1mbit`
    (each end as NAMESPACE:IFNAME, or IFNAME in the root namespace)."""
    by_end = {(i.place, i.ifname): i.impairment for i in topo.impairments}
    ia, ib = by_end.get((a.place, a.ifname)), by_end.get((b.place, b.ifname))
    if ia is None and ib is None:
        return "veth"
    if ia == ib:
        return f"veth: {describe(ia)}"  # type: ignore[arg-type]
    sides = [f"{_end(end)}→ {describe(imp)}" for end, imp in ((a, ia), (b, ib)) if imp is not None]
    return f"veth: {'; '.join(sides)}"


def live_impairments(topo: "Topology", node: str, live: "LiveState") -> dict[tuple[str | None, str], str]:
    """What each interface of the node sends with, as the kernel has it (`topo show`): its netem
    or tbf root qdisc (topo's or another tool's) and the loss of the lab's drops, by (namespace, name)."""
    from dataclasses import replace

    from ...model import Place
    from .diff import live_options
    from .drop import sender
    from .read import QdiscFacts

    facts = live.facts.get("impair")
    if not isinstance(facts, QdiscFacts):
        return {}
    found: dict[tuple[str | None, str], Impairment] = {}
    for ns, qdiscs in facts.roots.items():
        lns = live.netns(ns)
        names = {link.index: link.name for link in lns.links.values()} if lns is not None else {}
        for index, q in qdiscs.items():
            opts = live_options(q) if not q.default else None
            if opts is not None and index in names:
                found[(ns, names[index])] = opts.impairment()
    for ns, table in facts.drops.items():
        for chain in table.chains.values():
            if chain is not None:
                end = sender(topo, Place(node, ns), chain)
                key = (end.place.netns, end.ifname)
                found[key] = replace(found.get(key, Impairment()), loss=Chance(chain.percent))
    return {key: describe(imp) for key, imp in found.items()}
