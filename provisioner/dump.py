"""Dump layer: desired model -> topology data in topo's own file format.

`dump_topology(topo)` is the inverse of `desired.build_topology`: for every model the builder
makes, `build_topology(dump_topology(t)) == t`. The output is canonical and short: defaults are
left out (`up: true`, an empty list, VXLAN port 4789), each setting is written in one place (a
namespace's end of a veth pair under its `interfaces:`, a root-namespace end as an `{at: ...}`
mapping, an MTU both ends share as the link's `mtu:`). In a multi-node lab bridges are written
under their node (`nodes.NODE.bridges`: several nodes may have a bridge of one name), and what
every node's root namespace has in common (routes, sysctls, hosts) once at the top level. A
process without env, user or description is its command line; a check leaves out the name topo would
give it. `dump_yaml` renders the data as a file `topo` reads back as is (also when a free-text
value contains Jinja2 markers such as `{{`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, TypeVar

import yaml

from .desired import _check_label  # the name a check gets when the file gives none
from .model import Check, Interface, IPAddress, Kind, Netns, Node, Place, Process, Route, Topology, VethPair

DEFAULT_VXLAN_PORT = 4789
DEFAULT_CHECK_TIMEOUT = 2.0

Data = dict[str, Any]
V = TypeVar("V")

_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_JINJA_START = re.compile(r"\{(?=[{%#])")
_JINJA_LITERAL_BRACE = "{{ '{' }}"


def _route(route: Route) -> Data:
    out: Data = {"to": _destination(route)}
    if route.via is not None:
        out["via"] = str(route.via)
    if route.dev is not None:
        out["dev"] = route.dev
    if route.metric is not None:
        out["metric"] = route.metric
    if route.onlink:
        out["onlink"] = True
    if route.src is not None:
        out["src"] = str(route.src)
    return out


def _destination(route: Route) -> str:
    """`default` where the builder reads it back as this destination (its family follows the
    gateway, else the source, else IPv4), the prefix otherwise (`::/0` of a `dev`-only route)."""
    if route.dst.prefixlen == 0 and int(route.dst.network_address) == 0:
        family_of = route.via if route.via is not None else route.src
        if route.dst.version == (family_of.version if family_of is not None else 4):
            return "default"
    return str(route.dst)


def _sysctl_value(value: str) -> int | str:
    """The model keeps sysctl values as text; a plain integer is written as one (`1`, not `'1'`)."""
    return int(value) if _CANONICAL_INT.fullmatch(value) else value


def _hosts(hosts: dict[str, tuple[IPAddress, ...]]) -> Data:
    out: Data = {}
    for name, addrs in hosts.items():
        if not addrs:
            raise ValueError(f"hosts entry '{name}' has no address; a topology file cannot say that")
        out[name] = str(addrs[0]) if len(addrs) == 1 else [str(a) for a in addrs]
    return out


def _settings(iface: Interface, *, mtu: bool = True) -> Data:
    """An interface's settings that differ from the defaults (the keys of `_IFACE_SETTINGS`)."""
    out: Data = {}
    if iface.addresses:
        out["addresses"] = [str(a) for a in iface.addresses]
    if mtu and iface.mtu is not None:
        out["mtu"] = iface.mtu
    if iface.mac is not None:
        out["mac"] = iface.mac
    if not iface.up:
        out["up"] = False
    if iface.description is not None:
        out["description"] = iface.description
    return out


def _scope(routes: list[Route], sysctls: dict[str, str], hosts: dict[str, tuple[IPAddress, ...]]) -> Data:
    """The `routes`, `sysctls` and `hosts` keys of a namespace, node or the top level."""
    out: Data = {}
    if routes:
        out["routes"] = [_route(r) for r in routes]
    if sysctls:
        out["sysctls"] = {k: _sysctl_value(v) for k, v in sysctls.items()}
    if hosts:
        out["hosts"] = _hosts(hosts)
    return out


def _process(proc: Process) -> str | Data:
    if not proc.env and proc.description is None and proc.user is None:
        return proc.command
    out: Data = {"command": proc.command}
    if proc.env:
        out["env"] = dict(proc.env)
    if proc.user is not None:
        out["user"] = proc.user
    if proc.description is not None:
        out["description"] = proc.description
    return out


def _check(check: Check) -> Data:
    origin = check.place.netns if check.place.netns is not None else check.place.node
    port = check.port if not check.resolve else None
    out: Data = {}
    if check.name != _check_label(origin, check.target, port, check.resolve, check.expect_success):
        out["name"] = check.name
    out["from"] = origin
    if check.resolve:
        out["resolve"] = check.target
        if check.address is not None:
            out["address"] = str(check.address)
    else:
        out["to"] = check.target
        if check.port is not None:
            out["port"] = check.port
    if not check.expect_success:
        out["expect"] = "failure"
    if check.timeout != DEFAULT_CHECK_TIMEOUT:
        out["timeout"] = int(check.timeout) if check.timeout.is_integer() else check.timeout
    if check.external:
        out["external"] = True
    return out


def _common_prefix(lists: list[list[V]]) -> list[V]:
    first = lists[0]
    n = 0
    while n < len(first) and all(n < len(other) and other[n] == first[n] for other in lists[1:]):
        n += 1
    return first[:n]


def _common_items(dicts: Iterable[dict[str, V]]) -> dict[str, V]:
    dicts = list(dicts)
    return {k: v for k, v in dicts[0].items() if all(k in d and d[k] == v for d in dicts[1:])}


class _Dumper:
    def __init__(self, topo: Topology):
        self.topo = topo
        self.multi_node = len(topo.nodes) > 1

    def document(self) -> Data:
        topo = self.topo
        doc: Data = {"name": topo.name}
        if topo.description is not None:
            doc["description"] = topo.description
        roots = [node.root for node in topo.nodes.values()]
        # top level: what every node's root namespace has (all of it for the implicit node)
        top_routes = _common_prefix([r.routes for r in roots])
        top_sysctls = _common_items(r.sysctls for r in roots)
        top_hosts = _common_items(r.hosts for r in roots)
        if not topo.implicit_node:
            doc["nodes"] = {name: self.node(node, len(top_routes), top_sysctls, top_hosts)
                            for name, node in topo.nodes.items()}
        bridges = {iface.name: _settings(iface) for ns, iface in topo.bridges()} if not self.multi_node else {}
        if bridges:
            doc["bridges"] = bridges
        namespaces = {name: self.namespace(ns) for node in topo.nodes.values() for name, ns in node.namespaces.items()}
        if namespaces:
            doc["namespaces"] = namespaces
        if topo.veths:
            doc["links"] = [self.link(pair) for pair in topo.veths]
        vxlans = self.vxlans()
        if vxlans:
            doc["vxlans"] = vxlans
        doc.update(_scope(top_routes, top_sysctls, top_hosts))
        if topo.checks:
            doc["checks"] = [_check(c) for c in topo.checks]
        return doc

    def node(self, node: Node, top_routes: int, top_sysctls: dict[str, str],
             top_hosts: dict[str, tuple[IPAddress, ...]]) -> Data:
        out: Data = {}
        for key in ("host", "user"):
            if getattr(node, key) is not None:
                out[key] = getattr(node, key)
        if node.underlay is not None:
            out["underlay"] = str(node.underlay)
        bridges = {i.name: _settings(i) for i in node.root.interfaces.values() if i.kind == Kind.BRIDGE}
        if bridges and self.multi_node:
            out["bridges"] = bridges
        if node.description is not None:
            out["description"] = node.description
        root = node.root
        out.update(_scope(root.routes[top_routes:],
                          {k: v for k, v in root.sysctls.items() if k not in top_sysctls},
                          {k: v for k, v in root.hosts.items() if k not in top_hosts}))
        return out

    def placed(self, place: Place) -> Data:
        return {"node": place.node} if self.multi_node else {}

    def namespace(self, ns: Netns) -> Data:
        out = self.placed(ns.place)
        if ns.description is not None:
            out["description"] = ns.description
        interfaces = {}
        for iface in ns.interfaces.values():
            settings = _settings(iface, mtu=iface.kind == Kind.LOOPBACK or not self.shared_mtu(iface))
            if settings:
                interfaces[iface.name] = settings
        if interfaces:
            out["interfaces"] = interfaces
        out.update(_scope(ns.routes, ns.sysctls, ns.hosts))
        if ns.processes:
            out["processes"] = {name: _process(p) for name, p in ns.processes.items()}
        return out

    def shared_mtu(self, iface: Interface) -> bool:
        """Whether a veth end's MTU is written once, as its link's `mtu:` (both ends have it)."""
        if iface.peer is None or iface.mtu is None:
            return False
        return self.topo.interface(iface.peer).mtu == iface.mtu

    def link(self, pair: VethPair) -> Data:
        a, b = self.topo.interface(pair.a), self.topo.interface(pair.b)
        out: Data = {"a": self.end(pair.a.place, a), "b": self.end(pair.b.place, b)}
        if self.shared_mtu(a):
            out["mtu"] = a.mtu
        if pair.description is not None:
            out["description"] = pair.description
        return out

    def vxlans(self) -> Data:
        """VXLAN segments: one device of the segment's name on each member node."""
        devices: dict[str, list[tuple[str, Interface]]] = {}
        for name, node in self.topo.nodes.items():
            for iface in node.root.interfaces.values():
                if iface.kind == Kind.VXLAN and iface.vxlan is not None:
                    devices.setdefault(iface.name, []).append((name, iface))
        out: Data = {}
        for vname, members in devices.items():
            first = members[0][1]
            assert first.vxlan is not None
            seg: Data = {"vni": first.vxlan.vni}
            if first.vxlan.port != DEFAULT_VXLAN_PORT:
                seg["port"] = first.vxlan.port
            seg["bridge"] = first.master
            order = self.member_order(members)
            with_bridge = [n for n, node in self.topo.nodes.items()
                           if first.master in node.root.interfaces and node.root.interfaces[first.master].kind == Kind.BRIDGE]
            if order != with_bridge:  # the default: every node with a bridge of that name, in node order
                seg["nodes"] = order
            if first.mtu is not None:
                seg["mtu"] = first.mtu
            if first.description is not None:
                seg["description"] = first.description
            out[vname] = seg
        return out

    def member_order(self, members: list[tuple[str, Interface]]) -> list[str]:
        """The segment's node list: each node's forwarding entries (`remotes`) are the other
        members' underlay addresses in the list's order. Node order when it fits (the usual case)."""
        names = [n for n, _ in members]
        remotes = {n: i.vxlan.remotes if i.vxlan is not None else () for n, i in members}
        ips = {n: u.ip for n in names if (u := self.topo.nodes[n].underlay) is not None}
        if len(ips) != len(names):
            return names

        def fits(order: list[str]) -> bool:
            return all(tuple(ips[m] for m in order if m != n) == remotes[n] for n in order)

        if fits(names):
            return names
        head, by_ip = names[0], {ips[n]: n for n in names[1:]}
        others = [by_ip[ip] for ip in remotes[head] if ip in by_ip]  # the others, in the order head sees them
        for k in range(len(others) + 1):
            if fits(order := others[:k] + [head] + others[k:]):
                return order
        return names

    def end(self, place: Place, iface: Interface) -> str | Data:
        """`OWNER:IFNAME`; a root-namespace end (bridge port or node end) carries its settings here,
        a namespace end has them under the namespace's `interfaces:`."""
        owner = place.netns or iface.master or place.node
        at = f"{owner}:{iface.name}"
        if place.netns is not None:
            return at
        settings = _settings(iface, mtu=not self.shared_mtu(iface))
        return {"at": at, **settings} if settings else at


def dump_topology(topo: Topology) -> Data:
    """The topology as data in topo's file format (what `build_topology` accepts), defaults left out."""
    return _Dumper(topo).document()


def escape_template(text: str) -> str:
    """Text that Jinja2 renders back to `text`: every `{` that would open a `{{`, `{%` or `{#`
    becomes the expression `{{ '{' }}` (topo renders a file with such markers as a template)."""
    return _JINJA_START.sub(_JINJA_LITERAL_BRACE, text)


def dump_yaml(topo: Topology) -> str:
    """The topology as a YAML file that `topo` loads back to an equal model."""
    text = yaml.safe_dump(dump_topology(topo), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return escape_template(text)
