"""Build the lab's Services (`services:`) and check them: endpoints are lab namespaces with an
IPv4 address, the ClusterIP is no interface's address, node ports are in 30000-32767 and
used once, a (ClusterIP, protocol, port) is one Service's."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import replace
from typing import Any

from ...diagnostics import YamlPath, format_path
from ...model import Topology
from ...names import printable
from ..buildctx import BuildContext, suggest
from .model import NODE_PORTS, Endpoint, Service, ServicePort

_NAME_HINT = "a DNS label: lower-case letters, digits and '-', at most 63, e.g. web"


_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def label_problem(text: str) -> str | None:
    if _LABEL.fullmatch(text) is None:
        return f"{printable(text)} is not a DNS label"
    return None


def build(ctx: BuildContext, topo: Topology) -> None:
    raw_all = ctx.data.get("services") or {}
    pods = {ns.place.netns: ns for ns in topo.all_netns() if ns.place.netns is not None}
    seen_ports: dict[tuple[Any, str, int], YamlPath] = {}
    node_ports: dict[tuple[str, int], YamlPath] = {}
    topo.service_cidr = _service_cidr(ctx)
    allocated = _allocate_cluster_ips(ctx, topo.service_cidr, raw_all)
    for name, raw in raw_all.items():
        path: YamlPath = ("services", name)
        made = _service(ctx, pods, path, str(name), raw, allocated.get(str(name)), topo.service_cidr)
        if made is None:
            continue
        for i, p in enumerate(made.ports):
            where = path + ("ports", i)
            key = (made.cluster_ip, p.protocol, p.port)
            if key in seen_ports:
                ctx.sink.error(where + ("port",), f"{made.cluster_ip} {p.protocol} port {p.port} is served already "
                               f"(at {format_path(seen_ports[key])})", "give each port of a ClusterIP one Service")
                continue
            seen_ports[key] = where
            if p.node_port is not None:
                nkey = (p.protocol, p.node_port)
                if nkey in node_ports:
                    ctx.sink.error(where + ("nodePort",), f"nodePort {p.node_port}/{p.protocol} is used already "
                                   f"(at {format_path(node_ports[nkey])})", "give each Service port its own nodePort")
                    continue
                node_ports[nkey] = where
        topo.services.append(made)
    _allocate_node_ports(topo)
    if topo.services:
        needs_of_the_node(topo)


RESERVED = 11  # a range's first addresses: .1 is the API server's in a cluster, .10 its DNS


def _service_cidr(ctx: BuildContext) -> Any:
    raw = ctx.data.get("serviceCIDR")
    if raw is None:
        return None
    try:
        net = ipaddress.ip_network(str(raw))
    except ValueError:
        ctx.sink.error(("serviceCIDR",), f"{printable(str(raw))} is not an IPv4 prefix with its host bits zero", "e.g. 10.96.0.0/12")
        return None
    if net.version != 4 or net.num_addresses < 16:
        ctx.sink.error(("serviceCIDR",), f"{net} is not an IPv4 range of at least 16 addresses", "e.g. 10.96.0.0/12")
        return None
    return net


def _allocate_cluster_ips(ctx: BuildContext, cidr: Any, raw_all: dict[str, Any]) -> dict[str, Any]:
    """A ClusterIP for each Service the file gives none: by a hash of its namespace and name
    into the range (past its reserved first addresses, before its last), the next free one on
    a collision; Services are taken in name order, so the file's order does not matter."""
    wanted = sorted((str(raw.get("namespace", "default")), str(name)) for name, raw in raw_all.items() if "clusterIP" not in raw)
    if not wanted:
        return {}
    if cidr is None:
        for _, name in wanted:
            ctx.sink.error(("services", name), "a Service without `clusterIP` needs the lab's `serviceCIDR` to allocate one from",
                           "add e.g. serviceCIDR: 10.96.0.0/12 at the top level, or give the Service its clusterIP", key=True)
        return {}
    taken = set()
    for raw in raw_all.values():
        try:
            taken.add(ipaddress.ip_address(str(raw.get("clusterIP"))))
        except ValueError:
            pass
    span = cidr.num_addresses - RESERVED - 1
    out = {}
    for namespace, name in wanted:
        start = int.from_bytes(hashlib.sha256(f"{namespace}/{name}".encode()).digest()[:8], "big") % span
        for step in range(span):
            ip = cidr.network_address + RESERVED + (start + step) % span
            if ip not in taken:
                taken.add(ip)
                out[name] = ip
                break
        else:
            ctx.sink.error(("services", name), f"serviceCIDR {cidr} has no free address left", "declare a larger range", key=True)
    return out


def _allocate_node_ports(topo: Topology) -> None:
    """A NodePort Service's port without a `nodePort` gets the lowest free one of its protocol
    from 30000, in the order of the file (as stable as the file is)."""
    used = {(p.protocol, p.node_port) for s in topo.services for p in s.ports if p.node_port is not None}
    for i, svc in enumerate(topo.services):
        ports = []
        for p in svc.ports:
            if p.allocate:
                free = next(n for n in NODE_PORTS if (p.protocol, n) not in used)
                used.add((p.protocol, free))
                p = replace(p, node_port=free, allocate=False)
            ports.append(p)
        topo.services[i] = replace(svc, ports=tuple(ports))


NEEDED_SYSCTLS = {"net.ipv4.ip_forward": "1"}
BRIDGED_SYSCTLS = {"net.bridge.bridge-nf-call-iptables": "1"}


def needs_of_the_node(topo: Topology) -> None:
    """What the translation (and the policies) need of every node, set as the lab's own root sysctls (restored
    by destroy) unless the file sets them: forwarding, and where pods sit on a bridge, bridged
    traffic through the NAT hooks (else a reply between two pods of one bridge skips the
    reverse translation)."""
    for node in topo.nodes.values():
        for key, value in NEEDED_SYSCTLS.items():
            node.root.sysctls.setdefault(key, value)
        if any(i.kind == "bridge" for i in node.root.interfaces.values()):
            for key, value in BRIDGED_SYSCTLS.items():
                node.root.sysctls.setdefault(key, value)


def _service(ctx: BuildContext, pods: dict[str, Any], path: YamlPath, name: str, raw: dict[str, Any], allocated: Any,
             cidr: Any) -> Service | None:
    sink = ctx.sink
    ok = True
    for where, text in ((path, name), (path + ("namespace",), str(raw.get("namespace", "default")))):
        if err := label_problem(text):
            sink.error(where, err, _NAME_HINT, key=where == path)
            ok = False
    cluster_ip = ctx.ip(path + ("clusterIP",), raw["clusterIP"]) if "clusterIP" in raw else allocated
    if cluster_ip is not None and "clusterIP" in raw and cidr is not None and cluster_ip not in cidr:
        sink.error(path + ("clusterIP",), f"{cluster_ip} is outside the lab's serviceCIDR {cidr}",
                   f"pick an address in {cidr}, or leave clusterIP out to have one allocated")
        ok = False
    if cluster_ip is not None and (cluster_ip.version != 4 or cluster_ip.is_multicast or cluster_ip.is_loopback
                                   or cluster_ip.is_unspecified or int(cluster_ip) == 0xFFFFFFFF):
        sink.error(path + ("clusterIP",), f"{cluster_ip} cannot be a ClusterIP: a unicast IPv4 address is needed",
                   "e.g. 10.96.0.20, in the lab's service range")
        cluster_ip = None
    node_port_type = raw.get("type", "ClusterIP") == "NodePort"
    ports = []
    for i, p in enumerate(raw["ports"]):
        where = path + ("ports", i)
        node_port = p.get("nodePort")
        if node_port is not None and not node_port_type:
            sink.error(where + ("nodePort",), "a nodePort needs `type: NodePort`", "set type: NodePort on the Service")
            ok = False
        elif node_port is not None and node_port not in NODE_PORTS:
            sink.error(where + ("nodePort",), f"nodePort {node_port} is outside 30000-32767", "e.g. nodePort: 30080")
            ok = False
        ports.append(ServicePort(p["port"], p.get("targetPort", p["port"]), p.get("protocol", "TCP").lower(), node_port,
                                 allocate=node_port is None and node_port_type))
    endpoints = []
    named = [(path + ("endpoints", i), str(pod)) for i, pod in enumerate(raw.get("endpoints") or [])]
    if "selector" in raw:
        wanted = {str(k): str(v) for k, v in raw["selector"].items()}
        named = [(path + ("selector",), name) for name, ns in sorted(pods.items())
                 if all(ns.labels.get(k) == v for k, v in wanted.items())]
        if not named:
            sink.warning(path + ("selector",), "the selector matches no namespace of the lab: the Service has no endpoints "
                         "and its connections go nowhere", "give the pods these `labels:`")
    for where, pod in named:
        ns = pods.get(pod)
        if ns is None:
            sink.error(where, f"{printable(pod)} is not a namespace of this lab", suggest(pod, sorted(pods)))
            ok = False
            continue
        v4 = [a.ip for iface in ns.interfaces.values() if iface.name != "lo" for a in iface.addresses if a.version == 4]
        if not v4:
            sink.error(where, f"namespace {ns.place.netns} has no IPv4 address to send the Service's "
                       "connections to", "give one of its interfaces an IPv4 address")
            ok = False
            continue
        endpoints.append(Endpoint(ns.place.netns, v4[0]))
    if cluster_ip is None or not ok:
        return None
    selector = tuple(sorted((str(k), str(v)) for k, v in (raw.get("selector") or {}).items()))
    return Service(name, str(raw.get("namespace", "default")), cluster_ip, tuple(ports), tuple(endpoints), path, selector,
                   allocated="clusterIP" not in raw)


def check(topo: Topology, sink: Any) -> None:
    """A ClusterIP is virtual: no interface of the lab may have it."""
    if not topo.services:
        return
    owners = {a.ip: (ns, iface.name) for ns in topo.all_netns() for iface in ns.interfaces.values() for a in iface.addresses}
    for svc in topo.services:
        if svc.cluster_ip in owners:
            ns, ifname = owners[svc.cluster_ip]
            sink.error(svc.path + ("clusterIP",), f"{svc.cluster_ip} is an address of {ifname} in "
                       f"{ns.place.netns or 'the root namespace'}: a ClusterIP is virtual, no interface has it",
                       "pick an address outside the pods' subnets, e.g. in 10.96.0.0/12")


def lab_networks(topo: Topology) -> list[Any]:
    """The lab's Services' ClusterIPs are its own addresses (a check may reach them)."""
    return [ipaddress.ip_network(s.cluster_ip) for s in topo.services]
