"""Impairments as plans, diagrams and `show` print them: `rate 10mbit, delay 50ms, loss 1%`."""

from __future__ import annotations

from dataclasses import fields

from . import units
from .model import Chance, Impairment


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
