"""The policies' chains in the lab's nftables table (kinds/service/ruleset.py builds the
table): a base chain on the forward hook, which the node's routed and bridged pod traffic
passes (bridged traffic through `net.bridge.bridge-nf-call-iptables`), lets replies of allowed
connections pass (conntrack), then sends a packet from a pod that is restricted for egress to
that pod's egress chain and one to a pod restricted for ingress to its ingress chain. Such a
chain returns for what a rule allows and drops the rest: a packet must be allowed by the
sender's policies and by the receiver's, as in Kubernetes."""

from __future__ import annotations

from typing import Any

from ..service.ruleset import Chain, Hook, match, payload, rule
from .model import Policy, PolicyRule

FORWARD_CHAIN = "policy-forward"


def _values(items: list[Any]) -> Any:
    """One value as itself, several as an anonymous set (as `nft -j` lists them)."""
    return items[0] if len(items) == 1 else {"set": items}


def _net(net: Any) -> Any:
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else \
        {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}


def _allow(r: PolicyRule, peer_field: str) -> list[str]:
    """The rules that return (allow) for one of the file's rules: one per protocol of its ports."""
    peer = [match(payload("ip", peer_field), _values([_net(n) for n in r.peers]))] if r.peers is not None else []
    if r.peers is not None and not r.peers:
        return []  # peers that are no pods: allows nothing
    if not r.ports:
        return [rule(*peer, {"return": None})]
    out = []
    for proto in sorted({p for p, _ in r.ports}):
        ports = sorted({n for p, n in r.ports if p == proto})
        out.append(rule(*peer, match(payload(proto, "dport"), _values(ports)), {"return": None}))
    return out


def policy_chains(policies: list[Policy]) -> list[Chain]:
    if not policies:
        return []
    ingress: dict[tuple[str, str], list[str]] = {}
    egress: dict[tuple[str, str], list[str]] = {}
    for policy in sorted(policies, key=lambda p: p.name):
        for direction, chains, peer_field in (("ingress", ingress, "saddr"), ("egress", egress, "daddr")):
            rules = getattr(policy, direction)
            if rules is None:
                continue
            for ns, ip in policy.pods:
                chains.setdefault((ns, str(ip)), []).extend(x for r in rules for x in _allow(r, peer_field))
    established = rule({"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
                       {"accept": None})
    jumps = [established]
    chains = []
    for (side, table, field) in (("egress", egress, "saddr"), ("ingress", ingress, "daddr")):
        for (ns, ip), allowed in sorted(table.items()):
            name = f"{side}/{ns}"
            jumps.append(rule(match(payload("ip", field), ip), {"jump": {"target": name}}))
            chains.append(Chain(name, tuple(allowed) + (rule({"drop": None}),)))
    return [Chain(FORWARD_CHAIN, tuple(jumps), Hook("filter", "forward", 0))] + chains
