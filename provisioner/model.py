"""Desired model: typed dataclasses for what a topology asks for.

Everything is placed: an interface lives in a `Place` (a node and a namespace on it,
`netns=None` being the node's root namespace). Bridges, node-side veth ends, node routes,
sysctls and /etc/hosts entries live in the root namespace of their node.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

from .diagnostics import YamlPath

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPInterface = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

IMPLICIT_NODE = "host"
"""The name of the single node of a lab that declares no `nodes:` (the local machine)."""


class Kind:
    """The names of the link kinds the core model knows by name; every kind folder names its
    own (`provisioner/kinds/<kind>/`), and `Interface.kind` is such a name."""

    LOOPBACK = "loopback"
    VETH = "veth"
    BRIDGE = "bridge"
    VXLAN = "vxlan"


@dataclass(frozen=True, order=True)
class Place:
    """A network namespace on a node; `netns=None` is the node's own (root) namespace."""

    node: str
    netns: str | None = None

    def label(self, single_node: bool = True) -> str:
        ns = self.netns if self.netns is not None else "(root)"
        return ns if single_node else f"{self.node}/{ns}"


@dataclass(frozen=True, order=True)
class EndRef:
    place: Place
    ifname: str


def kernel_default_metric(dst: IPNetwork) -> int:
    """The metric the kernel gives a route added without one: 0 for IPv4, 1024 for IPv6."""
    return 1024 if dst.version == 6 else 0


@dataclass(frozen=True)
class Route:
    dst: IPNetwork
    via: IPAddress | None = None
    dev: str | None = None
    metric: int | None = None
    onlink: bool = False
    src: IPAddress | None = None
    path: YamlPath = field(default=(), compare=False, hash=False)
    table: int = 254  # RT_TABLE_MAIN; kinds/route/tables.py: the file's `table:`

    @property
    def is_default(self) -> bool:
        return self.dst.prefixlen == 0

    @property
    def kernel_metric(self) -> int:
        """The metric the route has in the kernel (its own, or the kernel's default)."""
        return self.metric if self.metric is not None else kernel_default_metric(self.dst)

    def describe(self) -> str:
        parts = ["default" if self.is_default else str(self.dst)]
        if self.via is not None:
            parts += ["via", str(self.via)]
        if self.dev:
            parts += ["dev", self.dev]
        if self.metric is not None:
            parts += ["metric", str(self.metric)]
        if self.onlink:
            parts.append("onlink")
        if self.src is not None:
            parts += ["src", str(self.src)]
        if self.table != 254:
            parts += ["table", str(self.table)]
        return " ".join(parts)


@dataclass(frozen=True)
class Vxlan:
    """A VXLAN device's identity: what cannot change without recreating it, and its remotes."""

    vni: int
    port: int
    local: IPAddress
    remotes: tuple[IPAddress, ...] = ()  # other nodes' underlay addresses (forwarding entries)


@dataclass
class Interface:
    name: str
    kind: str  # a kind's name (Kind.BRIDGE, ...): the kind folder that makes and reads it
    addresses: tuple[IPInterface, ...] = ()
    mtu: int | None = None
    mac: str | None = None
    up: bool = True
    master: str | None = None  # bridge in the same namespace
    peer: EndRef | None = None  # the other end of a veth pair
    spec: Any = None  # the kind's own settings: a `Vxlan` for a VXLAN device, a macvlan's parent and mode
    description: str | None = None
    txqueuelen: int | None = None  # IFLA_TXQLEN; None: the kernel's
    hairpin: bool = False  # a bridge port's hairpin mode (frames may go back out of the port they came in)
    broadcasts: dict[IPInterface, IPAddress] = field(default_factory=dict)  # an IPv4 address's IFA_BROADCAST, where given
    path: YamlPath = field(default=(), compare=False)

    @property
    def vxlan(self) -> Vxlan | None:
        return self.spec if isinstance(self.spec, Vxlan) else None


@dataclass(frozen=True)
class Process:
    """A long-running command inside a namespace, started by apply (`sh -c command`), as root
    or as `user`, with a clean environment plus `env`."""

    name: str
    command: str
    env: tuple[tuple[str, str], ...] = ()
    description: str | None = field(default=None, compare=False)
    user: str | None = None  # a user of the node; None: root
    config: str | None = None  # a file topo writes for it (a kind's server): its path is in TOPO_CONFIG


@dataclass(frozen=True)
class Check:
    """An expectation `topo check` tests: reach `target` (ICMP, or TCP `port`) or resolve a name."""

    name: str
    place: Place  # where it runs
    target: str  # address or name to reach, or the name to resolve
    port: int | None = None
    resolve: bool = False
    address: IPAddress | None = None  # for resolve: the expected answer
    expect_success: bool = True
    timeout: float = 2.0
    path: YamlPath = field(default=(), compare=False)
    external: bool = False  # the target may be outside the lab (else validation refuses it)
    answers: tuple[str, ...] = ()  # an HTTP check: the set of bodies its connections get
    connections: int = 20

    @property
    def kind(self) -> str:
        return "resolve" if self.resolve else ("http" if self.answers else "tcp" if self.port is not None else "icmp")


@dataclass
class Netns:
    place: Place
    interfaces: dict[str, Interface] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, tuple[IPAddress, ...]] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    description: str | None = None
    path: YamlPath = field(default=(), compare=False)
    labels: dict[str, str] = field(default_factory=dict)  # Kubernetes-style, for selectors
    rules: list[Any] = field(default_factory=list)  # kinds/rule: Rule (policy routing rules)


@dataclass
class Node:
    name: str
    root: Netns
    namespaces: dict[str, Netns] = field(default_factory=dict)
    host: str | None = None
    user: str | None = None
    description: str | None = None
    underlay: IPInterface | None = None  # the node's own address between nodes (not managed)

    def all_netns(self) -> Iterator[Netns]:
        yield self.root
        yield from self.namespaces.values()


@dataclass(frozen=True)
class VethPair:
    a: EndRef
    b: EndRef
    description: str | None = None
    path: YamlPath = field(default=(), compare=False)


@dataclass
class Topology:
    name: str
    nodes: dict[str, Node]
    veths: list[VethPair] = field(default_factory=list)
    description: str | None = None
    implicit_node: bool = True
    checks: list[Check] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)  # kinds/service: Service
    service_cidr: Any = None  # kinds/service: the range ClusterIPs are allocated from (IPv4Network)
    policies: list[Any] = field(default_factory=list)  # kinds/policy: Policy
    dns: Any = None  # kinds/dns: ClusterDns
    impairments: list[Any] = field(default_factory=list)  # kinds/impair: Impaired
    tables: dict[str, int] = field(default_factory=dict)  # kinds/route: routing table names the file declares

    def netns(self, place: Place) -> Netns:
        node = self.nodes[place.node]
        return node.root if place.netns is None else node.namespaces[place.netns]

    def interface(self, end: EndRef) -> Interface:
        return self.netns(end.place).interfaces[end.ifname]

    def all_netns(self) -> Iterator[Netns]:
        for node in self.nodes.values():
            yield from node.all_netns()

    @property
    def single_node(self) -> bool:
        return len(self.nodes) == 1

    def bridges(self) -> Iterator[tuple[Netns, Interface]]:
        for ns in self.all_netns():
            for iface in ns.interfaces.values():
                if iface.kind == Kind.BRIDGE:
                    yield ns, iface
