"""Network policies as the file declares them, resolved to addresses."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...diagnostics import YamlPath
from ...model import IPAddress, IPNetwork


@dataclass(frozen=True)
class PolicyRule:
    peers: tuple[IPNetwork, ...] | None  # None: any peer
    ports: tuple[tuple[str, int], ...]  # (protocol, port); empty: any port
    spec: tuple[tuple[str, object], ...] | None = None  # the file's peers: ("pods", names), ("podSelector", labels), ("cidr", text)


@dataclass(frozen=True)
class Policy:
    name: str
    pods: tuple[tuple[str, IPAddress], ...]  # (namespace, its first IPv4 address)
    ingress: tuple[PolicyRule, ...] | None  # None: ingress not restricted by this policy
    egress: tuple[PolicyRule, ...] | None
    path: YamlPath = field(default=(), compare=False)
    selector: tuple[tuple[str, str], ...] = ()  # the file's way of choosing the pods
    pod_names: tuple[str, ...] = ()  # the file's `pods`
