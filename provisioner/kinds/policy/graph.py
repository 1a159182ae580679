"""How a diagram draws a network policy: a box saying what it lets in and out, with a line
to each pod it selects (a selected pod denies what no rule of its policies allows)."""

from __future__ import annotations

from typing import Iterator

from ...model import Topology
from ..link.graph import Box, end_with_address
from .model import Policy, PolicyRule


def _peer(kind: str, value: object) -> str:
    """A peer as the file gives it: pods by name or by labels, or a CIDR."""
    if kind == "podSelector" and isinstance(value, (tuple, list)):
        return "pods " + ",".join(f"{k}={v}" for k, v in value)
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    return str(value)


def _rule(rule: PolicyRule) -> str:
    if rule.spec is not None:
        peers = ", ".join(_peer(kind, value) for kind, value in rule.spec) or "nobody"
    else:
        peers = "anyone" if rule.peers is None else ", ".join(str(p) for p in rule.peers) or "nobody"
    ports = ", ".join(f"{port}/{proto}" for proto, port in rule.ports) or "any port"
    return f"{peers} on {ports}"


def _lines(policy: Policy) -> list[str]:
    lines = [f"policy {policy.name}"]
    for way, rules in (("in", policy.ingress), ("out", policy.egress)):
        if rules is not None:
            lines += [f"{way}: {_rule(r)}" for r in rules] or [f"{way}: nothing"]
    return lines


def boxes(topo: Topology) -> Iterator[Box]:
    for policy in topo.policies:
        to = tuple((end, "selects") for ns, addr in policy.pods if (end := end_with_address(topo, ns, addr)))
        yield Box(f"policy/{policy.name}", tuple(_lines(policy)), to)
