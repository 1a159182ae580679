"""How a diagram draws a Service: a box with its ClusterIP, ports and NodePorts, and a line to
each endpoint's interface labelled with the port the traffic arrives on (the cluster DNS's
kube-dns Service too)."""

from __future__ import annotations

from typing import Iterator

from ...model import Topology
from ..link.graph import Box, end_with_address


def boxes(topo: Topology) -> Iterator[Box]:
    for svc in topo.services:
        kind = "NodePort" if svc.node_ports else "ClusterIP"
        lines = [f"service {svc.namespace}/{svc.name} ({kind})", str(svc.cluster_ip)]
        lines += [f"{p.port}/{p.protocol} -> {p.target_port}" + (f", nodePort {p.node_port}" if p.node_port else "")
                  for p in svc.ports]
        targets = ", ".join(sorted({f"{p.target_port}/{p.protocol}" for p in svc.ports}))
        to = tuple((end, targets) for ep in svc.endpoints if (end := end_with_address(topo, ep.netns, ep.address)))
        yield Box(f"service/{svc.namespace}/{svc.name}", tuple(lines), to)
