"""Semantic checks the JSON Schema cannot express, run on the desired model.

Each check is a small function over the model that reports to the sink; `CHECKS` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address, ip_network
from typing import Callable, Iterable

from .diagnostics import DiagnosticSink, format_path
from .model import Interface, IPAddress, IPNetwork, Kind, Netns, Place, Topology
from .names import printable

Check = Callable[[Topology, DiagnosticSink], None]


def check_route_devices(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        for route in ns.routes:
            if route.dev is not None and route.dev not in ns.interfaces:
                where = f"namespace {ns.place.netns}" if ns.place.netns else f"node {ns.place.node}"
                sink.error(route.path + ("dev",), f"route device '{route.dev}' is not an interface of {where}",
                           f"interfaces there: {', '.join(sorted(ns.interfaces)) or 'none'}")


def _connected(ns: Netns, dev: str | None) -> Iterable[Interface]:
    if dev is not None:
        iface = ns.interfaces.get(dev)
        return [iface] if iface is not None else []
    return ns.interfaces.values()


def check_gateways(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        for route in ns.routes:
            if route.via is None or route.onlink:
                continue
            if route.via.is_link_local and route.via.version == 6:
                if route.dev is None:
                    sink.error(route.path + ("via",), f"link-local gateway {route.via} needs `dev`")
                continue
            if route.dev is not None and route.dev not in ns.interfaces:
                continue  # reported by check_route_devices
            reachable = any(route.via in addr.network for i in _connected(ns, route.dev) for addr in i.addresses)
            underlay = topo.nodes[ns.place.node].underlay if ns.place.netns is None else None
            reachable = reachable or (underlay is not None and route.dev is None and route.via in underlay.network)
            if not reachable:
                sink.error(
                    route.path + ("via",),
                    f"gateway {route.via} is not in a subnet connected to "
                    + (route.dev if route.dev else (ns.place.netns or f"node {ns.place.node}")),
                    "give an interface an address in the gateway's subnet, or set `onlink: true` with `dev`",
                )


def check_onlink_without_local_table(topo: Topology, sink: DiagnosticSink) -> None:
    """The kernel checks an IPv4 onlink gateway against the namespace's local routing table,
    which exists only once the namespace has had a local IPv4 address (lo up, or an address
    on any interface): before that it refuses the route ("Nexthop has invalid gateway")."""
    for ns in topo.all_netns():
        if ns.place.netns is None:
            continue
        lo = ns.interfaces.get("lo")
        if (lo is not None and lo.up) or any(a.version == 4 for i in ns.interfaces.values() for a in i.addresses):
            continue
        for route in ns.routes:
            if route.onlink and route.via is not None and route.via.version == 4:
                sink.error(route.path + ("onlink",),
                           f"namespace {ns.place.netns} has no IPv4 address and lo down: the kernel refuses an onlink "
                           f"gateway there (Nexthop has invalid gateway)",
                           "set `lo: {up: true}` in the namespace, or give one of its interfaces an IPv4 address")


def check_route_sources(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        local = {a.ip for i in ns.interfaces.values() for a in i.addresses}
        for route in ns.routes:
            if route.src is not None and route.src not in local:
                sink.error(route.path + ("src",), f"source address {route.src} is not an address of this namespace")


def check_duplicate_routes(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        seen: dict[tuple[object, int], str] = {}
        for route in ns.routes:
            metric = route.kernel_metric
            key = (route.dst, metric)
            if key in seen:
                sink.error(route.path, f"a route to {route.dst} with metric {metric} is already defined at {seen[key]}",
                           "give one of them another metric, or remove it")
            else:
                seen[key] = format_path(route.path)


_IfKey = tuple[str, "str | None", str]  # node, namespace, interface: cheaper to hash than EndRef


class _Segments:
    """Union-find over interfaces: a veth pair and a bridge with its ports form one L2 segment."""

    def __init__(self) -> None:
        self.parent: dict[_IfKey, _IfKey] = {}

    def find(self, x: _IfKey) -> _IfKey:
        parent = self.parent
        while (up := parent.get(x, x)) != x:
            parent[x] = grand = parent.get(up, up)
            x = grand
        return x

    def union(self, a: _IfKey, b: _IfKey) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _key(place: Place, ifname: str) -> _IfKey:
    return (place.node, place.netns, ifname)


def check_l2_addresses(topo: Topology, sink: DiagnosticSink) -> None:
    seg = _Segments()
    for pair in topo.veths:
        seg.union(_key(pair.a.place, pair.a.ifname), _key(pair.b.place, pair.b.ifname))
    for ns in topo.all_netns():
        for iface in ns.interfaces.values():
            if iface.master is not None:
                seg.union(_key(ns.place, iface.name), _key(ns.place, iface.master))
    seen: dict[tuple[_IfKey, object], Interface] = {}
    for ns in topo.all_netns():
        for iface in ns.interfaces.values():
            if iface.kind == Kind.LOOPBACK or not iface.addresses:
                continue
            root = seg.find(_key(ns.place, iface.name))
            for i, addr in enumerate(iface.addresses):
                key = (root, addr.ip)
                other = seen.get(key)
                if other is not None and other is not iface:
                    sink.error(
                        _addr_path(iface, i),
                        f"address {addr.ip} is also used by {other.name} on the same L2 segment",
                        "each address may appear once per segment (a veth pair, or a bridge and its ports)",
                    )
                seen.setdefault(key, iface)


def _addr_path(iface: Interface, index: int) -> tuple[str | int, ...]:
    return iface.path + ("addresses", index) if iface.path else iface.path


def check_veth_mtu(topo: Topology, sink: DiagnosticSink) -> None:
    for pair in topo.veths:
        a, b = topo.interface(pair.a), topo.interface(pair.b)
        if a.mtu != b.mtu:
            sink.warning(pair.path, f"MTU differs across the veth pair: {a.name} {a.mtu or 'default'}, {b.name} {b.mtu or 'default'}",
                         "set `mtu:` on the link to give both ends the same MTU")
        bridge = a.master or b.master
        if bridge is not None:
            place: Place = pair.b.place if b.master else pair.a.place
            br = topo.netns(place).interfaces.get(bridge)
            port = b if b.master else a
            if br is not None and br.mtu is not None and port.mtu != br.mtu:
                sink.warning(pair.path, f"port {port.name} has MTU {port.mtu or 'default'} but bridge {bridge} has {br.mtu}",
                             "give the link the bridge's MTU")


_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})  # every hosts file's localhost lines
EXTERNAL_HINT = "set `external: true` on the check if it is meant to reach outside the lab"


@dataclass(frozen=True)
class _LabOwn:
    """What a check may reach without `external: true`: the lab's subnets and addresses, and
    the names its hosts entries declare."""

    networks: frozenset[IPNetwork]
    names: dict[str, tuple[IPAddress, ...]]  # by lower-case name (resolvers ignore case)

    @staticmethod
    def of(topo: Topology) -> "_LabOwn":
        nets = {a.network for ns in topo.all_netns() for i in ns.interfaces.values() for a in i.addresses}
        nets |= {ip_network(n.underlay.ip) for n in topo.nodes.values() if n.underlay is not None}
        names: dict[str, tuple[IPAddress, ...]] = {}
        for ns in topo.all_netns():
            for name, addrs in ns.hosts.items():
                names[name.lower()] = names.get(name.lower(), ()) + addrs
        return _LabOwn(frozenset(nets), names)

    def address_problem(self, ip: IPAddress, in_netns: bool) -> str | None:
        if ip.is_loopback:
            return None if in_netns else f"{ip} is the node's own loopback, not the lab's"
        if any(ip in net for net in self.networks):
            return None
        return f"{ip} is not an address of the lab or in a subnet of its interfaces"

    def target_problem(self, target: str, in_netns: bool) -> str | None:
        try:
            return self.address_problem(ip_address(target), in_netns)
        except ValueError:
            pass
        name = target.lower()
        if name in _LOOPBACK_NAMES:
            return None if in_netns else f"{target} is the node's own loopback, not the lab's"
        if name not in self.names:
            return f"{printable(target)} is not a name the lab's hosts entries declare: it would be looked up outside the lab"
        for ip in self.names[name]:
            if err := self.address_problem(ip, in_netns):
                return f"{printable(target)} is declared as {ip}; {err}"
        return None


def check_check_targets(topo: Topology, sink: DiagnosticSink) -> None:
    """A check reaches (or resolves) only the lab's own addresses and names, unless it says
    `external: true`: a file cannot make `topo check` send traffic or DNS queries elsewhere
    by accident."""
    if all(c.external for c in topo.checks):
        return
    own = _LabOwn.of(topo)
    for check in topo.checks:
        if check.external:
            continue
        if err := own.target_problem(check.target, check.place.netns is not None):
            sink.error(check.path + ("resolve" if check.resolve else "to",), err, EXTERNAL_HINT)


CHECKS: tuple[Check, ...] = (
    check_route_devices,
    check_gateways,
    check_onlink_without_local_table,
    check_route_sources,
    check_duplicate_routes,
    check_l2_addresses,
    check_veth_mtu,
    check_check_targets,
)


def run_checks(topo: Topology, sink: DiagnosticSink) -> None:
    for check in CHECKS:
        check(topo, sink)
