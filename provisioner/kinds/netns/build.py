"""Build the lab's places: its nodes (each with its root namespace) and its namespaces.

Each namespace's mapping, and a root namespace's top-level and `nodes.NAME` mappings, are
handed to every kind's `in_netns` part (interfaces, routes, sysctls, hosts, processes)."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import IMPLICIT_NODE, Netns, Node, Place, Topology
from ...names import hostname_problem, lab_name_problem, printable, user_problem
from ..buildctx import BuildContext, Owner, suggest, valid_nsname


def node_of(ctx: BuildContext, topo: Topology, path: YamlPath, raw: dict[str, Any]) -> str | None:
    """The node an object at `path` is on: its `node:`, or the lab's only node."""
    nodes = topo.nodes
    if "node" in raw:
        if raw["node"] not in nodes:
            hint = suggest(str(raw["node"]), list(nodes)) if not topo.implicit_node else "declare it under `nodes:`"
            ctx.sink.error(path + ("node",), f"unknown node {printable(str(raw['node']))}", hint)
            return None
        return str(raw["node"])
    if len(nodes) == 1:
        return next(iter(nodes))
    ctx.sink.error(path, "the lab has several nodes; say which one with `node:`", f"one of: {', '.join(nodes)}", key=True)
    return None


def build(ctx: BuildContext, topo: Topology) -> None:
    data = ctx.data
    if err := lab_name_problem(data["name"]):
        ctx.sink.error(("name",), err)
    topo.description = ctx.text(("description",), data.get("description"))
    _nodes(ctx, topo)
    for nsname, nsraw in (data.get("namespaces") or {}).items():
        _namespace(ctx, topo, nsname, nsraw)


def _nodes(ctx: BuildContext, topo: Topology) -> None:
    implicit = topo.implicit_node
    names: dict[str, Any] = {IMPLICIT_NODE: {}} if implicit else ctx.data["nodes"]
    for nname, nraw in names.items():
        npath: YamlPath = ("nodes", nname)
        if not implicit and (err := valid_nsname(nname)):
            ctx.sink.error(npath, err.replace("namespace", "node"), key=True)
        root = Netns(Place(nname, None), path=npath if not implicit else ())
        ctx.netns_parts_of(root, (), ctx.data)
        ctx.netns_parts_of(root, npath, nraw)
        underlay = ctx.interface_address(npath + ("underlay",), nraw["underlay"]) if "underlay" in nraw else None
        for key, problem in (("host", hostname_problem), ("user", user_problem)):
            if key in nraw and (err := problem(nraw[key])):
                ctx.sink.error(npath + (key,), err)
        topo.nodes[nname] = Node(nname, root, host=nraw.get("host"), user=nraw.get("user"),
                                 description=ctx.text(npath + ("description",), nraw.get("description")), underlay=underlay)
        ctx.owners.places[nname] = Owner(Place(nname), None)


def _namespace(ctx: BuildContext, topo: Topology, nsname: str, nsraw: dict[str, Any]) -> None:
    path: YamlPath = ("namespaces", nsname)
    if err := valid_nsname(nsname):
        ctx.sink.error(path, err, key=True)
        return
    if nsname in ctx.owners.places:
        ctx.sink.error(path, f"'{nsname}' is already the name of a node", "namespace, bridge and node names share one name space", key=True)
        return
    node = node_of(ctx, topo, path, nsraw)
    if node is None:
        return
    place = Place(node, nsname)
    ns = Netns(place, description=ctx.text(path + ("description",), nsraw.get("description")), path=path,
               labels={str(k): str(v) for k, v in (nsraw.get("labels") or {}).items()})
    ctx.netns_parts_of(ns, path, nsraw)
    topo.nodes[node].namespaces[nsname] = ns
    ctx.owners.places[nsname] = Owner(place, None)
