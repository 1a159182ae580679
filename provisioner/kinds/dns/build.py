"""Build the cluster DNS (`dns:`): its server process in the pod the file names (dnsmasq,
configured by topo), the kube-dns Service at its ClusterIP (UDP and TCP 53), and its records:
SERVICE.NAMESPACE.svc.DOMAIN for each of the lab's Services, and the lab's hosts entries."""

from __future__ import annotations

import hashlib
from typing import Any

from ...diagnostics import YamlPath
from ...model import Process, Topology
from ...names import printable
from ..buildctx import BuildContext, suggest
from ..service.build import label_problem, needs_of_the_node
from ..service.model import Endpoint, Service, ServicePort
from .model import K8S_NAMESPACE, SERVER, SERVICE, ClusterDns

COMMAND = 'exec dnsmasq --keep-in-foreground --conf-file="$TOPO_CONFIG"'


def _domain_problem(domain: str) -> str | None:
    labels = domain.split(".")
    if len(domain) > 200 or any(label_problem(label) for label in labels):
        return f"{printable(domain)} is not a domain of DNS labels"
    return None


def _records(topo: Topology, domain: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    names: dict[str, list[Any]] = {}
    for svc in topo.services:
        names.setdefault(f"{svc.name}.{svc.namespace}.svc.{domain}", []).append(svc.cluster_ip)
    for ns in topo.all_netns():
        for name, addrs in ns.hosts.items():
            have = names.setdefault(name.lower(), [])
            have += [a for a in addrs if a not in have]
    return tuple((name, tuple(addrs)) for name, addrs in sorted(names.items()))


def build(ctx: BuildContext, topo: Topology) -> None:
    raw = ctx.data.get("dns")
    if raw is None:
        return
    path: YamlPath = ("dns",)
    pods = {ns.place.netns: ns for ns in topo.all_netns() if ns.place.netns is not None}
    pod = pods.get(str(raw["pod"]))
    if pod is None:
        ctx.sink.error(path + ("pod",), f"{printable(str(raw['pod']))} is not a namespace of this lab",
                       suggest(str(raw["pod"]), sorted(pods)))
        return
    v4 = [a.ip for i in pod.interfaces.values() if i.name != "lo" for a in i.addresses if a.version == 4]
    cluster_ip = ctx.ip(path + ("clusterIP",), raw["clusterIP"])
    domain = str(raw.get("domain", "cluster.local"))
    problems = [(("pod",), f"namespace {pod.place.netns} has no IPv4 address to serve DNS on", "give it one")] if not v4 else []
    if (err := _domain_problem(domain)) is not None:
        problems.append((("domain",), err, "e.g. cluster.local"))
    if cluster_ip is not None and cluster_ip.version != 4:
        problems.append((("clusterIP",), f"{cluster_ip} is not IPv4: ClusterIPs are IPv4 here", "e.g. 10.96.0.10"))
    if cluster_ip is not None and any(s.cluster_ip == cluster_ip for s in topo.services):
        problems.append((("clusterIP",), f"{cluster_ip} is a Service's ClusterIP already", "give the DNS its own, e.g. 10.96.0.10"))
    if SERVER in pod.processes:
        problems.append((("pod",), f"namespace {pod.place.netns} has a process named {SERVER} already: the DNS server's name",
                         "rename that process"))
    for where, message, hint in problems:
        ctx.sink.error(path + where, message, hint)
    if problems or cluster_ip is None:
        return
    ports = (ServicePort(53, 53, "udp"), ServicePort(53, 53, "tcp"))
    topo.services.append(Service(SERVICE, K8S_NAMESPACE, cluster_ip, ports, (Endpoint(str(pod.place.netns), v4[0]),), path,
                                 made_by="dns"))
    dns = ClusterDns(str(pod.place.netns), cluster_ip, domain, _records(topo, domain), path)
    config = dns.server_config()
    digest = hashlib.sha256(config.encode()).hexdigest()  # a change of records restarts the server
    pod.processes[SERVER] = Process(SERVER, COMMAND, (("TOPO_CONFIG_SHA256", digest),),
                                    "the lab's cluster DNS (dnsmasq, configured by topo)", None, config)
    topo.dns = dns
    needs_of_the_node(topo)


def lab_names(topo: Topology) -> list[tuple[str, tuple[Any, ...]]]:
    """The names the lab's cluster DNS answers, and the short forms a pod's search list
    (default namespace) completes to them: web, web.default, web.default.svc."""
    if topo.dns is None:
        return []
    out = []
    for name, addrs in topo.dns.records:
        out.append((name, addrs))
        suffix = f".svc.{topo.dns.domain}"
        if name.endswith(suffix):
            short = name[: -len(suffix)]
            out += [(short, addrs), (short + ".svc", addrs)]
            if short.endswith(".default"):
                out.append((short[: -len(".default")], addrs))
    return out
