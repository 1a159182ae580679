"""Build the lab's bridges: top-level ones (with `node:` when there are several nodes) and
those under `nodes.NAME.bridges`, in their node's root namespace. One name may be a bridge on
several nodes (a VXLAN segment joins them)."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import Interface, Kind, Place, Topology
from ..buildctx import BuildContext, Owner, valid_ifname
from ..link.build import settings
from ..netns.build import node_of


def build(ctx: BuildContext, topo: Topology) -> None:
    data = ctx.data
    declared: list[tuple[YamlPath, str, dict[str, Any], str | None]] = [
        (("bridges", bname), bname, braw, None) for bname, braw in (data.get("bridges") or {}).items()]
    if not topo.implicit_node:
        declared += [(("nodes", nname, "bridges", bname), bname, braw, nname)
                     for nname, nraw in data["nodes"].items() for bname, braw in (nraw.get("bridges") or {}).items()]
    for path, bname, braw, on_node in declared:
        _bridge(ctx, topo, path, bname, braw, on_node)


def _bridge(ctx: BuildContext, topo: Topology, path: YamlPath, bname: str, braw: dict[str, Any], on_node: str | None) -> None:
    sink, by_node = ctx.sink, ctx.owners.bridges
    if bname == "lo":
        sink.error(path, "'lo' is the loopback interface's name", "give the bridge another name", key=True)
        return
    if err := valid_ifname(bname):
        sink.error(path, err, "a bridge is an interface: 1 to 15 characters, no '/', ':' or whitespace", key=True)
        return
    if bname in ctx.owners.places:
        sink.error(path, f"'{bname}' is already the name of a namespace or node", "namespace, bridge and node names share one name space", key=True)
        return
    if on_node is not None and "node" in braw and braw["node"] != on_node:
        sink.error(path + ("node",), f"bridge {bname} is declared under node {on_node}", "leave out `node:` here")
        return
    node = on_node or node_of(ctx, topo, path, braw)
    if node is None:
        return
    if bname in topo.nodes[node].root.interfaces or node in by_node.get(bname, {}):
        sink.error(path, f"node {node} already has a bridge {bname}", "each node has one bridge of a name", key=True)
        return
    br = Interface(bname, Kind.BRIDGE, path=path)
    settings(ctx, br, path, braw, {})
    topo.nodes[node].root.interfaces[bname] = br
    by_node.setdefault(bname, {})[node] = Owner(Place(node), bname)
