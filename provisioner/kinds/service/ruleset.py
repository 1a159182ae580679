"""The lab's nftables table for its Services, built the way kube-proxy's nftables mode builds
its own: a verdict map from (ClusterIP, protocol, port) to a chain per Service port, which
picks an endpoint with `numgen random mod N` and jumps to the endpoint's chain, which DNATs
to the pod's target port; a map from (protocol, nodePort) on the node's local addresses
(`fib daddr type local`) to a chain that marks the connection for masquerade first; a pod
reaching itself through its Service (hairpin) is masqueraded too. The same hooks serve
traffic routed through the node (prerouting) and the node's own (output).

The table is data: chains of rules and maps of elements, each rule and element in the JSON
form `nft -j` lists them, so that what the kernel holds is compared with it as values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from .model import Service, ServicePort

FAMILY = "inet"
MASQ_MARK = 0x4000
SERVICE_IPS = "service-ips"
NODE_PORTS_MAP = "service-nodeports"
MARK_CHAIN = "mark-for-masquerade"
SERVICES_CHAIN = "services"

Rule = str  # one rule's expressions, as canonical JSON text


def table_name(lab: str) -> str:
    return f"topo-{lab}"


def comment(lab: str) -> str:
    """The mark on the lab's table (as `topo:LAB` on its links)."""
    return f"topo:{lab}"


def rule(*exprs: dict[str, Any]) -> Rule:
    return json.dumps(list(exprs), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Hook:
    type: str
    hook: str
    prio: int
    policy: str = "accept"


@dataclass(frozen=True)
class Chain:
    name: str
    rules: tuple[Rule, ...]
    hook: Hook | None = None


@dataclass(frozen=True)
class Map:
    name: str
    type: tuple[str, ...]
    elements: frozenset[tuple[str, str]]  # (key as canonical JSON, target chain)


@dataclass
class Table:
    chains: dict[str, Chain] = field(default_factory=dict)
    maps: dict[str, Map] = field(default_factory=dict)

    def add(self, chain: Chain) -> None:
        self.chains[chain.name] = chain


def payload(protocol: str, fieldname: str) -> dict[str, Any]:
    return {"payload": {"protocol": protocol, "field": fieldname}}


def match(left: dict[str, Any], right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def _key(*parts: Any) -> str:
    return json.dumps({"concat": list(parts)}, sort_keys=True, separators=(",", ":"))


def chain_base(svc: Service, port: ServicePort) -> str:
    return f"{svc.namespace}/{svc.name}/{port.protocol}/{port.port}"


def service_chain(svc: Service, port: ServicePort) -> str:
    return f"service-{chain_base(svc, port)}"


def external_chain(svc: Service, port: ServicePort) -> str:
    return f"external-{chain_base(svc, port)}"


def endpoint_chain(svc: Service, port: ServicePort, netns: str) -> str:
    return f"endpoint-{chain_base(svc, port)}/{netns}"


_L4_DPORT = {"concat": [{"meta": {"key": "l4proto"}}, {"payload": {"protocol": "th", "field": "dport"}}]}
_MARK = {"meta": {"key": "mark"}}


_ADDR, _PORT = '"@address@"', '"@port@"'  # placeholders: strings no value of ours can be


@lru_cache(maxsize=None)
def _endpoint_rules(protocol: str) -> tuple[Rule, Rule]:
    """An endpoint chain's two rules (hairpin mark, DNAT), as text with placeholders for the
    pod's address and target port: an endpoint's rules are these with its values in (the
    same text rule() gives: test_service_table checks), at a fraction of the cost."""
    return (rule(match(payload("ip", "saddr"), _ADDR[1:-1]), {"jump": {"target": MARK_CHAIN}}),
            rule(match({"meta": {"key": "l4proto"}}, protocol),
                 {"dnat": {"family": "ip", "addr": _ADDR[1:-1], "port": _PORT[1:-1]}}))


def build_table(services: Sequence[Service], policies: Sequence[Any] = ()) -> Table:
    """The lab's table: its Services' translation and its policies' chains."""
    from ..policy.ruleset import policy_chains

    t = Table()
    for chain in policy_chains(list(policies)):
        t.add(chain)
    mark = {"&": [_MARK, MASQ_MARK]}
    t.add(Chain(MARK_CHAIN, (rule({"mangle": {"key": _MARK, "value": {"|": [_MARK, MASQ_MARK]}}}),)))
    t.add(Chain(SERVICES_CHAIN, (
        rule({"vmap": {"key": {"concat": [payload("ip", "daddr"), *_L4_DPORT["concat"]]},
                       "data": f"@{SERVICE_IPS}"}}),
        rule(match({"fib": {"result": "type", "flags": ["daddr"]}}, "local"),
             {"vmap": {"key": _L4_DPORT, "data": f"@{NODE_PORTS_MAP}"}}),
    )))
    jump_services = rule({"jump": {"target": SERVICES_CHAIN}})
    t.add(Chain("nat-prerouting", (jump_services,), Hook("nat", "prerouting", -100)))
    t.add(Chain("nat-output", (jump_services,), Hook("nat", "output", -100)))
    t.add(Chain("nat-postrouting", (rule(match(mark, MASQ_MARK), {"masquerade": None}),), Hook("nat", "postrouting", 100)))
    ips: set[tuple[str, str]] = set()
    nodeports: set[tuple[str, str]] = set()
    for svc in services:
        if not svc.endpoints:
            continue  # a selector that matches nothing (warned): no chain can pick from none
        for port in svc.ports:
            chain = service_chain(svc, port)
            ips.add((_key(str(svc.cluster_ip), port.protocol, port.port), chain))
            eps = [endpoint_chain(svc, port, ep.netns) for ep in svc.endpoints]
            pick = {"vmap": {"key": {"numgen": {"mode": "random", "mod": len(eps), "offset": 0}},
                             "data": {"set": [[i, {"goto": {"target": name}}] for i, name in enumerate(eps)]}}}
            t.add(Chain(chain, (rule(pick),)))
            hairpin, dnat = _endpoint_rules(port.protocol)
            for ep, name in zip(svc.endpoints, eps):
                addr = json.dumps(str(ep.address))
                t.add(Chain(name, (hairpin.replace(_ADDR, addr),
                                   dnat.replace(_ADDR, addr).replace(_PORT, str(port.target_port)))))
            if port.node_port is not None:
                ext = external_chain(svc, port)
                nodeports.add((_key(port.protocol, port.node_port), ext))
                t.add(Chain(ext, (rule({"jump": {"target": MARK_CHAIN}}), rule({"goto": {"target": chain}}))))
    t.maps[SERVICE_IPS] = Map(SERVICE_IPS, ("ipv4_addr", "inet_proto", "inet_service"), frozenset(ips))
    t.maps[NODE_PORTS_MAP] = Map(NODE_PORTS_MAP, ("inet_proto", "inet_service"), frozenset(nodeports))
    return t


def inputs_fingerprint(services: Sequence[Service], policies: Sequence[Any]) -> str | None:
    """A digest of what build_table is given and of the code that builds the table from it:
    equal digests, equal tables, without building either (None when the code cannot be read)."""
    from ..policy import ruleset as policy_ruleset

    h = hashlib.sha256()
    try:
        for module in (__file__, policy_ruleset.__file__):
            with open(module, "rb") as f:
                h.update(f.read())
    except (OSError, TypeError):
        return None
    h.update(repr((tuple(services), tuple(policies))).encode())
    return h.hexdigest()

