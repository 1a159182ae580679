"""Build the lab's macvlans (`macvlans:`): each at `OWNER:IFNAME` (a namespace, or a node for its
root namespace) on a parent link of that node's root namespace."""

from __future__ import annotations

from typing import Any

from ...diagnostics import DiagnosticSink, YamlPath
from ...model import Interface, Kind, Topology
from ...names import printable
from ..buildctx import BuildContext, name_taken, suggest, valid_ifname
from ..link.build import settings
from .model import DEFAULT_MODE, KIND, Macvlan

PARENT_KINDS = (Kind.BRIDGE, Kind.VETH, Kind.VXLAN)
"""The lab's kinds of link a macvlan may sit on (a loopback or another macvlan may not)."""


def build(ctx: BuildContext, topo: Topology) -> None:
    for i, raw in enumerate(ctx.data.get("macvlans") or []):
        _macvlan(ctx, topo, ("macvlans", i), raw)


def _macvlan(ctx: BuildContext, topo: Topology, path: YamlPath, raw: dict[str, Any]) -> None:
    sink = ctx.sink
    owner_name, _, ifname = str(raw["at"]).partition(":")
    owner = ctx.owners.places.get(owner_name)
    if owner is None:
        sink.error(path + ("at",), f"{printable(owner_name)} is not a namespace or node of this lab",
                   suggest(owner_name, list(ctx.owners.places)))
        return
    parent = str(raw["parent"])
    for where, name in (("at", ifname), ("parent", parent)):
        if err := valid_ifname(name):
            sink.error(path + (where,), err, "shorten it; `ip link` refuses names over 15 characters")
            return
    ns = topo.netns(owner.place)
    if name_taken(sink, path + ("at",), ns, owner_name, ifname, "macvlan"):
        return
    root = topo.nodes[owner.place.node].root
    if owner.place.netns is None and parent == ifname:
        sink.error(path + ("parent",), f"macvlan {ifname} cannot be its own parent", "name a bridge, a veth end or a link of the node")
        return
    if parent == "lo":
        sink.error(path + ("parent",), "lo is a loopback; a macvlan's parent is a bridge, a veth end, a VXLAN device "
                   "or a link the node has", "name another link of the node's root namespace")
        return
    iface = Interface(ifname, KIND, path=path, spec=Macvlan(parent, str(raw.get("mode", DEFAULT_MODE))))
    settings(ctx, iface, path, raw, {})
    ns.interfaces[ifname] = iface


def finish(ctx: BuildContext, topo: Topology) -> None:
    """A parent the lab declares must be a kind a macvlan can sit on (known once every kind,
    macvlans included, is built: the kernel would put a macvlan on a macvlan's own parent)."""
    for node in topo.nodes.values():
        root = node.root
        for ns in node.all_netns():
            for iface in list(ns.interfaces.values()):
                m = iface.spec
                if iface.kind != KIND or not isinstance(m, Macvlan) or m.parent not in root.interfaces:
                    continue
                kind = root.interfaces[m.parent].kind
                if kind not in PARENT_KINDS:
                    ctx.sink.error(iface.path + ("parent",), f"{m.parent} is a {kind}; a macvlan's parent is a bridge, a veth end, "
                                   "a VXLAN device or a link the node has", "name another link of the node's root namespace")
                    del ns.interfaces[iface.name]


def check(topo: Topology, sink: DiagnosticSink) -> None:
    """A passthru macvlan takes its parent over: the kernel refuses any other macvlan on it."""
    for node in topo.nodes.values():
        on: dict[str, list[Interface]] = {}
        for ns in node.all_netns():
            for iface in ns.interfaces.values():
                if iface.kind == KIND and isinstance(iface.spec, Macvlan):
                    on.setdefault(iface.spec.parent, []).append(iface)
        for parent, ifaces in on.items():
            if len(ifaces) > 1 and any(i.spec.mode == "passthru" for i in ifaces):
                first = next(i for i in ifaces if i.spec.mode == "passthru")
                sink.error(first.path + ("mode",), f"macvlan {first.name} is in passthru mode, but {parent} has "
                           f"{len(ifaces) - 1} other macvlan(s) on node {node.name}",
                           "a passthru macvlan must be the only macvlan on its parent")
