"""Hypothesis strategies for valid topo topologies, and for random edits of them.

A strategy first draws a typed *spec* (`TopoSpec`): namespaces, bridges, nodes, veth links,
L2 segments with their subnets, and routes described by intent ("a default route via a
gateway on a connected subnet", "a route to that segment's prefix out of some device").
`render(spec)` turns it into topology data and resolves every cross-reference there:
addresses come from the segment's subnet (one address once per segment), gateways from a
subnet connected on an up interface and never a local address, `dev` from up interfaces,
routes that would duplicate one another (as the kernel counts metrics) are dropped. Because
rendering enforces the rules, an *edited* spec renders to a valid file as well.

What a file has: namespaces with veths to other namespaces, to bridges and to the node
(`host:IFNAME`, also kindnet style: /32 addresses, a gateway `onlink`, /32 routes back on the
node); IPv4 and IPv6 addresses (secondary ones too, IPv6 sometimes written exploded); MTUs on
links or on single ends; MACs; `up: false` now and then; routes (default, other segments'
prefixes, remote prefixes; via a gateway, with or without `dev`, `dev` only, onlink; metrics;
an IPv4 `src`); net.* sysctls (as int, bool or string); hosts entries per namespace, per node
and at the top; processes (harmless `sleep` commands) and checks (valid, not necessarily true).
With `max_nodes` > 1 also `nodes:` with underlay addresses, bridges under nodes (one name on
several nodes), VXLAN segments joining them, and routes via another node's underlay address.

What a rendered file asks of the kernel is something Linux accepts: interface names of at
most 15 ASCII characters, unique in their namespace, never `lo` nor a fallback tunnel device;
MTUs of 1280 or more wherever IPv6 is used; IPv4 only inside 10.0.0.0/8 and the TEST-NETs
(192.0.2.0/24 for segments, 198.51.100.0/24 and 203.0.113.0/24 as route destinations), IPv6
only inside fd00::/8; no default route in a node's root namespace; a bridge's ports have its
MTU; IPv6 routes never carry metric 0 or 1024 (what the kernel makes of "no metric").

    topology_specs(max_namespaces=4, max_bridges=2, max_nodes=1, max_links_per_namespace=2,
                   max_routes=3, descriptions=SAFE_TEXT, processes=True, checks=True) -> TopoSpec
    topology_data(...same...)                      -> data dict (what desired.build_topology accepts)
    render(spec)                                   -> data dict
    edited_specs(spec, max_edits=3, max_namespaces=4, descriptions=SAFE_TEXT)
                                                   -> TopoSpec: 1..max_edits random edits, same lab name
    topology_pairs(max_namespaces=4, max_bridges=2, max_nodes=1, max_edits=3, descriptions=SAFE_TEXT)
                                                   -> (data, edited data), different, same name

`max_nodes=1` (the default) gives one implicit node (`host`): what one sandbox applies.
`descriptions=None` leaves free text out; SAFE_TEXT is any text without `{`/`}` (so that
yaml.safe_dump of the data is never a Jinja2 template); pass st.text() to test escaping.
Control characters other than tab and newline are dropped from drawn text (topo refuses them).
"""

from __future__ import annotations

import copy
import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence, TypeVar

from hypothesis import strategies as st

from provisioner.names import hosts_name_problem, text_problem

Data = dict[str, Any]
T = TypeVar("T")
IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IPIface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

# Interface names never generated: loopback, the fallback tunnel devices a new network
# namespace gets when their modules are loaded, and common names of a real machine's devices.
RESERVED_IFNAMES = frozenset({
    "lo", "host", "tunl0", "gre0", "gretap0", "erspan0", "ip_vti0", "ip6_vti0", "sit0", "ip6tnl0",
    "ip6gre0", "ip6erspan0", "bond0", "dummy0", "ifb0", "ifb1", "teql0", "nlmon0", "wg0",
})
RESERVED_ROOT_IFNAMES = RESERVED_IFNAMES | {"eth0", "eth1", "ens3", "enp0s3", "docker0", "virbr0", "cni0", "wlan0"}

SYSCTLS: dict[str, tuple[int, ...]] = {
    "net.ipv4.ip_forward": (0, 1),
    "net.ipv6.conf.all.forwarding": (0, 1),
    "net.ipv4.conf.all.rp_filter": (0, 1, 2),
    "net.ipv4.conf.default.rp_filter": (0, 1, 2),
    "net.ipv4.conf.all.accept_redirects": (0, 1),
    "net.ipv4.conf.all.arp_ignore": (0, 1, 2),
    "net.ipv4.icmp_echo_ignore_all": (0, 1),
    "net.ipv4.icmp_echo_ignore_broadcasts": (0, 1),
    "net.ipv4.ip_default_ttl": (1, 32, 63, 64, 128, 255),
    "net.ipv4.tcp_syncookies": (0, 1, 2),
    "net.ipv6.conf.all.accept_ra": (0, 1, 2),
    "net.core.somaxconn": (128, 1024, 4096),
}

MTUS = (1280, 1400, 1420, 1450, 1480, 1500, 4000, 8950, 9000, 65535)
SMALL_MTUS = (68, 576, 1000, 1279)  # only where no IPv6 is used (Linux turns IPv6 off below 1280)
METRICS = (1, 10, 100, 101, 200, 600, 1000, 4096, 65535, 4294967295)
BRIDGE_V4_PREFIXES = (16, 20, 24, 24, 26, 28)
VETH_V4_PREFIXES = (16, 24, 24, 28, 29, 30, 31)
V6_PREFIXES = (48, 64, 64, 64, 80, 96, 112, 120)
DOC_BLOCK = 200  # block 200 is 192.0.2.0/24 (IPv4) and fd00:c8::/32 (IPv6); 0..199 are 10.N.0.0/16 and fd00:N::/32
LO_V4 = ipaddress.ip_network("10.255.0.0/16")  # /32 loopback addresses
LO_V6 = ipaddress.ip_network("fdfe::/64")  # /128 loopback addresses
ONLINK_POOL = "10.244.{}.0/24"  # kindnet-style pod addresses of node N (/32, gateway .1)


# ---- the spec -------------------------------------------------------------------------------

@dataclass
class Addr:
    family: int
    index: int  # which usable host of the segment's subnet (taken modulo their number)


@dataclass
class End:
    """A veth end, or a bridge."""

    name: str
    addrs: list[Addr] = field(default_factory=list)
    mtu: int | None = None
    mac: str | None = None
    up: bool = True
    description: str | None = None
    inline: bool = True  # a namespace end: settings under the namespace's `interfaces:` (else on the link end)


@dataclass
class Segment:
    block: int
    v4: ipaddress.IPv4Network | None
    v6: ipaddress.IPv6Network | None


@dataclass
class Link:
    """A veth pair; end `a` is always in namespace `ns`."""

    ns: str
    a: End
    kind: str  # "ns" (b in namespace `peer`), "bridge" (b a port of bridge `peer`), "node" or "onlink" (b in node `peer`'s root)
    peer: str
    b: End
    segment: int  # its own L2 segment ("ns", "node"), the bridge's ("bridge"); -1 for "onlink" (addresses from the pod pool)
    mtu: int | None = None
    description: str | None = None
    swap: bool = False  # write b as the link's `a`
    mapping_ends: bool = False  # write an end without settings as `{at: ...}`


@dataclass
class Bridge:
    node: str
    iface: End
    segment: int  # bridges of one name on several nodes may share it (one L2 joined by a VXLAN segment)
    under_node: bool = False  # written under `nodes.NODE.bridges` (else top-level `bridges`, with `node:`)


@dataclass
class VxlanSeg:
    name: str
    vni: int
    bridge: str
    nodes: list[str] | None = None  # None: every node with the bridge
    port: int | None = None
    mtu: int | None = None
    description: str | None = None


@dataclass
class Route:
    family: int
    dst: tuple[str, int]  # ("default", 0), ("remote", i) or ("segment", id)
    mode: str  # "gw" (via), "gw-dev" (via + dev), "dev", "onlink" (IPv4: via + dev + onlink)
    pick: int  # which interface / gateway / source
    metric: int | None = None
    src: bool = False
    spell: int = 0  # spelling variants: `default` or 0.0.0.0/0, compressed or exploded IPv6


@dataclass
class Scope:
    """Routes, sysctls and hosts entries of a namespace, a node's root namespace or the top level."""

    routes: list[Route] = field(default_factory=list)
    sysctls: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Namespace:
    name: str
    node: str
    scope: Scope = field(default_factory=Scope)
    description: str | None = None
    lo_up: bool = True
    lo_addrs: list[Addr] = field(default_factory=list)
    lo_explicit: bool = False  # write `lo: {up: true}` although it is the default
    processes: dict[str, Any] = field(default_factory=dict)  # as written in the file


@dataclass
class Node:
    name: str
    index: int
    scope: Scope = field(default_factory=Scope)
    host: str | None = None
    user: str | None = None
    description: str | None = None
    underlay: str | None = None  # CIDR


@dataclass
class TopoSpec:
    name: str
    nodes: list[Node]
    explicit_nodes: bool
    namespaces: list[Namespace] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    segments: dict[int, Segment] = field(default_factory=dict)
    top: Scope = field(default_factory=Scope)
    description: str | None = None
    node_scope_routes: bool = False  # the single explicit node's root routes under `nodes:` rather than at the top
    vxlans: list[VxlanSeg] = field(default_factory=list)
    checks: list[Data] = field(default_factory=list)  # as written; those `from` a namespace that is gone are left out

    # -- names in use --
    def owners(self) -> set[str]:
        return {n.name for n in self.nodes} | {ns.name for ns in self.namespaces} | {b.iface.name for b in self.bridges}

    def root_names(self, node: str) -> set[str]:
        names = {b.iface.name for b in self.bridges if b.node == node} | {v.name for v in self.vxlans}
        names |= {lk.b.name for lk in self.links if lk.kind != "ns" and self.node_of(lk.ns) == node}
        return names

    def ns_names(self, ns: str) -> set[str]:
        names = {lk.a.name for lk in self.links if lk.ns == ns}
        return names | {lk.b.name for lk in self.links if lk.kind == "ns" and lk.peer == ns}

    def node_of(self, ns: str) -> str:
        return next(n.node for n in self.namespaces if n.name == ns)

    def single_node(self) -> bool:
        return len(self.nodes) == 1


# ---- addresses --------------------------------------------------------------------------------

def usable_hosts(net: IPNet) -> tuple[int, int]:
    """(first offset, count) of the host addresses a segment hands out: never the network
    (subnet-router anycast) or the IPv4 broadcast address; /31 and /32 as RFC 3021 says."""
    if net.version == 4:
        if net.prefixlen >= 31:
            return 0, net.num_addresses
        return 1, net.num_addresses - 2
    return 1, min(net.num_addresses - 1, 1 << 16)


def host(net: IPNet, index: int) -> IPAddr:
    first, count = usable_hosts(net)
    return net.network_address + first + index % count


def remote_net(family: int, i: int) -> IPNet:
    """Route destinations that are no segment's subnet: 10.200-239.x.x and two TEST-NETs, fdff::/16."""
    i = abs(i)
    if family == 4:
        kind, n = i % 6, i // 6
        return ipaddress.ip_network(
            (f"10.{200 + n % 40}.0.0/16", f"10.{200 + n % 40}.{n % 256}.0/24", f"10.{200 + n % 40}.{n % 256}.{n % 254 + 1}/32",
             "198.51.100.0/24", f"203.0.113.{16 * (n % 16)}/28", f"10.{200 + n % 40}.{n % 256}.128/25")[kind])
    kind, n = i % 4, i // 4
    return ipaddress.ip_network((f"fdff:{n % 65536:x}::/48", f"fdff:0:{n % 65536:x}::/64", f"fdff::{n % 65535 + 1:x}/128",
                                 f"fdff:1:{n % 65536:x}:8000::/65")[kind])


def lo_address(a: Addr) -> IPIface:
    net = LO_V4 if a.family == 4 else LO_V6
    ip = net.network_address + 1 + a.index % (min(net.num_addresses, 1 << 16) - 2)
    return ipaddress.ip_interface(f"{ip}/{net.max_prefixlen}")


def spell_ip(ip: IPAddr | IPIface | IPNet, spell: int) -> str:
    """An address as text; IPv6 sometimes exploded (fd00:0001:...), which the builder reads the same."""
    if getattr(ip, "version", 4) == 6 and spell % 3 == 2:
        return ip.exploded
    return str(ip)


def onlink_pool(node: Node) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(ONLINK_POOL.format(node.index % 256))


# ---- rendering --------------------------------------------------------------------------------

@dataclass
class _If:
    name: str
    up: bool
    mtu: int | None
    segment: int | None  # None: lo, onlink ends
    addrs: list[IPIface] = field(default_factory=list)
    peer: "_If | None" = None
    lo: bool = False
    port: bool = False

    @property
    def routable(self) -> bool:
        """Usable as a route's device or for its gateway: up, and its peer up (as the kernel
        needs for a gateway, and so that the route works at once)."""
        return self.up and not self.lo and not self.port and (self.peer is None or self.peer.up)

    @property
    def v6_ok(self) -> bool:
        return self.mtu is None or self.mtu >= 1280


class _Renderer:
    def __init__(self, spec: TopoSpec):
        self.spec = spec
        self.ifs: dict[tuple[str, str | None], list[_If]] = {}
        self.members: dict[int, list[tuple[tuple[str, str | None], _If]]] = {}
        self.end_addrs: dict[int, list[IPIface]] = {}  # id(End) -> its resolved addresses
        self.auto_routes: dict[tuple[str, str | None], list[Data]] = {}
        self.nodes = {n.name: n for n in spec.nodes}

    # -- interfaces and addresses --
    def place(self, key: tuple[str, str | None], iface: _If, segment: int | None) -> None:
        self.ifs.setdefault(key, []).append(iface)
        if segment is not None:
            self.members.setdefault(segment, []).append((key, iface))

    def resolve(self, end: End, segment: int | None, mtu: int | None, taken: dict[tuple[int, int], set[IPAddr]]) -> list[IPIface]:
        out: list[IPIface] = []
        seg = self.spec.segments.get(segment) if segment is not None else None
        for a in end.addrs:
            net = (seg.v4 if a.family == 4 else seg.v6) if seg is not None else None
            if net is None or (a.family == 6 and mtu is not None and mtu < 1280):
                continue
            ip = host(net, a.index)
            used = taken.setdefault((segment, a.family), set())  # type: ignore[arg-type]
            if ip in used:
                continue
            used.add(ip)
            out.append(ipaddress.ip_interface(f"{ip}/{net.prefixlen}"))
        self.end_addrs[id(end)] = out
        return out

    def link_mtus(self, lk: Link) -> tuple[int | None, int | None, int | None]:
        """(link mtu, a's own, b's own): a bridge's ports get the bridge's MTU; no MTU below 1280 on a bridge."""
        if lk.kind == "bridge":
            br = self.bridge(lk.peer, self.spec.node_of(lk.ns))
            if br is not None and br.iface.mtu is not None:
                return max(br.iface.mtu, 1280), None, None
            clamp: Callable[[int | None], int | None] = lambda m: None if m is None else max(m, 1280)
            return clamp(lk.mtu), clamp(lk.a.mtu), clamp(lk.b.mtu)
        return lk.mtu, lk.a.mtu, lk.b.mtu

    def bridge(self, name: str, node: str) -> Bridge | None:
        return next((b for b in self.spec.bridges if b.iface.name == name and b.node == node), None)

    def build_interfaces(self) -> None:
        spec = self.spec
        taken: dict[tuple[int, int], set[IPAddr]] = {}
        pods: dict[str, set[IPAddr]] = {}
        for br in spec.bridges:
            mtu = None if br.iface.mtu is None else max(br.iface.mtu, 1280)
            iface = _If(br.iface.name, br.iface.up, mtu, br.segment)
            iface.addrs = self.resolve(br.iface, br.segment, mtu, taken)
            self.place((br.node, None), iface, br.segment)
        for ns in spec.namespaces:
            lo = _If("lo", ns.lo_up, None, None, lo=True)
            lo.addrs = list(dict.fromkeys(lo_address(a) for a in ns.lo_addrs))
            self.end_addrs[id(ns)] = lo.addrs
            self.place((ns.node, ns.name), lo, None)
        for lk in spec.links:
            node = spec.node_of(lk.ns)
            link_mtu, a_mtu, b_mtu = self.link_mtus(lk)
            a_eff = a_mtu if a_mtu is not None else link_mtu
            b_eff = b_mtu if b_mtu is not None else link_mtu
            a_key = (node, lk.ns)
            b_key = (node, lk.peer if lk.kind == "ns" else None)
            seg = lk.segment if lk.kind != "onlink" else None
            a = _If(lk.a.name, lk.a.up, a_eff, seg)
            b = _If(lk.b.name, lk.b.up, b_eff, seg, port=lk.kind == "bridge")
            a.peer, b.peer = b, a
            if lk.kind == "onlink":
                pool = onlink_pool(self.nodes[node])
                used = pods.setdefault(node, {pool.network_address + 1})
                mine = [ipaddress.ip_interface(f"{pool.network_address + 2 + x.index % 252}/32") for x in lk.a.addrs if x.family == 4]
                a.addrs = [m for m in mine[:1] if m.ip not in used]
                used.update(m.ip for m in a.addrs)
                b.addrs = [ipaddress.ip_interface(f"{pool.network_address + 1}/32")]
                self.end_addrs[id(lk.a)], self.end_addrs[id(lk.b)] = a.addrs, b.addrs
                if a.addrs and a.up and b.up:  # kindnet: default via the gateway onlink; a /32 route back on the node
                    self.auto_routes.setdefault(a_key, []).append(
                        {"to": "default", "via": str(b.addrs[0].ip), "dev": a.name, "onlink": True})
                    self.auto_routes.setdefault(b_key, []).append({"to": str(a.addrs[0].network), "dev": b.name})
            else:
                a.addrs = self.resolve(lk.a, seg, a_eff, taken)
                b.addrs = [] if lk.kind == "bridge" else self.resolve(lk.b, seg, b_eff, taken)
                if lk.kind == "bridge":
                    self.end_addrs[id(lk.b)] = []
            self.place(a_key, a, seg)
            self.place(b_key, b, None if lk.kind == "bridge" else seg)

    # -- routes --
    def routes(self, key: tuple[str, str | None], specs: list[Route], allow_default: bool) -> list[Data]:
        ifs = self.ifs.get(key, [])
        local = {a.ip for i in ifs for a in i.addrs}
        out: list[Data] = []
        seen: set[tuple[IPNet, int]] = set()
        resolved = list(self.auto_routes.get(key, [])) + [self.route(key, r, ifs, local, allow_default) for r in specs]
        for data in resolved:
            if data is None:
                continue
            dst = _route_dst(data)
            metric = data.get("metric")
            kernel_metric = metric if metric else (0 if dst.version == 4 else 1024)
            if (dst, kernel_metric) in seen:
                continue
            seen.add((dst, kernel_metric))
            out.append(data)
        return out

    def route(self, key: tuple[str, str | None], r: Route, ifs: list[_If], local: set[IPAddr], allow_default: bool) -> Data | None:
        fam = r.family if r.family in (4, 6) else 4
        usable = [i for i in ifs if i.routable and (fam == 4 or i.v6_ok)]
        kind, arg = r.dst
        if kind == "default":
            if not allow_default:
                return None
            dst: IPNet = ipaddress.ip_network("0.0.0.0/0" if fam == 4 else "::/0")
        elif kind == "remote":
            dst = remote_net(fam, arg)
        else:
            seg = self.spec.segments.get(arg)
            net = (seg.v4 if fam == 4 else seg.v6) if seg is not None else None
            if net is None or any(i.segment == arg for i in ifs):
                return None  # no such prefix, or connected here (the kernel has that route already)
            dst = net
        data: Data = {}
        underlay = self.nodes[key[0]].underlay if key[1] is None else None
        if r.mode == "gw" and underlay is not None and r.pick % 3 == 0:  # via another node's underlay address
            mine = ipaddress.ip_interface(underlay)
            others = [ipaddress.ip_interface(n.underlay).ip for n in self.spec.nodes
                      if n.underlay is not None and n.name != key[0] and ipaddress.ip_interface(n.underlay).ip in mine.network]
            others = [ip for ip in others if ip.version == fam and ip not in local and ip != mine.ip]
            if others:
                data["via"] = str(others[r.pick % len(others)])
        if "via" in data:
            pass
        elif r.mode in ("gw", "gw-dev"):
            subnets = [(i, a.network) for i in usable for a in i.addrs if a.version == fam and a.network.num_addresses > 1]
            if not subnets:
                return None
            iface, net = subnets[r.pick % len(subnets)]
            gw = self.gateway(iface, net, local, r.pick)
            if gw is None:
                return None
            data["via"] = spell_ip(gw, r.spell)
            if r.mode == "gw-dev":
                data["dev"] = iface.name
        elif r.mode == "dev" or (r.mode == "onlink" and fam == 6):
            if not usable:
                return None
            data["dev"] = usable[r.pick % len(usable)].name
        else:  # onlink, IPv4: the peer's address if it has one, else a remote host
            if not usable:
                return None
            if key[1] is not None and not any((i.lo and i.up) or any(a.version == 4 for a in i.addrs) for i in ifs):
                return None  # no local IPv4 table yet: the kernel refuses the gateway (and validation says so)
            iface = usable[r.pick % len(usable)]
            peer_ips = [a.ip for a in (iface.peer.addrs if iface.peer else []) if a.version == 4 and a.ip not in local]
            gw = peer_ips[0] if peer_ips else remote_net(4, 6 * r.pick + 2).network_address
            data.update({"via": str(gw), "dev": iface.name, "onlink": True})
        metric = r.metric if not (fam == 6 and r.metric in (0, 1024)) else None  # IPv6: 0 and no metric both mean 1024
        if metric is not None:
            data["metric"] = metric
        if r.src and fam == 4:  # (an IPv6 source must not be tentative: left out, DAD takes a while)
            sources = sorted({a.ip for i in ifs if i.up and (i.lo or i.routable) for a in i.addrs if a.version == 4})
            if sources:
                data["src"] = str(sources[r.pick % len(sources)])
        if dst.prefixlen == 0:  # `default` takes its family from `via` (else `src`, else IPv4)
            family_of = data.get("via", data.get("src"))
            implied = 6 if family_of is not None and ":" in family_of else 4
            if implied == fam and r.spell % 2 == 0:
                to = "default"
            else:
                to = "0.0.0.0/0" if fam == 4 else ("::/0" if r.spell % 3 != 2 else dst.exploded)
        else:
            to = spell_ip(dst, r.spell)
        return {"to": to, **data}

    def gateway(self, iface: _If, net: IPNet, local: set[IPAddr], pick: int) -> IPAddr | None:
        """An address in `net` that is not local here: a neighbour's on the segment, else a free host."""
        neighbours = sorted({a.ip for _, other in self.members.get(iface.segment, []) if other is not iface  # type: ignore[arg-type]
                             for a in other.addrs if a.ip in net and a.ip not in local})
        if neighbours and pick % 4 != 3:
            return neighbours[pick % len(neighbours)]
        first, count = usable_hosts(net)
        for k in range(min(count, 8)):
            ip = net.network_address + first + (pick + k) % count
            if ip not in local:
                return ip
        return None

    # -- the document --
    def iface_settings(self, end: End, own_mtu: int | None, addrs: list[IPIface], spell: int) -> Data:
        out: Data = {}
        if addrs:
            out["addresses"] = [spell_ip(a, spell) for a in addrs]
        if own_mtu is not None:
            out["mtu"] = own_mtu
        if end.mac is not None:
            out["mac"] = end.mac
        if not end.up or spell % 5 == 4:
            out["up"] = end.up
        if end.description is not None:
            out["description"] = end.description
        return out

    def document(self) -> Data:
        spec = self.spec
        self.build_interfaces()
        single = spec.single_node()
        doc: Data = {"name": spec.name}
        if spec.description is not None:
            doc["description"] = spec.description
        top_routes: list[Data] = []
        if spec.explicit_nodes:
            nodes: Data = {}
            for node in spec.nodes:
                nd: Data = {k: getattr(node, k) for k in ("host", "user", "underlay", "description") if getattr(node, k) is not None}
                routes = self.routes((node.name, None), node.scope.routes, allow_default=False)
                if single and not spec.node_scope_routes:
                    top_routes = routes
                    routes = []
                nd.update(_scope_data(routes, node.scope))
                nodes[node.name] = nd
            doc["nodes"] = nodes
        else:
            top_routes = self.routes((spec.nodes[0].name, None), spec.top.routes, allow_default=False)
        if spec.bridges:
            bridges: Data = {}
            for br in spec.bridges:
                bd: Data = {"node": br.node} if not single else {}
                mtu = None if br.iface.mtu is None else max(br.iface.mtu, 1280)
                bd.update(self.iface_settings(br.iface, mtu, self.end_addrs[id(br.iface)], len(br.iface.name)))
                if spec.explicit_nodes and (br.under_node or br.iface.name in bridges):
                    bd.pop("node", None)
                    doc["nodes"][br.node].setdefault("bridges", {})[br.iface.name] = bd
                else:
                    bridges[br.iface.name] = bd
            if bridges:
                doc["bridges"] = bridges
        inline: dict[str, Data] = {ns.name: {} for ns in spec.namespaces}
        links: list[Data] = []
        for lk in spec.links:
            link_mtu, a_mtu, b_mtu = self.link_mtus(lk)
            a_set = self.iface_settings(lk.a, a_mtu, self.end_addrs[id(lk.a)], len(lk.a.name))
            b_set = self.iface_settings(lk.b, b_mtu, self.end_addrs[id(lk.b)], len(lk.b.name))
            a_at = f"{lk.ns}:{lk.a.name}"
            b_at = f"{lk.peer}:{lk.b.name}"
            if lk.a.inline and a_set:
                inline[lk.ns][lk.a.name] = a_set
                a_set = {}
            if lk.kind == "ns" and lk.b.inline and b_set:
                inline[lk.peer][lk.b.name] = b_set
                b_set = {}
            ends = [_end(a_at, a_set, lk.mapping_ends), _end(b_at, b_set, lk.mapping_ends)]
            if lk.swap:
                ends.reverse()
            ld: Data = {"a": ends[0], "b": ends[1]}
            if link_mtu is not None:
                ld["mtu"] = link_mtu
            if lk.description is not None:
                ld["description"] = lk.description
            links.append(ld)
        if spec.namespaces:
            namespaces: Data = {}
            for ns in spec.namespaces:
                nd = {"node": ns.node} if not single or (spec.explicit_nodes and ns.lo_explicit) else {}
                if ns.description is not None:
                    nd["description"] = ns.description
                interfaces: Data = {}
                lo_addrs = self.end_addrs[id(ns)]
                if not ns.lo_up or lo_addrs or ns.lo_explicit:
                    lo: Data = {"up": ns.lo_up}
                    if lo_addrs:
                        lo["addresses"] = [str(a) for a in lo_addrs]
                    interfaces["lo"] = lo
                interfaces.update(inline[ns.name])
                if interfaces:
                    nd["interfaces"] = interfaces
                nd.update(_scope_data(self.routes((ns.node, ns.name), ns.scope.routes, allow_default=True), ns.scope))
                if ns.processes:
                    nd["processes"] = copy.deepcopy(ns.processes)
                namespaces[ns.name] = nd
            doc["namespaces"] = namespaces
        if links:
            doc["links"] = links
        if spec.vxlans:
            vxlans: Data = {}
            for vx in spec.vxlans:
                vd: Data = {"vni": vx.vni, "bridge": vx.bridge}
                for key in ("nodes", "port", "mtu", "description"):
                    if getattr(vx, key) is not None:
                        vd[key] = getattr(vx, key)
                vxlans[vx.name] = vd
            doc["vxlans"] = vxlans
        doc.update(_scope_data(top_routes, spec.top))
        places = {n.name for n in spec.nodes} | {ns.name for ns in spec.namespaces}
        checks = [dict(c) for c in spec.checks if c["from"] in places]
        if checks:
            doc["checks"] = checks
        return doc


def _route_dst(data: Data) -> IPNet:
    to = data["to"]
    if to == "default":
        fam_of = data.get("via", data.get("src", ""))
        return ipaddress.ip_network("::/0" if ":" in fam_of else "0.0.0.0/0")
    return ipaddress.ip_network(to)


def _end(at: str, settings: Data, mapping: bool) -> str | Data:
    return {"at": at, **settings} if settings or mapping else at


def _scope_data(routes: list[Data], scope: Scope) -> Data:
    out: Data = {}
    if routes:
        out["routes"] = routes
    if scope.sysctls:
        out["sysctls"] = dict(scope.sysctls)
    if scope.hosts:
        out["hosts"] = copy.deepcopy(scope.hosts)
    return out


def render(spec: TopoSpec) -> Data:
    """The topology data of a spec (valid: see the module docstring)."""
    return _Renderer(spec).document()


# ---- drawing a spec ---------------------------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def word(first: str, rest: str, max_rest: int, prefix: str = "") -> st.SearchStrategy[str]:
    """`prefix`, one character of `first`, then up to `max_rest` of `rest` (cheaper than from_regex)."""
    return st.builds(lambda a, b: prefix + a + b, st.sampled_from(first), st.text(st.sampled_from(rest), max_size=max_rest))


LAB_NAMES = st.one_of(
    st.sampled_from(["lab", "flannel", "kindnet", "pods", "veth-lab", "t1"]),
    word(LOWER + LOWER.upper() + DIGITS, LOWER + LOWER.upper() + DIGITS + "_.-", 31),
)
NS_NAMES = st.one_of(
    st.sampled_from(["pod-a", "pod-b", "web", "db", "router", "client", "server", "cni-1", "jumpbox"]),
    word(LOWER, LOWER + DIGITS + "_.-", 14),
)
NODE_NAMES = st.one_of(st.sampled_from(["node1", "node2", "worker", "control-plane", "kind-worker"]), word(LOWER, LOWER + DIGITS + "-", 11))
NS_IFNAMES = st.one_of(st.sampled_from(["eth0", "eth1", "net0", "ens3", "veth0", "uplink"]), word(LOWER, LOWER + DIGITS + "_.-", 14))
ROOT_IFNAMES = st.one_of(
    st.text(st.sampled_from("0123456789abcdef"), min_size=8, max_size=8).map(lambda h: "veth" + h),
    st.sampled_from(["veth-a", "veth-b", "h6902", "vport1", "uplink0"]),
    word(LOWER, LOWER + DIGITS + "_.-", 14),
)
BRIDGE_NAMES = st.one_of(st.sampled_from(["br0", "br-lab", "cni1", "lab-docker0", "br-minikube"]), word(LOWER + DIGITS, LOWER + DIGITS + "-", 11, "br"))
PROCESS_NAMES = st.one_of(st.sampled_from(["web", "db", "sleeper", "srv-1"]), word(LOWER + DIGITS, LOWER + DIGITS + "_.-", 20))
ENV_NAMES = word(LOWER.upper() + "_", LOWER.upper() + DIGITS + "_", 10)
HOST_NAMES = st.builds(lambda name, domains: name + "".join("." + d for d in domains), word(LOWER, LOWER + DIGITS + "-", 14),
                       st.lists(st.text(st.sampled_from(LOWER), min_size=2, max_size=6), max_size=2))
_MAC_TAIL = st.binary(min_size=5, max_size=5)
SAFE_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="{}"), max_size=40)


def fresh(name: str, taken: set[str], limit: int = 15, reserved: frozenset[str] = RESERVED_IFNAMES) -> str:
    """`name` (cut to `limit`), changed by a number suffix until it is unused; added to `taken`."""
    base = name[:limit]
    candidate, i = base, 0
    while candidate in taken or candidate in reserved or candidate in (".", ".."):
        i += 1
        suffix = str(i)
        candidate = base[: limit - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


@functools.lru_cache(maxsize=None)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


class _Drawer:
    """Draws the parts of a spec; shared by `topology_specs` and the edits."""

    def __init__(self, draw: st.DrawFn, spec: TopoSpec, descriptions: st.SearchStrategy[str] | None):
        self.draw = draw
        self.spec = spec
        self.descriptions = descriptions
        self.macs = {e.mac.lower() for e in self.all_ends() if e.mac}

    def all_ends(self) -> Iterator[End]:
        yield from (b.iface for b in self.spec.bridges)
        for lk in self.spec.links:
            yield lk.a
            yield lk.b

    def int(self, lo: int, hi: int) -> int:
        return self.draw(_integers(lo, hi))

    def pick(self, seq: Sequence[T]) -> T:
        """One element of `seq` (an index draw: cheaper than a new sampled_from each time, and it shrinks to the first)."""
        return seq[self.int(0, len(seq) - 1)]

    def maybe(self, p_true: int, of: int = 10) -> bool:
        return self.int(0, of - 1) < p_true

    def text(self) -> str | None:
        if self.descriptions is None or not self.maybe(2):
            return None
        # free text has no control characters but tab and newline (names.text_problem)
        return "".join(c for c in self.draw(self.descriptions) if text_problem("text", c) is None)

    def mac(self) -> str | None:
        if not self.maybe(2):
            return None
        first = self.pick([0x02, 0x06, 0x0A, 0x0E, 0x12, 0xAA, 0xFE])
        rest = self.draw(_MAC_TAIL)
        value = int.from_bytes(bytes([first]) + rest, "big")
        while f"{value:012x}" in {m.replace(':', '') for m in self.macs}:
            value = (value & ~0xFFFF) | ((value + 1) & 0xFFFF)
        text = ":".join(f"{value:012x}"[i: i + 2] for i in range(0, 12, 2))
        self.macs.add(text)
        return text.upper() if self.maybe(3) else text

    def segment(self, bridge: bool) -> int:
        used = {s.block for s in self.spec.segments.values()}
        free = [b for b in range(DOC_BLOCK + 1) if b not in used]
        block = self.pick(free[:40] + free[-1:])
        v4 = v6 = None
        if self.maybe(8):
            if block == DOC_BLOCK:
                base, prefixes = ipaddress.ip_network("192.0.2.0/24"), (24, 25, 26, 27, 28) if bridge else (24, 28, 29, 30, 31)
            else:
                base, prefixes = ipaddress.ip_network(f"10.{block}.0.0/16"), BRIDGE_V4_PREFIXES if bridge else VETH_V4_PREFIXES
            v4 = self.subnet(base, self.pick(prefixes))  # type: ignore[assignment]
        if self.maybe(5):
            base6 = ipaddress.ip_network(f"fd00:{block:x}::/32")
            v6 = self.subnet(base6, self.pick(V6_PREFIXES + (() if bridge else (124, 126))))  # type: ignore[assignment]
        sid = max(self.spec.segments, default=-1) + 1
        self.spec.segments[sid] = Segment(block, v4, v6)
        return sid

    def subnet(self, base: IPNet, prefixlen: int) -> IPNet:
        k = self.int(0, (1 << (prefixlen - base.prefixlen)) - 1)
        return ipaddress.ip_network((int(base.network_address) + (k << (base.max_prefixlen - prefixlen)), prefixlen))

    def addrs(self, segment: int, most: int = 2) -> list[Addr]:
        seg = self.spec.segments[segment]
        out: list[Addr] = []
        for fam, net in ((4, seg.v4), (6, seg.v6)):
            if net is None:
                continue
            n = self.pick([0, 1, 1, 1, 1, 2][: 5 + (most > 1)])
            out += [Addr(fam, self.int(0, 300)) for _ in range(n)]
        return out

    def mtu(self, small_ok: bool) -> int:
        return self.pick(MTUS + (SMALL_MTUS if small_ok else ()))

    def end(self, name: str, addrs: list[Addr]) -> End:
        return End(name, addrs, mac=self.mac(), up=not self.maybe(1, 12), description=self.text(), inline=self.maybe(1, 2))

    # -- parts --
    def bridge(self, node: str) -> Bridge:
        spec = self.spec
        shared = [b for b in spec.bridges if b.node != node and b.iface.name not in spec.root_names(node)]
        if spec.explicit_nodes and shared and self.maybe(6):  # cni0 on every node; one L2 when a VXLAN joins them
            other = self.pick(shared)
            name, sid = other.iface.name, other.segment
        else:
            name = fresh(self.draw(BRIDGE_NAMES), spec.owners() | spec.root_names(node), reserved=RESERVED_ROOT_IFNAMES)
            sid = self.segment(bridge=True)
        iface = self.end(name, self.addrs(sid, most=1))
        iface.up = not self.maybe(1, 15)
        iface.mtu = self.mtu(False) if self.maybe(3) else None
        return Bridge(node, iface, sid, under_node=spec.explicit_nodes and self.maybe(1, 2))

    def vxlan(self) -> VxlanSeg | None:
        """A VXLAN segment joining the bridges of one name on two or more nodes (with underlays of one family)."""
        spec = self.spec
        with_underlay = {n.name for n in spec.nodes if n.underlay is not None}
        by_name: dict[str, list[str]] = {}
        for b in spec.bridges:
            by_name.setdefault(b.iface.name, []).append(b.node)
        joined = {v.bridge for v in spec.vxlans}
        names = sorted(n for n, on in by_name.items() if len(on) >= 2 and set(on) <= with_underlay and n not in joined)
        if not names:
            return None
        bridge = self.pick(names)
        on = [n.name for n in spec.nodes if n.name in by_name[bridge]]  # node order: the builder's default
        taken = set().union(*(spec.root_names(n) for n in on)) | spec.owners()
        name = fresh("vx-" + bridge, taken, reserved=RESERVED_ROOT_IFNAMES)
        members: list[str] | None = None
        if self.maybe(3):
            members = list(self.draw(st.permutations(on)))[: self.int(2, len(on))]
        return VxlanSeg(name, self.int(1, 16777215), bridge, members, port=self.pick([None, None, 4789, 8472]),
                        mtu=self.pick([None, None, 1280, 1450, 1500, 8950]), description=self.text())

    def namespace(self, node: str) -> Namespace:
        name = fresh(self.draw(NS_NAMES), self.spec.owners(), limit=20, reserved=frozenset({"host"}))
        ns = Namespace(name, node, description=self.text(), lo_up=not self.maybe(1, 15), lo_explicit=self.maybe(1))
        if self.maybe(1):
            ns.lo_addrs = [Addr(self.pick([4, 6]), self.int(0, 500))]
        return ns

    def link(self, ns: Namespace) -> Link | None:
        spec = self.spec
        kinds = ["node", "onlink"]
        bridges = [b for b in spec.bridges if b.node == ns.node and not any(
            lk.kind == "bridge" and lk.peer == b.iface.name and lk.ns == ns.name for lk in spec.links)]
        others = [o for o in spec.namespaces if o.node == ns.node and o.name != ns.name]
        kinds += ["bridge"] * 3 * bool(bridges) + ["ns"] * 2 * bool(others)
        kind = self.pick(kinds)
        a_name = fresh(self.draw(NS_IFNAMES), spec.ns_names(ns.name))
        if kind == "ns":
            peer = self.pick(others).name
            b_name = fresh(self.draw(NS_IFNAMES), spec.ns_names(peer))
        elif kind == "bridge":
            peer = self.pick(bridges).iface.name
            b_name = fresh(self.draw(ROOT_IFNAMES), spec.root_names(ns.node) | spec.owners(), reserved=RESERVED_ROOT_IFNAMES)
        else:
            peer = ns.node
            b_name = fresh(self.draw(ROOT_IFNAMES), spec.root_names(ns.node) | spec.owners(), reserved=RESERVED_ROOT_IFNAMES)
        if kind == "bridge":
            sid = next(b.segment for b in spec.bridges if b.iface.name == peer)
        elif kind == "onlink":
            sid = -1
        else:
            sid = self.segment(bridge=False)
        if kind == "onlink":
            a_addrs = [Addr(4, self.int(0, 251))]
            b_addrs: list[Addr] = []
        else:
            a_addrs = self.addrs(sid)
            b_addrs = [] if kind == "bridge" else self.addrs(sid)
        lk = Link(ns.name, self.end(a_name, a_addrs), kind, peer, self.end(b_name, b_addrs), sid,
                  description=self.text(), swap=self.maybe(2), mapping_ends=self.maybe(1))
        if kind == "bridge":
            lk.b.inline = False
            lk.b.mac = None if self.maybe(5) else lk.b.mac
        small_ok = kind != "bridge" and (sid < 0 or spec.segments[sid].v6 is None)
        mtu_style = self.pick(["none", "none", "link", "link", "ends"])
        if mtu_style == "link":
            lk.mtu = self.mtu(small_ok)
        elif mtu_style == "ends":
            lk.a.mtu = self.mtu(small_ok) if self.maybe(7) else None
            lk.b.mtu = self.mtu(small_ok) if self.maybe(7) else None
            lk.mtu = self.mtu(small_ok) if self.maybe(3) else None
        return lk

    def route(self, allow_default: bool) -> Route:
        segs = sorted(self.spec.segments)
        dsts = [("remote", self.int(0, 5000))]
        if allow_default:
            dsts += [("default", 0)] * 2
        if segs:
            dsts.append(("segment", self.pick(segs)))
        family = self.pick([4, 4, 6])
        mode = self.pick(["gw", "gw", "gw-dev", "dev", "onlink"])
        metric = self.pick((None,) * 6 + (0,) + METRICS)
        return Route(family, self.pick(dsts), mode, self.int(0, 1000), metric,
                     src=self.maybe(2), spell=self.int(0, 29))

    def sysctl(self) -> tuple[str, Any]:
        key = self.pick(sorted(SYSCTLS))
        value = self.pick(SYSCTLS[key])
        form = self.int(0, 3)
        if form == 1 and value in (0, 1):
            return key, bool(value)
        if form == 2:
            return key, str(value)
        return key, value

    def hosts_value(self) -> Any:
        """One address or a list of them: segment hosts (often a lab address) or remote ones."""
        def one() -> str:
            fam = self.pick([4, 4, 6])
            segs = [s for s in self.spec.segments.values() if (s.v4 if fam == 4 else s.v6) is not None]
            if segs and self.maybe(7):
                seg = self.pick(segs)
                ip = host(seg.v4 if fam == 4 else seg.v6, self.int(0, 5))  # type: ignore[arg-type]
            else:
                ip = remote_net(fam, self.int(0, 500)).network_address + (1 if fam == 6 else 0)
            return spell_ip(ip, self.int(0, 2))
        n = self.pick([1, 1, 1, 2, 3])
        values = [one() for _ in range(n)]
        return values[0] if n == 1 and self.maybe(8) else values

    def processes(self) -> dict[str, Any]:
        """Long-running, harmless commands (a lab's apply starts them; one that exits would be restarted)."""
        out: dict[str, Any] = {}
        for _ in range(self.pick([0, 0, 0, 1, 2])):
            name = fresh(self.draw(PROCESS_NAMES), set(out), limit=64, reserved=frozenset())
            command = self.pick(["sleep infinity", "sleep 3600", "exec sleep 86400", "while :; do sleep 60; done"])
            env = {self.draw(ENV_NAMES): self.pick(["1", 1, True, False, 1.5, "a b", "", "{x}"]) for _ in range(self.pick([0, 0, 1, 2]))}
            description = self.text()
            user = self.pick(["nobody", "root"]) if self.maybe(2) else None
            if not env and description is None and user is None and self.maybe(7):
                out[name] = command
            else:
                out[name] = {"command": command, **({"env": env} if env else {}),
                             **({"user": user} if user is not None else {}),
                             **({"description": description} if description is not None else {})}
        return out

    def check(self) -> Data:
        """A valid check (whether it would succeed on a kernel is another matter)."""
        spec = self.spec
        origins = [n.name for n in spec.nodes] + [ns.name for ns in spec.namespaces]
        names = sorted(h for h in {h for ns in spec.namespaces for h in ns.scope.hosts} | set(spec.top.hosts)
                       if hosts_name_problem(h) is None)  # what a check may name (ping's operand)
        out: Data = {"from": self.pick(origins)}
        in_netns = out["from"] in {ns.name for ns in spec.namespaces}
        if names and self.maybe(3):
            out["resolve"] = self.pick(names)
            if self.maybe(5):
                value = self.hosts_value()
                out["address"] = value if isinstance(value, str) else value[0]
        elif in_netns and self.maybe(3):  # what every namespace owns: its loopback
            out["to"] = self.pick(["127.0.0.1", "::1", "localhost"])
        else:
            out["to"] = self.pick(names) if names and self.maybe(3) else self.hosts_value_one()
        if "to" in out and self.maybe(4):
            out["port"] = self.pick([22, 80, 443, 1111, 8080, 65535])
        if "to" not in out or out["to"] not in ("127.0.0.1", "::1", "localhost"):
            out["external"] = True  # a name or address that may well be outside the lab
        if self.maybe(2):
            out["expect"] = self.pick(["failure", "success"])
        if self.maybe(2):
            out["timeout"] = self.pick([0.5, 1, 2, 2.5, 10, 60])
        if self.maybe(2):
            out = {"name": self.pick(["pod to pod", "isolation", "dns"]) + f" {self.int(0, 99)}", **out}
        return out

    def hosts_value_one(self) -> str:
        value = self.hosts_value()
        return value if isinstance(value, str) else value[0]

    def scope(self, scope: Scope, max_routes: int, allow_default: bool, routes: bool = True) -> None:
        if routes:
            scope.routes = [self.route(allow_default) for _ in range(self.int(0, max_routes))]
        for _ in range(self.pick([0, 0, 1, 2, 3])):
            k, v = self.sysctl()
            scope.sysctls[k] = v
        for _ in range(self.pick([0, 0, 1, 2, 3])):
            scope.hosts[self.draw(HOST_NAMES)] = self.hosts_value()


@st.composite
def topology_specs(
    draw: st.DrawFn,
    max_namespaces: int = 4,
    max_bridges: int = 2,
    max_nodes: int = 1,
    max_links_per_namespace: int = 2,
    max_routes: int = 3,
    descriptions: st.SearchStrategy[str] | None = SAFE_TEXT,
    processes: bool = True,
    checks: bool = True,
) -> TopoSpec:
    """A random valid topology spec: `max_nodes=1` gives the implicit node `host` (what one sandbox applies)."""
    spec = TopoSpec(draw(LAB_NAMES), [], False)
    d = _Drawer(draw, spec, descriptions)
    n_nodes = d.int(1, max(1, max_nodes))
    explicit = spec.explicit_nodes = n_nodes > 1 or (max_nodes > 1 and d.maybe(1, 2))
    spec.description = d.text()
    if explicit:
        taken: set[str] = set()
        underlay6 = d.maybe(1, 4)
        for i in range(n_nodes):
            node = Node(fresh(draw(NODE_NAMES), taken, limit=20, reserved=frozenset({"host"})), i,
                        host=f"192.0.2.{10 + i}" if d.maybe(5) else None, user=d.pick([None, "root", "lab"]),
                        description=d.text())
            if d.maybe(7):  # the nodes' own network (not managed by topo)
                node.underlay = f"fdfd::{11 + i:x}/64" if underlay6 else f"192.0.2.{11 + i}/24"
            spec.nodes.append(node)
    else:
        spec.nodes.append(Node("host", 0))
    node_names = [n.name for n in spec.nodes]
    for _ in range(d.int(0, max_bridges)):
        spec.bridges.append(d.bridge(d.pick(node_names)))
    for _ in range(d.int(0, max_namespaces)):
        spec.namespaces.append(d.namespace(d.pick(node_names)))
    for ns in spec.namespaces:
        for _ in range(d.int(0, max_links_per_namespace)):
            lk = d.link(ns)
            if lk is not None:
                spec.links.append(lk)
    for _ in range(d.int(0, 2) if len(spec.nodes) > 1 else 0):
        vx = d.vxlan()
        if vx is not None:
            spec.vxlans.append(vx)
    for ns in spec.namespaces:
        d.scope(ns.scope, max_routes, allow_default=True)
        if processes:
            ns.processes = d.processes()
    for node in spec.nodes:  # routes of a node's root namespace: under `nodes:`, or at the top for one node
        d.scope(node.scope, max_routes, allow_default=False, routes=True)
    spec.node_scope_routes = explicit and d.maybe(1, 2)
    if not explicit:
        spec.top = spec.nodes[0].scope
    else:
        d.scope(spec.top, 0, allow_default=False, routes=False)
    spec.checks = [d.check() for _ in range(d.pick([0, 0, 1, 2, 3]) if checks else 0)]
    return spec


def topology_data(**limits: Any) -> st.SearchStrategy[Data]:
    """Random valid topology data (see the module docstring for what "valid" covers); takes
    the keyword arguments of `topology_specs`."""
    return topology_specs(**limits).map(render)


# ---- edits ------------------------------------------------------------------------------------

EDITS = ("add-namespace", "remove-namespace", "change-address", "add-address", "remove-address", "change-mtu",
         "add-route", "remove-route", "change-route-metric", "change-hosts", "change-sysctl", "toggle-up",
         "change-process", "change-check")


def _scopes(spec: TopoSpec) -> list[tuple[Scope, bool]]:
    """Every scope with whether a default route is allowed there."""
    out = [(ns.scope, True) for ns in spec.namespaces] + [(n.scope, False) for n in spec.nodes]
    if spec.explicit_nodes:
        out.append((spec.top, False))
    return out


def _edit(d: _Drawer, what: str, max_namespaces: int) -> bool:
    """Apply one edit of kind `what` to d.spec; False when it does not apply to this spec."""
    spec, draw = d.spec, d.draw
    ends = [e for e in d.all_ends()]
    if what == "add-namespace":
        if len(spec.namespaces) >= max_namespaces + 1:
            return False
        ns = d.namespace(d.pick([n.name for n in spec.nodes]))
        spec.namespaces.append(ns)
        if d.maybe(8):
            lk = d.link(ns)
            if lk is not None:
                spec.links.append(lk)
        d.scope(ns.scope, 2, allow_default=True)
        return True
    if what == "remove-namespace":
        if not spec.namespaces:
            return False
        gone = spec.namespaces.pop(d.int(0, len(spec.namespaces) - 1))
        spec.links = [lk for lk in spec.links if lk.ns != gone.name and not (lk.kind == "ns" and lk.peer == gone.name)]
        return True
    if what in ("change-address", "remove-address"):
        with_addrs = [e for e in ends if e.addrs]
        if not with_addrs:
            return False
        e = d.pick(with_addrs)
        i = d.int(0, len(e.addrs) - 1)
        if what == "remove-address":
            e.addrs.pop(i)
        else:
            e.addrs[i] = Addr(e.addrs[i].family, e.addrs[i].index + d.int(1, 200))
        return True
    if what == "add-address":
        targets = [(lk.a, lk.segment) for lk in spec.links if lk.kind != "onlink"]
        targets += [(lk.b, lk.segment) for lk in spec.links if lk.kind in ("ns", "node")]
        targets += [(b.iface, b.segment) for b in spec.bridges]
        targets = [(e, s) for e, s in targets if s in spec.segments and (spec.segments[s].v4 or spec.segments[s].v6)]
        if not targets:
            return False
        e, sid = d.pick(targets)
        seg = spec.segments[sid]
        fam = d.pick([f for f, net in ((4, seg.v4), (6, seg.v6)) if net is not None])
        e.addrs.append(Addr(fam, d.int(0, 300)))
        return True
    if what == "change-mtu":
        options: list[Callable[[], None]] = []
        for lk in spec.links:
            small_ok = lk.kind != "bridge" and (lk.segment < 0 or spec.segments[lk.segment].v6 is None)
            options.append(lambda lk=lk, s=small_ok: setattr(lk, "mtu", None if lk.mtu and d.maybe(3) else d.mtu(s)))
        for br in spec.bridges:
            options.append(lambda br=br: setattr(br.iface, "mtu", None if br.iface.mtu and d.maybe(3) else d.mtu(False)))
        if not options:
            return False
        options[d.int(0, len(options) - 1)]()
        return True
    scopes = _scopes(spec)
    if what == "add-route":
        scope, allow_default = d.pick(scopes)
        if scope is spec.top and spec.explicit_nodes:
            return False
        scope.routes.append(d.route(allow_default))
        return True
    if what in ("remove-route", "change-route-metric"):
        with_routes = [s for s, _ in scopes if s.routes]
        if not with_routes:
            return False
        scope = d.pick(with_routes)
        i = d.int(0, len(scope.routes) - 1)
        if what == "remove-route":
            scope.routes.pop(i)
        else:
            scope.routes[i].metric = d.pick([m for m in (None,) + METRICS if m != scope.routes[i].metric])
        return True
    if what == "change-hosts":
        scope, _ = d.pick(scopes)
        if scope.hosts and d.maybe(4):
            scope.hosts.pop(d.pick(sorted(scope.hosts)))
        elif scope.hosts and d.maybe(5):
            scope.hosts[d.pick(sorted(scope.hosts))] = d.hosts_value()
        else:
            scope.hosts[draw(HOST_NAMES)] = d.hosts_value()
        return True
    if what == "change-sysctl":
        scope, _ = d.pick(scopes)
        if scope.sysctls and d.maybe(3):
            scope.sysctls.pop(d.pick(sorted(scope.sysctls)))
        else:
            k, v = d.sysctl()
            scope.sysctls[k] = v
        return True
    if what == "change-process":
        if not spec.namespaces:
            return False
        ns = d.pick(spec.namespaces)
        if ns.processes and d.maybe(4):
            ns.processes.pop(d.pick(sorted(ns.processes)))
        else:
            ns.processes.update(d.processes() or {"sleeper": "sleep infinity"})
        return True
    if what == "change-check":
        if spec.checks and d.maybe(4):
            spec.checks.pop(d.int(0, len(spec.checks) - 1))
        else:
            spec.checks.append(d.check())
        return True
    if what == "toggle-up":
        if not ends:
            return False
        e = d.pick(ends)
        e.up = not e.up
        return True
    raise ValueError(what)


@st.composite
def edited_specs(draw: st.DrawFn, spec: TopoSpec, max_edits: int = 3, max_namespaces: int = 4,
                 descriptions: st.SearchStrategy[str] | None = SAFE_TEXT) -> TopoSpec:
    """`spec` after 1..max_edits random edits (add/remove a namespace, change an address, an MTU,
    a route, a hosts entry, a sysctl, an interface's state); the lab keeps its name. The edited
    spec renders to valid data that differs from the original."""
    original = render(spec)
    for _ in range(20):
        new = copy.deepcopy(spec)
        d = _Drawer(draw, new, descriptions)
        for _ in range(d.int(1, max_edits)):
            for _ in range(10):
                if _edit(d, d.pick(EDITS), max_namespaces):
                    break
        if render(new) != original:
            return new
    # some specs admit few visible edits (e.g. nothing but a name): add a namespace, always visible
    new = copy.deepcopy(spec)
    d = _Drawer(draw, new, descriptions)
    new.namespaces.append(d.namespace(new.nodes[0].name))
    return new


def topology_pairs(
    max_namespaces: int = 4,
    max_bridges: int = 2,
    max_nodes: int = 1,
    max_edits: int = 3,
    descriptions: st.SearchStrategy[str] | None = SAFE_TEXT,
) -> st.SearchStrategy[tuple[Data, Data]]:
    """(a topology, a random edit of it with the same name): for "change one lab into another and apply"."""
    return topology_specs(max_namespaces, max_bridges, max_nodes, descriptions=descriptions).flatmap(
        lambda spec: edited_specs(spec, max_edits, max_namespaces, descriptions).map(lambda new: (render(spec), render(new))))
