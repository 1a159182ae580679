"""Routes in a topology file: the `routes:` list of a namespace, a node or the top level (what
every node's root namespace has first in common)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Netns, Route
from .tables import MAIN

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def document(ctx: DumpContext) -> Data:
    """The top level's `tables:` (the names routes and rules may use)."""
    return {"tables": dict(ctx.topo.tables)} if ctx.topo.tables else {}


def values(ns: Netns) -> list[Route]:
    return ns.routes


def section(routes: list[Route]) -> Data:
    return {"routes": [route(r) for r in routes]} if routes else {}


def route(route: Route) -> Data:
    out: Data = {"to": destination(route)}
    if route.via is not None:
        out["via"] = str(route.via)
    if route.dev is not None:
        out["dev"] = route.dev
    if route.metric is not None:
        out["metric"] = route.metric
    if route.onlink:
        out["onlink"] = True
    if route.src is not None:
        out["src"] = str(route.src)
    if route.table != MAIN:
        out["table"] = route.table
    return out


def destination(route: Route) -> str:
    """`default` where the builder reads it back as this destination (its family follows the
    gateway, else the source, else IPv4), the prefix otherwise (`::/0` of a `dev`-only route)."""
    if route.dst.prefixlen == 0 and int(route.dst.network_address) == 0:
        family_of = route.via if route.via is not None else route.src
        if route.dst.version == (family_of.version if family_of is not None else 4):
            return "default"
    return str(route.dst)
