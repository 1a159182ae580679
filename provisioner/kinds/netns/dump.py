"""Namespaces in a topology file: the top-level `namespaces:`, each with its node (in a multi-node
lab), description and the settings of its interfaces (the other kinds write the rest of an
entry); a node's description, which is its root namespace's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Netns, Node

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def document(ctx: DumpContext) -> Data:
    namespaces = {name: ctx.namespace(ns) for node in ctx.topo.nodes.values() for name, ns in node.namespaces.items()}
    return {"namespaces": namespaces} if namespaces else {}


def node(ctx: DumpContext, node: Node) -> Data:
    return {"description": node.description} if node.description is not None else {}


def namespace(ctx: DumpContext, ns: Netns) -> Data:
    out = ctx.placed(ns.place)
    if ns.description is not None:
        out["description"] = ns.description
    if ns.labels:
        out["labels"] = dict(ns.labels)
    interfaces = {iface.name: entry for iface in ns.interfaces.values() if (entry := ctx.interface(iface))}
    if interfaces:
        out["interfaces"] = interfaces
    return out
