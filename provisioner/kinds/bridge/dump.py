"""Bridges in a topology file: the top-level `bridges:` of a one-node lab, each node's
`nodes.NODE.bridges` in a multi-node lab (several nodes may have a bridge of one name)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Kind, Node
from ..link.dump import settings

if TYPE_CHECKING:
    from ...dump import Data, DumpContext

KIND = Kind.BRIDGE


def document(ctx: DumpContext) -> Data:
    if ctx.multi_node:
        return {}
    bridges = {iface.name: settings(iface) for _, iface in ctx.topo.bridges()}
    return {"bridges": bridges} if bridges else {}


def node(ctx: DumpContext, node: Node) -> Data:
    if not ctx.multi_node:
        return {}
    bridges = {i.name: settings(i) for i in node.root.interfaces.values() if i.kind == KIND}
    return {"bridges": bridges} if bridges else {}
