"""Build a namespace's routes (`routes:` of a namespace, a node, or the top level for every
node's root namespace), and check them against the built model."""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from ...diagnostics import DiagnosticSink, YamlPath, format_path
from ...model import Interface, IPNetwork, Netns, Route, Topology
from ..link.build import Segments, segments
from ..buildctx import BuildContext, gateway_refusal, valid_ifname
from . import tables
from .tables import MAIN, table_of


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    parsed = [route(ctx, path + ("routes", i), r) for i, r in enumerate(raw.get("routes") or [])]
    ns.routes += [r for r in parsed if r is not None]


def build(ctx: BuildContext, topo: Topology) -> None:
    tables.build(ctx, topo)


def route(ctx: BuildContext, path: YamlPath, raw: dict[str, Any]) -> Route | None:
    """One route, or None when it has a problem (reported)."""
    sink = ctx.sink
    via = ctx.ip(path + ("via",), raw["via"]) if "via" in raw else None
    src = ctx.ip(path + ("src",), raw["src"]) if "src" in raw else None
    if ("via" in raw and via is None) or ("src" in raw and src is None):
        return None  # reported: the route says no more until its addresses are fixed
    if via is not None and (why := gateway_refusal(via)):
        sink.error(path + ("via",), f"gateway {via} {why}",
                   "a gateway is a neighbour's unicast address; a route out of a device without one has only `dev`")
        return None
    if "dev" in raw and (err := valid_ifname(str(raw["dev"]))):
        sink.error(path + ("dev",), err)
        return None
    metric = ctx.integer(path + ("metric",), raw.get("metric"))
    table = table_of(ctx, path + ("table",), raw["table"]) if "table" in raw else MAIN
    if table is None:
        return None
    to = str(raw["to"])
    if to == "default":
        family = via or src
        dst = ctx.cached(ipaddress.ip_network, "::/0" if family is not None and family.version == 6 else "0.0.0.0/0")
    elif (dst := prefix(ctx, path + ("to",), to)) is None:
        return None
    if (via is not None and via.version != dst.version) or (src is not None and src.version != dst.version):
        sink.error(path, f"route to {to} mixes IPv4 and IPv6 addresses")
        return None
    if "dev" not in raw and via is None:
        sink.error(path, f"route to {to} needs a gateway (`via`) or a device (`dev`)")
        return None
    if raw.get("onlink") and "dev" not in raw:
        sink.error(path + ("onlink",), "an onlink route needs `dev`")
    return Route(dst, via, raw.get("dev"), metric, bool(raw.get("onlink", False)), src, path, table)


def prefix(ctx: BuildContext, path: YamlPath, to: str) -> IPNetwork | None:
    """A route's destination (or a rule's prefix) at `path`, or None (reported)."""
    try:
        return ctx.cached(ipaddress.ip_network, to)  # strict: host bits set is an error
    except ValueError as exc:
        hint = None
        try:
            net = ipaddress.ip_network(to, strict=False)
            hint = f"the network is {net}" if "/" in to else f"write {to}/{net.max_prefixlen} for a single host"
        except ValueError:
            pass
        ctx.sink.error(path, f"invalid destination '{to}': {exc}", hint)
        return None


# ---- semantic checks ---------------------------------------------------------------------

def check(topo: Topology, sink: DiagnosticSink) -> None:
    for one in (_devices, _gateways, _onlink_without_local_table, _sources, _duplicates):
        one(topo, sink)


def _devices(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        for r in ns.routes:
            if r.dev is not None and r.dev not in ns.interfaces:
                where = f"namespace {ns.place.netns}" if ns.place.netns else f"node {ns.place.node}"
                sink.error(r.path + ("dev",), f"route device '{r.dev}' is not an interface of {where}",
                           f"interfaces there: {', '.join(sorted(ns.interfaces)) or 'none'}")


def _connected(ns: Netns, dev: str | None) -> Iterable[Interface]:
    if dev is not None:
        iface = ns.interfaces.get(dev)
        return [iface] if iface is not None else []
    return ns.interfaces.values()


def _gateways(topo: Topology, sink: DiagnosticSink) -> None:
    segs = segments(topo)
    owners = {(ns.place.node, a.ip): (ns, i) for ns in topo.all_netns() for i in ns.interfaces.values() for a in i.addresses}
    for ns in topo.all_netns():
        for r in ns.routes:
            if r.via is None or r.onlink:
                continue
            if r.via.is_link_local and r.via.version == 6:
                if r.dev is None:
                    sink.error(r.path + ("via",), f"link-local gateway {r.via} needs `dev`")
                continue
            if r.dev is not None and r.dev not in ns.interfaces:
                continue  # reported by _devices
            reachable = any(r.via in addr.network for i in _connected(ns, r.dev) for addr in i.addresses)
            underlay = topo.nodes[ns.place.node].underlay if ns.place.netns is None else None
            reachable = reachable or (underlay is not None and r.dev is None and r.via in underlay.network)
            if reachable:
                _gateway_segment(topo, segs, owners, ns, r, sink)
            else:
                sink.error(
                    r.path + ("via",),
                    f"gateway {r.via} is not in a subnet connected to "
                    + (r.dev if r.dev else (ns.place.netns or f"node {ns.place.node}")),
                    "give an interface an address in the gateway's subnet, or set `onlink: true` with `dev`",
                )


def _gateway_segment(topo: Topology, segs: Segments, owners: dict[tuple[str, object], tuple[Netns, Interface]],
                     ns: Netns, r: Route, sink: DiagnosticSink) -> None:
    """A gateway that is the lab's own address must be on the segment the route leaves by."""
    owner = owners.get((ns.place.node, r.via))
    if owner is None:
        return  # not the lab's: a router the lab does not model
    gw_ns, gw_iface = owner
    via = [i for i in _connected(ns, r.dev) if any(r.via in a.network for a in i.addresses)]
    if via and all(segs.of(ns.place, i.name) != segs.of(gw_ns.place, gw_iface.name) for i in via):
        sink.warning(r.path + ("via",), f"gateway {r.via} is {gw_iface.name} in {gw_ns.place.label(topo.single_node)}, on another "
                     f"L2 segment than {via[0].name}: the route cannot reach it",
                     "connect the interface to the gateway's segment (its bridge), or route via an address on its own segment")


def _onlink_without_local_table(topo: Topology, sink: DiagnosticSink) -> None:
    """The kernel checks an IPv4 onlink gateway against the namespace's local routing table,
    which exists only once the namespace has had a local IPv4 address (lo up, or an address
    on any interface): before that it refuses the route ("Nexthop has invalid gateway")."""
    for ns in topo.all_netns():
        if ns.place.netns is None:
            continue
        lo = ns.interfaces.get("lo")
        if (lo is not None and lo.up) or any(a.version == 4 for i in ns.interfaces.values() for a in i.addresses):
            continue
        for r in ns.routes:
            if r.onlink and r.via is not None and r.via.version == 4:
                sink.error(r.path + ("onlink",),
                           f"namespace {ns.place.netns} has no IPv4 address and lo down: the kernel refuses an onlink "
                           f"gateway there (Nexthop has invalid gateway)",
                           "set `lo: {up: true}` in the namespace, or give one of its interfaces an IPv4 address")


def _sources(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        local = {a.ip for i in ns.interfaces.values() for a in i.addresses}
        for r in ns.routes:
            if r.src is not None and r.src not in local:
                sink.error(r.path + ("src",), f"source address {r.src} is not an address of this namespace")


def _duplicates(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        seen: dict[tuple[object, int, int], str] = {}
        for r in ns.routes:
            metric = r.kernel_metric
            key = (r.dst, metric, r.table)
            if key in seen:
                where = "" if r.table == MAIN else f" in table {r.table}"
                sink.error(r.path, f"a route to {r.dst} with metric {metric}{where} is already defined at {seen[key]}",
                           "give one of them another metric, or remove it")
            else:
                seen[key] = format_path(r.path)
