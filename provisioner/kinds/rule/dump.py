"""Rules in a topology file: the `rules:` list of a namespace, a node or the top level."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Netns
from .model import NO_MASK, Rule

if TYPE_CHECKING:
    from ...dump import Data


def values(ns: Netns) -> list[Rule]:
    return ns.rules


def section(rules: list[Rule]) -> Data:
    return {"rules": [rule(r) for r in rules]} if rules else {}


def rule(r: Rule) -> Data:
    out: Data = {"priority": r.priority}
    for key, value in (("from", r.src), ("to", r.dst)):
        if value is not None:
            out[key] = str(value)
    if r.src is None and r.dst is None and r.family == 6:
        out["family"] = "ipv6"
    for key, name in (("iif", r.iif), ("oif", r.oif)):
        if name is not None:
            out[key] = name
    if r.fwmark is not None:
        out["fwmark"] = r.fwmark
        if r.fwmask not in (None, NO_MASK):
            out["fwmask"] = r.fwmask
    out["table"] = "main" if r.table == 254 else r.table
    return out
