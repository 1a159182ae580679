"""Impairments as plans, diagrams and `show` print them: `rate 10mbit, delay 50ms, loss 1%`."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from . import units
from .model import Chance, Impairment

if TYPE_CHECKING:
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


def link_label(topo: "Topology", a: "EndRef", b: "EndRef") -> str:
    """A veth line's label in a diagram: `veth`, and the impairments of what each end sends
    (once when both ends send with the same): `veth: rate 10mbit`, `veth: eth0→ loss 2%; eth1→ rate 1mbit`."""
    by_end = {(i.place, i.ifname): i.impairment for i in topo.impairments}
    ia, ib = by_end.get((a.place, a.ifname)), by_end.get((b.place, b.ifname))
    if ia is None and ib is None:
        return "veth"
    if ia == ib:
        return f"veth: {describe(ia)}"  # type: ignore[arg-type]
    sides = [f"{end.ifname}→ {describe(imp)}" for end, imp in ((a, ia), (b, ib)) if imp is not None]
    return f"veth: {'; '.join(sides)}"
