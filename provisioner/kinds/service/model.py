"""A Service as the file declares it, resolved to endpoint addresses."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...diagnostics import YamlPath
from ...model import IPAddress

NODE_PORTS = range(30000, 32768)  # Kubernetes' default --service-node-port-range


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: int
    protocol: str  # "tcp" or "udp", as nftables names them
    node_port: int | None = None
    allocate: bool = False  # a NodePort Service's port the file gives no nodePort: topo picks one


@dataclass(frozen=True)
class Endpoint:
    netns: str
    address: IPAddress


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str  # the Kubernetes namespace
    cluster_ip: IPAddress
    ports: tuple[ServicePort, ...]
    endpoints: tuple[Endpoint, ...]
    path: YamlPath = field(default=(), compare=False)
    selector: tuple[tuple[str, str], ...] = ()  # the labels that chose the endpoints (the file's way)
    made_by: str | None = None  # the kind that declares it (the cluster DNS's kube-dns), not the file
    allocated: bool = False  # its ClusterIP was allocated from the service CIDR (the file gives none)

    @property
    def node_ports(self) -> tuple[ServicePort, ...]:
        return tuple(p for p in self.ports if p.node_port is not None)
