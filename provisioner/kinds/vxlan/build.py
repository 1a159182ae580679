"""Build VXLAN segments: one VXLAN device per node of a segment, a port of the segment's
bridge there, with the other nodes' underlay addresses as its remotes."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import Interface, Kind, Topology, Vxlan
from ...names import escape, printable
from ..buildctx import BuildContext, suggest, valid_ifname

DEFAULT_PORT = 4789  # IANA's VXLAN port: what a segment without `port:` uses


def build(ctx: BuildContext, topo: Topology) -> None:
    for vname, vraw in (ctx.data.get("vxlans") or {}).items():
        _segment(ctx, topo, vname, vraw)


def _members(ctx: BuildContext, topo: Topology, path: YamlPath, vraw: dict[str, Any]) -> list[str] | None:
    """The nodes the segment joins (each with its bridge and an underlay address), or None."""
    nodes, sink = topo.nodes, ctx.sink
    bridge = str(vraw["bridge"])
    on = [n for n in nodes if bridge in nodes[n].root.interfaces and nodes[n].root.interfaces[bridge].kind == Kind.BRIDGE]
    members = [str(n) for n in vraw.get("nodes", on)]
    for i, n in enumerate(members):
        if n not in nodes:
            sink.error(path + ("nodes", i), f"unknown node {printable(n)}", suggest(n, list(nodes)))
        elif n not in on:
            sink.error(path + ("nodes", i), f"node {n} has no bridge {escape(bridge)}", f"declare it under nodes.{n}.bridges")
    members = [n for n in members if n in on]
    if len(members) < 2:
        sink.error(path + ("bridge",), f"a VXLAN segment joins a bridge on two or more nodes; {escape(bridge)} is on "
                   + (", ".join(on) or "none"), "declare the bridge on each node under nodes.NODE.bridges")
        return None
    missing = [n for n in members if nodes[n].underlay is None]
    if missing:
        sink.error(path, f"node {', '.join(missing)} has no `underlay:` address for the VXLAN tunnel",
                   "give each node its underlay address, e.g. underlay: 192.0.2.11/24")
        return None
    return members


def _segment(ctx: BuildContext, topo: Topology, vname: str, vraw: dict[str, Any]) -> None:
    path: YamlPath = ("vxlans", vname)
    if err := valid_ifname(vname):
        ctx.sink.error(path, err, "the segment's name is its device name on every node", key=True)
        return
    mtu, vni, port = (ctx.integer(path + (key,), vraw.get(key)) for key in ("mtu", "vni", "port"))
    description = ctx.text(path + ("description",), vraw.get("description"))
    members = _members(ctx, topo, path, vraw)
    if members is None:
        return
    nodes = topo.nodes
    for n in members:
        root = nodes[n].root
        if vname in root.interfaces:
            ctx.sink.error(path, f"node {n} already has an interface {vname}", "rename the segment", key=True)
            continue
        local = nodes[n].underlay.ip  # type: ignore[union-attr]
        remotes = tuple(nodes[m].underlay.ip for m in members if m != n)  # type: ignore[union-attr]
        if any(r.version != local.version for r in remotes):
            ctx.sink.error(path, "the nodes' underlay addresses mix IPv4 and IPv6")
            break
        root.interfaces[vname] = Interface(vname, Kind.VXLAN, mtu=mtu, master=str(vraw["bridge"]),
                                           spec=Vxlan(vni, DEFAULT_PORT if port is None else port, local, remotes),
                                           description=description, path=path)
