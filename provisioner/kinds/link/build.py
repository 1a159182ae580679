"""What every kind of interface shares: its settings (addresses, MTU, MAC, up, description),
merged from the places that may give them, and the problems of MTUs and addresses.

Addresses are interface settings: they are built here, not by a kind of their own."""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from ...diagnostics import DiagnosticSink, YamlPath, format_path
from ...model import Interface, Kind, Place, Topology
from ..address.build import build_addresses
from ..buildctx import BuildContext

IFACE_SETTINGS = ("addresses", "mtu", "mac", "up", "description", "txqueuelen", "hairpin")
IPV6_MIN_MTU = 1280
"""Below this MTU Linux turns IPv6 off on an interface: it drops the interface's IPv6 addresses
and refuses new ones and IPv6 routes out of it."""


def settings(ctx: BuildContext, iface: Interface, path: YamlPath, raw: dict[str, Any], origin: dict[str, YamlPath]) -> None:
    """Apply interface settings from one place, refusing a setting given in two places
    (`origin`: where each setting of the interface was given so far)."""
    for key in IFACE_SETTINGS:
        if key not in raw:
            continue
        if key in origin:
            ctx.sink.error(path + (key,), f"'{key}' of {iface.name} is also set at {format_path(origin[key])}",
                           "set each interface setting in one place", key=True)
            continue
        origin[key] = path + (key,)
        if key == "addresses":
            build_addresses(ctx, iface, path + (key,), raw[key], iface.kind == Kind.LOOPBACK)
        elif key == "mac":
            iface.mac = _mac(ctx, path + (key,), raw[key])
        elif key in ("mtu", "txqueuelen"):
            setattr(iface, key, ctx.integer(path + (key,), raw[key]))
        elif key == "description":
            iface.description = ctx.text(path + (key,), raw[key])
        else:
            setattr(iface, key, raw[key])


def _mac(ctx: BuildContext, path: YamlPath, raw: Any) -> str:
    mac = str(raw).lower()
    if int(mac[:2], 16) & 1:
        ctx.sink.error(path, f"MAC address {mac} is a multicast address", "the first octet must be even, e.g. 02:...")
    elif not int(mac.replace(":", ""), 16):
        ctx.sink.error(path, f"MAC address {mac} is all zeros; Linux refuses it", "e.g. 02:00:00:00:00:01")
    return mac


def finish(ctx: BuildContext, topo: Topology) -> None:
    """IPv6 addresses and routes on an interface whose MTU turns IPv6 off (the kernel refuses
    them); hairpin mode on an interface that is no bridge's port."""
    for ns in topo.all_netns():
        for iface in ns.interfaces.values():
            if iface.hairpin and iface.master is None:
                ctx.sink.error(iface.path + ("hairpin",) if iface.path else iface.path,
                               f"hairpin mode is a bridge port's setting and {iface.name} is no bridge's port",
                               "attach it to a bridge (a link end `BRIDGE:IFNAME`), or leave `hairpin` out", key=True)
        low = {name: i.mtu for name, i in ns.interfaces.items() if i.mtu is not None and i.mtu < IPV6_MIN_MTU}
        if not low:
            continue
        hint = f"give it an MTU of {IPV6_MIN_MTU} or more, or only IPv4 addresses"
        for name in low:
            iface = ns.interfaces[name]
            v6 = next((a for a in iface.addresses if a.version == 6), None)
            if v6 is not None:
                ctx.sink.error(iface.path, f"{name} has MTU {low[name]} and the IPv6 address {v6}: Linux turns "
                               f"IPv6 off below MTU {IPV6_MIN_MTU} and refuses the address", hint, key=True)
        for route in ns.routes:
            if route.dst.version == 6 and route.dev in low:
                ctx.sink.error(route.path + ("dev",), f"{route.dev} has MTU {low[route.dev]}: Linux turns IPv6 "
                               f"off below MTU {IPV6_MIN_MTU} and refuses IPv6 routes out of it", hint)


# ---- semantic checks ---------------------------------------------------------------------

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


def segments(topo: Topology) -> "Segments":
    """The lab's L2 segments: a veth pair, and a bridge with its ports, are one each."""
    seg = _Segments()
    for pair in topo.veths:
        seg.union(_key(pair.a.place, pair.a.ifname), _key(pair.b.place, pair.b.ifname))
    for ns in topo.all_netns():
        for iface in ns.interfaces.values():
            if iface.master is not None:
                seg.union(_key(ns.place, iface.name), _key(ns.place, iface.master))
            parent = getattr(iface.spec, "parent", None)  # a kind on a parent link (macvlan) shares its segment
            if isinstance(parent, str):
                seg.union(_key(ns.place, iface.name), _key(Place(ns.place.node), parent))
    return Segments(seg)


@dataclass(frozen=True)
class Segments:
    """Which segment an interface is on (`of(place, ifname)`: equal for one segment)."""

    found: _Segments

    def of(self, place: Place, ifname: str) -> _IfKey:
        return self.found.find(_key(place, ifname))


def check(topo: Topology, sink: DiagnosticSink) -> None:
    """An address once per L2 segment (a veth pair, or a bridge and its ports); a subnet on one
    segment of a namespace only (warning: the kernel would route it through one of them)."""
    segs = segments(topo)
    seg = segs.found
    _subnet_on_two_segments(topo, segs, sink)
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


def _subnet_on_two_segments(topo: Topology, segs: Segments, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        where: dict[object, tuple[Interface, _IfKey]] = {}
        for iface in ns.interfaces.values():
            if iface.kind == Kind.LOOPBACK:
                continue
            for i, addr in enumerate(iface.addresses):
                if addr.network.prefixlen >= addr.max_prefixlen or addr.ip.is_link_local:
                    continue  # a host address: routed by its own /32 or /128
                on = segs.of(ns.place, iface.name)
                other = where.setdefault(addr.network, (iface, on))
                if other[1] != on:
                    sink.warning(_addr_path(iface, i), f"subnet {addr.network} is on {other[0].name} and {iface.name}, which are "
                                 f"different L2 segments of {ns.place.label(topo.single_node)}: the kernel routes it through one of them",
                                 "give each segment its own subnet, or join them (one bridge)")


def _addr_path(iface: Interface, index: int) -> tuple[str | int, ...]:
    return iface.path + ("addresses", index) if iface.path else iface.path
